package statehistory_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/statehistory"
)

// BenchmarkHistoryPickScaling measures history + pick over 1,000 and over
// 10,000 revisions of a state terraform wrote, repeated for 100
// function/alias pairs (0.7 MB), in the sandbox's S3 (objects on disk,
// as a data dir keeps them), cold (empty cache) and warm (summaries
// cached), and reports the two side by side: the time ratio
// 10,000/1,000, the scaling exponent (log of the time ratio over log of
// the size ratio: 1 is linear),
// the heap held (the whole history's, and rolloutctl pick's walk over the
// warm history: PickFrom, sampled as benchHeld does), and the samples
// behind each figure. Targets: linear or
// better (exponent at most 1.1, for noise), warm under 1 s.
// ROLLOUTCTL_BENCH_REVISIONS=SMALL,LARGE changes the two sizes (writing
// 10,000 versions of 1 MB to the sandbox's fsync'd store takes minutes).
func BenchmarkHistoryPickScaling(b *testing.B) {
	sizes := []int{1000, 10_000}
	if v := os.Getenv("ROLLOUTCTL_BENCH_REVISIONS"); v != "" {
		small, large, ok := strings.Cut(v, ",")
		s, err1 := strconv.Atoi(small)
		l, err2 := strconv.Atoi(large)
		if !ok || err1 != nil || err2 != nil || s <= 0 || l <= s {
			b.Fatalf("ROLLOUTCTL_BENCH_REVISIONS=%q: want SMALL,LARGE, e.g. 1000,10000", v)
		}
		sizes = []int{s, l}
	}
	ctx := context.Background()
	inst := sandboxtest.Start(b, sandbox.Options{DataDir: b.TempDir()})
	c := s3.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")},
		func(o *s3.Options) { o.BaseEndpoint, o.UsePathStyle = aws.String(inst.URL), true })
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("hist")}); err != nil {
		b.Fatal(err)
	}
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String("hist"),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
		b.Fatal(err)
	}
	// A state terraform wrote, repeated for 100 function/alias pairs; each
	// revision differs in serial and version, as terraform's writes do.
	template, state := realRevisions(b, 100)
	for _, n := range sizes {
		start := time.Now()
		// Eight writers share the sandbox's fsyncs; the versions' times
		// (one per write) still order them.
		var wg sync.WaitGroup
		var failed atomic.Value
		next := make(chan int)
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("hist"), Key: aws.String(fmt.Sprintf("s%d.tfstate", n)), Body: bytes.NewReader(state(i))}); err != nil {
						failed.Store(err)
					}
				}
			}()
		}
		// The newest revisions are written one at a time, so that the
		// history ends alike at every size (the newest revision alone on
		// the newest version): pick holds the revisions back to the one it
		// chooses (it prints them), and with eight writers which serial
		// lands last would change that number from size to size.
		const tail = 10
		for i := 1; i <= n-tail; i++ {
			next <- i
		}
		close(next)
		wg.Wait()
		for i := n - tail + 1; i <= n; i++ {
			if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("hist"), Key: aws.String(fmt.Sprintf("s%d.tfstate", n)), Body: bytes.NewReader(state(i))}); err != nil {
				b.Fatal(err)
			}
		}
		if err, ok := failed.Load().(error); ok {
			b.Fatal(err)
		}
		b.Logf("%d versions of %d bytes written in %s", n, len(template), time.Since(start))
	}
	cold, warm := map[int]time.Duration{}, map[int]time.Duration{}
	heap, pickHeap := map[int]uint64{}, map[int]uint64{}
	held := map[int]int{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, n := range sizes {
			src := statehistory.S3Source{Client: c, Bucket: "hist", Key: fmt.Sprintf("s%d.tfstate", n), CacheDir: b.TempDir()}
			runtime.GC()
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
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
					cold[n] += d
					runtime.GC()
					var ms runtime.MemStats
					runtime.ReadMemStats(&ms)
					if ms.HeapAlloc > before.HeapAlloc {
						heap[n] = max(heap[n], ms.HeapAlloc-before.HeapAlloc)
					}
					runtime.KeepAlive(revs)
				} else {
					warm[n] += d
				}
			}
			// rolloutctl pick's walk over the same (warm) history, three
			// times: the median of their peaks (one walk's peak moved by
			// a third from run to run).
			var peaks []uint64
			for range 3 {
				peaks = append(peaks, sampled(n, func() {
					p, _, err := statehistory.PickFrom(ctx, src, "", "")
					if err != nil || p.Chosen == nil {
						b.Fatalf("PickFrom over %d revisions: %v %v", n, p.Chosen, err)
					}
					held[n] = len(p.Rejected) + 2
				}))
			}
			slices.Sort(peaks)
			pickHeap[n] = max(pickHeap[n], peaks[1])
		}
	}
	b.StopTimer()
	per := func(d time.Duration) float64 { return d.Seconds() / float64(b.N) }
	b.ReportMetric(float64(len(template))/1e6, "state-MB")
	b.ReportMetric(float64(b.N), "samples-per-size")
	for _, n := range sizes {
		b.ReportMetric(per(cold[n]), fmt.Sprintf("cold-s-%d", n))
		b.ReportMetric(per(warm[n]), fmt.Sprintf("warm-s-%d", n))
		b.ReportMetric(float64(heap[n])/1e6, fmt.Sprintf("heap-MB-%d", n))
		b.ReportMetric(float64(pickHeap[n])/1e6, fmt.Sprintf("pick-heap-MB-%d", n))
		b.ReportMetric(float64(held[n]), fmt.Sprintf("pick-held-revisions-%d", n))
	}
	small, large := sizes[0], sizes[1]
	coldRatio, warmRatio := per(cold[large])/per(cold[small]), per(warm[large])/per(warm[small])
	scale := math.Log(float64(large) / float64(small))
	b.ReportMetric(float64(large), "revisions-largest")
	b.ReportMetric(coldRatio, fmt.Sprintf("cold-ratio-%d/%d", large, small))
	b.ReportMetric(warmRatio, fmt.Sprintf("warm-ratio-%d/%d", large, small))
	b.ReportMetric(math.Log(coldRatio)/scale, "cold-exponent")
	b.ReportMetric(math.Log(warmRatio)/scale, "warm-exponent")
	b.ReportMetric(per(warm[large]), "warm-s-largest")
	b.ReportMetric(float64(pickHeap[large])/float64(max(pickHeap[small], 1)), fmt.Sprintf("pick-heap-x-%d/%d", large, small))
	b.ReportMetric((float64(pickHeap[large])-float64(pickHeap[small]))/float64(large-small), "pick-heap-B/added-revision")
}
