package status

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmdutil"
)

// The live view beyond the split: the rollout the provider records in the
// function's rollout:progress:<alias> tag (schedule, step, time left,
// thresholds, last outcome), its gates measured now from CloudWatch, and
// each routed version's invocations, error rate and p99 over --window.

// versionMetrics are one version's numbers over a window.
type versionMetrics struct {
	Version     string   `json:"version"`
	Invocations float64  `json:"invocations"`
	Errors      float64  `json:"errors"`
	ErrorRate   float64  `json:"error_rate"`
	P99MS       *float64 `json:"p99_ms"`
}

// gateView is one gate of the current step: measured against its threshold.
type gateView struct {
	Gate      string   `json:"gate"`
	Measured  *float64 `json:"measured"`
	Threshold float64  `json:"threshold"`
	State     string   `json:"state"` // ok, failing, waiting (not enough data)
}

// rolloutView is the progress tag, with what follows from it at now.
type rolloutView struct {
	Status        string         `json:"status"`
	Event         string         `json:"event"`
	From          string         `json:"from_version"`
	To            string         `json:"to_version"`
	Step          int            `json:"step"`
	Steps         int            `json:"steps"`
	WeightPercent float64        `json:"weight_percent"`
	StartedAt     string         `json:"started_at,omitempty"`
	StepStartedAt string         `json:"step_started_at,omitempty"`
	StepLeftSecs  *float64       `json:"step_time_left_seconds,omitempty"`
	DeadlineAt    string         `json:"deadline_at,omitempty"`
	Schedule      []scheduleStep `json:"schedule"`
	Gate          string         `json:"gate,omitempty"`
	Value         *float64       `json:"value,omitempty"`
	Threshold     *float64       `json:"threshold,omitempty"`
	At            string         `json:"at,omitempty"`
	Gates         []gateView     `json:"gates,omitempty"`
}

type scheduleStep struct {
	WeightPercent float64 `json:"weight_percent"`
	Hold          string  `json:"hold"`
}

// metricsQuery reads each version's invocations, errors and p99 through
// the alias between since and now, in one GetMetricData.
func metricsQuery(ctx context.Context, cw cmdutil.CloudWatchAPI, function, alias string, versions []string, since, now time.Time) ([]versionMetrics, error) {
	secs := int32(math.Ceil(now.Sub(since).Seconds())) + 1
	if secs >= 60 {
		secs = (secs + 59) / 60 * 60
	}
	var queries []cwtypes.MetricDataQuery
	for i, v := range versions {
		dims := []cwtypes.Dimension{
			{Name: aws.String("FunctionName"), Value: aws.String(function)},
			{Name: aws.String("Resource"), Value: aws.String(function + ":" + alias)},
			{Name: aws.String("ExecutedVersion"), Value: aws.String(v)},
		}
		for _, q := range []struct{ id, metric, stat string }{{"inv", "Invocations", "Sum"}, {"err", "Errors", "Sum"}, {"p99", "Duration", "p99"}} {
			queries = append(queries, cwtypes.MetricDataQuery{Id: aws.String(fmt.Sprintf("%s%d", q.id, i)), MetricStat: &cwtypes.MetricStat{Period: aws.Int32(secs), Stat: aws.String(q.stat),
				Metric: &cwtypes.Metric{Namespace: aws.String("AWS/Lambda"), MetricName: aws.String(q.metric), Dimensions: dims}}})
		}
	}
	out, err := cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(since), EndTime: aws.Time(now.Add(time.Second)), MetricDataQueries: queries})
	if err != nil {
		return nil, err
	}
	res := make([]versionMetrics, len(versions))
	for i, v := range versions {
		res[i].Version = v
	}
	for _, r := range out.MetricDataResults {
		id := aws.ToString(r.Id)
		var i int
		var kind string
		for _, k := range []string{"inv", "err", "p99"} {
			if n, ok := strings.CutPrefix(id, k); ok {
				kind = k
				_, _ = fmt.Sscan(n, &i)
			}
		}
		if i < 0 || i >= len(res) {
			continue
		}
		total, maxV := 0.0, math.Inf(-1)
		for _, v := range r.Values {
			total += v
			maxV = math.Max(maxV, v)
		}
		switch kind {
		case "inv":
			res[i].Invocations = total
		case "err":
			res[i].Errors = total
		case "p99":
			if len(r.Values) > 0 {
				res[i].P99MS = &maxV
			}
		}
	}
	for i := range res {
		if res[i].Invocations > 0 {
			res[i].ErrorRate = res[i].Errors / res[i].Invocations
		}
	}
	return res, nil
}

// progressView turns the progress tag into the rollout section at now.
func progressView(p lambdaops.Progress, now time.Time) *rolloutView {
	v := &rolloutView{Status: p.Status, Event: p.Event, From: p.From, To: p.To, Step: p.Step, Steps: len(p.Steps), WeightPercent: p.WeightPercent,
		Gate: p.Gate, Value: p.Value, Threshold: p.Threshold, Schedule: []scheduleStep{}}
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	v.StartedAt, v.StepStartedAt, v.At = stamp(p.Started), stamp(p.StepStarted), stamp(p.At)
	for _, s := range p.Steps {
		v.Schedule = append(v.Schedule, scheduleStep{WeightPercent: s.WeightPercent, Hold: s.Hold.String()})
	}
	if p.Status == "in_progress" {
		if p.Step >= 1 && p.Step <= len(p.Steps) && !p.StepStarted.IsZero() {
			left := math.Max(0, p.StepStarted.Add(p.Steps[p.Step-1].Hold).Sub(now).Seconds())
			v.StepLeftSecs = &left
		}
		if p.Deadline > 0 && !p.Started.IsZero() {
			v.DeadlineAt = stamp(p.Started.Add(p.Deadline))
		}
	}
	return v
}

