package health

import (
	"context"
	"math"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rollout"
)

var _ rollout.Sources = (*Sources)(nil)

// Sources feed the engine from CloudWatch (B's metrics under the
// ExecutedVersion dimension), the alarms and the function's override tag.
type Sources struct {
	CloudWatch  *cloudwatch.Client
	Lambda      *lambda.Client
	Function    string // function name
	Alias       string
	To          string // the version rolled out (B)
	FunctionARN string
	Clock       func() time.Time // the injected clock's Now
}

// Canary reads B's invocations, errors and p99 duration since since.
func (s *Sources) Canary(ctx context.Context, since time.Time) (rollout.Sample, error) {
	now := s.Clock()
	window := now.Sub(since) + time.Second
	secs := int32(math.Ceil(window.Seconds()))
	if secs >= 60 {
		secs = (secs + 59) / 60 * 60
	}
	dims := []cwtypes.Dimension{
		{Name: aws.String("FunctionName"), Value: aws.String(s.Function)},
		{Name: aws.String("Resource"), Value: aws.String(s.Function + ":" + s.Alias)},
		{Name: aws.String("ExecutedVersion"), Value: aws.String(s.To)},
	}
	q := func(id, metric, stat string) cwtypes.MetricDataQuery {
		return cwtypes.MetricDataQuery{Id: aws.String(id), MetricStat: &cwtypes.MetricStat{Period: aws.Int32(secs), Stat: aws.String(stat),
			Metric: &cwtypes.Metric{Namespace: aws.String("AWS/Lambda"), MetricName: aws.String(metric), Dimensions: dims}}}
	}
	out, err := s.CloudWatch.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(since), EndTime: aws.Time(now.Add(time.Second)),
		MetricDataQueries: []cwtypes.MetricDataQuery{q("inv", "Invocations", "Sum"), q("err", "Errors", "Sum"), q("p99", "Duration", "p99")}}, ReadOptions(ctx))
	if err != nil {
		return rollout.Sample{}, err
	}
	var sample rollout.Sample
	for _, r := range out.MetricDataResults {
		total, maxV := 0.0, -1.0
		for _, v := range r.Values {
			total += v
			if v > maxV {
				maxV = v
			}
		}
		switch aws.ToString(r.Id) {
		case "inv":
			sample.Invocations = total
		case "err":
			sample.Errors = total
		case "p99":
			if len(r.Values) > 0 {
				sample.P99MS = &maxV
			}
		}
	}
	return sample, nil
}

// AlarmStates returns the state of each named alarm.
func (s *Sources) AlarmStates(ctx context.Context, names []string) (map[string]string, error) {
	out, err := s.CloudWatch.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: names}, ReadOptions(ctx))
	if err != nil {
		return nil, err
	}
	states := map[string]string{}
	for _, a := range out.MetricAlarms {
		states[aws.ToString(a.AlarmName)] = string(a.StateValue)
	}
	return states, nil
}

// Override returns the bare action of the override tag, unscoped; a
// rollout reads it through a ScopedOverride, which obeys only the
// override set for that rollout.
func (s *Sources) Override(ctx context.Context) (string, error) {
	out, err := s.Lambda.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(s.FunctionARN)}, LambdaReadOptions(ctx))
	if err != nil {
		return "", err
	}
	switch v := out.Tags[lambdaops.OverrideTag]; v {
	case "", "promote", "pause", "abort":
		return v, nil
	default:
		return "", nil
	}
}
