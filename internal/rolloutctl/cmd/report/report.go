// Package report is `rolloutctl report SOURCE --html FILE`: one
// self-contained HTML page (inline CSS and SVG, nothing fetched) that
// shows, per alias, what served traffic over the state history: the
// traffic share of each version as a stacked area, step boundaries,
// rollbacks with their reason, releases by label, and, with --metrics,
// each version's error rate and p99 from the CloudWatch data still kept.
package report

import (
	"context"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/rollout-tf/terraform-provider-rollout/internal/awsclient"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmdutil"
	"github.com/rollout-tf/terraform-provider-rollout/internal/statehistory"
)

// Options are report's flags and arguments.
type Options struct {
	cmdutil.SourceOptions
	HTML    string
	Alias   string
	Metrics bool

	f *cmdutil.Factory
}

// New parses report's command line.
func New(f *cmdutil.Factory, args []string) (*Options, error) {
	o := &Options{f: f}
	fs := f.NewFlagSet("report")
	o.Flags(fs)
	fs.StringVar(&o.HTML, "html", "", "write the report to this HTML file")
	fs.StringVar(&o.Alias, "alias", "", "only this alias (by name)")
	fs.BoolVar(&o.Metrics, "metrics", false, "add each version's error rate and p99 from CloudWatch (the data it still keeps), at --endpoint when given")
	pos, err := cmdutil.ParseFlags(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) != 1 {
		return nil, cmdutil.UsageError{Msg: "report takes one SOURCE, for example: rolloutctl report terraform.tfstate --html report.html"}
	}
	if o.HTML == "" {
		return nil, cmdutil.UsageError{Msg: "report needs --html FILE, for example --html report.html"}
	}
	o.Source = pos[0]
	return o, nil
}

