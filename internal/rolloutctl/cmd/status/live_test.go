package status

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"

	"github.com/rollout-tf/terraform-provider-rollout/internal/health"
	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rollout"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmdtest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmdutil"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/testfn"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// frozen is a clock that stands still until a Sleep moves it; cancel is
// called once it has slept frames times (--watch's Ctrl-C).
type frozen struct {
	now    time.Time
	slept  int
	frames int
	cancel func()
}

func (c *frozen) Now() time.Time { return c.now }

func (c *frozen) Sleep(ctx context.Context, d time.Duration) error {
	c.now = c.now.Add(d)
	c.slept++
	if c.frames > 0 && c.slept >= c.frames {
		c.cancel()
	}
	return ctx.Err()
}

var t0 = time.Date(2026, 11, 26, 13, 20, 0, 0, time.UTC)

// liveSandbox is a sandbox on the frozen clock holding function orders
// (the real test function) with versions 1 (v1) and 2 (v2), and traffic
// through alias live: 4 successful invocations of version 1, then 3
// successful and 1 failed of version 2, all at t0.
func liveSandbox(t *testing.T) (*lambda.Client, *cloudwatch.Client, string) {
	t.Helper()
	c, cw, arns := liveSandboxWith(t, "orders")
	return c, cw, arns[0]
}

// liveSandboxWith is liveSandbox with the functions names, each as orders
// is there; it returns their ARNs.
func liveSandboxWith(t *testing.T, names ...string) (*lambda.Client, *cloudwatch.Client, []string) {
	t.Helper()
	zip, err := testfn.Zip()
	if err != nil {
		t.Fatal(err)
	}
	sb := sandboxtest.Start(t, sandbox.Options{Clock: func() time.Time { return t0 }})
	c := cmdtest.SandboxLambda(sb.URL)
	cw := cloudwatch.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "s", "")},
		func(o *cloudwatch.Options) { o.BaseEndpoint = aws.String(sb.URL) })
	var arns []string
	for _, name := range names {
		arns = append(arns, liveFunction(t, c, zip, name))
	}
	return c, cw, arns
}

func liveFunction(t *testing.T, c *lambda.Client, zip []byte, name string) string {
	t.Helper()
	ctx := context.Background()
	fn, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(name), Role: aws.String("arn:aws:iam::123456789012:role/x"),
		Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), Code: &lambdatypes.FunctionCode{ZipFile: zip}})
	if err != nil {
		t.Fatal(err)
	}
	if err := lambdaops.WaitActive(ctx, c, name, time.Minute); err != nil {
		t.Fatal(err)
	}
	for i, release := range []string{"v1", "v2"} {
		if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(name),
			Description: aws.String(strings.Repeat("d", i+1))}); err != nil {
			t.Fatal(err)
		}
		if err := lambdaops.WaitUpdated(ctx, c, name, time.Minute); err != nil {
			t.Fatal(err)
		}
		if _, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(name),
			Description: aws.String(lambdaops.FormatDescription("", lambdaops.VersionMeta{Release: release}))}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(name), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	invoke := func(payload string) {
		out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name), Qualifier: aws.String("live"), Payload: []byte(payload)})
		if err != nil {
			t.Fatal(err)
		}
		// Only the asked-for error counts: the goldens hold the error rates.
		if failed := out.FunctionError != nil; failed != strings.Contains(payload, "error") {
			t.Fatalf("invoke %s: function error %q: %s", payload, aws.ToString(out.FunctionError), out.Payload)
		}
	}
	for range 4 {
		invoke(`{}`)
	}
	setAliasOf(t, c, name, "2", nil)
	for range 3 {
		invoke(`{}`)
	}
	invoke(`{"action":"error"}`)
	return aws.ToString(fn.FunctionArn)
}

func setAlias(t *testing.T, c *lambda.Client, primary string, routing map[string]float64) {
	t.Helper()
	setAliasOf(t, c, "orders", primary, routing)
}

func setAliasOf(t *testing.T, c *lambda.Client, function, primary string, routing map[string]float64) {
	t.Helper()
	if _, err := c.UpdateAlias(context.Background(), &lambda.UpdateAliasInput{FunctionName: aws.String(function), Name: aws.String("live"),
		FunctionVersion: aws.String(primary), RoutingConfig: &lambdatypes.AliasRoutingConfiguration{AdditionalVersionWeights: routing}}); err != nil {
		t.Fatal(err)
	}
}

// p99 durations are measured on the running function; the golden files
// hold them as N.
// so is the alias's RevisionId.
var (
	p99RE      = regexp.MustCompile(`p99 [0-9]+ ms|"p99_ms": [0-9.e+-]+|"measured": [0-9.e+-]+(,\n\s+"threshold": 5000)`)
	p99GateRE  = regexp.MustCompile(`(gate p99 +)[0-9]+ ms +`)
	revisionRE = regexp.MustCompile(`"revision_id": "[^"]+"`)
)

func normalise(s string) string {
	s = revisionRE.ReplaceAllString(s, `"revision_id": "R"`)
	s = p99GateRE.ReplaceAllString(s, "${1}N ms       ")
	return p99RE.ReplaceAllStringFunc(s, func(m string) string {
		switch {
		case strings.HasPrefix(m, "p99"):
			return "p99 N ms"
		case strings.HasPrefix(m, `"p99_ms"`):
			return `"p99_ms": N`
		}
		return `"measured": N` + m[strings.Index(m, ","):]
	})
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestLiveGolden ./internal/rolloutctl/cmd/status/ -update)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

