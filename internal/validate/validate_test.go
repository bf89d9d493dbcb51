package validate

import (
	"context"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func TestStringValidator(t *testing.T) {
	t.Parallel()
	v := String("Invalid Thing", "a thing", `thing = "abc"`, Matches(regexp.MustCompile(`^[a-z]+$`), "lower-case letters"))
	tests := map[string]struct {
		value      types.String
		wantDetail string
	}{
		"valid":   {value: types.StringValue("abc")},
		"null":    {value: types.StringNull()},
		"unknown": {value: types.StringUnknown()},
		"invalid": {value: types.StringValue("ABC"), wantDetail: "thing = \"ABC\" is not valid: it must be lower-case letters.\n\nA valid example: thing = \"abc\""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var resp validator.StringResponse
			v.ValidateString(context.Background(), validator.StringRequest{Path: path.Root("thing"), ConfigValue: tc.value}, &resp)
			got := ""
			if resp.Diagnostics.HasError() {
				d := resp.Diagnostics.Errors()[0]
				if d.Summary() != "Invalid Thing" {
					t.Errorf("summary = %q, want Invalid Thing", d.Summary())
				}
				got = d.Detail()
			}
			if got != tc.wantDetail {
				t.Errorf("detail = %q, want %q", got, tc.wantDetail)
			}
		})
	}
}

func TestInt64AtLeast(t *testing.T) {
	t.Parallel()
	v := Int64AtLeast("Invalid Count", 0, "count = 3")
	var resp validator.Int64Response
	v.ValidateInt64(context.Background(), validator.Int64Request{Path: path.Root("count"), ConfigValue: types.Int64Value(-2)}, &resp)
	want := "count = -2 is not valid: it must be at least 0.\n\nA valid example: count = 3"
	if !resp.Diagnostics.HasError() || resp.Diagnostics.Errors()[0].Detail() != want {
		t.Errorf("diagnostics = %v, want detail %q", resp.Diagnostics, want)
	}
	var ok validator.Int64Response
	v.ValidateInt64(context.Background(), validator.Int64Request{Path: path.Root("count"), ConfigValue: types.Int64Value(0)}, &ok)
	if ok.Diagnostics.HasError() {
		t.Errorf("0 rejected: %v", ok.Diagnostics)
	}
}