// Run writes the report and prints its path.
func Run(ctx context.Context, o *Options) error {
	revs, err := o.Revisions(ctx, o.f)
	if err != nil {
		return err
	}
	timelines := Timelines(revs, o.Alias)
	if len(timelines) == 0 {
		return fmt.Errorf("%s holds no rollout_alias or rollout_alias_group member%s", o.Source, map[bool]string{true: " named " + o.Alias, false: ""}[o.Alias != ""])
	}
	if o.Metrics {
		cw, err := o.f.Clients.CloudWatch(ctx, cmdutil.AWSConfig{Region: o.Region, Endpoints: map[awsclient.Service]string{awsclient.CloudWatch: o.Endpoint}})
		for i := range timelines {
			switch {
			case err != nil:
				timelines[i].MetricsNote = "CloudWatch could not be reached: " + err.Error()
			case cw == nil:
				timelines[i].MetricsNote = "no CloudWatch client"
			default:
				readMetrics(ctx, cw, &timelines[i], o.f.Now())
			}
		}
	}
	page := Render(Page{Source: o.Source, Generated: o.f.Now(), Revisions: len(revs), Timelines: timelines})
	if err := os.WriteFile(o.HTML, page, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(o.f.IO.Out, "report: %s (%d revisions, %d aliases, %d bytes)\n", o.HTML, len(revs), len(timelines), len(page))
	return nil
}

// Point is an alias in one revision: each version's share of the traffic.
type Point struct {
	T          time.Time
	Primary    string
	Shares     map[string]float64 // version -> 0..1
	Deployment string
	Reason     string
	Gate       string
	ToVersion  string
	Release    string
}

// Event is a marker on the timeline.
type Event struct {
	T      time.Time
	Kind   string // release, step, rolled_back, aborted, promoted
	Label  string
	Detail string
}

// Series is one version's metric over time.
type Series struct {
	Version string
	T       []time.Time
	V       []float64
}

// Timeline is one alias over the history; Group and Member name the
// rollout_alias_group that owns it, when one does.
type Timeline struct {
	Function, Alias string
	Group, Member   string
	Points          []Point
	Versions        []string          // in order of first appearance
	Releases        map[string]string // version -> release label
	Events          []Event
	ErrorRate, P99  []Series
	// Measured is the traffic each version served through the alias per
	// period (CloudWatch invocations), as shares.
	Measured       []Point
	MeasuredPeriod time.Duration
	MetricsNote    string
}

// Timelines builds one timeline per alias from the readable revisions,
// oldest first, the members of rollout_alias_groups included; alias (a
// name) keeps only the aliases of that name.
func Timelines(revs []statehistory.Revision, alias string) []Timeline {
	byKey := map[string]*Timeline{}
	var keys []string
	timeline := func(function, name string) *Timeline {
		key := function + ":" + name
		tl := byKey[key]
		if tl == nil {
			tl = &Timeline{Function: function, Alias: name, Releases: map[string]string{}}
			byKey[key] = tl
			keys = append(keys, key)
		}
		return tl
	}
	for _, r := range revs {
		if r.Error != "" {
			continue
		}
		for _, a := range r.Aliases {
			if alias != "" && a.Name != alias {
				continue
			}
			tl := timeline(a.Function, a.Name)
			p := Point{T: r.Time, Primary: a.Primary, Shares: shares(a.Primary, a.RoutingVersion, a.RoutingWeight), Deployment: a.Deployment,
				Reason: a.Reason, Gate: a.Gate, ToVersion: a.ToVersion, Release: a.Release}
			tl.addIn(r, p)
		}
		for _, g := range r.Groups {
			for _, m := range g.Members {
				if alias != "" && m.Alias != alias {
					continue
				}
				tl := timeline(m.Function, m.Alias)
				tl.Group, tl.Member = g.Name, m.Key
				tl.addIn(r, memberPoint(r, g, m))
			}
		}
	}
	out := make([]Timeline, 0, len(keys))
	sort.Strings(keys)
	for _, k := range keys {
		out = append(out, *byKey[k])
	}
	return out
}

// shares is an alias's traffic: primary, and weight on routing when set.
func shares(primary, routing string, weight float64) map[string]float64 {
	m := map[string]float64{primary: 1 - weight}
	if routing != "" {
		m[routing] = weight
	}
	return m
}

// memberPoint is a group member in one revision. The group's last outcome
// is the member's only when that release moved it (a member the release
// left alone was neither promoted nor rolled back); the gate shows on the
// member that breached it, and the group's reason names that member.
func memberPoint(r statehistory.Revision, g statehistory.GroupView, m statehistory.MemberView) Point {
	p := Point{T: r.Time, Primary: m.Primary, Shares: shares(m.Primary, m.RoutingVersion, m.RoutingWeight), ToVersion: m.ToVersion, Release: m.Release}
	if m.ToVersion == "" {
		return p
	}
	p.Deployment, p.Reason = g.Deployment, g.Reason
	if g.Member == m.Key {
		p.Gate = g.Gate
	}
	return p
}

// addIn adds p, an alias in revision r, learning release labels of its
// versions from the revision's functions.
func (tl *Timeline) addIn(r statehistory.Revision, p Point) {
	if p.Release != "" {
		tl.Releases[p.Primary] = p.Release
	}
	for _, f := range r.Functions {
		if f.Function == tl.Function && f.Release != "" {
			if _, ok := tl.Releases[f.Version]; !ok {
				tl.Releases[f.Version] = f.Release
			}
		}
	}
	tl.add(p)
}

// add appends a point and the events that tell how it differs from the
// one before.
func (tl *Timeline) add(p Point) {
	for _, v := range append(sortedVersions(p.Shares), p.ToVersion) {
		if v != "" && !contains(tl.Versions, v) {
			tl.Versions = append(tl.Versions, v)
		}
	}
	var prev *Point
	if n := len(tl.Points); n > 0 {
		prev = &tl.Points[n-1]
	}
	tl.Points = append(tl.Points, p)
	label := func(v string) string {
		if r := tl.Releases[v]; r != "" {
			return fmt.Sprintf("version %s (%s)", v, r)
		}
		return "version " + v
	}
	ended := func(status string) bool {
		return p.Deployment == status && (prev == nil || prev.Deployment != status || prev.ToVersion != p.ToVersion || prev.Primary != p.Primary)
	}
	switch {
	case ended("rolled_back"):
		detail := p.Reason
		if p.Gate != "" {
			detail = "gate " + p.Gate + ": " + detail
		}
		tl.Events = append(tl.Events, Event{T: p.T, Kind: "rolled_back", Label: "rolled back " + label(p.ToVersion), Detail: detail})
	case ended("aborted"):
		tl.Events = append(tl.Events, Event{T: p.T, Kind: "aborted", Label: "aborted " + label(p.ToVersion), Detail: p.Reason})
	case ended("promoted") && prev != nil && prev.Primary != p.Primary:
		tl.Events = append(tl.Events, Event{T: p.T, Kind: "promoted", Label: "promoted " + label(p.Primary), Detail: p.Reason})
	case prev != nil && !sameShares(prev.Shares, p.Shares):
		tl.Events = append(tl.Events, Event{T: p.T, Kind: "step", Label: shareText(p.Shares, label)})
	}
	if prev == nil || prev.Primary != p.Primary {
		tl.Events = append(tl.Events, Event{T: p.T, Kind: "release", Label: label(p.Primary)})
	}
}

func shareText(shares map[string]float64, label func(string) string) string {
	var parts []string
	for _, v := range sortedVersions(shares) {
		parts = append(parts, fmt.Sprintf("%s %g%%", label(v), math.Round(shares[v]*1000)/10))
	}
	return strings.Join(parts, ", ")
}

func sameShares(a, b map[string]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if math.Abs(b[k]-v) > 1e-9 {
			return false
		}
	}
	return true
}

