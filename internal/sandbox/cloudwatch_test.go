package sandbox_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/rollout-tf/terraform-provider-rollout/internal/peers"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

func cwClient(inst *sandboxtest.Instance) *cloudwatch.Client {
	return cloudWatchAt(inst.URL)
}

func dim(name, value string) cwtypes.Dimension {
	return cwtypes.Dimension{Name: aws.String(name), Value: aws.String(value)}
}

// TestInvocationMetricsAndAlarm invokes a function through a weighted
// alias, reads the metrics back through the SDK's CloudWatch client (RPCv2
// CBOR) and through the AWS CLI (awsQuery), and drives an alarm on Errors
// to ALARM and back to OK.
func TestInvocationMetricsAndAlarm(t *testing.T) {
	t.Parallel()
	// The sandbox's clock stands still unless the test moves it, so the
	// alarm's 5-second window does not depend on how long the AWS CLI
	// takes to start on a loaded machine.
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
	inst := sandboxtest.Start(t, sandbox.Options{RoutingSeed: 1, Clock: clock})
	c := lambdaClient(inst, 1)
	deployTestFunction(t, c, "metered", 3, nil)
	if _, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("metered")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("metered"), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-time.Minute)
	for i := 0; i < 30; i++ {
		payload := `{}`
		if i%3 == 0 {
			payload = `{"action":"error"}`
		}
		if _, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("metered"), Qualifier: aws.String("live"), Payload: []byte(payload)}); err != nil {
			t.Fatal(err)
		}
	}
	end := time.Now().Add(time.Minute)
	cw := cwClient(inst)
	byVersion := []cwtypes.Dimension{dim("FunctionName", "metered"), dim("Resource", "metered:live"), dim("ExecutedVersion", "1")}
	q := func(id, metric, stat string, dims []cwtypes.Dimension) cwtypes.MetricDataQuery {
		return cwtypes.MetricDataQuery{Id: aws.String(id), MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: aws.String("AWS/Lambda"), MetricName: aws.String(metric), Dimensions: dims},
			Period: aws.Int32(300), Stat: aws.String(stat)}}
	}
	out, err := cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(start), EndTime: aws.Time(end), MetricDataQueries: []cwtypes.MetricDataQuery{
		q("inv", "Invocations", "Sum", byVersion), q("err", "Errors", "Sum", byVersion), q("p99", "Duration", "p99", byVersion),
		q("fn", "Invocations", "Sum", []cwtypes.Dimension{dim("FunctionName", "metered")}),
		q("none", "Invocations", "Sum", []cwtypes.Dimension{dim("FunctionName", "other")}),
	}})
	if err != nil {
		t.Fatalf("GetMetricData (CBOR): %v", err)
	}
	got := map[string][]float64{}
	for _, r := range out.MetricDataResults {
		got[aws.ToString(r.Id)] = r.Values
		if r.StatusCode != cwtypes.StatusCodeComplete {
			t.Errorf("%s status %s", aws.ToString(r.Id), r.StatusCode)
		}
	}
	sum := func(v []float64) float64 {
		s := 0.0
		for _, x := range v {
			s += x
		}
		return s
	}
	if sum(got["inv"]) != 30 || sum(got["err"]) != 10 || sum(got["fn"]) != 30 || len(got["none"]) != 0 || len(got["p99"]) == 0 || got["p99"][0] <= 0 {
		t.Errorf("metrics = %v; want 30 invocations, 10 errors, a p99, nothing for another function", got)
	}

	// The same figure through the AWS CLI (awsQuery + XML).
	t.Run("through the AWS CLI", func(t *testing.T) {
		awsCLI := peers.Require(t, "the AWS CLI v2", "/usr/bin/aws")
		queries, _ := json.Marshal([]map[string]any{{"Id": "err", "MetricStat": map[string]any{"Metric": map[string]any{"Namespace": "AWS/Lambda", "MetricName": "Errors",
			"Dimensions": []map[string]string{{"Name": "FunctionName", "Value": "metered"}, {"Name": "Resource", "Value": "metered:live"}, {"Name": "ExecutedVersion", "Value": "1"}}},
			"Period": 300, "Stat": "Sum"}}})
		dir := t.TempDir()
		_ = os.WriteFile(filepath.Join(dir, "q.json"), queries, 0o600)
		cmd := exec.Command(awsCLI, "--endpoint-url", inst.URL, "--output", "json", "cloudwatch", "get-metric-data",
			"--start-time", start.UTC().Format(time.RFC3339), "--end-time", end.UTC().Format(time.RFC3339), "--metric-data-queries", "file://q.json")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=y", "AWS_DEFAULT_REGION=us-east-1", "AWS_PAGER=")
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("aws cloudwatch get-metric-data: %v\n%s", err, b)
		}
		var cli struct {
			MetricDataResults []struct {
				Values []float64
			}
		}
		if err := json.Unmarshal(b, &cli); err != nil || len(cli.MetricDataResults) != 1 || sum(cli.MetricDataResults[0].Values) != 10 {
			t.Errorf("CLI metrics = %s (%v); want 10 errors", b, err)
		}
	})

	// An alarm on the errors of version 1 over 1-second periods.
	if _, err := cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String("metered-errors"), Namespace: aws.String("AWS/Lambda"),
		MetricName: aws.String("Errors"), Dimensions: byVersion, Statistic: cwtypes.StatisticSum, Period: aws.Int32(1), EvaluationPeriods: aws.Int32(5),
		DatapointsToAlarm: aws.Int32(1), Threshold: aws.Float64(1), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold,
		TreatMissingData: aws.String("notBreaching")}); err != nil {
		t.Fatal(err)
	}
	state := func() cwtypes.StateValue {
		out, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"metered-errors"}})
		if err != nil || len(out.MetricAlarms) != 1 {
			t.Fatalf("DescribeAlarms: %v %v", out, err)
		}
		return out.MetricAlarms[0].StateValue
	}
	// The period of the failures is complete a second later: ALARM.
	advance(2 * time.Second)
	if s := state(); s != cwtypes.StateValueAlarm {
		t.Errorf("alarm 2s after the failures (window 5s) = %s, want ALARM", s)
	}
	// Errors stop; after the evaluation window the alarm returns to OK.
	advance(6 * time.Second)
	if s := state(); s != cwtypes.StateValueOk {
		t.Errorf("alarm 8s after the failures (window 5s) = %s, want OK", s)
	}
	_, err = cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("nope"), StateValue: cwtypes.StateValueAlarm, StateReason: aws.String("x")})
	var nf *cwtypes.ResourceNotFound
	if !asResourceNotFound(err, &nf) {
		t.Errorf("SetAlarmState on a missing alarm = %v, want ResourceNotFound", err)
	}
}

