package sandbox_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/rollout-tf/terraform-provider-rollout/internal/peers"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

// TestConformanceAWSCLIEventSourceMappings drives the event source mapping
// API with the AWS CLI v2 (its own REST-JSON serializers and error
// parsing): create, get, list with filters and paging, update, delete,
// and the errors. Between the steps that change state, the test waits
// through the SDK for the poller to settle the transition.
func TestConformanceAWSCLIEventSourceMappings(t *testing.T) {
	awsCLI := peers.Require(t, "the AWS CLI v2", "/usr/bin/aws")
	if out, err := exec.Command(awsCLI, "--version").CombinedOutput(); err != nil || !strings.HasPrefix(string(out), "aws-cli/2.") {
		t.Fatalf("%s is not the AWS CLI v2: %s %v", awsCLI, out, err)
	}
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{})
	c := lambdaClient(inst, 1)
	shellFunction(t, c, "cli-worker")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	fnARN := "arn:aws:lambda:us-east-1:123456789012:function:cli-worker"
	jobs, audit := queueARNPrefix+"cli-jobs", queueARNPrefix+"cli-audit"
	runCLISteps(t, awsCLI, inst, dir, []cliStep{
		{args: []string{"sqs", "create-queue", "--queue-name", "cli-jobs"}},
		{args: []string{"sqs", "create-queue", "--queue-name", "cli-audit"}},
		{args: []string{"lambda", "create-event-source-mapping", "--event-source-arn", jobs, "--function-name", "cli-worker:live", "--batch-size", "5"},
			fields: map[string]any{"State": "Creating", "FunctionArn": fnARN + ":live", "BatchSize": 5.0, "EventSourceArn": jobs,
				"StateTransitionReason": "USER_INITIATED", "MaximumBatchingWindowInSeconds": 0.0, "FunctionResponseTypes": []any{}}},
		{args: []string{"lambda", "create-event-source-mapping", "--event-source-arn", audit, "--function-name", fnARN, "--no-enabled",
			"--batch-size", "50", "--maximum-batching-window-in-seconds", "1", "--function-response-types", "ReportBatchItemFailures"},
			fields: map[string]any{"State": "Creating", "FunctionArn": fnARN, "BatchSize": 50.0, "MaximumBatchingWindowInSeconds": 1.0,
				"FunctionResponseTypes": []any{"ReportBatchItemFailures"}}},
		{args: []string{"lambda", "create-event-source-mapping", "--event-source-arn", jobs, "--function-name", "cli-worker:live"}, code: "ResourceConflictException"},
		{args: []string{"lambda", "create-event-source-mapping", "--event-source-arn", jobs, "--function-name", "cli-worker", "--batch-size", "20"},
			code: "InvalidParameterValueException", message: "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10"},
		{args: []string{"lambda", "create-event-source-mapping", "--event-source-arn", jobs, "--function-name", "nobody"}, code: "ResourceNotFoundException", message: "Function does not exist"},
		{args: []string{"lambda", "get-event-source-mapping", "--uuid", "3f2d7c1e-0000-4000-8000-000000000000"}, code: "ResourceNotFoundException", message: "The resource you requested does not exist."},
	})
	all, err := c.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{})
	if err != nil || len(all.EventSourceMappings) != 2 {
		t.Fatalf("ListEventSourceMappings = %v, %v; want the two the CLI created", all, err)
	}
	first, second := aws.ToString(all.EventSourceMappings[0].UUID), aws.ToString(all.EventSourceMappings[1].UUID)
	waitMappingState(t, c, first, "Enabled")
	waitMappingState(t, c, second, "Disabled")
	runCLISteps(t, awsCLI, inst, dir, []cliStep{
		// (EventSourceMappingArn is newer than the CLI's model; the SDK test reads it.)
		{args: []string{"lambda", "get-event-source-mapping", "--uuid", first}, fields: map[string]any{"State": "Enabled", "UUID": first, "FunctionArn": fnARN + ":live"}},
		{args: []string{"lambda", "list-event-source-mappings", "--function-name", "cli-worker"}, fields: map[string]any{"EventSourceMappings[].UUID": []any{first, second}}},
		{args: []string{"lambda", "list-event-source-mappings", "--event-source-arn", audit}, fields: map[string]any{"EventSourceMappings[].UUID": []any{second}}},
		// The CLI pages through NextMarker itself: --page-size 1 makes two calls.
		{args: []string{"lambda", "list-event-source-mappings", "--page-size", "1"}, fields: map[string]any{"EventSourceMappings[].UUID": []any{first, second}}},
		{args: []string{"lambda", "list-event-source-mappings", "--max-items", "1"}, fields: map[string]any{"EventSourceMappings[].UUID": []any{first}}},
		{args: []string{"lambda", "update-event-source-mapping", "--uuid", first, "--no-enabled"}, fields: map[string]any{"State": "Disabling"}},
		{args: []string{"lambda", "update-event-source-mapping", "--uuid", second, "--maximum-batching-window-in-seconds", "0"},
			code: "InvalidParameterValueException", message: "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10"},
	})
	waitMappingState(t, c, first, "Disabled")
	runCLISteps(t, awsCLI, inst, dir, []cliStep{
		{args: []string{"lambda", "update-event-source-mapping", "--uuid", first, "--enabled", "--function-name", "cli-worker:1", "--batch-size", "7"},
			fields: map[string]any{"State": "Enabling", "FunctionArn": fnARN + ":1", "BatchSize": 7.0}},
		{args: []string{"lambda", "delete-event-source-mapping", "--uuid", second}, fields: map[string]any{"State": "Deleting", "UUID": second}},
	})
	waitMappingState(t, c, first, "Enabled")
	waitMappingState(t, c, second, "")
	runCLISteps(t, awsCLI, inst, dir, []cliStep{
		{args: []string{"lambda", "list-event-source-mappings"}, fields: map[string]any{"EventSourceMappings[].UUID": []any{first}, "EventSourceMappings[].State": []any{"Enabled"}}},
		{args: []string{"lambda", "delete-event-source-mapping", "--uuid", second}, code: "ResourceNotFoundException"},
	})
}
