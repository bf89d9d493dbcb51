package cloudwatch

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/wal"
)

// metricStore keeps CloudWatch datapoints: every invocation's metrics and
// whatever PutMetricData sends, persisted (with the alarms) as
// persist.go describes when the sandbox has a data dir.
type metricStore struct {
	mu     sync.Mutex
	series map[string]*series
	byName map[string][]*series // by namespace + "\x00" + metric name
	clock  func() time.Time

	amu      sync.Mutex // guards alarms; never held while mu is wanted by another path first
	alarms   map[string]*alarm
	lastEval map[string]time.Time // background evaluation, by alarm name
	onChange func(name, state string)

	log *wal.Log // nil when in memory only
}

type dimension struct{ Name, Value string }

type sample struct {
	t    time.Time
	v    float64
	n    float64 // how many samples v stands for (Counts, statistic sets); 0 means 1
	unit string  // "None" when the client gave none
}

// point is a value and the number of samples it stands for.
type point struct{ v, n float64 }

// statisticSetPoints represents a statistic set (SampleCount, Sum, Minimum,
// Maximum) as weighted points that give back exactly its SampleCount, Sum,
// Minimum, Maximum and Average: the minimum once, the maximum once, and
// the rest of the sum spread over the other samples. Percentiles of such
// points are an approximation (AWS computes none for statistic sets unless
// all their samples are equal, and then these points are exact).
func statisticSetPoints(count, sum, minimum, maximum float64) []point {
	switch {
	case count <= 0:
		return nil
	case count < 2:
		return []point{{sum / count, count}}
	case count == 2:
		return []point{{minimum, 1}, {maximum, 1}}
	}
	return []point{{minimum, 1}, {maximum, 1}, {(sum - minimum - maximum) / (count - 2), count - 2}}
}

// series is one metric's samples, indexed by the minute they fall in, so
// a query reads only the minutes of its window however long the history.
type series struct {
	namespace, name string
	dims            []dimension // sorted by name
	unit            string
	minutes         map[int64][]sample // by unix minute, in arrival order
	oldest          int64              // the oldest minute held
}

func minuteOf(t time.Time) int64 { return t.Unix() / 60 }

func (s *series) add(smp sample) {
	if s.minutes == nil {
		s.minutes = map[int64][]sample{}
		s.oldest = minuteOf(smp.t)
	}
	m := minuteOf(smp.t)
	s.minutes[m] = append(s.minutes[m], smp)
	if m < s.oldest {
		s.oldest = m
	}
}

// each calls fn for every sample at or after start and before end.
func (s *series) each(start, end time.Time, fn func(sample)) {
	from, to := minuteOf(start), minuteOf(end)
	visit := func(samples []sample) {
		for _, smp := range samples {
			if !smp.t.Before(start) && smp.t.Before(end) {
				fn(smp)
			}
		}
	}
	// Walk the window's minutes, or the held minutes when there are fewer.
	if to-from+1 <= int64(len(s.minutes)) {
		for m := from; m <= to; m++ {
			visit(s.minutes[m])
		}
		return
	}
	for _, m := range s.sortedMinutes() {
		if m >= from && m <= to {
			visit(s.minutes[m])
		}
	}
}

