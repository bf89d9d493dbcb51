package sandbox_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/rollout-tf/terraform-provider-rollout/internal/peers"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/wal"
	"github.com/rollout-tf/terraform-provider-rollout/internal/testfn"
)

// controlPlaneSequence is the fixed sequence of the benchmark: create a
// function, publish it, create an alias, change its routing, read it back.
func controlPlaneSequence(c *lambda.Client, name string, zip []byte) error {
	if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(name), Role: aws.String(testRole),
		Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), Code: &types.FunctionCode{ZipFile: zip}}); err != nil {
		return err
	}
	if _, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(name)}); err != nil {
		return err
	}
	if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(name), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		return err
	}
	if _, err := c.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String(name), Name: aws.String("live"), Description: aws.String("canary")}); err != nil {
		return err
	}
	_, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name), Qualifier: aws.String("live")})
	return err
}

// warm runs the sequence once on every client before a benchmark times
// anything, so neither side is measured cold (moto's first calls import
// and build its backends).
func warm(b *testing.B, zip []byte, clients ...*lambda.Client) {
	b.Helper()
	for i, c := range clients {
		if err := controlPlaneSequence(c, fmt.Sprintf("warm-%d", i), zip); err != nil {
			b.Fatalf("warm-up of client %d: %v", i, err)
		}
	}
}

// BenchmarkControlPlaneVsMoto runs the same sequence against the sandbox
// (persisting to disk, every change synced before its answer), against
// moto server and against the durable floor (startDurableFloor: the same
// client, the same four synced writes, nothing else), interleaved in one
// run so all three see the same disk and the same load, and reports each
// one's throughput and p50 and the ratios.
func BenchmarkControlPlaneVsMoto(b *testing.B) {
	motoPath, err := exec.LookPath("moto_server")
	if err != nil {
		b.Skip("moto_server not found: the baseline of this benchmark")
	}
	motoURL := peers.StartMoto(b, motoPath)
	inst := sandboxtest.Start(b, sandbox.Options{DataDir: b.TempDir()})
	// Three attempts on every side: a loaded moto sometimes drops a
	// keep-alive connection under an answer.
	ours := lambdaClient(inst, 3)
	theirs := lambdaAt(motoURL, 3)
	floor := lambdaAt(startDurableFloor(b), 3)
	zip := zipOf(b, "bench")
	warm(b, zip, ours, theirs, floor)

	sides := []struct {
		name string
		c    *lambda.Client
		d    []time.Duration
	}{{name: "sandbox", c: ours}, {name: "moto", c: theirs}, {name: "durable-floor", c: floor}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		name := fmt.Sprintf("bench-%d", i)
		for s := range sides {
			start := time.Now()
			if err := controlPlaneSequence(sides[s].c, name, zip); err != nil {
				b.Fatalf("%s: %v", sides[s].name, err)
			}
			sides[s].d = append(sides[s].d, time.Since(start))
		}
	}
	b.StopTimer()
	p50 := func(d []time.Duration) float64 {
		s := append([]time.Duration(nil), d...)
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		return float64(s[len(s)/2].Microseconds()) / 1000
	}
	perSecond := func(d []time.Duration) float64 {
		var t time.Duration
		for _, x := range d {
			t += x
		}
		return float64(len(d)) / t.Seconds()
	}
	rate := map[string]float64{}
	for _, s := range sides {
		rate[s.name] = perSecond(s.d)
		b.ReportMetric(p50(s.d), s.name+"-p50-ms/seq")
		b.ReportMetric(rate[s.name], s.name+"-seq/s")
	}
	b.ReportMetric(rate["sandbox"]/rate["moto"], "throughput-x-moto")
	b.ReportMetric(rate["durable-floor"]/rate["moto"], "durable-floor-x-moto")
	b.ReportMetric(rate["sandbox"]/rate["durable-floor"], "sandbox-x-durable-floor")
	// The sync alone, for reference: one small record into a file's
	// existing blocks, synced, as the log does it, 200 times.
	b.ReportMetric(float64(syncP50(b, b.TempDir(), 0).Microseconds())/1000, "sync-p50-ms")
	// The same with the process asleep 200 µs before each sync, as it is
	// between a client's requests: on this machine an idle CPU makes the
	// sync that follows slower, which is what the floor pays per write.
	b.ReportMetric(float64(syncP50(b, b.TempDir(), 200*time.Microsecond).Microseconds())/1000, "sync-after-idle-p50-ms")
}

