package sandbox

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// CloudWatch, in the three wire protocols clients send: Smithy RPCv2 CBOR
// (aws-sdk-go-v2 today), AWS JSON 1.0 (current botocore) and awsQuery
// (older CLIs, the Debian AWS CLI v2). One operation layer works on generic
// values (map[string]any, []any, string, float64, bool, time.Time); each
// protocol decodes into it and encodes out of it.

const cwTarget = "GraniteServiceVersion20100801"

type cwProtocol int

const (
	cwCBOR cwProtocol = iota
	cwJSON
	cwQuery
)

type cwError struct {
	Status      int
	Shape, Code string
	Message     string
}

func cwInvalid(format string, a ...any) *cwError {
	return &cwError{Status: 400, Shape: "InvalidParameterValueException", Code: "InvalidParameterValue", Message: fmt.Sprintf(format, a...)}
}

func cwMissing(name string) *cwError {
	return &cwError{Status: 400, Shape: "MissingRequiredParameterException", Code: "MissingParameter",
		Message: fmt.Sprintf("The parameter %s is required.", name)}
}

// cwRoute reports whether r is a CloudWatch request and which protocol and
// operation it uses.
func cwRoute(r *http.Request, who caller) (cwProtocol, string, bool) {
	if strings.HasPrefix(r.URL.Path, "/service/"+cwTarget+"/operation/") {
		return cwCBOR, strings.TrimPrefix(r.URL.Path, "/service/"+cwTarget+"/operation/"), true
	}
	if t := r.Header.Get("X-Amz-Target"); strings.HasPrefix(t, cwTarget+".") {
		return cwJSON, strings.TrimPrefix(t, cwTarget+"."), true
	}
	if r.Method == http.MethodPost && r.URL.Path == "/" && (who.Service == "monitoring" ||
		strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded")) {
		return cwQuery, "", true
	}
	return 0, "", false
}

var cborDec, _ = cbor.DecOptions{DefaultMapType: reflect.TypeOf(map[string]any(nil)), TimeTag: cbor.DecTagOptional}.DecMode()
var cborEnc, _ = cbor.EncOptions{Time: cbor.TimeUnixDynamic, TimeTag: cbor.EncTagRequired}.EncMode()

func (s *Server) serveCloudWatch(w http.ResponseWriter, r *http.Request, proto cwProtocol, op string, call *Call) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 2<<20))
	if err != nil {
		s.writeCWError(w, proto, &cwError{Status: 400, Shape: "InvalidParameterValueException", Code: "InvalidParameterValue", Message: err.Error()}, op)
		return
	}
	// A gzip body (PutMetricData's request compression) was inflated, with
	// the size cap applied to the inflated bytes, by bufferCompressedBody.
	var in map[string]any
	switch proto {
	case cwCBOR:
		if len(body) > 0 {
			var v any
			if err := cborDec.Unmarshal(body, &v); err != nil {
				s.writeCWError(w, proto, cwInvalid("Could not decode the CBOR body: malformed or unexpected CBOR"), op)
				return
			}
			in, _ = normalize(v).(map[string]any)
		}
	case cwJSON:
		if len(body) > 0 {
			var v any
			if err := json.Unmarshal(body, &v); err != nil {
				s.writeCWError(w, proto, cwInvalid("Could not decode the JSON body: %s", jsonProblem(err)), op)
				return
			}
			in, _ = v.(map[string]any)
		}
	case cwQuery:
		form, err := url.ParseQuery(string(body))
		if err != nil {
			s.writeCWError(w, proto, cwInvalid("Could not decode the form body: malformed URL encoding"), op)
			return
		}
		op = form.Get("Action")
		in = queryTree(form)
	}
	if in == nil {
		in = map[string]any{}
	}
	call.Operation = op
	if s.injectCloudWatch(w, call, proto, op) {
		return
	}
	out, cerr := s.durableCloudWatchOp(op, in)
	if cerr != nil {
		s.writeCWError(w, proto, cerr, op)
		return
	}
	s.writeCWResult(w, proto, op, out)
}

