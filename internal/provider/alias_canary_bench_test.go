package provider

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/rollout-tf/terraform-provider-rollout/internal/awsclient"
	"github.com/rollout-tf/terraform-provider-rollout/internal/health"
	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rollout"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/testfn"
)

// BenchmarkCanaryDetectionToRestore measures, with real traffic in the
// sandbox and interval = 1s, the time from the first failing invocation of
// a bad canary to the alias holding 100% on the old version, and the API
// writes of the rollback. CodeDeploy's alarm-driven rollback, for
// comparison, waits at least one 60-second alarm period. One iteration is
// ten rollouts, so p50 and max stand on ten samples or more.
func BenchmarkCanaryDetectionToRestore(b *testing.B) {
	ctx := context.Background()
	inst := sandboxtest.Start(b, sandbox.Options{})
	fn := aws.String("bench")
	c, cw, revision := twoVersionAlias(b, inst, "bench", lambda.UpdateFunctionConfigurationInput{
		Environment: &lambdatypes.Environment{Variables: map[string]string{"FAIL_RATE": "1"}}})
	fnARN := "arn:aws:lambda:us-east-1:123456789012:function:bench"
	maxErr := 0.1
	policy := rollout.Policy{Steps: []rollout.Step{{WeightPercent: 20, Hold: time.Minute}}, Interval: time.Second,
		Health: rollout.Health{MaxErrorRate: &maxErr, MinInvocations: 1, OnInsufficientData: rollout.InsufficientHold, PreexistingAlarms: "fail"}}

	var latencies []time.Duration
	writes := 0
	// Each iteration is samplesPerOp rollouts, so the percentiles stand on
	// at least that many measurements even when the benchmark runs once.
	const samplesPerOp = 10
	for i := 0; i < b.N*samplesPerOp; i++ {
		// Steady traffic that notes the first failure of version 2.
		loadCtx, stop := context.WithCancel(ctx)
		var mu sync.Mutex
		var firstFailure time.Time
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for loadCtx.Err() == nil {
					out, err := c.Invoke(loadCtx, &lambda.InvokeInput{FunctionName: fn, Qualifier: aws.String("live")})
					if err == nil && out.FunctionError != nil && aws.ToString(out.ExecutedVersion) == "2" {
						mu.Lock()
						if firstFailure.IsZero() {
							firstFailure = time.Now()
						}
						mu.Unlock()
					}
					time.Sleep(5 * time.Millisecond)
				}
			}()
		}
		traffic := &health.Traffic{Lambda: c, Function: "bench", Name: "live", From: "1", To: "2", Revision: revision}
		src := &health.Sources{CloudWatch: cw, Lambda: c, Function: "bench", Alias: "live", To: "2", FunctionARN: fnARN, Clock: time.Now}
		mark := inst.Journal.Mark()
		out := rollout.Drive(ctx, policy, src, traffic, nil, rollout.SystemClock{})
		stop()
		wg.Wait()
		if out.Status != rollout.StatusRolledBack || out.Final.Gate != "error_rate" {
			b.Fatalf("rollout ended %s (%s), want rolled_back on error_rate", out.Status, out.Final.Reason)
		}
		var updates []sandbox.Call
		for _, call := range inst.Journal.Since(mark) {
			if call.Operation == "UpdateAlias" && call.Status == 200 {
				updates = append(updates, call)
			}
		}
		if len(updates) != 2 {
			b.Fatalf("UpdateAlias calls = %d, want 2 (the canary shift and the rollback)", len(updates))
		}
		writes += len(updates) - 1
		latencies = append(latencies, updates[1].Time.Sub(firstFailure))
		revision = traffic.Revision
	}
	b.StopTimer()
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	b.ReportMetric(latencies[len(latencies)/2].Seconds(), "detection-to-restore-p50-s")
	b.ReportMetric(latencies[len(latencies)-1].Seconds(), "detection-to-restore-max-s")
	b.ReportMetric(float64(writes)/float64(len(latencies)), "rollback-UpdateAlias/op")
	b.ReportMetric(float64(len(latencies)), "samples")
}

