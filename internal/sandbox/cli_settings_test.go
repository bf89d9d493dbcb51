package sandbox_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rollout-tf/terraform-provider-rollout/internal/peers"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

// TestConformanceAWSCLISettings drives the versioned settings and the
// reserved concurrency with the AWS CLI v2, an independent client of the
// same service model: its shorthand encodings of VpcConfig, TracingConfig,
// EphemeralStorage, DeadLetterConfig and the concurrency operations reach
// the sandbox as AWS would receive them, and the answers parse with the
// CLI's own model. (The CLI installed here predates LoggingConfig;
// lambda_settings_test.go covers it with aws-sdk-go-v2.)
func TestConformanceAWSCLISettings(t *testing.T) {
	awsCLI := peers.Require(t, "the AWS CLI v2", "/usr/bin/aws")
	if out, err := exec.Command(awsCLI, "--version").CombinedOutput(); err != nil || !strings.HasPrefix(string(out), "aws-cli/2.") {
		t.Fatalf("%s is not the AWS CLI v2: %s %v", awsCLI, out, err)
	}
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{})
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "v1.zip"), zipOf(t, "one"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	steps := []cliStep{
		{args: []string{"lambda", "create-function", "--function-name", "set", "--runtime", "provided.al2023", "--handler", "bootstrap", "--role", testRole,
			"--zip-file", "fileb://v1.zip", "--vpc-config", "SubnetIds=subnet-0a1b,SecurityGroupIds=sg-0e3f", "--tracing-config", "Mode=Active",
			"--ephemeral-storage", "Size=1024",
			"--dead-letter-config", "TargetArn=arn:aws:sns:us-east-1:123456789012:alerts"},
			fields: map[string]any{"State": "Pending", "VpcConfig.SubnetIds": []any{"subnet-0a1b"}, "VpcConfig.VpcId": "vpc-0a1b", "TracingConfig.Mode": "Active",
				"EphemeralStorage.Size":      float64(1024),
				"DeadLetterConfig.TargetArn": "arn:aws:sns:us-east-1:123456789012:alerts"}},
		{args: []string{"lambda", "wait", "function-active-v2", "--function-name", "set"}},
		{args: []string{"lambda", "update-function-configuration", "--function-name", "set", "--tracing-config", "Mode=On"}, code: "ValidationException",
			message: "1 validation error detected: Value 'On' at 'tracingConfig.mode' failed to satisfy constraint: Member must satisfy enum value set: [Active, PassThrough]"},
		{args: []string{"lambda", "update-function-configuration", "--function-name", "set", "--vpc-config", "SubnetIds=subnet-0a1b,SecurityGroupIds=[]"},
			code: "InvalidParameterValueException", message: "SecurityGroupIds are required when SubnetIds are specified."},
		{args: []string{"lambda", "put-function-concurrency", "--function-name", "set", "--reserved-concurrent-executions", "3"},
			fields: map[string]any{"ReservedConcurrentExecutions": float64(3)}},
		{args: []string{"lambda", "get-function-concurrency", "--function-name", "set"}, fields: map[string]any{"ReservedConcurrentExecutions": float64(3)}},
		{args: []string{"lambda", "get-function", "--function-name", "set"}, fields: map[string]any{"Concurrency.ReservedConcurrentExecutions": float64(3)}},
		{args: []string{"lambda", "put-function-concurrency", "--function-name", "set", "--reserved-concurrent-executions", "950"}, code: "InvalidParameterValueException",
			message: "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [100]."},
		{args: []string{"lambda", "delete-function-concurrency", "--function-name", "set"}},
		// An answer of {} prints nothing: the CLI shows no reservation.
		{args: []string{"lambda", "get-function-concurrency", "--function-name", "set"}},
		{args: []string{"lambda", "get-function", "--function-name", "set"}, fields: map[string]any{"Concurrency": nil}},
	}
	runCLISteps(t, awsCLI, inst, dir, steps)
}