// syncP50 is the median time to write a small record into a file's
// existing blocks in dir and sync it as the log does, over 200 records,
// sleeping idle before each one.
func syncP50(b *testing.B, dir string, idle time.Duration) time.Duration {
	b.Helper()
	f, err := os.CreateTemp(dir, "fsync-")
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	rec := make([]byte, 200)
	d := make([]time.Duration, 200)
	if _, err := f.WriteAt(make([]byte, len(rec)*len(d)), 0); err != nil {
		b.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		b.Fatal(err)
	}
	for i := range d {
		if idle > 0 {
			time.Sleep(idle)
		}
		start := time.Now()
		if _, err := f.WriteAt(rec, int64(i*len(rec))); err != nil {
			b.Fatal(err)
		}
		if err := wal.SyncData(f); err != nil {
			b.Fatal(err)
		}
		d[i] = time.Since(start)
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)/2]
}

// BenchmarkControlPlaneThroughputVsMoto runs the sequence from 8 concurrent
// clients against each server, side by side, and reports sequences per
// second and the ratio. Concurrent writers share the sandbox's fsyncs
// (group commit), as concurrent Terraform runs and a pipeline would.
func BenchmarkControlPlaneThroughputVsMoto(b *testing.B) {
	motoPath, err := exec.LookPath("moto_server")
	if err != nil {
		b.Skip("moto_server not found: the baseline of this benchmark")
	}
	motoURL := peers.StartMoto(b, motoPath)
	inst := sandboxtest.Start(b, sandbox.Options{DataDir: b.TempDir()})
	zip := zipOf(b, "bench")
	const workers = 8
	// One iteration is one round: every one of the workers runs the
	// sequence once, so all eight clients are busy however few the
	// iterations.
	run := func(c *lambda.Client, prefix string) time.Duration {
		start := time.Now()
		errs := make(chan error, workers)
		for w := 0; w < workers; w++ {
			go func(w int) {
				for i := 0; i < b.N; i++ {
					if err := controlPlaneSequence(c, fmt.Sprintf("%s-%d-%d", prefix, w, i), zip); err != nil {
						errs <- err
						return
					}
				}
				errs <- nil
			}(w)
		}
		for w := 0; w < workers; w++ {
			if err := <-errs; err != nil {
				b.Fatalf("%s: %v", prefix, err)
			}
		}
		return time.Since(start)
	}
	ours := lambdaClient(inst, 3)
	theirs := lambdaAt(motoURL, 3)
	warm(b, zip, ours, theirs)
	b.ResetTimer()
	oursT := run(ours, "sandbox")
	theirsT := run(theirs, "moto")
	b.StopTimer()
	b.ReportMetric(float64(b.N*workers)/oursT.Seconds(), "sandbox-seq/s")
	b.ReportMetric(float64(b.N*workers)/theirsT.Seconds(), "moto-seq/s")
	b.ReportMetric(float64(b.N*workers), "samples")
	b.ReportMetric(theirsT.Seconds()/oursT.Seconds(), "throughput-x-moto")
}