func (s *Server) cloudwatchOp(op string, in map[string]any) (map[string]any, *cwError) {
	m := s.metrics
	switch op {
	case "PutMetricData":
		return nil, m.putMetricData(in, s.now())
	case "GetMetricData":
		return m.getMetricData(in)
	case "ListMetrics":
		return m.listMetricsOp(in), nil
	case "PutMetricAlarm":
		return nil, m.putMetricAlarm(in, s.now())
	case "DescribeAlarms":
		return m.describeAlarms(in, s.now(), s.region, s.accountID), nil
	case "DeleteAlarms":
		return nil, m.deleteAlarms(in)
	case "SetAlarmState":
		return nil, m.setAlarmState(in, s.now())
	case "ListTagsForResource":
		return map[string]any{"Tags": []any{}}, nil
	}
	return nil, &cwError{Status: 400, Shape: "InvalidAction", Code: "InvalidAction", Message: fmt.Sprintf("The action %s is not valid for this web service.", op)}
}

// ---- operations ----

func (m *metricStore) putMetricData(in map[string]any, now time.Time) *cwError {
	ns := str(in, "Namespace")
	if ns == "" {
		return cwMissing("Namespace")
	}
	type datum struct {
		name, unit string
		dims       []dimension
		t          time.Time
		points     []point
	}
	var data []datum
	for i, item := range list(in, "MetricData") {
		d, _ := item.(map[string]any)
		member := fmt.Sprintf("MetricData.member.%d", i+1)
		name := str(d, "MetricName")
		if name == "" {
			return cwMissing(member + ".MetricName")
		}
		_, hasValue := d["Value"]
		values, counts := list(d, "Values"), list(d, "Counts")
		stats, hasStats := d["StatisticValues"].(map[string]any)
		// The checks and texts of AWS (localstack's AWS recordings
		// test_put_metric_data_validation, 2025-09-19, in all three protocols).
		// Values together with StatisticValues is accepted, as AWS does.
		switch {
		case hasValue && len(values) > 0:
			return cwCombination("The parameters %[1]s.Value and %[1]s.Values are mutually exclusive and you have specified both.", member)
		case len(counts) > 0 && len(counts) != len(values):
			return cwInvalid("The parameters %[1]s.Values and %[1]s.Counts must be of the same size.", member)
		case hasValue && hasStats:
			return cwCombination("The parameters %[1]s.Value and %[1]s.StatisticValues are mutually exclusive and you have specified both.", member)
		}
		t := now
		if ts, ok := timeOf(d["Timestamp"]); ok {
			t = ts
		}
		var points []point
		if v, ok := num(d["Value"]); ok {
			points = append(points, point{v, 1})
		}
		for j, raw := range values {
			v, _ := num(raw)
			n := 1.0
			if j < len(counts) {
				n, _ = num(counts[j])
			}
			if n > 0 {
				points = append(points, point{v, n})
			}
		}
		if hasStats {
			count, _ := num(stats["SampleCount"])
			sum, _ := num(stats["Sum"])
			lo, _ := num(stats["Minimum"])
			hi, _ := num(stats["Maximum"])
			points = append(points, statisticSetPoints(count, sum, lo, hi)...)
		}
		data = append(data, datum{name: name, unit: str(d, "Unit"), dims: dims(d), t: t, points: points})
	}
	// All or nothing: the request is refused before anything is stored.
	for _, d := range data {
		m.putPoints(ns, d.name, d.unit, d.dims, d.t, d.points)
	}
	return nil
}

func cwCombination(format string, a ...any) *cwError {
	return &cwError{Status: 400, Shape: "InvalidParameterCombinationException", Code: "InvalidParameterCombination", Message: fmt.Sprintf(format, a...)}
}