func asResourceNotFound(err error, target **cwtypes.ResourceNotFound) bool {
	for e := err; e != nil; {
		if x, ok := e.(*cwtypes.ResourceNotFound); ok {
			*target = x
			return true
		}
		u, ok := e.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		e = u.Unwrap()
	}
	return false
}

// TestCloudWatchJSONProtocol speaks AWS JSON 1.0, as current botocore does.
func TestCloudWatchJSONProtocol(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{})
	post := func(op, body string) (int, map[string]any, string) {
		req, _ := http.NewRequest(http.MethodPost, inst.URL+"/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		req.Header.Set("X-Amz-Target", "GraniteServiceVersion20100801."+op)
		req.Header.Set("x-amzn-query-mode", "true")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=x")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out, resp.Header.Get("X-Amzn-Query-Error")
	}
	now := float64(time.Now().Unix())
	if code, _, _ := post("PutMetricData", fmt.Sprintf(`{"Namespace":"App","MetricData":[{"MetricName":"Latency","Value":12,"Timestamp":%v,"Dimensions":[{"Name":"Stage","Value":"prod"}]}]}`, now)); code != 200 {
		t.Fatalf("PutMetricData status %d", code)
	}
	code, out, _ := post("ListMetrics", `{"Namespace":"App"}`)
	metrics, _ := out["Metrics"].([]any)
	if code != 200 || len(metrics) != 1 {
		t.Errorf("ListMetrics = %d %v", code, out)
	}
	code, out, queryErr := post("SetAlarmState", `{"AlarmName":"nope","StateValue":"ALARM","StateReason":"x"}`)
	if code != 404 || out["__type"] != "com.amazonaws.cloudwatch#ResourceNotFound" || queryErr != "ResourceNotFound;Sender" {
		t.Errorf("error answer = %d %v %q", code, out, queryErr)
	}
}
