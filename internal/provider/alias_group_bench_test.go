package provider

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/rollout-tf/terraform-provider-rollout/internal/awsclient"
	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rollout"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/testfn"
)

// groupBench is a sandbox holding functions g-0..g-(n-1), each with
// version 1 (healthy) and version 2 (failing every call when bad[i]),
// alias live on 1, under real traffic.
type groupBench struct {
	r       *aliasGroupResource
	c       *lambda.Client
	inst    *sandboxtest.Instance
	members map[string]groupMemberModelV0
}

func newGroupBench(b *testing.B, n int, bad map[int]bool) *groupBench {
	ctx := context.Background()
	zip, err := testfn.Zip()
	if err != nil {
		b.Fatal(err)
	}
	inst := sandboxtest.Start(b, sandbox.Options{})
	client := awsclient.New(awsclient.Options{Region: "us-east-1", AccessKey: "AKIDBENCH", SecretKey: "s", Getenv: func(string) string { return "" },
		Endpoints: map[awsclient.Service]string{awsclient.Lambda: inst.URL, awsclient.CloudWatch: inst.URL}})
	c, _ := client.Lambda(ctx)
	g := &groupBench{r: &aliasGroupResource{data: &providerData{client: client}}, c: c, inst: inst, members: map[string]groupMemberModelV0{}}
	for i := 0; i < n; i++ {
		fn := fmt.Sprintf("g-%d", i)
		if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(fn), Role: aws.String("arn:aws:iam::123456789012:role/r"),
			Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), Code: &lambdatypes.FunctionCode{ZipFile: zip}, Publish: true}); err != nil {
			b.Fatal(err)
		}
		rate := "0"
		if bad[i] {
			rate = "1"
		}
		if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(fn),
			Environment: &lambdatypes.Environment{Variables: map[string]string{"FAIL_RATE": rate, "RELEASE": "2"}}}); err != nil {
			b.Fatal(err)
		}
		if err := lambdaops.WaitUpdated(ctx, c, fn, time.Minute); err != nil {
			b.Fatal(err)
		}
		if _, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(fn)}); err != nil {
			b.Fatal(err)
		}
		if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(fn), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
			b.Fatal(err)
		}
		// Warm both versions, so that the first failure comes from the
		// canary's traffic, not from a cold start.
		for _, v := range []string{"1", "2"} {
			if _, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(fn), Qualifier: aws.String(v)}); err != nil {
				b.Fatal(err)
			}
		}
		g.members[fmt.Sprintf("m%02d", i)] = newGroupMember(fn, "live")
	}
	return g
}

// reset puts every alias back on version 1 (outside the timing) and
// returns the prior state (on 1) and the plan (on 2).
func (g *groupBench) reset(b *testing.B) (prior, planned map[string]groupMemberModelV0) {
	ctx := context.Background()
	prior, planned = map[string]groupMemberModelV0{}, map[string]groupMemberModelV0{}
	for k, m := range g.members {
		out, err := g.c.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String(m.FunctionName.ValueString()), Name: aws.String("live"),
			FunctionVersion: aws.String("1"), RoutingConfig: &lambdatypes.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{}}})
		if err != nil {
			b.Fatal(err)
		}
		p := m
		p.FunctionVersion, p.RevisionID = types.StringValue("1"), types.StringValue(aws.ToString(out.RevisionId))
		prior[k] = p
		m.FunctionVersion = types.StringValue("2")
		planned[k] = m
	}
	return prior, planned
}

// load sends about rps invocations a second to every alias until ctx
// ends and notes the first failing invocation of a version 2.
func (g *groupBench) load(ctx context.Context, rps float64) *firstFailure {
	ff := &firstFailure{}
	every := time.Duration(float64(time.Second) / rps)
	for _, m := range g.members {
		fn := m.FunctionName.ValueString()
		for w := 0; w < 2; w++ {
			go func() {
				t := time.NewTicker(2 * every)
				defer t.Stop()
				for {
					select {
					case <-ctx.Done():
						return
					case <-t.C:
					}
					out, err := g.c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(fn), Qualifier: aws.String("live")})
					if err == nil && out.FunctionError != nil && aws.ToString(out.ExecutedVersion) == "2" {
						ff.note(time.Now())
					}
				}
			}()
		}
	}
	return ff
}

type firstFailure struct {
	mu sync.Mutex
	at time.Time
}

func (f *firstFailure) note(t time.Time) {
	f.mu.Lock()
	if f.at.IsZero() {
		f.at = t
	}
	f.mu.Unlock()
}

// release runs the provider's group release (as Update does) over keys.
func (g *groupBench) release(p rollout.Policy, prior, planned map[string]groupMemberModelV0, keys []string) types.Object {
	var diags diag.Diagnostics
	deployment := types.ObjectNull(groupDeploymentAttrTypes)
	g.r.move(context.Background(), g.c, "bench", &p, &deployment, planned, prior, keys, map[string]groupMemberModelV0{}, &diags)
	return deployment
}

