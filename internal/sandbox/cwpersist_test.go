package sandbox_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

// TestCloudWatchSurvivesRestart: datapoints and alarm state are still
// there after a restart (issue 14, case 8).
func TestCloudWatchSurvivesRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	clock := newFakeClock()
	inst := sandboxtest.Start(t, sandbox.Options{DataDir: dir, Clock: clock.Now})
	cw := cwClient(inst)
	at := clock.Now().Add(-30 * time.Second)
	for i := range 5 {
		if _, err := cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("App"), MetricData: []cwtypes.MetricDatum{{
			MetricName: aws.String("Latency"), Value: aws.Float64(float64(10 * (i + 1))), Timestamp: aws.Time(at),
			Dimensions: []cwtypes.Dimension{dim("Stage", "prod")}}}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String("slow"), Namespace: aws.String("App"),
		MetricName: aws.String("Latency"), Statistic: cwtypes.StatisticAverage, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1),
		Threshold: aws.Float64(100), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold,
		Dimensions: []cwtypes.Dimension{dim("Stage", "prod")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("slow"), StateValue: cwtypes.StateValueAlarm,
		StateReason: aws.String("drill")}); err != nil {
		t.Fatal(err)
	}
	if err := inst.Server.Close(); err != nil {
		t.Fatal(err)
	}

	again := cwClient(sandboxtest.Start(t, sandbox.Options{DataDir: dir, Clock: clock.Now}))
	out, err := again.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(at.Add(-time.Minute)), EndTime: aws.Time(at.Add(time.Minute)),
		MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("sum"), MetricStat: &cwtypes.MetricStat{Period: aws.Int32(120), Stat: aws.String("Sum"),
			Metric: &cwtypes.Metric{Namespace: aws.String("App"), MetricName: aws.String("Latency"), Dimensions: []cwtypes.Dimension{dim("Stage", "prod")}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.MetricDataResults) != 1 || len(out.MetricDataResults[0].Values) != 1 || out.MetricDataResults[0].Values[0] != 150 {
		t.Errorf("after restart the datapoints sum to %v, want [150]", out.MetricDataResults)
	}
	alarms, err := again.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"slow"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(alarms.MetricAlarms) != 1 || alarms.MetricAlarms[0].StateValue != cwtypes.StateValueAlarm || aws.ToString(alarms.MetricAlarms[0].StateReason) != "drill" {
		t.Errorf("after restart the alarms are %+v, want slow in ALARM (drill)", alarms.MetricAlarms)
	}
}

// TestAlarmsEvaluatedInBackground: an alarm changes state when its period
// ends, with nobody reading it (issue 14, case 8).
func TestAlarmsEvaluatedInBackground(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	inst := sandboxtest.Start(t, sandbox.Options{Clock: clock.Now, AlarmEvaluationInterval: 5 * time.Millisecond})
	changes := make(chan string, 10)
	inst.Server.OnAlarmStateChange(func(name, state string) { changes <- name + "=" + state })
	cw := cwClient(inst)
	if _, err := cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String("errors"), Namespace: aws.String("App"),
		MetricName: aws.String("Errors"), Statistic: cwtypes.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1),
		Threshold: aws.Float64(5), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold}); err != nil {
		t.Fatal(err)
	}
	if _, err := cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("App"), MetricData: []cwtypes.MetricDatum{{
		MetricName: aws.String("Errors"), Value: aws.Float64(9), Timestamp: aws.Time(clock.Now())}}}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(60 * time.Second)
	select {
	case got := <-changes:
		if got != "errors=ALARM" {
			t.Errorf("state change %q, want errors=ALARM", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the alarm was not evaluated within 10s of its period ending, with nobody reading it")
	}
}
