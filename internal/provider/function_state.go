package provider

// A raw-state editor for Read: it edits top-level attributes without
// decoding the (possibly long) versions list.

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// rawState edits the top-level attributes of a state object without
// converting the others (the versions list can be long).
type rawState struct {
	typ   tftypes.Type
	attrs map[string]tftypes.Value
	err   error
}

func openRawState(v tftypes.Value) (*rawState, error) {
	s := &rawState{typ: v.Type(), attrs: map[string]tftypes.Value{}}
	return s, v.As(&s.attrs)
}

func (s *rawState) str(ctx context.Context, name string) types.String {
	return rawGet(ctx, s, name, types.StringType, types.StringNull())
}

func (s *rawState) strMap(ctx context.Context, name string) types.Map {
	return rawGet(ctx, s, name, types.MapType{ElemType: types.StringType}, types.MapNull(types.StringType))
}

func (s *rawState) strList(ctx context.Context, name string) types.List {
	return rawGet(ctx, s, name, types.ListType{ElemType: types.StringType}, types.ListNull(types.StringType))
}

// rawGet decodes one top-level attribute as typ; on error it records the
// error and returns null.
func rawGet[V attr.Value](ctx context.Context, s *rawState, name string, typ attr.Type, null V) V {
	v, err := typ.ValueFromTerraform(ctx, s.attrs[name])
	if err != nil {
		s.err = err
		return null
	}
	out, _ := v.(V)
	return out
}

func (s *rawState) set(ctx context.Context, name string, v attr.Value) {
	tv, err := v.ToTerraformValue(ctx)
	if err != nil {
		s.err = err
		return
	}
	s.attrs[name] = tv
}

func (s *rawState) value() tftypes.Value { return tftypes.NewValue(s.typ, s.attrs) }
