package sandbox_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/fxamacker/cbor/v2"
	"github.com/google/go-cmp/cmp"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

// CloudWatch rules, each checked in the three wire protocols the sandbox
// speaks (awsQuery, AWS JSON 1.0, Smithy RPCv2 CBOR): the answers must be
// the same. Sources: localstack's tests/aws/services/cloudwatch/
// test_cloudwatch.snapshot.json at 8b9a79f, recorded against AWS in each
// protocol (dates per rule).

var cwProtocols = []string{"query", "json", "cbor"}

// cwAnswer is a CloudWatch answer reduced to what the rules compare.
type cwAnswer struct {
	Status        int
	Code, Message string
	Out           map[string]any
}

// cwDo sends op with input in protocol proto, as the clients of that
// protocol do, and decodes the answer into generic values (numbers as
// float64, lists as []any).
func cwDo(t *testing.T, inst *sandboxtest.Instance, proto, op string, input map[string]any) cwAnswer {
	t.Helper()
	return cwDoURL(t, inst.URL, proto, op, input)
}

// cwDoURL is cwDo against any CloudWatch endpoint (moto server too).
func cwDoURL(t *testing.T, endpoint, proto, op string, input map[string]any) cwAnswer {
	t.Helper()
	var req *http.Request
	switch proto {
	case "query":
		form := url.Values{"Action": {op}, "Version": {"2010-08-01"}}
		flattenQuery(form, "", input)
		req, _ = http.NewRequest(http.MethodPost, endpoint+"/", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	case "json":
		b, _ := json.Marshal(epochs(input))
		req, _ = http.NewRequest(http.MethodPost, endpoint+"/", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		req.Header.Set("X-Amz-Target", "GraniteServiceVersion20100801."+op)
		req.Header.Set("x-amzn-query-mode", "true")
	case "cbor":
		enc, _ := cbor.EncOptions{Time: cbor.TimeUnixDynamic, TimeTag: cbor.EncTagRequired}.EncMode()
		b, err := enc.Marshal(input)
		if err != nil {
			t.Fatal(err)
		}
		req, _ = http.NewRequest(http.MethodPost, endpoint+"/service/GraniteServiceVersion20100801/operation/"+op, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/cbor")
		req.Header.Set("Smithy-Protocol", "rpc-v2-cbor")
		req.Header.Set("X-Amzn-Query-Mode", "true")
	}
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDCW/20260101/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=x")
	req.Header.Set("X-Amz-Date", "20260101T000000Z")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(resp.Body)
	a := cwAnswer{Status: resp.StatusCode, Out: map[string]any{}}
	switch proto {
	case "query":
		root := parseXML(t, body)
		if e, ok := root["Error"].(map[string]any); ok {
			a.Code, _ = e["Code"].(string)
			a.Message, _ = e["Message"].(string)
			return a
		}
		if r, ok := root[op+"Result"].(map[string]any); ok {
			a.Out = r
		}
	case "json", "cbor":
		var v any
		if len(body) > 0 {
			if proto == "json" {
				err = json.Unmarshal(body, &v)
			} else {
				dec, _ := cbor.DecOptions{DefaultMapType: reflect.TypeOf(map[string]any(nil))}.DecMode()
				err = dec.Unmarshal(body, &v)
			}
			if err != nil {
				t.Fatalf("%s %s: undecodable answer %q: %v", proto, op, body, err)
			}
		}
		m, _ := v.(map[string]any)
		if resp.StatusCode != 200 {
			a.Code, _, _ = strings.Cut(resp.Header.Get("X-Amzn-Query-Error"), ";")
			a.Message, _ = m["message"].(string)
			return a
		}
		if m != nil {
			a.Out = m
		}
	}
	return a
}

func flattenQuery(form url.Values, prefix string, v any) {
	key := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "." + k
	}
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			flattenQuery(form, key(k), val)
		}
	case []any:
		for i, val := range x {
			flattenQuery(form, key(fmt.Sprintf("member.%d", i+1)), val)
		}
	case time.Time:
		form.Set(prefix, x.UTC().Format(time.RFC3339))
	case float64:
		form.Set(prefix, strconv.FormatFloat(x, 'f', -1, 64))
	case int:
		form.Set(prefix, strconv.Itoa(x))
	case bool:
		form.Set(prefix, strconv.FormatBool(x))
	case string:
		form.Set(prefix, x)
	}
}

