package validate

import (
	"context"
	"fmt"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// The wrapped validators keep the framework's decision and replace its
// message with ours: one error naming the attribute, the value and a valid
// example, whatever the number of inner validators that refused.
func TestWrapped(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	strs := func(v ...string) types.List {
		elems := make([]attr.Value, 0, len(v))
		for _, s := range v {
			elems = append(elems, types.StringValue(s))
		}
		return types.ListValueMust(types.StringType, elems)
	}
	arch := List(Msg{Summary: "Invalid Architectures", Problem: `it must hold exactly one of "x86_64" or "arm64"`, Example: `architectures = ["arm64"]`},
		listvalidator.SizeBetween(1, 1), listvalidator.ValueStringsAre(stringvalidator.OneOf("x86_64", "arm64")))
	memory := Int64(Msg{Summary: "Invalid Memory Size", Problem: "it must be from 128 to 10240 (MB)", Example: "memory_size = 512"}, int64validator.Between(128, 10240))
	desc := Strings(Msg{Summary: "Invalid Description", Problem: "it must be at most 3 characters", Example: `description = "abc"`,
		Value: func(v attr.Value) string {
			d, _ := v.(types.String)
			return fmt.Sprintf("(%d characters)", len(d.ValueString()))
		}}, stringvalidator.LengthAtMost(3))
	name := Regex("Invalid Name", regexp.MustCompile(`^[a-z]+$`), "lower-case letters", `name = "live"`)
	type result struct{ Summary, Detail string }
	run := func(check func(*diag.Diagnostics)) []result {
		var d diag.Diagnostics
		check(&d)
		var out []result
		for _, e := range d {
			out = append(out, result{e.Summary(), e.Detail()})
		}
		return out
	}
	list := func(v validator.List, p string, value types.List) func(*diag.Diagnostics) {
		return func(d *diag.Diagnostics) {
			r := &validator.ListResponse{}
			v.ValidateList(ctx, validator.ListRequest{Path: path.Root(p), ConfigValue: value}, r)
			d.Append(r.Diagnostics...)
		}
	}
	i64 := func(v validator.Int64, p string, value types.Int64) func(*diag.Diagnostics) {
		return func(d *diag.Diagnostics) {
			r := &validator.Int64Response{}
			v.ValidateInt64(ctx, validator.Int64Request{Path: path.Root(p), ConfigValue: value}, r)
			d.Append(r.Diagnostics...)
		}
	}
	str := func(v validator.String, p string, value types.String) func(*diag.Diagnostics) {
		return func(d *diag.Diagnostics) {
			r := &validator.StringResponse{}
			v.ValidateString(ctx, validator.StringRequest{Path: path.Root(p), ConfigValue: value}, r)
			d.Append(r.Diagnostics...)
		}
	}
	tests := map[string]struct {
		check func(*diag.Diagnostics)
		want  []result
	}{
		"two architectures": {list(arch, "architectures", strs("x86_64", "arm64")), []result{{"Invalid Architectures",
			"architectures = [\"x86_64\" \"arm64\"] is not valid: it must hold exactly one of \"x86_64\" or \"arm64\".\n\nA valid example: architectures = [\"arm64\"]"}}},
		"two unknown architectures, one message": {list(arch, "architectures", strs("sparc", "mips")), []result{{"Invalid Architectures",
			"architectures = [\"sparc\" \"mips\"] is not valid: it must hold exactly one of \"x86_64\" or \"arm64\".\n\nA valid example: architectures = [\"arm64\"]"}}},
		"one architecture":        {list(arch, "architectures", strs("arm64")), nil},
		"null list":               {list(arch, "architectures", types.ListNull(types.StringType)), nil},
		"memory below":            {i64(memory, "memory_size", types.Int64Value(64)), []result{{"Invalid Memory Size", "memory_size = 64 is not valid: it must be from 128 to 10240 (MB).\n\nA valid example: memory_size = 512"}}},
		"memory at the upper end": {i64(memory, "memory_size", types.Int64Value(10240)), nil},
		"memory unknown":          {i64(memory, "memory_size", types.Int64Unknown()), nil},
		"description too long": {str(desc, "description", types.StringValue("abcd")), []result{{"Invalid Description",
			"description = (4 characters) is not valid: it must be at most 3 characters.\n\nA valid example: description = \"abc\""}}},
		"name not matching": {str(name, "name", types.StringValue("Live")), []result{{"Invalid Name",
			"name = \"Live\" is not valid: it must be lower-case letters.\n\nA valid example: name = \"live\""}}},
		"name matching": {str(name, "name", types.StringValue("live")), nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, run(tc.check)); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
		})
	}
}
