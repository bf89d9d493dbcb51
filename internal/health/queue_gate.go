package health

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/rollout-tf/terraform-provider-rollout/internal/rollout"
)

var (
	_ rollout.Sources       = QueueGate{}
	_ rollout.PromotionGate = QueueGate{}
)

// QueueGate holds a promotion while a queue that feeds the alias is
// backed up: its ApproximateNumberOfMessagesVisible above MaxDepth, or its
// ApproximateAgeOfOldestMessage above MaxOldestAge (AWS/SQS, the latest
// datapoint of the last five minutes). A queue without datapoints holds
// nothing. The other reads go to Sources.
type QueueGate struct {
	rollout.Sources
	CloudWatch   *cloudwatch.Client
	Queues       func(ctx context.Context) ([]string, error) // queue names
	MaxDepth     *int64
	MaxOldestAge *time.Duration
	Clock        func() time.Time
	// Budget bounds one HoldPromotion (all its reads).
	Budget time.Duration
}

// queueWindow is how far back the gate looks for the latest datapoint.
const queueWindow = 5 * time.Minute

// HoldPromotion reads the queues' depth and age.
func (g QueueGate) HoldPromotion(ctx context.Context) (*rollout.PromotionHold, error) {
	if g.MaxDepth == nil && g.MaxOldestAge == nil {
		return nil, nil
	}
	if g.Budget > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, g.Budget)
		defer cancel()
	}
	queues, err := g.Queues(ctx)
	if err != nil {
		return nil, err
	}
	now := g.Clock()
	for _, q := range queues {
		dims := []cwtypes.Dimension{{Name: aws.String("QueueName"), Value: aws.String(q)}}
		query := func(id, metric string) cwtypes.MetricDataQuery {
			return cwtypes.MetricDataQuery{Id: aws.String(id), MetricStat: &cwtypes.MetricStat{Period: aws.Int32(60), Stat: aws.String("Maximum"),
				Metric: &cwtypes.Metric{Namespace: aws.String("AWS/SQS"), MetricName: aws.String(metric), Dimensions: dims}}}
		}
		out, err := g.CloudWatch.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(now.Add(-queueWindow)), EndTime: aws.Time(now.Add(time.Second)),
			ScanBy:            cwtypes.ScanByTimestampDescending,
			MetricDataQueries: []cwtypes.MetricDataQuery{query("depth", "ApproximateNumberOfMessagesVisible"), query("age", "ApproximateAgeOfOldestMessage")}}, ReadOptions(ctx))
		if err != nil {
			return nil, fmt.Errorf("reading the AWS/SQS metrics of queue %s: %w", q, err)
		}
		for _, r := range out.MetricDataResults {
			v, ok := latest(r)
			if !ok {
				continue
			}
			switch id := aws.ToString(r.Id); {
			case id == "depth" && g.MaxDepth != nil && v > float64(*g.MaxDepth):
				return &rollout.PromotionHold{Gate: "queue_depth", Value: v, Threshold: float64(*g.MaxDepth),
					Reason: fmt.Sprintf("queue %s holds %g visible messages, above max_queue_depth %d", q, v, *g.MaxDepth)}, nil
			case id == "age" && g.MaxOldestAge != nil && v > g.MaxOldestAge.Seconds():
				return &rollout.PromotionHold{Gate: "queue_oldest_age", Value: v, Threshold: g.MaxOldestAge.Seconds(),
					Reason: fmt.Sprintf("the oldest message in queue %s is %gs old, above max_oldest_message_age %s", q, v, g.MaxOldestAge)}, nil
			}
		}
	}
	return nil, nil
}

// latest is the newest datapoint of a result.
func latest(r cwtypes.MetricDataResult) (float64, bool) {
	if len(r.Values) == 0 || len(r.Values) != len(r.Timestamps) {
		return 0, false
	}
	i := 0
	for j, ts := range r.Timestamps {
		if ts.After(r.Timestamps[i]) {
			i = j
		}
	}
	return r.Values[i], true
}

// QueueName is the name of the SQS queue an event source ARN names
// (arn:aws:sqs:<region>:<account>:<name>); ok is false for other sources.
func QueueName(eventSourceARN string) (string, bool) {
	a, err := arn.Parse(eventSourceARN)
	if err != nil || a.Service != "sqs" || a.Resource == "" {
		return "", false
	}
	return a.Resource, true
}

// MappedQueues is Queues for a QueueGate: the SQS queues of the
// interlock's mappings, each once.
func (l *Interlock) MappedQueues(ctx context.Context) ([]string, error) {
	ms, err := l.Mappings(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range ms {
		if q, ok := QueueName(aws.ToString(m.EventSourceArn)); ok && !slices.Contains(out, q) {
			out = append(out, q)
		}
	}
	return out, nil
}