func epochs(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, val := range x {
			out[k] = epochs(val)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = epochs(val)
		}
		return out
	case time.Time:
		return float64(x.Unix())
	}
	return v
}

// parseXML turns an awsQuery answer into generic values: elements with
// <member> children become lists, other elements with children maps, and
// leaves strings.
func parseXML(t *testing.T, b []byte) map[string]any {
	t.Helper()
	type node struct {
		name     string
		text     strings.Builder
		children []*node
	}
	dec := xml.NewDecoder(bytes.NewReader(b))
	var stack []*node
	root := &node{}
	stack = append(stack, root)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("answer is not XML: %v\n%s", err, b)
		}
		switch x := tok.(type) {
		case xml.StartElement:
			n := &node{name: x.Name.Local}
			top := stack[len(stack)-1]
			top.children = append(top.children, n)
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			stack[len(stack)-1].text.Write(x)
		}
	}
	var conv func(n *node) any
	conv = func(n *node) any {
		if len(n.children) == 0 {
			return strings.TrimSpace(n.text.String())
		}
		if n.children[0].name == "member" {
			out := []any{}
			for _, c := range n.children {
				out = append(out, conv(c))
			}
			return out
		}
		out := map[string]any{}
		for _, c := range n.children {
			out[c.name] = conv(c)
		}
		return out
	}
	if len(root.children) != 1 {
		t.Fatalf("answer has %d roots: %s", len(root.children), b)
	}
	m, _ := conv(root.children[0]).(map[string]any)
	return m
}

// numbers reads a list of numbers whatever the protocol encoded them as.
func numbers(v any) []float64 {
	list, _ := v.([]any)
	out := []float64{}
	for _, x := range list {
		switch n := x.(type) {
		case float64:
			out = append(out, n)
		case string:
			f, _ := strconv.ParseFloat(n, 64)
			out = append(out, f)
		case uint64:
			out = append(out, float64(n))
		case int64:
			out = append(out, float64(n))
		case float32:
			out = append(out, float64(n))
		}
	}
	return out
}

type cwResult struct {
	ID, Label, StatusCode string
	Values                []float64
}

