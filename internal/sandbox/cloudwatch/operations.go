package cloudwatch

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ---- operations ----

func (m *metricStore) putMetricData(in map[string]any, now time.Time) *Error {
	ns := str(in, "Namespace")
	if ns == "" {
		return missing("Namespace")
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
			return missing(member + ".MetricName")
		}
		_, hasValue := d["Value"]
		values, counts := list(d, "Values"), list(d, "Counts")
		stats, hasStats := d["StatisticValues"].(map[string]any)
		// The checks and texts of AWS (localstack's AWS recordings
		// test_put_metric_data_validation, 2025-09-19, in all three protocols).
		// Values together with StatisticValues is accepted, as AWS does.
		switch {
		case hasValue && len(values) > 0:
			return combination("The parameters %[1]s.Value and %[1]s.Values are mutually exclusive and you have specified both.", member)
		case len(counts) > 0 && len(counts) != len(values):
			return invalid("The parameters %[1]s.Values and %[1]s.Counts must be of the same size.", member)
		case hasValue && hasStats:
			return combination("The parameters %[1]s.Value and %[1]s.StatisticValues are mutually exclusive and you have specified both.", member)
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

func (m *metricStore) getMetricData(in map[string]any) (map[string]any, *Error) {
	start, ok := timeOf(in["StartTime"])
	if !ok {
		return nil, missing("StartTime")
	}
	end, ok := timeOf(in["EndTime"])
	if !ok {
		return nil, missing("EndTime")
	}
	queries := list(in, "MetricDataQueries")
	if len(queries) == 0 {
		return nil, missing("MetricDataQueries")
	}
	ascending := str(in, "ScanBy") == "TimestampAscending"
	labels := defaultLabels(queries)
	results := []any{}
	for qi, raw := range queries {
		q, _ := raw.(map[string]any)
		id := str(q, "Id")
		if !queryIDRE.MatchString(id) {
			return nil, invalid("The value %s for parameter MetricDataQueries.member.N.Id is not valid: it must start with a lower-case letter and hold only letters, digits and underscores.", id)
		}
		if str(q, "Expression") != "" {
			return nil, invalid("Metric math expressions are not supported by rollout-sandbox (query %s); use MetricStat.", id)
		}
		ms, _ := q["MetricStat"].(map[string]any)
		metric, _ := ms["Metric"].(map[string]any)
		if metric == nil {
			return nil, missing("MetricDataQueries.member.N.MetricStat")
		}
		stat := str(ms, "Stat")
		if !validStatistic(stat) {
			return nil, invalid("The value %s for parameter MetricDataQueries.member.N.MetricStat.Stat is not a valid statistic.", stat)
		}
		p, _ := num(ms["Period"])
		if p < 1 {
			return nil, invalid("The parameter MetricDataQueries.member.N.MetricStat.Period must be greater than 0.")
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

func (m *metricStore) putMetricAlarm(in map[string]any, now time.Time) *Error {
	name := str(in, "AlarmName")
	for _, req := range []string{"AlarmName", "EvaluationPeriods", "ComparisonOperator"} {
		if _, ok := in[req]; !ok {
			return missing(req)
		}
	}
	if len(list(in, "Metrics")) > 0 {
		return invalid("Metric math alarms (Metrics) are not supported by rollout-sandbox; use MetricName, Namespace and Statistic.")
	}
	op := str(in, "ComparisonOperator")
	if comparisons[op] == nil {
		return invalid("The value %s for parameter ComparisonOperator is not valid.", op)
	}
	stat, ext := str(in, "Statistic"), str(in, "ExtendedStatistic")
	if (stat == "") == (ext == "") {
		return &Error{Status: 400, Shape: "InvalidParameterCombinationException", Code: "InvalidParameterCombination",
			Message: "Exactly one of Statistic or ExtendedStatistic must be given."}
	}
	if (stat != "" && !validStatistic(stat)) || (ext != "" && !percentileOK(ext)) {
		return invalid("The statistic %s%s is not valid.", stat, ext)
	}
	period, _ := num(in["Period"])
	evals, _ := num(in["EvaluationPeriods"])
	dta, _ := num(in["DatapointsToAlarm"])
	threshold, _ := num(in["Threshold"])
	treat := str(in, "TreatMissingData")
	switch treat {
	case "", "missing", "breaching", "notBreaching", "ignore":
	default:
		return invalid("The value %s for parameter TreatMissingData is not valid.", treat)
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

func (m *metricStore) deleteAlarms(in map[string]any) *Error {
	m.amu.Lock()
	defer m.amu.Unlock()
	var missing []string
	for _, n := range strs(in, "AlarmNames") {
		if m.alarms[n] == nil {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return &Error{Status: 404, Shape: "ResourceNotFound", Code: "ResourceNotFound", Message: fmt.Sprintf("The following alarms were not found: %s", strings.Join(missing, ", "))}
	}
	for _, n := range strs(in, "AlarmNames") {
		delete(m.alarms, n)
	}
	return nil
}

func (m *metricStore) setAlarmState(in map[string]any, now time.Time) *Error {
	name, state, reason := str(in, "AlarmName"), str(in, "StateValue"), str(in, "StateReason")
	for k, v := range map[string]string{"AlarmName": name, "StateValue": state, "StateReason": reason} {
		if v == "" {
			return missing(k)
		}
	}
	// The validator checks the enum first; an unknown alarm is a 404 with no
	// message (localstack's AWS recordings test_set_alarm_invalid_input and
	// test_exception_serializing_with_no_shape_in_spec, 2025-09-22, in all
	// three protocols).
	switch state {
	case "OK", "ALARM", "INSUFFICIENT_DATA":
	default:
		return &Error{Status: 400, Shape: "ValidationException", Code: "ValidationError",
			Message: fmt.Sprintf("1 validation error detected: Value '%s' at 'stateValue' failed to satisfy constraint: Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]", state)}
	}
	data := str(in, "StateReasonData")
	if data != "" && !json.Valid([]byte(data)) {
		return &Error{Status: 400, Shape: "InvalidFormatFault", Code: "InvalidFormat", Message: "StateReasonData must be valid JSON."}
	}
	m.amu.Lock()
	defer m.amu.Unlock()
	a := m.alarms[name]
	if a == nil {
		return &Error{Status: 404, Shape: "ResourceNotFound", Code: "ResourceNotFound"}
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