// defaultLabels gives each query without a Label AWS's default: the metric
// name, followed by the statistic when queries of the same metric ask
// different statistics, and by the period when they ask different periods
// (localstack's AWS recordings test_label_generation, 2025-09-19, in all
// three protocols). The unit does not appear.
func defaultLabels(queries []any) map[int]string {
	type ask struct{ stat, period string }
	byMetric := map[string][]ask{}
	keyOf := func(ms map[string]any) string {
		metric, _ := ms["Metric"].(map[string]any)
		return seriesKey(str(metric, "Namespace"), str(metric, "MetricName"), sortDims(dims(metric)))
	}
	for _, raw := range queries {
		q, _ := raw.(map[string]any)
		ms, _ := q["MetricStat"].(map[string]any)
		p, _ := num(ms["Period"])
		byMetric[keyOf(ms)] = append(byMetric[keyOf(ms)], ask{str(ms, "Stat"), strconv.FormatFloat(p, 'f', -1, 64)})
	}
	differ := func(asks []ask, f func(ask) string) bool {
		for _, a := range asks[1:] {
			if f(a) != f(asks[0]) {
				return true
			}
		}
		return false
	}
	labels := map[int]string{}
	for i, raw := range queries {
		q, _ := raw.(map[string]any)
		ms, _ := q["MetricStat"].(map[string]any)
		metric, _ := ms["Metric"].(map[string]any)
		asks := byMetric[keyOf(ms)]
		label := str(metric, "MetricName")
		if differ(asks, func(a ask) string { return a.stat }) {
			label += " " + str(ms, "Stat")
		}
		if differ(asks, func(a ask) string { return a.period }) {
			p, _ := num(ms["Period"])
			label += " " + strconv.FormatFloat(p, 'f', -1, 64)
		}
		labels[i] = label
	}
	return labels
}

