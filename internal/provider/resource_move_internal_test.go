package provider

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
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

// moveFunction runs rollout_function's MoveState on an aws_lambda_function
// state (its attributes as JSON).
func moveFunction(t *testing.T, state string) functionModelV0 {
	t.Helper()
	ctx := context.Background()
	r := &functionResource{}
	var sr resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &sr)
	req := resource.MoveStateRequest{SourceProviderAddress: "registry.terraform.io/hashicorp/aws", SourceTypeName: "aws_lambda_function",
		SourceRawState: &tfprotov6.RawState{JSON: []byte(state)}}
	resp := resource.MoveStateResponse{TargetState: tfsdk.State{Schema: sr.Schema, Raw: tftypes.NewValue(sr.Schema.Type().TerraformType(ctx), nil)}}
	r.MoveState(ctx)[0].StateMover(ctx, req, &resp)
	if resp.Diagnostics.HasError() {
		t.Fatalf("MoveState: %v", resp.Diagnostics)
	}
	var m functionModelV0
	if d := resp.TargetState.Get(ctx, &m); d.HasError() {
		t.Fatalf("reading the moved state: %v", d)
	}
	return m
}

// TestMoveFunctionWithAWSDefaults: the AWS provider records the blocks it
// reads back from AWS even when the configuration never set them
// (ephemeral_storage = 512 MB, tracing_config = PassThrough, logging_config
// = Text with the default log group). Moved, they are AWS's defaults, so the
// moved state leaves them unset and its version's digest is that of the
// same function without them: a configuration that does not write them
// plans no change and publishes nothing.
func TestMoveFunctionWithAWSDefaults(t *testing.T) {
	t.Parallel()
	const common = `"function_name": "orders", "arn": "arn:aws:lambda:us-east-1:123456789012:function:orders",
		"role": "arn:aws:iam::123456789012:role/lambda", "runtime": "provided.al2023", "handler": "bootstrap", "description": "",
		"memory_size": 128, "timeout": 3, "architectures": ["x86_64"], "package_type": "Zip", "filename": "app.zip",
		"code_sha256": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", "version": "3",
		"qualified_arn": "arn:aws:lambda:us-east-1:123456789012:function:orders:3", "last_modified": "2026-11-01T10:00:00.000+0000",
		"environment": [{"variables": {"STAGE": "prod"}}], "reserved_concurrent_executions": -1`
	filled := moveFunction(t, `{`+common+`,
		"ephemeral_storage": [{"size": 512}], "tracing_config": [{"mode": "PassThrough"}],
		"logging_config": [{"log_format": "Text", "application_log_level": "", "system_log_level": "", "log_group": "/aws/lambda/orders"}],
		"vpc_config": [], "dead_letter_config": [], "file_system_config": [], "snap_start": [], "image_config": []}`)
	bare := moveFunction(t, `{`+common+`}`)
	for name, v := range map[string]types.Object{"ephemeral_storage": filled.EphemeralStorage, "tracing_config": filled.TracingConfig, "logging_config": filled.LoggingConfig} {
		if !v.IsNull() {
			t.Errorf("moved %s = %v, want unset (AWS's default)", name, v)
		}
	}
	digest := func(m functionModelV0) string {
		es := entriesFromList(context.Background(), m.Versions)
		if len(es) != 1 || es[0].Number != "3" {
			t.Fatalf("moved versions = %+v, want version 3 alone", es)
		}
		return es[0].Digest
	}
	if a, b := digest(filled), digest(bare); a != b {
		t.Errorf("the digest of version 3 moved with AWS's default blocks is %s, without them %s: a configuration without them would publish", a, b)
	}
	if !filled.ReservedConcurrentExecutions.IsNull() {
		t.Errorf("reserved_concurrent_executions = %v, want unset for the AWS provider's -1", filled.ReservedConcurrentExecutions)
	}
}
