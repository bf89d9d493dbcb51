package report

import (
	"bytes"
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
	"time"
)

// Page is everything one report shows.
type Page struct {
	Source    string
	Generated time.Time
	Revisions int
	Timelines []Timeline
}

// palette colours versions in order of first appearance; colour-blind
// safe (Okabe-Ito), then greys.
var palette = []string{"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000", "#999999", "#666666"}

const (
	chartW   = 1100.0
	marginL  = 60.0
	marginR  = 20.0
	trafficH = 220.0
	metricH  = 140.0
)

// Render writes the page: inline CSS and SVG only, no script, nothing
// fetched, so it opens the same anywhere and can be attached to a ticket.
func Render(p Page) []byte {
	var b bytes.Buffer
	esc := html.EscapeString
	fmt.Fprintf(&b, `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Rollout report: %s</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<style>
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#222;max-width:1160px}
h1{font-size:20px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 6px;border-bottom:1px solid #ddd;padding-bottom:4px}
.meta{color:#666;font-size:12px} .legend span{display:inline-block;margin-right:14px}
.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px;border-radius:2px}
svg{display:block;margin:6px 0;overflow:visible} svg text{font:11px system-ui,sans-serif;fill:#444}
table{border-collapse:collapse;font-size:12px;margin-top:8px} td,th{border-bottom:1px solid #eee;padding:3px 8px;text-align:left;vertical-align:top}
tr.rolled_back td,tr.aborted td{background:#fff0f0} tr.promoted td{background:#f0fff4}
.note{color:#666;font-style:italic} .chart-title{font-size:12px;color:#555;margin-top:10px}
</style></head><body>
<h1>Rollout report</h1>
<div class="meta">%s: %d revisions, %d aliases; generated %s</div>
`, esc(p.Source), esc(p.Source), p.Revisions, len(p.Timelines), p.Generated.UTC().Format(time.RFC3339))
	for i, tl := range p.Timelines {
		renderTimeline(&b, i, tl)
	}
	b.WriteString("</body></html>\n")
	return b.Bytes()
}

func colour(tl Timeline, v string) string {
	for i, x := range tl.Versions {
		if x == v {
			return palette[i%len(palette)]
		}
	}
	return "#999"
}

func versionLabel(tl Timeline, v string) string {
	if r := tl.Releases[v]; r != "" {
		return fmt.Sprintf("version %s (%s)", v, r)
	}
	return "version " + v
}

// span is the timeline's time range, never empty.
func span(tl Timeline) (time.Time, time.Time) {
	start, end := tl.Points[0].T, tl.Points[len(tl.Points)-1].T
	if n := len(tl.Measured); n > 0 && tl.Measured[n-1].T.Add(tl.MeasuredPeriod).After(end) {
		end = tl.Measured[n-1].T.Add(tl.MeasuredPeriod)
	}
	if len(tl.Measured) > 0 && tl.Measured[0].T.Before(start) {
		start = tl.Measured[0].T
	}
	for _, s := range append(append([]Series(nil), tl.ErrorRate...), tl.P99...) {
		for _, t := range s.T {
			if t.Before(start) {
				start = t
			}
			if t.After(end) {
				end = t
			}
		}
	}
	if !end.After(start) {
		end = start.Add(time.Minute)
	}
	// the last state holds until the report: show a tail of 5% of the span
	return start, end.Add(end.Sub(start) / 20)
}