var queryIDRE = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]*$`)

func (m *metricStore) getMetricData(in map[string]any) (map[string]any, *cwError) {
	start, ok := timeOf(in["StartTime"])
	if !ok {
		return nil, cwMissing("StartTime")
	}
	end, ok := timeOf(in["EndTime"])
	if !ok {
		return nil, cwMissing("EndTime")
	}
	queries := list(in, "MetricDataQueries")
	if len(queries) == 0 {
		return nil, cwMissing("MetricDataQueries")
	}
	ascending := str(in, "ScanBy") == "TimestampAscending"
	labels := defaultLabels(queries)
	results := []any{}
	for qi, raw := range queries {
		q, _ := raw.(map[string]any)
		id := str(q, "Id")
		if !queryIDRE.MatchString(id) {
			return nil, cwInvalid("The value %s for parameter MetricDataQueries.member.N.Id is not valid: it must start with a lower-case letter and hold only letters, digits and underscores.", id)
		}
		if str(q, "Expression") != "" {
			return nil, cwInvalid("Metric math expressions are not supported by rollout-sandbox (query %s); use MetricStat.", id)
		}
		ms, _ := q["MetricStat"].(map[string]any)
		metric, _ := ms["Metric"].(map[string]any)
		if metric == nil {
			return nil, cwMissing("MetricDataQueries.member.N.MetricStat")
		}
		stat := str(ms, "Stat")
		if !validStatistic(stat) {
			return nil, cwInvalid("The value %s for parameter MetricDataQueries.member.N.MetricStat.Stat is not a valid statistic.", stat)
		}
		p, _ := num(ms["Period"])
		if p < 1 {
			return nil, cwInvalid("The parameter MetricDataQueries.member.N.MetricStat.Period must be greater than 0.")
		}
		period := time.Duration(p) * time.Second
		qStart := start
		if int64(p)%60 == 0 {
			qStart = start.Truncate(time.Minute)
		}
		buckets := m.query(str(metric, "Namespace"), str(metric, "MetricName"), dims(metric), str(ms, "Unit"), qStart, end, period)
		if !ascending {
			sort.Slice(buckets, func(i, j int) bool { return buckets[i].start.After(buckets[j].start) })
		}
		stamps, values := []any{}, []any{}
		for _, b := range buckets {
			v, _ := statistic(stat, b.values)
			stamps = append(stamps, b.start)
			values = append(values, v)
		}
		if rd, ok := q["ReturnData"].(bool); ok && !rd {
			continue
		}
		if s, ok := q["ReturnData"].(string); ok && s == "false" {
			continue
		}
		label := str(q, "Label")
		if label == "" {
			label = labels[qi]
		}
		results = append(results, map[string]any{"Id": id, "Label": label, "Timestamps": stamps, "Values": values, "StatusCode": "Complete"})
	}
	return map[string]any{"MetricDataResults": results, "Messages": []any{}}, nil
}

func (m *metricStore) listMetricsOp(in map[string]any) map[string]any {
	found := m.listMetrics(str(in, "Namespace"), str(in, "MetricName"), dims(in))
	out := []any{}
	for _, s := range found {
		out = append(out, map[string]any{"Namespace": s.namespace, "MetricName": s.name, "Dimensions": dimsOut(s.dims)})
	}
	return map[string]any{"Metrics": out}
}

func (m *metricStore) putMetricAlarm(in map[string]any, now time.Time) *cwError {
	name := str(in, "AlarmName")
	for _, req := range []string{"AlarmName", "EvaluationPeriods", "ComparisonOperator"} {
		if _, ok := in[req]; !ok {
			return cwMissing(req)
		}
	}
	if len(list(in, "Metrics")) > 0 {
		return cwInvalid("Metric math alarms (Metrics) are not supported by rollout-sandbox; use MetricName, Namespace and Statistic.")
	}
	op := str(in, "ComparisonOperator")
	if comparisons[op] == nil {
		return cwInvalid("The value %s for parameter ComparisonOperator is not valid.", op)
	}
	stat, ext := str(in, "Statistic"), str(in, "ExtendedStatistic")
	if (stat == "") == (ext == "") {
		return &cwError{Status: 400, Shape: "InvalidParameterCombinationException", Code: "InvalidParameterCombination",
			Message: "Exactly one of Statistic or ExtendedStatistic must be given."}
	}
	if (stat != "" && !validStatistic(stat)) || (ext != "" && !percentileOK(ext)) {
		return cwInvalid("The statistic %s%s is not valid.", stat, ext)
	}
	period, _ := num(in["Period"])
	evals, _ := num(in["EvaluationPeriods"])
	dta, _ := num(in["DatapointsToAlarm"])
	threshold, _ := num(in["Threshold"])
	treat := str(in, "TreatMissingData")
	switch treat {
	case "", "missing", "breaching", "notBreaching", "ignore":
	default:
		return cwInvalid("The value %s for parameter TreatMissingData is not valid.", treat)
	}
	enabled := true
	if b, ok := boolOf(in["ActionsEnabled"]); ok {
		enabled = b
	}
	a := &alarm{
		Name: name, Description: str(in, "AlarmDescription"), Namespace: str(in, "Namespace"), MetricName: str(in, "MetricName"),
		Dimensions: dims(in), Statistic: stat, ExtendedStatistic: ext, Unit: str(in, "Unit"), Period: int64(period),
		EvaluationPeriods: int64(evals), DatapointsToAlarm: int64(dta), Threshold: threshold, ComparisonOperator: op,
		TreatMissingData: treat, ActionsEnabled: enabled, AlarmActions: strs(in, "AlarmActions"), OKActions: strs(in, "OKActions"),
		InsuffActions: strs(in, "InsufficientDataActions"), ConfigUpdated: now,
	}
	m.amu.Lock()
	defer m.amu.Unlock()
	if old := m.alarms[name]; old != nil {
		// An update overwrites the configuration and keeps the state.
		a.State, a.StateReason, a.StateReasonData, a.StateUpdated, a.StateTransitioned = old.State, old.StateReason, old.StateReasonData, old.StateUpdated, old.StateTransitioned
	} else {
		a.State, a.StateReason, a.StateUpdated, a.StateTransitioned = "INSUFFICIENT_DATA", initialAlarmReason, now, now
	}
	m.alarms[name] = a
	return nil
}

func percentileOK(s string) bool {
	_, ok := percentile(s)
	return ok
}

func (m *metricStore) describeAlarms(in map[string]any, now time.Time, region, account string) map[string]any {
	names := map[string]bool{}
	for _, n := range strs(in, "AlarmNames") {
		names[n] = true
	}
	prefix, state := str(in, "AlarmNamePrefix"), str(in, "StateValue")
	m.amu.Lock()
	all := make([]*alarm, 0, len(m.alarms))
	for _, a := range m.alarms {
		all = append(all, a)
	}
	m.amu.Unlock()
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	out := []any{}
	for _, a := range all {
		if (len(names) > 0 && !names[a.Name]) || (prefix != "" && !strings.HasPrefix(a.Name, prefix)) {
			continue
		}
		m.amu.Lock()
		m.evaluate(a, now)
		item := alarmOut(a, region, account)
		m.amu.Unlock()
		if state != "" && item["StateValue"] != state {
			continue
		}
		out = append(out, item)
	}
	return map[string]any{"MetricAlarms": out, "CompositeAlarms": []any{}}
}

func alarmOut(a *alarm, region, account string) map[string]any {
	item := map[string]any{
		"AlarmName": a.Name, "AlarmArn": fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", region, account, a.Name),
		"AlarmConfigurationUpdatedTimestamp": a.ConfigUpdated, "ActionsEnabled": a.ActionsEnabled,
		"OKActions": anyList(a.OKActions), "AlarmActions": anyList(a.AlarmActions), "InsufficientDataActions": anyList(a.InsuffActions),
		"StateValue": a.State, "StateReason": a.StateReason, "StateUpdatedTimestamp": a.StateUpdated, "StateTransitionedTimestamp": a.StateTransitioned,
		"MetricName": a.MetricName, "Namespace": a.Namespace, "Dimensions": dimsOut(a.Dimensions), "Period": a.Period,
		"EvaluationPeriods": a.EvaluationPeriods, "Threshold": a.Threshold, "ComparisonOperator": a.ComparisonOperator,
	}
	if a.Description != "" {
		// AWS leaves the member out when the alarm has no description
		// (localstack's AWS recording test_describe_alarms_converts_date_format_correctly, 2025-09-19).
		item["AlarmDescription"] = a.Description
	}
	if a.StateReasonData != "" {
		item["StateReasonData"] = a.StateReasonData
	}
	if a.Statistic != "" {
		item["Statistic"] = a.Statistic
	} else {
		item["ExtendedStatistic"] = a.ExtendedStatistic
	}
	if a.DatapointsToAlarm > 0 {
		item["DatapointsToAlarm"] = a.DatapointsToAlarm
	}
	if a.TreatMissingData != "" {
		item["TreatMissingData"] = a.TreatMissingData
	}
	if a.Unit != "" {
		item["Unit"] = a.Unit
	}
	return item
}

func (m *metricStore) deleteAlarms(in map[string]any) *cwError {
	m.amu.Lock()
	defer m.amu.Unlock()
	var missing []string
	for _, n := range strs(in, "AlarmNames") {
		if m.alarms[n] == nil {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return &cwError{Status: 404, Shape: "ResourceNotFound", Code: "ResourceNotFound", Message: fmt.Sprintf("The following alarms were not found: %s", strings.Join(missing, ", "))}
	}
	for _, n := range strs(in, "AlarmNames") {
		delete(m.alarms, n)
	}
	return nil
}

func (m *metricStore) setAlarmState(in map[string]any, now time.Time) *cwError {
	name, state, reason := str(in, "AlarmName"), str(in, "StateValue"), str(in, "StateReason")
	for k, v := range map[string]string{"AlarmName": name, "StateValue": state, "StateReason": reason} {
		if v == "" {
			return cwMissing(k)
		}
	}
	// The validator checks the enum first; an unknown alarm is a 404 with no
	// message (localstack's AWS recordings test_set_alarm_invalid_input and
	// test_exception_serializing_with_no_shape_in_spec, 2025-09-22, in all
	// three protocols).
	switch state {
	case "OK", "ALARM", "INSUFFICIENT_DATA":
	default:
		return &cwError{Status: 400, Shape: "ValidationException", Code: "ValidationError",
			Message: fmt.Sprintf("1 validation error detected: Value '%s' at 'stateValue' failed to satisfy constraint: Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]", state)}
	}
	data := str(in, "StateReasonData")
	if data != "" && !json.Valid([]byte(data)) {
		return &cwError{Status: 400, Shape: "InvalidFormatFault", Code: "InvalidFormat", Message: "StateReasonData must be valid JSON."}
	}
	m.amu.Lock()
	defer m.amu.Unlock()
	a := m.alarms[name]
	if a == nil {
		return &cwError{Status: 404, Shape: "ResourceNotFound", Code: "ResourceNotFound"}
	}
	if a.State != state {
		a.StateTransitioned = now
	}
	a.State, a.StateReason, a.StateReasonData, a.StateUpdated = state, reason, data, now
	a.forcedUntil = now.Add(time.Duration(a.Period) * time.Second)
	return nil
}

// ---- generic value helpers ----

func str(m map[string]any, k string) string {
	switch v := m[k].(type) {
	case string:
		return v
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}

func list(m map[string]any, k string) []any {
	l, _ := m[k].([]any)
	return l
}

func strs(m map[string]any, k string) []string {
	var out []string
	for _, v := range list(m, k) {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func anyList(v []string) []any {
	out := make([]any, 0, len(v))
	for _, s := range v {
		out = append(out, s)
	}
	return out
}

func num(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil
	}
	return 0, false
}

func boolOf(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		b, err := strconv.ParseBool(x)
		return b, err == nil
	}
	return false, false
}

func timeOf(v any) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		return x.UTC(), true
	case float64:
		sec := int64(x)
		return time.Unix(sec, int64((x-float64(sec))*1e9)).UTC(), true
	case string:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04:05.000Z"} {
			if t, err := time.Parse(layout, x); err == nil {
				return t.UTC(), true
			}
		}
		if f, err := strconv.ParseFloat(x, 64); err == nil {
			return timeOf(f)
		}
	}
	return time.Time{}, false
}

func dims(m map[string]any) []dimension {
	var out []dimension
	for _, raw := range list(m, "Dimensions") {
		d, _ := raw.(map[string]any)
		out = append(out, dimension{Name: str(d, "Name"), Value: str(d, "Value")})
	}
	return out
}

func dimsOut(d []dimension) []any {
	out := make([]any, 0, len(d))
	for _, x := range d {
		out = append(out, map[string]any{"Name": x.Name, "Value": x.Value})
	}
	return out
}

// normalize turns decoded CBOR into the generic shapes: string keys,
// float64 numbers, time.Time for tag 1.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			x[k] = normalize(val)
		}
		return x
	case map[any]any:
		out := map[string]any{}
		for k, val := range x {
			out[fmt.Sprint(k)] = normalize(val)
		}
		return out
	case []any:
		for i := range x {
			x[i] = normalize(x[i])
		}
		return x
	case uint64:
		return float64(x)
	case int64:
		return float64(x)
	case float32:
		return float64(x)
	case cbor.Tag:
		if x.Number == 1 {
			if f, ok := num(normalize(x.Content)); ok {
				t, _ := timeOf(f)
				return t
			}
		}
		return normalize(x.Content)
	case time.Time:
		return x.UTC()
	}
	return v
}

// queryTree turns awsQuery form fields (A.member.1.B.member.2.C=v) into
// the generic shape; lists are "member.N".
func queryTree(form url.Values) map[string]any {
	root := map[string]any{}
	for key, values := range form {
		if key == "Action" || key == "Version" || len(values) == 0 {
			continue
		}
		segs := strings.Split(key, ".")
		node := root
		for i := 0; i < len(segs); i++ {
			seg := segs[i]
			if seg == "member" && i+1 < len(segs) {
				seg = "#" + segs[i+1]
				i++
			}
			if i == len(segs)-1 {
				node[seg] = values[0]
				break
			}
			child, _ := node[seg].(map[string]any)
			if child == nil {
				child = map[string]any{}
				node[seg] = child
			}
			node = child
		}
	}
	out, _ := listify(root).(map[string]any)
	return out
}

func listify(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	allIdx := len(m) > 0
	for k := range m {
		if !strings.HasPrefix(k, "#") {
			allIdx = false
		}
	}
	if allIdx {
		type kv struct {
			i int
			v any
		}
		var items []kv
		for k, val := range m {
			n, _ := strconv.Atoi(k[1:])
			items = append(items, kv{n, listify(val)})
		}
		sort.Slice(items, func(a, b int) bool { return items[a].i < items[b].i })
		out := make([]any, 0, len(items))
		for _, it := range items {
			out = append(out, it.v)
		}
		return out
	}
	for k, val := range m {
		m[k] = listify(val)
	}
	return m
}

// ---- encoders ----

func (s *Server) writeCWResult(w http.ResponseWriter, proto cwProtocol, op string, out map[string]any) {
	switch proto {
	case cwCBOR:
		w.Header().Set("Content-Type", "application/cbor")
		w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
		if out == nil {
			out = map[string]any{}
		}
		b, err := cborEnc.Marshal(out)
		if err != nil {
			s.writeCWError(w, proto, &cwError{Status: 500, Shape: "InternalServiceFault", Code: "InternalServiceError", Message: err.Error()}, op)
			return
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(b)
	case cwJSON:
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		if out == nil {
			out = map[string]any{}
		}
		w.WriteHeader(http.StatusOK)
		_ = json.NewEncoder(w).Encode(epochTimes(out))
	case cwQuery:
		w.Header().Set("Content-Type", "text/xml")
		var b strings.Builder
		fmt.Fprintf(&b, `<%sResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">`, op)
		if out != nil {
			fmt.Fprintf(&b, "<%sResult>", op)
			writeXML(&b, out)
			fmt.Fprintf(&b, "</%sResult>", op)
		}
		fmt.Fprintf(&b, "<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>", w.Header().Get("x-amzn-RequestId"), op)
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, b.String())
	}
}