func (s *series) sortedMinutes() []int64 {
	keys := make([]int64, 0, len(s.minutes))
	for m := range s.minutes {
		keys = append(keys, m)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	return keys
}

// trim drops the minutes wholly before cutoff.
func (s *series) trim(cutoff time.Time) {
	c := minuteOf(cutoff)
	if s.oldest >= c {
		return
	}
	for m := range s.minutes {
		if m < c {
			delete(s.minutes, m)
		}
	}
	s.oldest = c
}

func newMetricStore(clock func() time.Time) *metricStore {
	return &metricStore{series: map[string]*series{}, byName: map[string][]*series{}, alarms: map[string]*alarm{}, lastEval: map[string]time.Time{}, clock: clock}
}

// seriesLocked returns the series of key, made and indexed when new.
func (m *metricStore) seriesLocked(key, ns, name, unit string, dims []dimension) *series {
	s := m.series[key]
	if s == nil {
		s = &series{namespace: ns, name: name, dims: dims, unit: unit}
		m.series[key] = s
		m.byName[ns+"\x00"+name] = append(m.byName[ns+"\x00"+name], s)
	}
	return s
}

func seriesKey(ns, name string, dims []dimension) string {
	var b strings.Builder
	b.WriteString(ns + "\x00" + name)
	for _, d := range dims {
		b.WriteString("\x00" + d.Name + "=" + d.Value)
	}
	return b.String()
}

func sortDims(d []dimension) []dimension {
	out := append([]dimension(nil), d...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// putPoints stores weighted samples.
func (m *metricStore) putPoints(ns, name, unit string, dims []dimension, t time.Time, points []point) {
	if unit == "" {
		unit = "None"
	}
	dims = sortDims(dims)
	key := seriesKey(ns, name, dims)
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.seriesLocked(key, ns, name, unit, dims)
	for _, p := range points {
		s.add(sample{t: t, v: p.v, n: p.n, unit: unit})
	}
	// CloudWatch keeps datapoints 15 days; so does the sandbox's memory.
	s.trim(m.clock().Add(-metricRetention))
	m.logSamples(ns, name, unit, dims, t, points)
}

// Invocation is one Lambda invocation's outcome, as its metrics need it.
type Invocation struct {
	Function        string
	Resource        string // the Resource dimension: fn, fn:alias or fn:version
	ExecutedVersion string // the ExecutedVersion dimension, set when ViaAlias
	ViaAlias        bool
	At              time.Time
	DurationMS      float64
	Failed          bool
	Throttled       bool
}

// recordInvocation emits Invocations, Errors, Duration (or Throttles) under
// every dimension set Lambda uses for the call.
func (m *metricStore) recordInvocation(inv Invocation) {
	sets := [][]dimension{
		{},
		{{"FunctionName", inv.Function}},
		{{"FunctionName", inv.Function}, {"Resource", inv.Resource}},
	}
	if inv.ViaAlias {
		sets = append(sets, []dimension{{"FunctionName", inv.Function}, {"Resource", inv.Resource}, {"ExecutedVersion", inv.ExecutedVersion}})
	}
	for _, dims := range sets {
		if inv.Throttled {
			m.putPoints("AWS/Lambda", "Throttles", "Count", dims, inv.At, []point{{1, 1}})
			continue
		}
		errs := 0.0
		if inv.Failed {
			errs = 1
		}
		m.putPoints("AWS/Lambda", "Invocations", "Count", dims, inv.At, []point{{1, 1}})
		m.putPoints("AWS/Lambda", "Errors", "Count", dims, inv.At, []point{{errs, 1}})
		m.putPoints("AWS/Lambda", "Duration", "Milliseconds", dims, inv.At, []point{{inv.DurationMS, 1}})
	}
}

// bucket is the samples of one period.
type bucket struct {
	start  time.Time
	values []point
}

// query returns the non-empty buckets of a series between start
// (inclusive) and end (exclusive), aligned to start, oldest first. A unit
// keeps only the samples sent with it ("If you specify a unit that does not
// match the data collected, the results of the operation are null",
// CloudWatch API reference, MetricStat.Unit).
func (m *metricStore) query(ns, name string, dims []dimension, unit string, start, end time.Time, period time.Duration) []bucket {
	key := seriesKey(ns, name, sortDims(dims))
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.series[key]
	if s == nil || period <= 0 {
		return nil
	}
	byIndex := map[int64]*bucket{}
	s.each(start, end, func(smp sample) {
		if unit != "" && smp.unit != unit {
			return
		}
		i := int64(smp.t.Sub(start) / period)
		b := byIndex[i]
		if b == nil {
			b = &bucket{start: start.Add(time.Duration(i) * period)}
			byIndex[i] = b
		}
		n := smp.n
		if n == 0 {
			n = 1
		}
		b.values = append(b.values, point{smp.v, n})
	})
	out := make([]bucket, 0, len(byIndex))
	for _, b := range byIndex {
		out = append(out, *b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].start.Before(out[j].start) })
	return out
}

// statistic computes a CloudWatch statistic over weighted points; ok is
// false for an unknown statistic name.
func statistic(stat string, values []point) (float64, bool) {
	if len(values) == 0 {
		return 0, true
	}
	count, sum := 0.0, 0.0
	for _, p := range values {
		count += p.n
		sum += p.v * p.n
	}
	switch stat {
	case "SampleCount":
		return count, true
	case "Sum":
		return sum, true
	case "Average":
		return sum / count, true
	case "Minimum", "Maximum":
		best := values[0].v
		for _, p := range values[1:] {
			if (stat == "Minimum" && p.v < best) || (stat == "Maximum" && p.v > best) {
				best = p.v
			}
		}
		return best, true
	}
	if pc, ok := percentile(stat); ok {
		s := append([]point(nil), values...)
		sort.Slice(s, func(i, j int) bool { return s[i].v < s[j].v })
		// Nearest rank: the smallest value with at least p% of the samples at or below it.
		rank := math.Max(1, math.Ceil(pc/100*count))
		seen := 0.0
		for _, p := range s {
			seen += p.n
			if seen >= rank {
				return p.v, true
			}
		}
		return s[len(s)-1].v, true
	}
	return 0, false
}

func percentile(stat string) (float64, bool) {
	if !strings.HasPrefix(stat, "p") {
		return 0, false
	}
	p, err := strconv.ParseFloat(stat[1:], 64)
	if err != nil || p < 0 || p > 100 {
		return 0, false
	}
	return p, true
}

func validStatistic(stat string) bool {
	_, ok := statistic(stat, []point{{1, 1}})
	return ok
}

// listMetrics returns the series matching the filters.
func (m *metricStore) listMetrics(ns, name string, dims []dimension) []*series {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*series
	candidates := m.byName[ns+"\x00"+name]
	if ns == "" || name == "" {
		candidates = make([]*series, 0, len(m.series))
		for _, s := range m.series {
			candidates = append(candidates, s)
		}
	}
	for _, s := range candidates {
		if (ns != "" && s.namespace != ns) || (name != "" && s.name != name) {
			continue
		}
		match := true
		for _, want := range dims {
			found := false
			for _, d := range s.dims {
				if d.Name == want.Name && (want.Value == "" || d.Value == want.Value) {
					found = true
				}
			}
			match = match && found
		}
		if match {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return seriesKey(out[i].namespace, out[i].name, out[i].dims) < seriesKey(out[j].namespace, out[j].name, out[j].dims)
	})
	return out
}

// ---- alarms ----

type alarm struct {
	Name, Description                      string
	Namespace, MetricName                  string
	Dimensions                             []dimension
	Statistic, ExtendedStatistic, Unit     string
	Period                                 int64
	EvaluationPeriods                      int64
	DatapointsToAlarm                      int64
	Threshold                              float64
	ComparisonOperator                     string
	TreatMissingData                       string
	ActionsEnabled                         bool
	AlarmActions, OKActions, InsuffActions []string

	State, StateReason, StateReasonData string
	StateUpdated, StateTransitioned     time.Time
	ConfigUpdated                       time.Time
	forcedUntil                         time.Time
}

var comparisons = map[string]func(v, t float64) bool{
	"GreaterThanOrEqualToThreshold": func(v, t float64) bool { return v >= t },
	"GreaterThanThreshold":          func(v, t float64) bool { return v > t },
	"LessThanThreshold":             func(v, t float64) bool { return v < t },
	"LessThanOrEqualToThreshold":    func(v, t float64) bool { return v <= t },
}

// evaluate recomputes an alarm's state from its metric at now, unless a
// SetAlarmState is holding until the next evaluation.
func (m *metricStore) evaluate(a *alarm, now time.Time) {
	if now.Before(a.forcedUntil) {
		return
	}
	period := time.Duration(a.Period) * time.Second
	if period <= 0 || a.EvaluationPeriods <= 0 {
		return
	}
	stat := a.Statistic
	if stat == "" {
		stat = a.ExtendedStatistic
	}
	end := now
	start := end.Add(-time.Duration(a.EvaluationPeriods) * period)
	buckets := m.query(a.Namespace, a.MetricName, a.Dimensions, a.Unit, start, end, period)
	byStart := map[int64][]point{}
	for _, b := range buckets {
		byStart[b.start.UnixNano()] = b.values
	}
	compare := comparisons[a.ComparisonOperator]
	breaching, present := 0, 0
	var last float64
	for i := int64(0); i < a.EvaluationPeriods; i++ {
		bs := start.Add(time.Duration(i) * period)
		values, ok := byStart[bs.UnixNano()]
		if ok {
			present++
			v, _ := statistic(stat, values)
			last = v
			if compare != nil && compare(v, a.Threshold) {
				breaching++
			}
			continue
		}
		switch a.TreatMissingData {
		case "breaching":
			breaching++
			present++
		case "notBreaching":
			present++
		}
	}
	need := a.DatapointsToAlarm
	if need <= 0 {
		need = a.EvaluationPeriods
	}
	next, reason := "OK", fmt.Sprintf("Threshold Crossed: %d out of the last %d datapoints were not breaching the threshold (%v).", int64(present)-int64(breaching), a.EvaluationPeriods, a.Threshold)
	switch {
	case int64(breaching) >= need:
		next = "ALARM"
		reason = fmt.Sprintf("Threshold Crossed: %d out of the last %d datapoints [%v] were %s the threshold (%v).", breaching, a.EvaluationPeriods, last, operatorWords(a.ComparisonOperator), a.Threshold)
	case present == 0 && (a.TreatMissingData == "" || a.TreatMissingData == "missing"):
		next, reason = "INSUFFICIENT_DATA", "Insufficient Data: no datapoints were received for the evaluation periods."
	case present == 0 && a.TreatMissingData == "ignore":
		return
	}
	if next == a.State && next == "INSUFFICIENT_DATA" && a.StateReason == initialAlarmReason && now.Before(a.ConfigUpdated.Add(period)) {
		// A new alarm without data keeps its creation reason until its first
		// evaluation, a period later (AWS answers DescribeAlarms right after
		// PutMetricAlarm with "Unchecked: Initial alarm creation").
		return
	}
	if next != a.State {
		a.StateTransitioned = now
	}
	a.State, a.StateReason, a.StateUpdated = next, reason, now
}

// initialAlarmReason is a new alarm's StateReason (localstack's AWS
// recording test_describe_alarms_converts_date_format_correctly, 2025-09-19).
const initialAlarmReason = "Unchecked: Initial alarm creation"

func operatorWords(op string) string {
	switch op {
	case "GreaterThanOrEqualToThreshold":
		return "greater than or equal to"
	case "GreaterThanThreshold":
		return "greater than"
	case "LessThanThreshold":
		return "less than"
	default:
		return "less than or equal to"
	}
}