func metricResults(a cwAnswer) []cwResult {
	list, _ := a.Out["MetricDataResults"].([]any)
	out := []cwResult{}
	for _, item := range list {
		m, _ := item.(map[string]any)
		r := cwResult{Values: numbers(m["Values"])}
		r.ID, _ = m["Id"].(string)
		r.Label, _ = m["Label"].(string)
		r.StatusCode, _ = m["StatusCode"].(string)
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func TestCloudWatchPutMetricDataValidation(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{})
	now := time.Now().UTC().Truncate(time.Second)
	put := func(d map[string]any) map[string]any {
		d["MetricName"], d["Timestamp"], d["Unit"] = "mymetric", now, "Count"
		return map[string]any{"Namespace": "fidelity", "MetricData": []any{d}}
	}
	stats := map[string]any{"SampleCount": 10.0, "Sum": 55.0, "Minimum": 1.0, "Maximum": 10.0}
	// TestCloudwatch::test_put_metric_data_validation, 2025-09-19.
	tests := map[string]struct {
		in   map[string]any
		want cwAnswer
	}{
		"Value with Values": {in: put(map[string]any{"Value": 1.5, "Values": []any{1.0, 10.0}}),
			want: cwAnswer{Status: 400, Code: "InvalidParameterCombination", Message: "The parameters MetricData.member.1.Value and MetricData.member.1.Values are mutually exclusive and you have specified both."}},
		"Values and Counts of different sizes": {in: put(map[string]any{"Values": []any{1.0, 10.0}, "Counts": []any{2.0, 4.0, 1.0}}),
			want: cwAnswer{Status: 400, Code: "InvalidParameterValue", Message: "The parameters MetricData.member.1.Values and MetricData.member.1.Counts must be of the same size."}},
		"Value with StatisticValues": {in: put(map[string]any{"Value": 1.5, "StatisticValues": stats}),
			want: cwAnswer{Status: 400, Code: "InvalidParameterCombination", Message: "The parameters MetricData.member.1.Value and MetricData.member.1.StatisticValues are mutually exclusive and you have specified both."}},
		// "For some strange reason the AWS implementation allows this."
		"Values with StatisticValues": {in: put(map[string]any{"Values": []any{1.0, 10.0}, "StatisticValues": stats}), want: cwAnswer{Status: 200}},
	}
	for name, tc := range tests {
		for _, proto := range cwProtocols {
			t.Run(name+"/"+proto, func(t *testing.T) {
				got := cwDo(t, inst, proto, "PutMetricData", tc.in)
				got.Out = nil
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("answer (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestCloudWatchStatisticsAndLabels(t *testing.T) {
	t.Parallel()
	for _, proto := range cwProtocols {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			inst := sandboxtest.Start(t, sandbox.Options{})
			now := time.Now().UTC().Truncate(time.Minute).Add(-2 * time.Minute)
			metric := func(name string) map[string]any {
				return map[string]any{"Namespace": "fidelity", "MetricName": name}
			}
			// Statistic sets aggregate like the samples they summarize (the
			// CloudWatch user guide, "Publish statistic sets"); Values with Counts
			// like repeated samples (test_put_metric_data_values_list, 2025-09-19:
			// Values [1, 10] Counts [2, 4] give Sum 42, SampleCount 6, Maximum 10).
			for _, d := range []map[string]any{
				{"MetricName": "sets", "Timestamp": now, "Unit": "Milliseconds", "StatisticValues": map[string]any{"SampleCount": 10.0, "Sum": 55.0, "Minimum": 1.0, "Maximum": 10.0}},
				{"MetricName": "sets", "Timestamp": now, "Unit": "Milliseconds", "StatisticValues": map[string]any{"SampleCount": 2.0, "Sum": 30.0, "Minimum": 12.0, "Maximum": 18.0}},
				{"MetricName": "counted", "Timestamp": now, "Unit": "Count", "Values": []any{2.0, 10.0, 5.0}, "Counts": []any{1.0, 2.0, 3.0}},
				{"MetricName": "metric1", "Timestamp": now, "Unit": "Seconds", "Value": 0.0},
				{"MetricName": "metric1", "Timestamp": now, "Unit": "Seconds", "Value": 2.0},
				{"MetricName": "metric1", "Timestamp": now, "Unit": "Seconds", "Value": 7.0},
				{"MetricName": "metric1", "Timestamp": now, "Unit": "Seconds", "Value": 100.0},
			} {
				if a := cwDo(t, inst, proto, "PutMetricData", map[string]any{"Namespace": "fidelity", "MetricData": []any{d}}); a.Status != 200 {
					t.Fatalf("PutMetricData %v = %+v", d["MetricName"], a)
				}
			}
			q := func(id, name, stat string, period float64, unit string) map[string]any {
				ms := map[string]any{"Metric": metric(name), "Period": period, "Stat": stat}
				if unit != "" {
					ms["Unit"] = unit
				}
				return map[string]any{"Id": id, "MetricStat": ms}
			}
			ask := func(queries ...any) []cwResult {
				a := cwDo(t, inst, proto, "GetMetricData", map[string]any{"MetricDataQueries": queries,
					"StartTime": now.Add(-time.Minute), "EndTime": now.Add(2 * time.Minute)})
				if a.Status != 200 {
					t.Fatalf("GetMetricData = %+v", a)
				}
				return metricResults(a)
			}
			got := ask(q("sum", "sets", "Sum", 60, ""), q("count", "sets", "SampleCount", 60, ""), q("min", "sets", "Minimum", 60, ""),
				q("max", "sets", "Maximum", 60, ""), q("avg", "sets", "Average", 60, ""))
			want := []cwResult{
				{ID: "avg", Label: "sets Average", StatusCode: "Complete", Values: []float64{85.0 / 12}},
				{ID: "count", Label: "sets SampleCount", StatusCode: "Complete", Values: []float64{12}},
				{ID: "max", Label: "sets Maximum", StatusCode: "Complete", Values: []float64{18}},
				{ID: "min", Label: "sets Minimum", StatusCode: "Complete", Values: []float64{1}},
				{ID: "sum", Label: "sets Sum", StatusCode: "Complete", Values: []float64{85}},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("statistic sets (-want +got):\n%s", diff)
			}
			got = ask(q("sum", "counted", "Sum", 60, ""), q("count", "counted", "SampleCount", 60, ""))
			want = []cwResult{
				{ID: "count", Label: "counted SampleCount", StatusCode: "Complete", Values: []float64{6}},
				{ID: "sum", Label: "counted Sum", StatusCode: "Complete", Values: []float64{37}},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Values with Counts (-want +got):\n%s", diff)
			}
			// Labels of one metric asked several ways name what differs
			// (test_label_generation, 2025-09-19); a Unit that matches nothing
			// gives an empty, Complete result (input_pairs3..6).
			labelCases := []struct {
				queries []any
				want    []cwResult
			}{
				{[]any{q("a", "metric1", "Sum", 60, "Seconds"), q("b", "metric1", "Minimum", 30, "Seconds")},
					[]cwResult{{"a", "metric1 Sum 60", "Complete", []float64{109}}, {"b", "metric1 Minimum 30", "Complete", []float64{0}}}},
				{[]any{q("a", "metric1", "Sum", 60, "Seconds"), q("b", "metric1", "Minimum", 60, "Seconds")},
					[]cwResult{{"a", "metric1 Sum", "Complete", []float64{109}}, {"b", "metric1 Minimum", "Complete", []float64{0}}}},
				{[]any{q("a", "metric1", "Sum", 60, "Seconds"), q("b", "metric1", "Sum", 30, "Seconds")},
					[]cwResult{{"a", "metric1 60", "Complete", []float64{109}}, {"b", "metric1 30", "Complete", []float64{109}}}},
				{[]any{q("a", "metric1", "Sum", 60, "Seconds"), q("b", "metric1", "Sum", 60, "Milliseconds")},
					[]cwResult{{"a", "metric1", "Complete", []float64{109}}, {"b", "metric1", "Complete", []float64{}}}},
			}
			for i, lc := range labelCases {
				if diff := cmp.Diff(lc.want, ask(lc.queries...)); diff != "" {
					t.Errorf("label case %d (-want +got):\n%s", i, diff)
				}
			}
		})
	}
}

func TestCloudWatchAlarmFidelity(t *testing.T) {
	t.Parallel()
	for _, proto := range cwProtocols {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			inst := sandboxtest.Start(t, sandbox.Options{})
			a := cwDo(t, inst, proto, "PutMetricAlarm", map[string]any{"AlarmName": "errors", "MetricName": "Errors", "Namespace": "AWS/Lambda",
				"Statistic": "Sum", "Period": 60, "EvaluationPeriods": 1, "Threshold": 1.0, "ComparisonOperator": "GreaterThanOrEqualToThreshold"})
			if a.Status != 200 {
				t.Fatalf("PutMetricAlarm = %+v", a)
			}
			a = cwDo(t, inst, proto, "DescribeAlarms", map[string]any{"AlarmNames": []any{"errors"}})
			alarms, _ := a.Out["MetricAlarms"].([]any)
			if len(alarms) != 1 {
				t.Fatalf("DescribeAlarms = %+v", a)
			}
			item, _ := alarms[0].(map[string]any)
			// A new alarm (test_describe_alarms_converts_date_format_correctly,
			// 2025-09-19): INSUFFICIENT_DATA, "Unchecked: Initial alarm creation",
			// and no AlarmDescription member when none was given.
			if item["StateValue"] != "INSUFFICIENT_DATA" || item["StateReason"] != "Unchecked: Initial alarm creation" {
				t.Errorf("new alarm state = %v %q", item["StateValue"], item["StateReason"])
			}
			if d, ok := item["AlarmDescription"]; ok {
				t.Errorf("AlarmDescription = %q; AWS leaves the member out when none was given", d)
			}
			// SetAlarmState errors (test_set_alarm_invalid_input, 2025-09-22):
			// the enum is checked first, and an unknown alarm is a 404 without a message.
			got := cwDo(t, inst, proto, "SetAlarmState", map[string]any{"AlarmName": "nope", "StateValue": "INVALID", "StateReason": "test"})
			want := cwAnswer{Status: 400, Code: "ValidationError", Message: "1 validation error detected: Value 'INVALID' at 'stateValue' failed to satisfy constraint: Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]", Out: map[string]any{}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("invalid state (-want +got):\n%s", diff)
			}
			got = cwDo(t, inst, proto, "SetAlarmState", map[string]any{"AlarmName": "nope", "StateValue": "OK", "StateReason": "test"})
			want = cwAnswer{Status: 404, Code: "ResourceNotFound", Out: map[string]any{}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("unknown alarm (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCloudWatchFidelitySDK checks the same rules through aws-sdk-go-v2's
// CloudWatch client (RPCv2 CBOR, typed errors).
func TestCloudWatchFidelitySDK(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{})
	c := cwClient(inst)
	now := time.Now().UTC().Truncate(time.Minute).Add(-2 * time.Minute)
	_, err := c.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("fid"), MetricData: []cwtypes.MetricDatum{
		{MetricName: aws.String("m"), Value: aws.Float64(1.5), StatisticValues: &cwtypes.StatisticSet{SampleCount: aws.Float64(2), Sum: aws.Float64(3), Minimum: aws.Float64(1), Maximum: aws.Float64(2)}}}})
	var combination *cwtypes.InvalidParameterCombinationException
	if !errors.As(err, &combination) || aws.ToString(combination.Message) != "The parameters MetricData.member.1.Value and MetricData.member.1.StatisticValues are mutually exclusive and you have specified both." {
		t.Errorf("Value with StatisticValues = %v, want InvalidParameterCombinationException", err)
	}
	if _, err := c.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("fid"), MetricData: []cwtypes.MetricDatum{
		{MetricName: aws.String("sets"), Timestamp: aws.Time(now), StatisticValues: &cwtypes.StatisticSet{SampleCount: aws.Float64(4), Sum: aws.Float64(10), Minimum: aws.Float64(1), Maximum: aws.Float64(4)}}}}); err != nil {
		t.Fatal(err)
	}
	stat := func(id, s string) cwtypes.MetricDataQuery {
		return cwtypes.MetricDataQuery{Id: aws.String(id), MetricStat: &cwtypes.MetricStat{Metric: &cwtypes.Metric{Namespace: aws.String("fid"), MetricName: aws.String("sets")},
			Period: aws.Int32(60), Stat: aws.String(s)}}
	}
	out, err := c.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(now.Add(-time.Minute)), EndTime: aws.Time(now.Add(2 * time.Minute)),
		MetricDataQueries: []cwtypes.MetricDataQuery{stat("avg", "Average"), stat("min", "Minimum")}})
	if err != nil {
		t.Fatal(err)
	}
	var got []cwResult
	for _, r := range out.MetricDataResults {
		got = append(got, cwResult{ID: aws.ToString(r.Id), Label: aws.ToString(r.Label), StatusCode: string(r.StatusCode), Values: r.Values})
	}
	want := []cwResult{{"avg", "sets Average", "Complete", []float64{2.5}}, {"min", "sets Minimum", "Complete", []float64{1}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetMetricData (-want +got):\n%s", diff)
	}
	if _, err := c.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String("a"), MetricName: aws.String("Errors"), Namespace: aws.String("AWS/Lambda"),
		Statistic: cwtypes.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(1),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold}); err != nil {
		t.Fatal(err)
	}
	alarms, err := c.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"a"}})
	if err != nil || len(alarms.MetricAlarms) != 1 {
		t.Fatalf("DescribeAlarms = %v, %v", alarms, err)
	}
	if a := alarms.MetricAlarms[0]; aws.ToString(a.StateReason) != "Unchecked: Initial alarm creation" || a.AlarmDescription != nil {
		t.Errorf("new alarm: StateReason %q, AlarmDescription %v", aws.ToString(a.StateReason), a.AlarmDescription)
	}
	_, err = c.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("a"), StateValue: "INVALID", StateReason: aws.String("x")})
	if code, msg := apiError(t, err); code != "ValidationError" || !strings.HasPrefix(msg, "1 validation error detected: Value 'INVALID' at 'stateValue'") {
		t.Errorf("SetAlarmState INVALID = %s: %s", code, msg)
	}
	_, err = c.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("nope"), StateValue: cwtypes.StateValueOk, StateReason: aws.String("x")})
	var notFound *cwtypes.ResourceNotFound
	if !errors.As(err, &notFound) {
		t.Errorf("SetAlarmState on an unknown alarm = %v, want ResourceNotFound", err)
	}
}