// gatesOf measures the current step's gates on the new version's sample.
func gatesOf(p lambdaops.Progress, b versionMetrics) []gateView {
	var out []gateView
	enough := b.Invocations > 0 && b.Invocations >= float64(p.MinInvocations)
	if p.MinInvocations > 0 {
		inv := b.Invocations
		g := gateView{Gate: "min_invocations", Measured: &inv, Threshold: float64(p.MinInvocations), State: "ok"}
		if !enough {
			g.State = "waiting"
		}
		out = append(out, g)
	}
	if p.MaxErrorRate != nil {
		rate := b.ErrorRate
		g := gateView{Gate: "error_rate", Measured: &rate, Threshold: *p.MaxErrorRate, State: "ok"}
		switch {
		case !enough:
			g.State = "waiting"
		case rate > *p.MaxErrorRate:
			g.State = "failing"
		}
		out = append(out, g)
	}
	if p.MaxP99MS != nil {
		g := gateView{Gate: "p99", Measured: b.P99MS, Threshold: *p.MaxP99MS, State: "ok"}
		switch {
		case !enough || b.P99MS == nil:
			g.State = "waiting"
		case *b.P99MS > *p.MaxP99MS:
			g.State = "failing"
		}
		out = append(out, g)
	}
	return out
}

// routedVersions are the versions the alias serves, primary first, then
// the rollout's two versions if the split no longer shows them.
func routedVersions(primary string, routing map[string]float64, p *lambdaops.Progress) []string {
	seen := map[string]bool{primary: true}
	out := []string{primary}
	extra := make([]string, 0, len(routing))
	for v := range routing {
		extra = append(extra, v)
	}
	sort.Strings(extra)
	if p != nil {
		extra = append(extra, p.From, p.To)
	}
	for _, v := range extra {
		if v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// renderDetails writes the rollout, gates, metrics and outcome sections.
func renderDetails(w *bytes.Buffer, r *rolloutView, metrics []versionMetrics, metricsErr error, window time.Duration, releases map[string]string) {
	ver := func(v string) string {
		if l := releases[v]; l != "" {
			return fmt.Sprintf("version %s (%s)", v, l)
		}
		return "version " + v
	}
	if r != nil {
		sched := make([]string, 0, len(r.Schedule)+1)
		for _, s := range r.Schedule {
			sched = append(sched, fmt.Sprintf("%g%% for %s", s.WeightPercent, s.Hold))
		}
		sched = append(sched, "100%")
		switch r.Status {
		case "in_progress":
			line := fmt.Sprintf("  rollout: %s -> %s in progress, step %d of %d at %g%%", ver(r.From), ver(r.To), r.Step, r.Steps, r.WeightPercent)
			if r.StepLeftSecs != nil {
				line += fmt.Sprintf(", %s left in the step", (time.Duration(*r.StepLeftSecs) * time.Second).String())
			}
			if r.Event == "held" {
				line += fmt.Sprintf("; held (%s)", orNone(r.Gate))
			}
			fmt.Fprintln(w, line)
			fmt.Fprintf(w, "  started: %s", r.StartedAt)
			if r.DeadlineAt != "" {
				fmt.Fprintf(w, ", deadline %s", r.DeadlineAt)
			}
			fmt.Fprintln(w)
		default:
			line := fmt.Sprintf("  last rollout: %s -> %s %s at %s, step %d at %g%%", ver(r.From), ver(r.To), strings.ReplaceAll(r.Status, "_", " "), r.At, r.Step, r.WeightPercent)
			if r.Gate != "" {
				line += " by gate " + r.Gate
				if r.Value != nil && r.Threshold != nil {
					line += fmt.Sprintf(" (measured %.4g, threshold %.4g)", *r.Value, *r.Threshold)
				}
			}
			fmt.Fprintln(w, line)
		}
		fmt.Fprintf(w, "  schedule: %s\n", strings.Join(sched, ", then "))
		for _, g := range r.Gates {
			measured := "no data"
			if g.Measured != nil {
				measured = gateNumber(g.Gate, *g.Measured)
			}
			fmt.Fprintf(w, "  gate %-16s %-10s threshold %-10s %s\n", g.Gate, measured, gateNumber(g.Gate, g.Threshold), g.State)
		}
	}
	switch {
	case metricsErr != nil:
		fmt.Fprintf(w, "  metrics: unavailable: %v\n", metricsErr)
	case metrics != nil:
		fmt.Fprintf(w, "  last %s through the alias:\n", window)
		for _, m := range metrics {
			p99 := "p99 -"
			if m.P99MS != nil {
				p99 = fmt.Sprintf("p99 %.0f ms", *m.P99MS)
			}
			fmt.Fprintf(w, "    %-24s %6g invocations %6g errors (%5.1f%%)  %s\n", ver(m.Version), m.Invocations, m.Errors, 100*m.ErrorRate, p99)
		}
	}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func gateNumber(gate string, v float64) string {
	switch gate {
	case "error_rate":
		return fmt.Sprintf("%.1f%%", 100*v)
	case "p99":
		return fmt.Sprintf("%.0f ms", v)
	}
	return fmt.Sprintf("%g", v)
}
