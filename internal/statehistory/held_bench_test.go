package statehistory_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmd/diff"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmd/history"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmdutil"
	"github.com/rollout-tf/terraform-provider-rollout/internal/statehistory"
)

// evolvingHistory writes n revisions of the state terraform wrote,
// repeated for pairs function/alias pairs, into dir as a history evolves:
// every tenth revision publishes a new version of one function (the pairs
// in turn), four revisions later that function's alias moves to it, and
// every other revision changes the serial only (an apply that touched
// other resources). Each revision's file has its own modification time.
func evolvingHistory(b *testing.B, dir string, pairs, n int) int {
	b.Helper()
	const mark = `"@V@"`
	tmpl := realPairs(b, pairs, 0, "@V@")
	// The marks in order: each pair's function version and its alias's
	// function_version, told apart by the attribute named before them.
	parts := bytes.Split(tmpl, []byte(mark))
	if len(parts) != 2*pairs+1 {
		b.Fatalf("%d version marks in the template, want %d", len(parts)-1, 2*pairs)
	}
	isAlias := make([]bool, len(parts)-1)
	for k := range isAlias {
		isAlias[k] = bytes.HasSuffix(bytes.TrimRight(parts[k], " :"), []byte(`"function_version"`))
	}
	fn, al := make([]int, pairs), make([]int, pairs)
	for p := range fn {
		fn[p], al[p] = 1, 1
	}
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var buf bytes.Buffer
	for i := 1; i <= n; i++ {
		p := (i / 10) % pairs
		switch i % 10 {
		case 3:
			fn[p]++
		case 7:
			al[p] = fn[p]
		}
		buf.Reset()
		for k, part := range parts {
			if k > 0 {
				v := fn[(k-1)/2]
				if isAlias[k-1] {
					v = al[(k-1)/2]
				}
				fmt.Fprintf(&buf, `"%d"`, v)
			}
			buf.Write(part)
		}
		body := bytes.Replace(buf.Bytes(), []byte(`"serial": 0`), fmt.Appendf(nil, `"serial": %d`, i), 1)
		path := filepath.Join(dir, fmt.Sprintf("%06d.tfstate", i))
		if err := os.WriteFile(path, body, 0o600); err != nil {
			b.Fatal(err)
		}
		tm := at.Add(time.Duration(i) * time.Minute)
		if err := os.Chtimes(path, tm, tm); err != nil {
			b.Fatal(err)
		}
	}
	return len(tmpl)
}

