package health_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/rollout-tf/terraform-provider-rollout/internal/health"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

// TestQueueGate: the gate reads the latest AWS/SQS depth and age of each
// mapped queue from CloudWatch (the sandbox's) and holds the promotion
// while either is above its limit, naming the queue, value and limit.
func TestQueueGate(t *testing.T) {
	t.Parallel()
	clock := newClock()
	inst := sandboxtest.Start(t, sandbox.Options{Clock: clock.Now})
	cw := cloudwatch.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "s", "")},
		func(o *cloudwatch.Options) { o.BaseEndpoint = aws.String(inst.URL) })
	put := func(q, metric string, v float64, ago time.Duration) {
		t.Helper()
		_, err := cw.PutMetricData(context.Background(), &cloudwatch.PutMetricDataInput{Namespace: aws.String("AWS/SQS"), MetricData: []cwtypes.MetricDatum{{
			MetricName: aws.String(metric), Value: aws.Float64(v), Timestamp: aws.Time(clock.Now().Add(-ago)),
			Dimensions: []cwtypes.Dimension{{Name: aws.String("QueueName"), Value: aws.String(q)}}}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	// orders: backed up a minute ago, drained now; audit: an old message.
	put("orders", "ApproximateNumberOfMessagesVisible", 5000, 2*time.Minute)
	put("orders", "ApproximateNumberOfMessagesVisible", 3, 0)
	put("audit", "ApproximateAgeOfOldestMessage", 900, 0)
	depth, age := int64(100), 5*time.Minute
	tests := map[string]struct {
		queues   []string
		depth    *int64
		age      *time.Duration
		wantGate string
		words    string
	}{
		"drained queue passes":        {queues: []string{"orders"}, depth: &depth, age: &age},
		"old message holds":           {queues: []string{"orders", "audit"}, depth: &depth, age: &age, wantGate: "queue_oldest_age", words: "queue audit is 900s old, above max_oldest_message_age 5m0s"},
		"no limits hold nothing":      {queues: []string{"audit"}},
		"queue without data passes":   {queues: []string{"quiet"}, depth: &depth, age: &age},
		"depth above the limit holds": {queues: []string{"orders"}, depth: func() *int64 { d := int64(2); return &d }(), wantGate: "queue_depth", words: "queue orders holds 3 visible messages, above max_queue_depth 2"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			g := health.QueueGate{CloudWatch: cw, MaxDepth: tc.depth, MaxOldestAge: tc.age, Clock: clock.Now,
				Queues: func(context.Context) ([]string, error) { return tc.queues, nil }}
			hold, err := g.HoldPromotion(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			gate := ""
			if hold != nil {
				gate = hold.Gate
			}
			if gate != tc.wantGate {
				t.Fatalf("gate = %q (%+v), want %q", gate, hold, tc.wantGate)
			}
			if hold != nil && !strings.Contains(hold.Reason, tc.words) {
				t.Errorf("reason %q does not say %q", hold.Reason, tc.words)
			}
		})
	}
}

func TestQueueName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"arn:aws:sqs:us-east-1:123456789012:orders": "orders", "arn:aws:kinesis:us-east-1:123456789012:stream/s": "", "x": ""} {
		if got, _ := health.QueueName(in); got != want {
			t.Errorf("QueueName(%q) = %q, want %q", in, got, want)
		}
	}
}
