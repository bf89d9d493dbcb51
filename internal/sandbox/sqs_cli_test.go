package sandbox_test

import (
	"crypto/md5"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rollout-tf/terraform-provider-rollout/internal/peers"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

// TestConformanceAWSCLISQS drives SQS with the Debian AWS CLI v2 2.9.19,
// which speaks the query protocol for SQS (form posts, XML answers): its
// flattened Attribute.N and SendMessageBatchRequestEntry.N encodings reach
// the sandbox, and the XML answers and errors parse with the CLI's own
// model.
func TestConformanceAWSCLISQS(t *testing.T) {
	awsCLI := peers.Require(t, "the AWS CLI v2", "/usr/bin/aws")
	if out, err := exec.Command(awsCLI, "--version").CombinedOutput(); err != nil || !strings.HasPrefix(string(out), "aws-cli/2.") {
		t.Fatalf("%s is not the AWS CLI v2: %s %v", awsCLI, out, err)
	}
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{})
	var mu sync.Mutex
	calls := 0
	inst.Server.BeforeRequest(func(call sandbox.Call) {
		if call.Service == "sqs" {
			mu.Lock()
			calls++
			mu.Unlock()
		}
	})
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	q := inst.URL + "/123456789012/cli-jobs"
	steps := []cliStep{
		{args: []string{"sqs", "create-queue", "--queue-name", "cli-dlq"}, fields: map[string]any{"QueueUrl": inst.URL + "/123456789012/cli-dlq"}},
		{args: []string{"sqs", "create-queue", "--queue-name", "cli-jobs", "--attributes", "VisibilityTimeout=0"}, fields: map[string]any{"QueueUrl": q}},
		{args: []string{"sqs", "set-queue-attributes", "--queue-url", q, "--attributes",
			`{"RedrivePolicy":"{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:123456789012:cli-dlq\",\"maxReceiveCount\":\"1\"}","MessageRetentionPeriod":"3600"}`}},
		{args: []string{"sqs", "get-queue-attributes", "--queue-url", q, "--attribute-names", "VisibilityTimeout", "MessageRetentionPeriod", "QueueArn"},
			fields: map[string]any{"Attributes": map[string]any{"VisibilityTimeout": "0", "MessageRetentionPeriod": "3600", "QueueArn": "arn:aws:sqs:us-east-1:123456789012:cli-jobs"}}},
		{args: []string{"sqs", "get-queue-url", "--queue-name", "cli-jobs"}, fields: map[string]any{"QueueUrl": q}},
		{args: []string{"sqs", "list-queues", "--queue-name-prefix", "cli-"}, fields: map[string]any{"QueueUrls": []any{inst.URL + "/123456789012/cli-dlq", q}}},
		{args: []string{"sqs", "send-message", "--queue-url", q, "--message-body", "hello <&> world"}, fields: map[string]any{"MD5OfMessageBody": md5Hex("hello <&> world")}},
		{args: []string{"sqs", "send-message-batch", "--queue-url", q, "--entries", "Id=a,MessageBody=two", "Id=b,MessageBody=three"},
			fields: map[string]any{"Successful[].Id": []any{"a", "b"}, "Failed": nil}},
		{args: []string{"sqs", "receive-message", "--queue-url", q, "--max-number-of-messages", "2", "--attribute-names", "ApproximateReceiveCount"},
			fields: map[string]any{"Messages[].Body": []any{"hello <&> world", "two"}, "Messages[].Attributes.ApproximateReceiveCount": []any{"1", "1"}}},
		{args: []string{"sqs", "delete-message", "--queue-url", q, "--receipt-handle", "garbage"}, code: "ReceiptHandleIsInvalid"},
		{args: []string{"sqs", "change-message-visibility", "--queue-url", q, "--receipt-handle", "garbage", "--visibility-timeout", "5"}, code: "ReceiptHandleIsInvalid"},
		{args: []string{"sqs", "get-queue-url", "--queue-name", "nope"}, code: "AWS.SimpleQueueService.NonExistentQueue", message: "The specified queue does not exist."},
		{args: []string{"sqs", "set-queue-attributes", "--queue-url", q, "--attributes", "VisibilityTimeout=99999"}, code: "InvalidParameterValue"},
		// maxReceiveCount 1 and VisibilityTimeout 0: the next receive moves
		// the two received messages to the dead-letter queue and returns
		// the third.
		{args: []string{"sqs", "receive-message", "--queue-url", q, "--max-number-of-messages", "10"}, fields: map[string]any{"Messages[].Body": []any{"three"}}},
		{args: []string{"sqs", "receive-message", "--queue-url", inst.URL + "/123456789012/cli-dlq", "--max-number-of-messages", "10"},
			fields: map[string]any{"Messages[].Body": []any{"hello <&> world", "two"}}},
		{args: []string{"sqs", "delete-queue", "--queue-url", q}},
		{args: []string{"sqs", "send-message", "--queue-url", q, "--message-body", "x"}, code: "AWS.SimpleQueueService.NonExistentQueue"},
	}
	runCLISteps(t, awsCLI, inst, dir, steps)
	mu.Lock()
	defer mu.Unlock()
	if calls < len(steps) {
		t.Errorf("the sandbox saw %d SQS requests for %d CLI calls", calls, len(steps))
	}
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}