// BenchmarkInvokeVsDirect measures warm invocations through an alias of
// the real aws-lambda-go test function, side by side with the floor: the
// same AWS SDK client calling Invoke on a loopback handler that answers at
// once, so both sides pay the SDK's serialising, signing and HTTP. It runs
// at concurrency 1 and 8 and reports each side's throughput, p50/p99, and
// the CPU this process spends per call (the sandbox's logic, the runtime
// exchange's server side and the client; the floor's is client and handler
// only). A second floor, the runtime floor (bench_floor_test.go), runs the
// same function binary behind a bare Runtime API: the least this design
// (two processes, three loopback exchanges) can cost.
func BenchmarkInvokeVsDirect(b *testing.B) {
	zip, err := testfn.Zip()
	if err != nil {
		b.Fatal(err)
	}
	inst := sandboxtest.Start(b, sandbox.Options{MaxConcurrency: 8})
	c := lambdaClient(inst, 1)
	if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("hot"), Role: aws.String(testRole),
		Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), Code: &types.FunctionCode{ZipFile: zip}, Publish: true}); err != nil {
		b.Fatal(err)
	}
	if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("hot"), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		b.Fatal(err)
	}
	floor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amz-Executed-Version", "1")
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "version": "1", "request_id": "x"})
	}))
	defer floor.Close()
	floorClient := lambdaAt(floor.URL, 1)
	rtFloor := startRuntimeFloor(b, zip, 8)
	rtFloorClient := lambdaAt(rtFloor.URL, 1)
	invoke := func(c *lambda.Client) func() error {
		return func() error {
			out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("hot"), Qualifier: aws.String("live"), Payload: []byte(`{}`)})
			if err == nil && out.FunctionError != nil {
				err = fmt.Errorf("function error: %s", out.Payload)
			}
			return err
		}
	}
	// measure runs n calls from the given number of workers and returns
	// each call's latency, the wall time and this process's CPU time.
	measure := func(workers, n int, call func() error) ([]time.Duration, time.Duration, time.Duration) {
		lat := make([]time.Duration, n)
		cpu0 := processCPU(b)
		start := time.Now()
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := w; i < n; i += workers {
					t0 := time.Now()
					if err := call(); err != nil {
						b.Error(err)
						return
					}
					lat[i] = time.Since(t0)
				}
			}(w)
		}
		wg.Wait()
		return lat, time.Since(start), processCPU(b) - cpu0
	}
	pct := func(l []time.Duration, p float64) float64 {
		s := append([]time.Duration(nil), l...)
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		return float64(s[int(p*float64(len(s)-1))].Microseconds()) / 1000
	}
	measure(8, 200, invoke(c))           // warm every environment
	measure(8, 200, invoke(floorClient)) // and the floors' connections
	measure(8, 200, invoke(rtFloorClient))
	b.ResetTimer()
	for _, workers := range []int{1, 8} {
		oursLat, oursT, oursCPU := measure(workers, b.N, invoke(c))
		floorLat, floorT, floorCPU := measure(workers, b.N, invoke(floorClient))
		rtLat, _, _ := measure(workers, b.N, invoke(rtFloorClient))
		p := fmt.Sprintf("c%d-", workers)
		b.ReportMetric(pct(rtLat, 0.5), p+"runtime-floor-p50-ms")
		b.ReportMetric(pct(oursLat, 0.5)/pct(rtLat, 0.5), p+"p50-x-runtime-floor")
		b.ReportMetric(pct(rtLat, 0.5)/pct(floorLat, 0.5), p+"runtime-floor-x-floor")
		b.ReportMetric(float64(b.N)/oursT.Seconds(), p+"sandbox-invokes/s")
		b.ReportMetric(float64(b.N)/floorT.Seconds(), p+"floor-invokes/s")
		b.ReportMetric(pct(oursLat, 0.5), p+"sandbox-p50-ms")
		b.ReportMetric(pct(oursLat, 0.99), p+"sandbox-p99-ms")
		b.ReportMetric(pct(floorLat, 0.5), p+"floor-p50-ms")
		b.ReportMetric(pct(floorLat, 0.99), p+"floor-p99-ms")
		b.ReportMetric(pct(oursLat, 0.5)/pct(floorLat, 0.5), p+"p50-x-floor")
		b.ReportMetric(float64(oursCPU.Microseconds())/float64(b.N), p+"sandbox-cpu-us/invoke")
		b.ReportMetric(float64(floorCPU.Microseconds())/float64(b.N), p+"floor-cpu-us/invoke")
	}
	b.StopTimer()
}

// processCPU is the user+system CPU time this process has used so far.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
