package provider

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// TestMovedFromAWS: which move requests come from the AWS provider. Terraform
// sends the source provider's full address; OpenTofu 1.10 sends only the
// provider type the source resource type implies ("aws").
func TestMovedFromAWS(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		address, typeName string
		want              bool
	}{
		"terraform registry":         {address: "registry.terraform.io/hashicorp/aws", typeName: "aws_lambda_function", want: true},
		"opentofu registry":          {address: "registry.opentofu.org/hashicorp/aws", typeName: "aws_lambda_function", want: true},
		"opentofu implied type":      {address: "aws", typeName: "aws_lambda_alias", want: true},
		"other type":                 {address: "registry.terraform.io/hashicorp/aws", typeName: "aws_lambda_layer_version"},
		"other namespace":            {address: "registry.terraform.io/example/aws", typeName: "aws_lambda_function"},
		"namespace ending hashicorp": {address: "registry.terraform.io/not-hashicorp/aws", typeName: "aws_lambda_function"},
		"other provider type":        {address: "registry.terraform.io/hashicorp/awscc", typeName: "aws_lambda_function"},
		"opentofu other implied":     {address: "awscc", typeName: "aws_lambda_function"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			req := resource.MoveStateRequest{SourceProviderAddress: tc.address, SourceTypeName: tc.typeName, SourceRawState: &tfprotov6.RawState{JSON: []byte(`{}`)}}
			got := movedFromAWS(req, "aws_lambda_function") || movedFromAWS(req, "aws_lambda_alias")
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("movedFromAWS(%q, %q) (-want +got):\n%s", tc.address, tc.typeName, diff)
			}
		})
	}
}