func renderTimeline(b *bytes.Buffer, idx int, tl Timeline) {
	esc := html.EscapeString
	group := ""
	if tl.Group != "" {
		group = fmt.Sprintf(` <small class="group">member %s of rollout_alias_group %s: its releases move with the group's</small>`, esc(tl.Member), esc(tl.Group))
	}
	fmt.Fprintf(b, `<section class="alias" id="alias-%d" data-alias="%s:%s"><h2>%s:%s%s</h2>`+"\n", idx, esc(tl.Function), esc(tl.Alias), esc(tl.Function), esc(tl.Alias), group)
	b.WriteString(`<div class="legend">`)
	for _, v := range tl.Versions {
		fmt.Fprintf(b, `<span class="version-legend" data-version="%s"><i style="background:%s"></i>%s</span>`, esc(v), colour(tl, v), esc(versionLabel(tl, v)))
	}
	b.WriteString(`<span><i style="background:#d00"></i>rollback</span><span><i style="background:#888"></i>step</span></div>` + "\n")
	start, end := span(tl)
	x := func(t time.Time) float64 {
		return marginL + (chartW-marginL-marginR)*t.Sub(start).Seconds()/end.Sub(start).Seconds()
	}
	top := 28.0 // room for release labels
	h := trafficH
	fmt.Fprintf(b, `<div class="chart-title">traffic share per version</div><svg class="traffic" width="%g" height="%g" viewBox="0 0 %g %g" role="img" aria-label="traffic share per version of %s:%s">`+"\n",
		chartW, top+h+36, chartW, top+h+36, esc(tl.Function), esc(tl.Alias))
	axes(b, x, start, end, top, h, []float64{0, 0.5, 1}, func(v float64) string { return fmt.Sprintf("%g%%", v*100) })
	stacked(b, tl, tl.Points, x, end, top, h)
	// Markers: steps (grey, dashed), rollbacks (red, with a cross), releases (label on top).
	lastLabel := -1e9
	for _, e := range tl.Events {
		ex := x(e.T)
		switch e.Kind {
		case "step":
			fmt.Fprintf(b, `<line class="step-boundary" x1="%.1f" x2="%.1f" y1="%g" y2="%g" stroke="#888" stroke-dasharray="3,3"><title>%s: %s</title></line>`+"\n",
				ex, ex, top, top+h, e.T.UTC().Format(time.RFC3339), esc(e.Label))
		case "rolled_back", "aborted":
			fmt.Fprintf(b, `<g class="rollback-marker" data-kind="%s"><line x1="%.1f" x2="%.1f" y1="%g" y2="%g" stroke="#d00" stroke-width="2"/>`+
				`<path d="M%.1f,%g l8,8 m0,-8 l-8,8" stroke="#d00" stroke-width="2"/><text x="%.1f" y="%g" fill="#d00" style="fill:#d00">%s</text>`+
				`<title>%s %s: %s</title></g>`+"\n",
				e.Kind, ex, ex, top, top+h, ex-4, top+h+4, ex+6, top+h+32, esc(truncate(e.Label, 40)), e.T.UTC().Format(time.RFC3339), esc(e.Label), esc(e.Detail))
		case "promoted":
			fmt.Fprintf(b, `<line class="promotion" x1="%.1f" x2="%.1f" y1="%g" y2="%g" stroke="#090" stroke-width="1.5"><title>%s %s</title></line>`+"\n",
				ex, ex, top, top+h, e.T.UTC().Format(time.RFC3339), esc(e.Label))
		case "release":
			y := 10.0
			if ex-lastLabel < 140 {
				y = 22 // stagger labels that would overlap
			}
			lastLabel = ex
			fmt.Fprintf(b, `<g class="release-label"><line x1="%.1f" x2="%.1f" y1="%g" y2="%g" stroke="#333"/><text x="%.1f" y="%g">%s</text></g>`+"\n",
				ex, ex, y+2, top, ex+3, y, esc(truncate(e.Label, 30)))
		}
	}
	b.WriteString("</svg>\n")
	if len(tl.Measured) > 0 {
		mt, mh := 8.0, metricH
		fmt.Fprintf(b, `<div class="chart-title">traffic served per version (CloudWatch invocations through the alias)</div><svg class="measured" width="%g" height="%g" viewBox="0 0 %g %g" role="img" aria-label="measured traffic share per version">`+"\n",
			chartW, mt+mh+20, chartW, mt+mh+20)
		axes(b, x, start, end, mt, mh, []float64{0, 0.5, 1}, func(v float64) string { return fmt.Sprintf("%g%%", v*100) })
		stacked(b, tl, tl.Measured, x, tl.Measured[len(tl.Measured)-1].T.Add(tl.MeasuredPeriod), mt, mh)
		for _, e := range tl.Events {
			if e.Kind == "rolled_back" || e.Kind == "aborted" {
				fmt.Fprintf(b, `<line x1="%.1f" x2="%.1f" y1="%g" y2="%g" stroke="#d00" stroke-width="1" stroke-dasharray="2,2"/>`+"\n", x(e.T), x(e.T), mt, mt+mh)
			}
		}
		b.WriteString("</svg>\n")
	}
	renderMetric(b, tl, "error-rate", "error rate", tl.ErrorRate, x, start, end, func(v float64) string { return fmt.Sprintf("%.1f%%", v*100) })
	renderMetric(b, tl, "p99", "p99 duration", tl.P99, x, start, end, msLabel)
	if tl.MetricsNote != "" {
		fmt.Fprintf(b, `<p class="note">%s</p>`+"\n", esc(tl.MetricsNote))
	}
	// The events as a table: what a person reads after the picture.
	b.WriteString(`<table class="events"><tr><th>time</th><th>event</th><th>detail</th></tr>` + "\n")
	for _, e := range tl.Events {
		fmt.Fprintf(b, `<tr class="%s"><td>%s</td><td>%s</td><td>%s</td></tr>`+"\n", e.Kind, e.T.UTC().Format(time.RFC3339), esc(e.Kind+": "+e.Label), esc(e.Detail))
	}
	b.WriteString("</table></section>\n")
}