func sortedVersions(m map[string]float64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if len(out[i]) != len(out[j]) {
			return len(out[i]) < len(out[j])
		}
		return out[i] < out[j]
	})
	return out
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// readMetrics adds each version's error rate and p99 through the alias,
// over the timeline's span, from CloudWatch (at most ~300 points a series).
func readMetrics(ctx context.Context, cw cmdutil.CloudWatchAPI, tl *Timeline, now time.Time) {
	if len(tl.Points) == 0 {
		return
	}
	start, end := tl.Points[0].T.Add(-5*time.Minute), tl.Points[len(tl.Points)-1].T.Add(5*time.Minute)
	if limit := now.Add(-15 * 24 * time.Hour); start.Before(limit) {
		start = limit // CloudWatch keeps minute data 15 days
	}
	// A short story gets 10-second points (AWS answers such a period
	// with its one-minute data; the sandbox keeps seconds); a long one at
	// most ~300 points a series.
	period := int32(60)
	switch n := int32(end.Sub(start).Minutes() / 300); {
	case end.Sub(start) <= 30*time.Minute:
		period = 10
	case n > 1:
		period = 60 * n
	}
	tl.MeasuredPeriod = time.Duration(period) * time.Second
	var queries []cwtypes.MetricDataQuery
	for i, v := range tl.Versions {
		dims := []cwtypes.Dimension{{Name: aws.String("FunctionName"), Value: aws.String(tl.Function)},
			{Name: aws.String("Resource"), Value: aws.String(tl.Function + ":" + tl.Alias)}, {Name: aws.String("ExecutedVersion"), Value: aws.String(v)}}
		for _, q := range []struct{ id, metric, stat string }{{"inv", "Invocations", "Sum"}, {"err", "Errors", "Sum"}, {"p99", "Duration", "p99"}} {
			queries = append(queries, cwtypes.MetricDataQuery{Id: aws.String(fmt.Sprintf("%s%d", q.id, i)), MetricStat: &cwtypes.MetricStat{Period: aws.Int32(period),
				Stat: aws.String(q.stat), Metric: &cwtypes.Metric{Namespace: aws.String("AWS/Lambda"), MetricName: aws.String(q.metric), Dimensions: dims}}})
		}
	}
	results := map[string]cwtypes.MetricDataResult{}
	in := &cloudwatch.GetMetricDataInput{StartTime: aws.Time(start), EndTime: aws.Time(end), MetricDataQueries: queries, ScanBy: cwtypes.ScanByTimestampAscending}
	for {
		out, err := cw.GetMetricData(ctx, in)
		if err != nil {
			tl.MetricsNote = "CloudWatch GetMetricData failed: " + err.Error()
			return
		}
		for _, r := range out.MetricDataResults {
			id := aws.ToString(r.Id)
			prev := results[id]
			prev.Id = r.Id
			prev.Timestamps = append(prev.Timestamps, r.Timestamps...)
			prev.Values = append(prev.Values, r.Values...)
			results[id] = prev
		}
		if out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
	}
	points := 0
	measured := map[time.Time]map[string]float64{}
	for i, v := range tl.Versions {
		for t, n := range byTime(results[fmt.Sprintf("inv%d", i)]) {
			if n > 0 {
				if measured[t] == nil {
					measured[t] = map[string]float64{}
				}
				measured[t][v] = n
			}
		}
	}
	var times []time.Time
	for t := range measured {
		times = append(times, t)
	}
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	for _, t := range times {
		total := 0.0
		for _, n := range measured[t] {
			total += n
		}
		shares := map[string]float64{}
		for v, n := range measured[t] {
			shares[v] = n / total
		}
		tl.Measured = append(tl.Measured, Point{T: t, Shares: shares})
	}
	for i, v := range tl.Versions {
		inv := byTime(results[fmt.Sprintf("inv%d", i)])
		errs := byTime(results[fmt.Sprintf("err%d", i)])
		er := Series{Version: v}
		for _, t := range sortedTimes(inv) {
			if inv[t] > 0 {
				er.T, er.V = append(er.T, t), append(er.V, errs[t]/inv[t])
			}
		}
		p99 := Series{Version: v}
		pm := byTime(results[fmt.Sprintf("p99%d", i)])
		for _, t := range sortedTimes(pm) {
			p99.T, p99.V = append(p99.T, t), append(p99.V, pm[t])
		}
		points += len(er.T) + len(p99.T)
		tl.ErrorRate, tl.P99 = append(tl.ErrorRate, er), append(tl.P99, p99)
	}
	if points == 0 {
		tl.MetricsNote = "CloudWatch holds no data for this alias over the history's span (it keeps minute data 15 days)"
	}
}

func byTime(r cwtypes.MetricDataResult) map[time.Time]float64 {
	m := map[time.Time]float64{}
	for i, t := range r.Timestamps {
		if i < len(r.Values) {
			m[t.UTC()] += r.Values[i]
		}
	}
	return m
}

func sortedTimes(m map[time.Time]float64) []time.Time {
	out := make([]time.Time, 0, len(m))
	for t := range m {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}