// benchPolicy is 20% for 2s, interval 1s, error rate at most 10%, with
// at least minInvocations on each new version (0: the schedule alone
// decides when the data is healthy, so a duration measures the release,
// not how soon the load happened to reach every member).
// deploymentString reads a string attribute of an object ("" when absent).
func deploymentString(o types.Object, name string) string {
	v, _ := o.Attributes()[name].(types.String)
	return v.ValueString()
}

func benchPolicy(minInvocations int) rollout.Policy {
	maxErr := 0.1
	return rollout.Policy{Steps: []rollout.Step{{WeightPercent: 20, Hold: 2 * time.Second}}, Interval: time.Second,
		Health: rollout.Health{MaxErrorRate: &maxErr, MinInvocations: minInvocations, OnInsufficientData: rollout.InsufficientHold, PreexistingAlarms: "fail"}}
}

// BenchmarkAliasGroupDuration measures, with real traffic in the sandbox,
// one group release of 1, 5 and 20 healthy members with the same
// schedule (20% for 2s, interval 1s) through the provider's release code,
// side by side with 20 single-alias canaries run as Terraform runs them
// by default (at most 10 at a time: -parallelism=10).
func BenchmarkAliasGroupDuration(b *testing.B) {
	g := newGroupBench(b, 20, nil)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	g.load(ctx, 5)
	keys := sortedKeys(g.members)
	took := map[int]time.Duration{}
	var singles time.Duration
	for i := 0; i < b.N; i++ {
		for _, n := range []int{1, 5, 20} {
			prior, planned := g.reset(b)
			start := time.Now()
			d := g.release(benchPolicy(0), prior, planned, keys[:n])
			took[n] += time.Since(start)
			if s := deploymentString(d, "status"); s != rollout.StatusPromoted {
				b.Fatalf("group of %d ended %s: %s", n, s, deploymentString(d, "reason"))
			}
		}
		// The baseline: 20 rollout_alias canaries, 10 at a time.
		prior, planned := g.reset(b)
		slots := make(chan struct{}, 10)
		var wg sync.WaitGroup
		start := time.Now()
		for _, k := range keys {
			wg.Add(1)
			slots <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-slots }()
				g.release(benchPolicy(0), prior, planned, []string{k})
			}()
		}
		wg.Wait()
		singles += time.Since(start)
	}
	per := func(d time.Duration) float64 { return d.Seconds() / float64(b.N) }
	b.ReportMetric(per(took[1]), "group-1-s")
	b.ReportMetric(per(took[5]), "group-5-s")
	b.ReportMetric(per(took[20]), "group-20-s")
	b.ReportMetric(took[20].Seconds()/took[1].Seconds(), "group-20/group-1")
	b.ReportMetric(per(singles), "20-single-canaries-parallelism-10-s")
	b.ReportMetric(singles.Seconds()/took[20].Seconds(), "singles/group-20")
}

// BenchmarkAliasGroupDetectionToRestore measures, with real traffic in
// five members and interval = 1s, the time from the first failing
// invocation in any member (one member's new version fails every call) to
// every member's alias at 100% on its old version (the last rollback
// UpdateAlias answered), and the rollback writes.
func BenchmarkAliasGroupDetectionToRestore(b *testing.B) {
	g := newGroupBench(b, 5, map[int]bool{2: true})
	keys := sortedKeys(g.members)
	var latencies []time.Duration
	writes := 0
	// Each iteration is samplesPerOp releases, so the p50 and the maximum
	// stand on at least that many measurements even when it runs once.
	const samplesPerOp = 10
	for i := 0; i < b.N*samplesPerOp; i++ {
		prior, planned := g.reset(b)
		ctx, stop := context.WithCancel(context.Background())
		ff := g.load(ctx, 20)
		mark := g.inst.Journal.Mark()
		d := g.release(benchPolicy(1), prior, planned, keys)
		stop()
		if s, m := deploymentString(d, "status"), deploymentString(d, "member"); s != rollout.StatusRolledBack || m != "m02" {
			b.Fatalf("release ended %s by member %s: %s", s, m, deploymentString(d, "reason"))
		}
		var last time.Time
		per := map[string]int{}
		for _, call := range g.inst.Journal.Since(mark) {
			if call.Operation == "UpdateAlias" && call.Status == 200 {
				per[call.Function]++
				if per[call.Function] == 2 { // the canary shift, then the rollback
					writes++
					last = call.Time
				}
			}
		}
		if len(per) != len(keys) {
			b.Fatalf("rollback writes by function = %v, want every member", per)
		}
		ff.mu.Lock()
		lat := last.Sub(ff.at)
		ff.mu.Unlock()
		latencies = append(latencies, lat)
	}
	slices.Sort(latencies)
	b.ReportMetric(latencies[len(latencies)/2].Seconds(), "first-failure-to-all-restored-p50-s")
	b.ReportMetric(latencies[len(latencies)-1].Seconds(), "first-failure-to-all-restored-max-s")
	b.ReportMetric(float64(writes)/float64(len(latencies)), "rollback-UpdateAlias/release")
	b.ReportMetric(float64(len(latencies)), "samples")
}
