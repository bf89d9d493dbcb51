package sandbox_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/rollout-tf/terraform-provider-rollout/internal/peers"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
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

// BenchmarkControlPlaneVsMoto runs the same sequence against the sandbox
// (persisting to disk, fsync on every change) and against moto server, side
// by side in one run, and reports each one's p50 and the ratio.
func BenchmarkControlPlaneVsMoto(b *testing.B) {
	motoPath, err := exec.LookPath("moto_server")
	if err != nil {
		b.Skip("moto_server not found: the baseline of this benchmark")
	}
	motoURL := peers.StartMoto(b, motoPath)
	inst := sandboxtest.Start(b, sandbox.Options{DataDir: b.TempDir()})
	ours := lambdaClient(inst, 1)
	theirs := lambdaAt(motoURL, 1)
	zip := zipOf(b, "bench")

	var oursD, theirsD []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		name := fmt.Sprintf("bench-%d", i)
		start := time.Now()
		if err := controlPlaneSequence(ours, name, zip); err != nil {
			b.Fatalf("sandbox: %v", err)
		}
		oursD = append(oursD, time.Since(start))
		start = time.Now()
		if err := controlPlaneSequence(theirs, name, zip); err != nil {
			b.Fatalf("moto: %v", err)
		}
		theirsD = append(theirsD, time.Since(start))
	}
	b.StopTimer()
	p50 := func(d []time.Duration) float64 {
		s := append([]time.Duration(nil), d...)
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		return float64(s[len(s)/2].Microseconds()) / 1000
	}
	total := func(d []time.Duration) time.Duration {
		var t time.Duration
		for _, x := range d {
			t += x
		}
		return t
	}
	b.ReportMetric(p50(oursD), "sandbox-p50-ms/seq")
	b.ReportMetric(p50(theirsD), "moto-p50-ms/seq")
	b.ReportMetric(float64(len(oursD))/total(oursD).Seconds(), "sandbox-seq/s")
	b.ReportMetric(float64(len(theirsD))/total(theirsD).Seconds(), "moto-seq/s")
	b.ReportMetric(total(theirsD).Seconds()/total(oursD).Seconds(), "throughput-x-moto")
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
	run := func(c *lambda.Client, prefix string) time.Duration {
		start := time.Now()
		errs := make(chan error, workers)
		for w := 0; w < workers; w++ {
			go func(w int) {
				for i := w; i < b.N; i += workers {
					if err := controlPlaneSequence(c, fmt.Sprintf("%s-%d", prefix, i), zip); err != nil {
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
	b.ResetTimer()
	oursT := run(lambdaClient(inst, 1), "sandbox")
	theirsT := run(lambdaAt(motoURL, 1), "moto")
	b.StopTimer()
	b.ReportMetric(float64(b.N)/oursT.Seconds(), "sandbox-seq/s")
	b.ReportMetric(float64(b.N)/theirsT.Seconds(), "moto-seq/s")
	b.ReportMetric(theirsT.Seconds()/oursT.Seconds(), "throughput-x-moto")
}

// BenchmarkInvokeVsDirect measures warm invocations through an alias of
// the real aws-lambda-go test function, side by side with the floor: the
// same JSON answer from a plain loopback HTTP handler. It reports each
// side's throughput and p50/p99, and the p50 overhead of the sandbox.
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
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "version": "1", "request_id": "x"})
	}))
	defer floor.Close()
	const workers = 8
	measure := func(n int, call func() error) ([]time.Duration, time.Duration) {
		lat := make([]time.Duration, n)
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
		return lat, time.Since(start)
	}
	invokeOnce := func() error {
		out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("hot"), Qualifier: aws.String("live"), Payload: []byte(`{}`)})
		if err == nil && out.FunctionError != nil {
			err = fmt.Errorf("function error: %s", out.Payload)
		}
		return err
	}
	direct := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	directOnce := func() error {
		resp, err := direct.Post(floor.URL, "application/json", strings.NewReader(`{}`))
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.Body.Close()
	}
	measure(200, invokeOnce) // warm every environment
	b.ResetTimer()
	oursLat, oursT := measure(b.N, invokeOnce)
	floorLat, floorT := measure(b.N, directOnce)
	b.StopTimer()
	pct := func(l []time.Duration, p float64) float64 {
		s := append([]time.Duration(nil), l...)
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		return float64(s[int(p*float64(len(s)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(b.N)/oursT.Seconds(), "sandbox-invokes/s")
	b.ReportMetric(float64(b.N)/floorT.Seconds(), "floor-requests/s")
	b.ReportMetric(pct(oursLat, 0.5), "sandbox-p50-ms")
	b.ReportMetric(pct(oursLat, 0.99), "sandbox-p99-ms")
	b.ReportMetric(pct(floorLat, 0.5), "floor-p50-ms")
	b.ReportMetric(pct(floorLat, 0.99), "floor-p99-ms")
	b.ReportMetric(pct(oursLat, 0.5)-pct(floorLat, 0.5), "p50-overhead-ms")
}
