package sandbox_test

import (
	"errors"
	"fmt"
	"sort"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/rollout-tf/terraform-provider-rollout/internal/peers"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

// TestDifferentialMotoSQS sends one SQS call sequence (queues, a batch,
// receives up to the redrive policy's maxReceiveCount, the dead-letter
// queue, errors) to the sandbox and to moto server with aws-sdk-go-v2, and
// compares what each answered, reduced to what both must agree on.
func TestDifferentialMotoSQS(t *testing.T) {
	motoPath := peers.Require(t, "moto server", "moto_server")
	t.Parallel()
	motoURL := peers.StartMoto(t, motoPath)
	inst := sandboxtest.Start(t, sandbox.Options{})
	traces := map[string][]string{}
	for _, url := range []string{inst.URL, motoURL} {
		traces[url] = sqsTrace(t, sqsAt(url))
	}
	if diff := cmp.Diff(traces[motoURL], traces[inst.URL]); diff != "" {
		t.Errorf("SQS answers differ (-moto +sandbox):\n%s", diff)
	}
	t.Logf("SQS answers compared with moto: %d", len(traces[inst.URL]))
	for _, line := range traces[inst.URL] {
		t.Log(line)
	}
}

// sqsTrace runs the sequence and records each answer as a line.
func sqsTrace(t *testing.T, c *sqs.Client) []string {
	t.Helper()
	var trace []string
	note := func(op string, err error, detail string) {
		var ae smithy.APIError
		switch {
		case err == nil:
			trace = append(trace, op+" ok "+detail)
		case errors.As(err, &ae):
			trace = append(trace, op+" error "+ae.ErrorCode())
		default:
			t.Fatalf("%s: %v", op, err)
		}
	}
	dlq := sqsQueue(t, c, "diff-dlq", nil)
	url := sqsQueue(t, c, "diff", map[string]string{"VisibilityTimeout": "0",
		"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:diff-dlq","maxReceiveCount":"2"}`})
	var entries []sqstypes.SendMessageBatchRequestEntry
	for i := range 3 {
		entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint("e", i)), MessageBody: aws.String(fmt.Sprint("m", i))})
	}
	b, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
	if err == nil {
		note("SendMessageBatch", nil, fmt.Sprint(len(b.Successful), " successful ", len(b.Failed), " failed"))
	} else {
		note("SendMessageBatch", err, "")
	}
	receive := func(label, u string) {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(u), MaxNumberOfMessages: 10,
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameApproximateReceiveCount}})
		if err != nil {
			note(label, err, "")
			return
		}
		var got []string
		for _, m := range out.Messages {
			got = append(got, aws.ToString(m.Body)+"#"+m.Attributes["ApproximateReceiveCount"])
		}
		sort.Strings(got)
		note(label, nil, fmt.Sprint(got))
	}
	receive("ReceiveMessage 1", url)
	receive("ReceiveMessage 2", url)
	receive("ReceiveMessage 3 (past maxReceiveCount)", url)
	receive("ReceiveMessage dead-letter queue", dlq)
	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{"VisibilityTimeout", "MessageRetentionPeriod", "QueueArn"}})
	if err == nil {
		note("GetQueueAttributes", nil, fmt.Sprint(attrs.Attributes))
	} else {
		note("GetQueueAttributes", err, "")
	}
	_, err = c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("nope")})
	note("GetQueueUrl of a missing queue", err, "")
	_, err = c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String("garbage")})
	note("DeleteMessage with a garbage handle", err, "")
	_, err = c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 11})
	note("ReceiveMessage of 11", err, "")
	return trace
}