// benchHeld (BenchmarkHistoryPickFolder/held) measures the heap history
// and pick hold at two numbers of revisions (500 and 5,000;
// ROLLOUTCTL_BENCH_HELD_REVISIONS=SMALL,LARGE) of an evolving history of
// the state terraform wrote, repeated for 100 function/alias pairs:
// rolloutctl pick's walk (PickFrom: newest first, holding the reference
// and the revisions back to the one chosen) and rolloutctl history's
// table (a walk oldest first holding a small row per revision), each
// heap sampled after a full GC at 20 points of the walk, the most kept;
// side by side with reading the whole history (Revisions, as history
// --json, diff, report and status do: every revision's summary) and
// picking in it, measured by dropping the revisions.
func benchHeld(b *testing.B) {
	sizes := []int{500, 5000}
	if v := os.Getenv("ROLLOUTCTL_BENCH_HELD_REVISIONS"); v != "" {
		small, large, ok := strings.Cut(v, ",")
		s, err1 := strconv.Atoi(small)
		l, err2 := strconv.Atoi(large)
		if !ok || err1 != nil || err2 != nil || s < 20 || l <= s {
			b.Fatalf("ROLLOUTCTL_BENCH_HELD_REVISIONS=%q: want SMALL,LARGE, e.g. 500,5000", v)
		}
		sizes = []int{s, l}
	}
	const pairs = 100
	ctx := context.Background()
	dirs := map[int]string{}
	var size int
	for _, n := range sizes {
		dirs[n] = b.TempDir()
		size = evolvingHistory(b, dirs[n], pairs, n)
	}
	walk, table, whole := map[int]uint64{}, map[int]uint64{}, map[int]uint64{}
	jsonHeap, diffHeap := map[int]uint64{}, map[int]uint64{}
	var rejected int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, n := range sizes {
			src := statehistory.DirSource{Dir: dirs[n]}
			var p statehistory.Pick
			walk[n] = max(walk[n], sampled(n, func() {
				var err error
				if p, _, err = statehistory.PickFrom(ctx, src, "", ""); err != nil || p.Chosen == nil {
					b.Fatalf("pick over %d revisions: %v %v", n, p.Chosen, err)
				}
			}))
			rejected = len(p.Rejected)
			table[n] = max(table[n], sampled(n, func() { runCmd(b, history.New, history.Run, dirs[n]) }))
			jsonHeap[n] = max(jsonHeap[n], sampled(n, func() { runCmd(b, history.New, history.Run, dirs[n], "--json") }))
			diffHeap[n] = max(diffHeap[n], sampled(n, func() {
				runCmd(b, diff.New, diff.Run, dirs[n], fmt.Sprintf("%06d.tfstate", 1), fmt.Sprintf("%06d.tfstate", n))
			}))

			revs, err := src.Revisions(ctx)
			if err != nil || len(revs) != n {
				b.Fatalf("%d revisions of %d: %v", len(revs), n, err)
			}
			if q, err := statehistory.PickKnownGood(revs, ""); err != nil || q.Chosen == nil || q.Chosen.ID != p.Chosen.ID {
				b.Fatalf("the whole history picks %v (%v), the walk %s", q.Chosen, err, p.Chosen.ID)
			}
			whole[n] = max(whole[n], heldBy(func() { runtime.KeepAlive(revs) }, func() { revs = nil }))
		}
	}
	b.StopTimer()
	small, large := sizes[0], sizes[1]
	mb := func(v uint64) float64 { return float64(v) / 1e6 }
	b.ReportMetric(float64(size)/1e6, "state-MB")
	b.ReportMetric(float64(b.N), "samples")
	b.ReportMetric(float64(rejected), "rejected-before-chosen")
	for what, heap := range map[string]map[int]uint64{"pick": walk, "history-table": table, "history-json": jsonHeap, "diff": diffHeap, "whole-history": whole} {
		for _, n := range sizes {
			b.ReportMetric(mb(heap[n]), fmt.Sprintf("%s-heap-MB-%d", what, n))
		}
		b.ReportMetric(float64(heap[large])/float64(max(heap[small], 1)), fmt.Sprintf("%s-heap-x-%d/%d", what, large, small))
		b.ReportMetric((float64(heap[large])-float64(heap[small]))/float64(large-small), what+"-heap-B/added-revision")
	}
}

// runCmd runs a rolloutctl command (its New and Run) with args, its
// output discarded.
func runCmd[O any](b *testing.B, newCmd func(*cmdutil.Factory, []string) (O, error), run func(context.Context, O) error, args ...string) {
	f := &cmdutil.Factory{IO: cmdutil.IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard}, Getenv: func(string) string { return "" }}
	o, err := newCmd(f, args)
	if err == nil {
		err = run(context.Background(), o)
	}
	if err != nil {
		b.Fatalf("rolloutctl %v: %v", args, err)
	}
}

// sampled runs run, which walks n revisions, and returns the most heap it
// held at 20 points of the walk (each read after a full GC), above what
// was live before it.
func sampled(n int, run func()) uint64 {
	every := max(1, n/20)
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	peak := uint64(0)
	statehistory.SetTestHookWalked(func(done int) {
		if done%every != 0 {
			return
		}
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		if ms.HeapAlloc > before.HeapAlloc {
			peak = max(peak, ms.HeapAlloc-before.HeapAlloc)
		}
	})
	defer statehistory.SetTestHookWalked(nil)
	run()
	return peak
}