// BenchmarkUnreadableHealthRollback measures, with CloudWatch failing every
// read (the sandbox's fault injection) and interval = 1s, the time from the
// first failed read of a canary's health to 100% of the traffic back on the
// stable version: the engine's path of a blocking canary, over health
// reads bounded as the provider bounds them (health.Bound, ReadAttempts).
// One iteration is five rollouts. Target: at most 3 intervals + 2 s.
func BenchmarkUnreadableHealthRollback(b *testing.B) {
	ctx := context.Background()
	inst := sandboxtest.Start(b, sandbox.Options{})
	c, cw, revision := twoVersionAlias(b, inst, "blind", lambda.UpdateFunctionConfigurationInput{Description: aws.String("v2")})
	const interval = time.Second
	maxErr := 0.1
	policy := rollout.Policy{Steps: []rollout.Step{{WeightPercent: 20, Hold: time.Minute}}, Interval: interval,
		Health: rollout.Health{MaxErrorRate: &maxErr, MinInvocations: 1, OnInsufficientData: rollout.InsufficientHold}}
	inst.Server.SetFaults([]sandbox.Fault{{Service: "cloudwatch", Kind: sandbox.FaultError, Rate: 1}})
	var latencies []time.Duration
	const samplesPerOp = 5
	for i := 0; i < b.N*samplesPerOp; i++ {
		traffic := &health.Traffic{Lambda: c, Function: "blind", Name: "live", From: "1", To: "2", Revision: revision}
		src := &health.Sources{CloudWatch: cw, Lambda: c, Function: "blind", Alias: "live", To: "2", FunctionARN: "arn:aws:lambda:us-east-1:123456789012:function:blind", Clock: time.Now}
		mark := inst.Journal.Mark()
		out := rollout.Drive(ctx, policy, health.Bound(src, interval), traffic, nil, rollout.SystemClock{})
		if out.Status != rollout.StatusRolledBack || out.Final.Gate != "health_unreadable" {
			b.Fatalf("rollout ended %s (%s: %s), want rolled_back on health_unreadable", out.Status, out.Final.Gate, out.Final.Reason)
		}
		var firstFailed, restored time.Time
		updates := 0
		for _, call := range inst.Journal.Since(mark) {
			if call.Service == "cloudwatch" && call.Fault != "" && firstFailed.IsZero() {
				firstFailed = call.Time
			}
			if call.Operation == "UpdateAlias" && call.Status == 200 {
				updates++
				restored = call.Time
			}
		}
		if firstFailed.IsZero() || updates != 2 {
			b.Fatalf("journal: first failed CloudWatch read %v, %d UpdateAlias (want the shift and the rollback)", firstFailed, updates)
		}
		latencies = append(latencies, restored.Sub(firstFailed))
		revision = traffic.Revision
	}
	b.StopTimer()
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	b.ReportMetric(latencies[len(latencies)/2].Seconds(), "unreadable-to-restore-p50-s")
	b.ReportMetric(latencies[len(latencies)-1].Seconds(), "unreadable-to-restore-max-s")
	b.ReportMetric(float64(len(latencies)), "samples")
}

// twoVersionAlias creates function fn in inst with version 1, then
// version 2 with v2's configuration change, and its alias live on
// version 1; it returns clients of the sandbox as the provider builds
// them and the alias's RevisionId.
func twoVersionAlias(b *testing.B, inst *sandboxtest.Instance, fn string, v2 lambda.UpdateFunctionConfigurationInput) (*lambda.Client, *cloudwatch.Client, string) {
	b.Helper()
	ctx := context.Background()
	zip, err := testfn.Zip()
	if err != nil {
		b.Fatal(err)
	}
	client := awsclient.New(awsclient.Options{Region: "us-east-1", AccessKey: "AKIDBENCH", SecretKey: "s", Getenv: func(string) string { return "" },
		Endpoints: map[awsclient.Service]string{awsclient.Lambda: inst.URL, awsclient.CloudWatch: inst.URL}})
	c, _ := client.Lambda(ctx)
	cw, _ := client.CloudWatch(ctx)
	if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(fn), Role: aws.String("arn:aws:iam::123456789012:role/r"),
		Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), Code: &lambdatypes.FunctionCode{ZipFile: zip}, Publish: true}); err != nil {
		b.Fatal(err)
	}
	v2.FunctionName = aws.String(fn)
	if _, err := c.UpdateFunctionConfiguration(ctx, &v2); err != nil {
		b.Fatal(err)
	}
	if err := lambdaops.WaitUpdated(ctx, c, fn, time.Minute); err != nil {
		b.Fatal(err)
	}
	if _, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(fn)}); err != nil {
		b.Fatal(err)
	}
	alias, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(fn), Name: aws.String("live"), FunctionVersion: aws.String("1")})
	if err != nil {
		b.Fatal(err)
	}
	return c, cw, aws.ToString(alias.RevisionId)
}
