package cloudwatch

import (
	"testing"
	"time"
)

// BenchmarkMetricQueryVsHistory times the canary's read (one minute of one
// series) on a store holding one minute of that series and on one holding
// a day of it at 10 samples a second, with 200 other series beside it,
// side by side: a query reads its window, not the history.
func BenchmarkMetricQueryVsHistory(b *testing.B) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	dims := []dimension{{"FunctionName", "fn"}, {"Resource", "fn:live"}}
	fill := func(history time.Duration) *metricStore {
		m := newMetricStore(clock)
		for t := now.Add(-history); t.Before(now); t = t.Add(100 * time.Millisecond) {
			m.putPoints("AWS/Lambda", "Errors", "Count", dims, t, []point{{0, 1}})
		}
		for i := 0; i < 200; i++ {
			m.putPoints("AWS/Lambda", "Errors", "Count", []dimension{{"FunctionName", "other"}, {"Resource", "other:" + string(rune('a'+i%26)) + string(rune('a'+i/26))}}, now.Add(-time.Second), []point{{1, 1}})
		}
		return m
	}
	short, long := fill(time.Minute), fill(24*time.Hour)
	run := func(m *metricStore, n int) time.Duration {
		start := time.Now()
		for i := 0; i < n; i++ {
			if got := m.query("AWS/Lambda", "Errors", dims, "", now.Add(-time.Minute), now, time.Minute); len(got) != 1 || len(got[0].values) != 600 {
				b.Fatalf("query returned %d buckets", len(got))
			}
		}
		return time.Since(start)
	}
	b.ResetTimer()
	shortT := run(short, b.N)
	longT := run(long, b.N)
	b.StopTimer()
	b.ReportMetric(float64(shortT.Microseconds())/float64(b.N), "us/query-1min-history")
	b.ReportMetric(float64(longT.Microseconds())/float64(b.N), "us/query-1day-history")
	b.ReportMetric(longT.Seconds()/shortT.Seconds(), "time-ratio-day/min")
}