// stacked draws each version's share as a band on the shares of the
// versions before it, step-after, from each point to the next (the last
// to end). Only points where the split changes make a segment, so a long
// history of steady states stays small.
func stacked(b *bytes.Buffer, tl Timeline, pts []Point, x func(time.Time) float64, end time.Time, top, h float64) {
	esc := html.EscapeString
	var kept []int
	for i, p := range pts {
		if i == 0 || !sameShares(pts[i-1].Shares, p.Shares) {
			kept = append(kept, i)
		}
	}
	y := func(f float64) float64 { return top + h*(1-f) }
	base := make([]float64, len(kept))
	for _, v := range tl.Versions {
		var upper, lower []string
		drawn := false
		for k, i := range kept {
			from, to := x(pts[i].T), x(end)
			if k+1 < len(kept) {
				to = x(pts[kept[k+1]].T)
			}
			share := pts[i].Shares[v]
			drawn = drawn || share > 0
			upper = append(upper, fmt.Sprintf("%.1f,%.1f %.1f,%.1f", from, y(base[k]+share), to, y(base[k]+share)))
			lower = append([]string{fmt.Sprintf("%.1f,%.1f %.1f,%.1f", to, y(base[k]), from, y(base[k]))}, lower...)
			base[k] += share
		}
		if !drawn {
			continue
		}
		fmt.Fprintf(b, `<polygon class="share" data-version="%s" fill="%s" fill-opacity="0.85" stroke="none" points="%s %s"><title>%s</title></polygon>`+"\n",
			esc(v), colour(tl, v), strings.Join(upper, " "), strings.Join(lower, " "), esc(versionLabel(tl, v)))
	}
}

