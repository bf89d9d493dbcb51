package sandbox_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/testfn"
)

// BenchmarkEventSourceMappingThroughput: b.N messages, already in the
// queue, through one mapping with BatchSize 10 to the real test function
// (no recording); reports messages/s from the first receive to the queue
// being empty (each batch received, invoked, deleted, all durable).
//
//	go test -run '^$' -bench BenchmarkEventSourceMappingThroughput -benchtime 2000x ./internal/sandbox/
func BenchmarkEventSourceMappingThroughput(b *testing.B) {
	inst := sandboxtest.Start(b, sandbox.Options{DataDir: b.TempDir()})
	c, q := lambdaAt(inst.URL, 1), sqsAt(inst.URL)
	zip, err := testfn.Zip()
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("worker"), Role: aws.String(testRole),
		Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), Code: &types.FunctionCode{ZipFile: zip}}); err != nil {
		b.Fatal(err)
	}
	if err := lambda.NewFunctionActiveV2Waiter(c).Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("worker")}, time.Minute); err != nil {
		b.Fatal(err)
	}
	out, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("bench")})
	if err != nil {
		b.Fatal(err)
	}
	url := out.QueueUrl
	for sent := 0; sent < b.N; {
		var entries []sqstypes.SendMessageBatchRequestEntry
		for i := 0; i < 10 && sent < b.N; i++ {
			entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), MessageBody: aws.String(fmt.Sprint("m-", sent))})
			sent++
		}
		if _, err := q.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: url, Entries: entries}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	start := time.Now()
	if _, err := c.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(queueARNPrefix + "bench"),
		FunctionName: aws.String("worker"), BatchSize: aws.Int32(10)}); err != nil {
		b.Fatal(err)
	}
	for {
		attrs, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: url,
			AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"}})
		if err != nil {
			b.Fatal(err)
		}
		if attrs.Attributes["ApproximateNumberOfMessages"] == "0" && attrs.Attributes["ApproximateNumberOfMessagesNotVisible"] == "0" {
			break
		}
		if time.Since(start) > 10*time.Minute {
			b.Fatalf("queue not drained after 10 minutes: %v", attrs.Attributes)
		}
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
}