// TestLiveGolden: status against a sandbox holding a rollout in progress,
// held for data, rolled back and promoted, as the provider leaves them
// (the alias's split, the progress tag written through health.ProgressTag
// from the engine's events, the rollback record), at a frozen time.
func TestLiveGolden(t *testing.T) {
	t.Parallel()
	rate, p99 := 0.05, 5000.0
	steps := []rollout.Step{{WeightPercent: 10, Hold: 5 * time.Minute}, {WeightPercent: 50, Hold: 5 * time.Minute}}
	base := rollout.Event{Function: "orders", Alias: "live", From: "1", To: "2", Steps: steps, Interval: time.Minute, Deadline: 30 * time.Minute,
		MaxErrorRate: &rate, MaxP99MS: &p99, Started: t0.Add(-7 * time.Minute)}
	v, th := 0.25, 0.05
	tests := map[string]struct {
		primary string
		routing map[string]float64
		events  []rollout.Event
		record  *lambdaops.RollbackRecord
	}{
		"in_progress": {primary: "1", routing: map[string]float64{"2": 0.5}, events: []rollout.Event{
			{Kind: rollout.EventStarted, Step: 1, WeightPercent: 10, At: t0.Add(-7 * time.Minute), StepStarted: t0.Add(-7 * time.Minute), MinInvocations: 2},
			{Kind: rollout.EventStepAdvanced, Step: 2, WeightPercent: 50, At: t0.Add(-2 * time.Minute), StepStarted: t0.Add(-2 * time.Minute), MinInvocations: 2},
		}},
		"held": {primary: "1", routing: map[string]float64{"2": 0.1}, events: []rollout.Event{
			{Kind: rollout.EventHeld, Step: 1, WeightPercent: 10, At: t0.Add(-time.Minute), StepStarted: t0.Add(-7 * time.Minute), Gate: "insufficient_data",
				MinInvocations: 100, Reason: "waiting for data"},
		}},
		"rolled_back": {primary: "1", events: []rollout.Event{
			{Kind: rollout.EventRolledBack, Step: 2, WeightPercent: 50, At: t0.Add(-30 * time.Second), StepStarted: t0.Add(-2 * time.Minute), Gate: "error_rate",
				Value: &v, Threshold: &th, MinInvocations: 2},
		}, record: &lambdaops.RollbackRecord{Identity: "version-2", Alias: "live", Version: "2", Release: "v2", At: t0.Add(-30 * time.Second), Gate: "error_rate", Value: &v, Threshold: &th}},
		"promoted": {primary: "2", events: []rollout.Event{
			{Kind: rollout.EventPromoted, Step: 2, WeightPercent: 50, At: t0.Add(-30 * time.Second), StepStarted: t0.Add(-5 * time.Minute), MinInvocations: 2},
		}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, cw, arn := liveSandbox(t)
			setAlias(t, c, tc.primary, tc.routing)
			tag := health.NewProgressTag(context.Background(), c, arn, "live")
			for _, e := range tc.events {
				ev := base
				ev.Kind, ev.Step, ev.WeightPercent, ev.At, ev.StepStarted, ev.Gate, ev.Value, ev.Threshold, ev.MinInvocations, ev.Reason =
					e.Kind, e.Step, e.WeightPercent, e.At, e.StepStarted, e.Gate, e.Value, e.Threshold, e.MinInvocations, e.Reason
				tag.Observe(context.Background(), ev)
			}
			tag.Close(10 * time.Second)
			if tc.record != nil {
				if _, err := c.TagResource(context.Background(), &lambda.TagResourceInput{Resource: aws.String(arn),
					Tags: map[string]string{tc.record.TagKey(): tc.record.TagValue()}}); err != nil {
					t.Fatal(err)
				}
			}
			for _, asJSON := range []bool{false, true} {
				f, io := cmdtest.Factory("", cmdtest.Clients{LambdaClient: c, CloudWatchClient: cw})
				f.Clock = &frozen{now: t0}
				o := &Options{LiveOptions: cmdutil.LiveOptions{Function: "orders", Alias: "live", JSON: asJSON}, Window: 5 * time.Minute, f: f}
				if err := Run(context.Background(), o); err != nil {
					t.Fatal(err)
				}
				ext := ".txt"
				if asJSON {
					ext = ".json"
				}
				golden(t, name+ext, normalise(io.Out.String()))
			}
		})
	}
}

// TestWatch: --watch redraws in place (cursor home, each line cleared to
// its end, the rest cleared; never a full-screen clear) every interval on
// the injected clock, and a cancelled context (Ctrl-C) ends it cleanly.
func TestWatch(t *testing.T) {
	t.Parallel()
	c, cw, _ := liveSandbox(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f, io := cmdtest.Factory("", cmdtest.Clients{LambdaClient: c, CloudWatchClient: cw})
	clk := &frozen{now: t0, frames: 3, cancel: cancel}
	f.Clock = clk
	o := &Options{LiveOptions: cmdutil.LiveOptions{Function: "orders", Alias: "live"}, Window: 5 * time.Minute, Watch: true, Interval: 2 * time.Second, f: f}
	if err := Run(ctx, o); err != nil {
		t.Fatalf("a cancelled watch returns nil, got %v", err)
	}
	out := io.Out.String()
	frames := strings.Split(out, cursorHome)[1:]
	if len(frames) != 3 || strings.Contains(out, "\x1b[2J") {
		t.Fatalf("want 3 frames drawn from the cursor home and no full-screen clear, got %d in %q", len(frames), out)
	}
	for i, fr := range frames {
		if !strings.HasPrefix(fr, "orders:live -> version 2 (v2)"+clearToEOL+"\n") || !strings.HasSuffix(fr, clearToEOL+"\n"+clearToEnd) {
			t.Errorf("frame %d is not redrawn in place: %q", i, fr)
		}
	}
	if got := clk.now.Sub(t0); got != 6*time.Second {
		t.Errorf("the clock moved %s over 3 frames, want 3 intervals of 2s", got)
	}
}
