package provider

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func TestMutableImageWarning(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		uri  string
		want string
	}{
		"immutable tag": {uri: "123456789012.dkr.ecr.us-east-1.amazonaws.com/orders:v1.2.0"},
		"digest":        {uri: "123456789012.dkr.ecr.us-east-1.amazonaws.com/orders@sha256:abc"},
		"registry port": {uri: "registry:5000/orders:v1"},
		"latest": {uri: "repo/orders:latest",
			want: `image_uri = "repo/orders:latest" uses the tag latest. A release must always mean the same code: use an immutable tag or a digest, for example image_uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/orders@sha256:<digest>".`},
		"no tag behind a registry port": {uri: "registry:5000/orders",
			want: `image_uri = "registry:5000/orders" uses no tag (that is latest). A release must always mean the same code: use an immutable tag or a digest, for example image_uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/orders@sha256:<digest>".`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := mutableImageWarning(tc.uri); got != tc.want {
				t.Errorf("mutableImageWarning(%q) = %q, want %q", tc.uri, got, tc.want)
			}
		})
	}
}

// TestImageTagValidator: the plan warns (never fails) on image_uri's
// mutable references, at the attribute, and says nothing of unknown values.
func TestImageTagValidator(t *testing.T) {
	t.Parallel()
	type warning struct{ Severity, Summary, Path string }
	tests := map[string]struct {
		value types.String
		want  []warning
	}{
		"latest":        {types.StringValue("repo/orders:latest"), []warning{{"Warning", "Mutable Image Tag", "image_uri"}}},
		"no tag":        {types.StringValue("repo/orders"), []warning{{"Warning", "Mutable Image Tag", "image_uri"}}},
		"immutable tag": {types.StringValue("repo/orders:v1"), nil},
		"unknown":       {types.StringUnknown(), nil},
		"null":          {types.StringNull(), nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			resp := &validator.StringResponse{}
			imageTagValidator{}.ValidateString(context.Background(), validator.StringRequest{Path: path.Root("image_uri"), ConfigValue: tc.value}, resp)
			var got []warning
			for _, d := range resp.Diagnostics {
				p := ""
				if wp, ok := d.(diag.DiagnosticWithPath); ok {
					p = wp.Path().String()
				}
				got = append(got, warning{d.Severity().String(), d.Summary(), p})
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
		})
	}
}
