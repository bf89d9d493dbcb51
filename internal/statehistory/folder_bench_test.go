package statehistory_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/rollout-tf/terraform-provider-rollout/internal/statehistory"
)

// realPairs is a state terraform wrote (testdata/terraform-1.11.4/02.tfstate:
// a rollout_function, its rollout_alias and a rollout_canary_policy) with
// its resources repeated pairs times under new names, at serial and with
// the function and alias on version.
func realPairs(b *testing.B, pairs, serial int, version string) []byte {
	b.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "terraform-1.11.4", "02.tfstate"))
	if err != nil {
		b.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		b.Fatal(err)
	}
	one := asJSON[[]any](b, doc["resources"])
	var res []any
	for i := 0; i < pairs; i++ {
		for _, r := range one {
			c := asJSON[map[string]any](b, deepCopy(b, r))
			c["name"] = fmt.Sprintf("%s_%d", c["name"], i)
			inst := asJSON[map[string]any](b, asJSON[[]any](b, c["instances"])[0])
			attrs := asJSON[map[string]any](b, inst["attributes"])
			switch c["type"] {
			case "rollout_function":
				attrs["function_name"], attrs["version"] = fmt.Sprintf("fn-%d", i), version
			case "rollout_alias":
				attrs["function_name"], attrs["function_version"] = fmt.Sprintf("fn-%d", i), version
			}
			res = append(res, c)
		}
	}
	doc["resources"], doc["serial"] = res, serial
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// asJSON is v as the JSON shape T, failing the benchmark otherwise.
func asJSON[T any](b *testing.B, v any) T {
	b.Helper()
	t, ok := v.(T)
	if !ok {
		b.Fatalf("%T in the state, want %T", v, t)
	}
	return t
}

func deepCopy(b *testing.B, v any) any {
	raw, err := json.Marshal(v)
	if err != nil {
		b.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		b.Fatal(err)
	}
	return out
}

// BenchmarkHistoryPickFolder measures history + pick over a snapshot
// folder (ROLLOUTCTL_BENCH_FOLDER_REVISIONS revisions, default 500) of a
// state terraform wrote, its resources repeated for 100 function/alias
// pairs (about 1 MB, every resource in rolloutctl's view) and for 1 pair
// (7 KB), cold (empty cache) and warm (the same cache), with the heap the
// revisions hold and the time per revision. Targets: warm at least 10x
// faster than cold; the heap per revision far under the state's size
// (summaries are kept, not states). The held sub-benchmark measures the
// heap at two numbers of revisions (benchHeld).
func BenchmarkHistoryPickFolder(b *testing.B) {
	for _, pairs := range []int{100, 1} {
		b.Run(fmt.Sprintf("pairs=%d", pairs), func(b *testing.B) { benchFolder(b, pairs) })
	}
	b.Run("held", benchHeld)
}

func benchFolder(b *testing.B, pairs int) {
	n := 500
	if v := os.Getenv("ROLLOUTCTL_BENCH_FOLDER_REVISIONS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 2 {
			b.Fatalf("ROLLOUTCTL_BENCH_FOLDER_REVISIONS=%q: want a number of at least 2", v)
		}
	}
	dir := b.TempDir()
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var size int
	for i := 1; i <= n; i++ {
		body := realPairs(b, pairs, i, fmt.Sprint(1+i/100))
		size = len(body)
		p := filepath.Join(dir, fmt.Sprintf("%05d.tfstate", i))
		if err := os.WriteFile(p, body, 0o600); err != nil {
			b.Fatal(err)
		}
		tm := at.Add(time.Duration(i) * time.Minute)
		if err := os.Chtimes(p, tm, tm); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	var cold, warm time.Duration
	var heap uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		src := folderSource(dir, b.TempDir())
		for pass := 0; pass < 2; pass++ {
			start := time.Now()
			revs, err := src.Revisions(ctx)
			if err != nil {
				b.Fatal(err)
			}
			p, err := statehistory.PickKnownGood(revs, "")
			if err != nil || p.Chosen == nil || len(revs) != n {
				b.Fatalf("pick over %d revisions: %v %v", len(revs), p.Chosen, err)
			}
			d := time.Since(start)
			if pass == 0 {
				cold += d
				heap = max(heap, heldBy(func() { runtime.KeepAlive(revs) }, func() { revs = nil }))
			} else {
				warm += d
			}
		}
	}
	b.StopTimer()
	per := func(d time.Duration) float64 { return d.Seconds() / float64(b.N) }
	b.ReportMetric(float64(n), "revisions")
	b.ReportMetric(float64(size)/1e6, "state-MB")
	b.ReportMetric(float64(b.N), "samples")
	b.ReportMetric(per(cold), "cold-s")
	b.ReportMetric(per(warm), "warm-s")
	b.ReportMetric(per(cold)*1e3/float64(n), "cold-ms/revision")
	b.ReportMetric(per(warm)*1e3/float64(n), "warm-ms/revision")
	b.ReportMetric(per(cold)/per(warm), "cold/warm")
	b.ReportMetric(float64(heap)/1e6, "heap-MB")
	b.ReportMetric(float64(heap)/1e3/float64(n), "heap-KB/revision")
}

// heldBy is the heap that what keep keeps alive holds: the live heap with
// it, less the live heap once drop has let it go (each after a full GC).
func heldBy(keep, drop func()) uint64 {
	var with, without runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&with)
	keep()
	drop()
	runtime.GC()
	runtime.ReadMemStats(&without)
	if with.HeapAlloc < without.HeapAlloc {
		return 0
	}
	return with.HeapAlloc - without.HeapAlloc
}