func (s *Server) writeCWError(w http.ResponseWriter, proto cwProtocol, e *cwError, op string) {
	kind := "Sender"
	if e.Status >= 500 {
		kind = "Receiver"
	}
	e.Message = clip(e.Message, maxErrorMessage)
	switch proto {
	case cwCBOR:
		w.Header().Set("Content-Type", "application/cbor")
		w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
		w.Header().Set("X-Amzn-Query-Error", e.Code+";"+kind)
		b, _ := cborEnc.Marshal(map[string]any{"__type": "com.amazonaws.cloudwatch#" + e.Shape, "message": e.Message})
		w.WriteHeader(e.Status)
		_, _ = w.Write(b)
	case cwJSON:
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amzn-Query-Error", e.Code+";"+kind)
		w.WriteHeader(e.Status)
		_ = json.NewEncoder(w).Encode(map[string]any{"__type": "com.amazonaws.cloudwatch#" + e.Shape, "message": e.Message})
	default:
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(e.Status)
		var msg strings.Builder
		_ = xml.EscapeText(&msg, []byte(e.Message))
		fmt.Fprintf(w, `<ErrorResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`,
			kind, e.Code, msg.String(), w.Header().Get("x-amzn-RequestId"))
	}
	_ = op
}

func epochTimes(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			out[k] = epochTimes(val)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = epochTimes(x[i])
		}
		return out
	case time.Time:
		return float64(x.UnixNano()) / 1e9
	}
	return v
}

func writeXML(b *strings.Builder, v any) {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(b, "<%s>", k)
			writeXML(b, x[k])
			fmt.Fprintf(b, "</%s>", k)
		}
	case []any:
		for _, item := range x {
			b.WriteString("<member>")
			writeXML(b, item)
			b.WriteString("</member>")
		}
	case time.Time:
		b.WriteString(x.UTC().Format("2006-01-02T15:04:05.000Z"))
	case float64:
		b.WriteString(strconv.FormatFloat(x, 'f', -1, 64))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case string:
		_ = xml.EscapeText(b, []byte(x))
	}
}