func renderMetric(b *bytes.Buffer, tl Timeline, class, title string, series []Series, x func(time.Time) float64, start, end time.Time, format func(float64) string) {
	maxV := 0.0
	for _, s := range series {
		for _, v := range s.V {
			maxV = math.Max(maxV, v)
		}
	}
	if maxV == 0 && len(series) == 0 {
		return
	}
	if maxV == 0 {
		maxV = 1
	}
	top, h := 8.0, metricH
	fmt.Fprintf(b, `<div class="chart-title">%s per version (CloudWatch, through the alias)</div><svg class="%s" width="%g" height="%g" viewBox="0 0 %g %g" role="img" aria-label="%s per version">`+"\n",
		title, class, chartW, top+h+20, chartW, top+h+20, title)
	axes(b, x, start, end, top, h, []float64{0, maxV / 2, maxV}, format)
	for _, s := range series {
		if len(s.T) == 0 {
			continue
		}
		pts := make([]string, 0, len(s.T))
		for i, t := range s.T {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(t), top+h*(1-s.V[i]/maxV)))
		}
		fmt.Fprintf(b, `<polyline class="series" data-version="%s" fill="none" stroke="%s" stroke-width="1.5" points="%s"><title>%s</title></polyline>`+"\n",
			html.EscapeString(s.Version), colour(tl, s.Version), strings.Join(pts, " "), html.EscapeString(versionLabel(tl, s.Version)))
		// A dot per point, so that a series of one point (a version that
		// served one period) shows too.
		for i, t := range s.T {
			fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"><title>%s %s: %s</title></circle>`+"\n",
				x(t), top+h*(1-s.V[i]/maxV), colour(tl, s.Version), html.EscapeString(versionLabel(tl, s.Version)), t.UTC().Format(time.RFC3339), html.EscapeString(format(s.V[i])))
		}
	}
	for _, e := range tl.Events {
		if e.Kind == "rolled_back" || e.Kind == "aborted" {
			fmt.Fprintf(b, `<line x1="%.1f" x2="%.1f" y1="%g" y2="%g" stroke="#d00" stroke-width="1" stroke-dasharray="2,2"/>`+"\n", x(e.T), x(e.T), top, top+h)
		}
	}
	b.WriteString("</svg>\n")
}

// axes draws the frame, horizontal grid lines at ys (in data units,
// scaled to the top of the range) and five time ticks.
func axes(b *bytes.Buffer, x func(time.Time) float64, start, end time.Time, top, h float64, ys []float64, format func(float64) string) {
	maxV := ys[len(ys)-1]
	fmt.Fprintf(b, `<rect x="%g" y="%g" width="%g" height="%g" fill="#fafafa" stroke="#ccc"/>`+"\n", marginL, top, chartW-marginL-marginR, h)
	for _, v := range ys {
		y := top + h*(1-v/maxV)
		fmt.Fprintf(b, `<line x1="%g" x2="%g" y1="%.1f" y2="%.1f" stroke="#e4e4e4"/><text x="%g" y="%.1f" text-anchor="end">%s</text>`+"\n",
			marginL, chartW-marginR, y, y, marginL-4, y+4, html.EscapeString(format(v)))
	}
	layout := "15:04:05"
	if end.Sub(start) > 24*time.Hour {
		layout = "01-02 15:04"
	}
	for i := 0; i <= 4; i++ {
		t := start.Add(end.Sub(start) * time.Duration(i) / 4)
		fmt.Fprintf(b, `<text x="%.1f" y="%g" text-anchor="middle">%s</text>`+"\n", x(t), top+h+14, t.UTC().Format(layout))
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

// msLabel is a duration in milliseconds with the figures that tell ticks
// apart: two significant ones below 10 ms (a warm invoke's p99 is under
// a millisecond), whole milliseconds above.
func msLabel(v float64) string {
	switch {
	case v == 0:
		return "0 ms"
	case v >= 10:
		return fmt.Sprintf("%.0f ms", v)
	}
	return strconv.FormatFloat(roundSig(v, 2), 'f', -1, 64) + " ms"
}

// roundSig rounds v to n significant figures.
func roundSig(v float64, n int) float64 {
	p := math.Pow(10, float64(n)-math.Ceil(math.Log10(math.Abs(v))))
	return math.Round(v*p) / p
}
