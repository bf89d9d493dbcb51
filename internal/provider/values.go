package provider

// Conversions between framework values and Go values, shared by the
// resources.

import (
	"context"

	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func nullIfEmpty(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}

func stringOrNull(v string, prior types.String) types.String {
	if v == "" && prior.IsNull() {
		return types.StringNull()
	}
	return types.StringValue(v)
}

func stringList(ctx context.Context, l types.List) []string {
	if l.IsNull() || l.IsUnknown() {
		return nil
	}
	var out []string
	l.ElementsAs(ctx, &out, false)
	return out
}

func stringMap(ctx context.Context, m types.Map) map[string]string {
	if m.IsNull() || m.IsUnknown() {
		return nil
	}
	out := map[string]string{}
	m.ElementsAs(ctx, &out, false)
	return out
}

func listValue(ctx context.Context, v []string) types.List {
	if v == nil {
		v = []string{}
	}
	l, _ := types.ListValueFrom(ctx, types.StringType, v)
	return l
}

func mapOrNull(m map[string]string, prior types.Map) types.Map {
	if len(m) == 0 && (prior.IsNull() || prior.IsUnknown()) {
		return types.MapNull(types.StringType)
	}
	if m == nil {
		m = map[string]string{}
	}
	v, _ := types.MapValueFrom(context.Background(), types.StringType, m)
	return v
}

func toArchitectures(v []string) []lambdatypes.Architecture {
	out := make([]lambdatypes.Architecture, 0, len(v))
	for _, a := range v {
		out = append(out, lambdatypes.Architecture(a))
	}
	return out
}
