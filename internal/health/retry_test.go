package health_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/rollout-tf/terraform-provider-rollout/internal/awsclient"
	"github.com/rollout-tf/terraform-provider-rollout/internal/health"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rollout"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

// TestReadsRideOutThrottling: every read a canary's evaluation makes (the
// override tag through Lambda, the metrics and alarms through CloudWatch)
// retries throttling with backoffs that fit its share of the interval, so
// a throttled first attempt does not make the health unreadable. The
// clients are the provider's own (awsclient, default max_retries, whose
// first backoff alone may take up to 2 s), the interval is 3 s (1 s per
// read), and the sandbox throttles 30% of these calls.
func TestReadsRideOutThrottling(t *testing.T) {
	t.Parallel()
	faults := []sandbox.Fault{}
	for _, op := range []string{"ListTags", "GetMetricData", "DescribeAlarms"} {
		svc := "cloudwatch"
		if op == "ListTags" {
			svc = "lambda"
		}
		faults = append(faults, sandbox.Fault{Service: svc, Operation: op, Kind: sandbox.FaultThrottle, Rate: 0.3})
	}
	inst := sandboxtest.Start(t, sandbox.Options{Faults: faults, FaultSeed: 7})
	src := healthSources(t, inst.URL)
	// A 3 s interval gives each read 1 s: room for a loaded machine's slow
	// requests, and still less than one of the SDK's default backoffs.
	read := health.Bound(src, 3*time.Second)
	ctx := context.Background()
	const reads = 40
	failed := map[string]int{}
	for range reads {
		if _, err := read.Override(ctx); err != nil {
			failed["override: "+err.Error()]++
		}
		if _, err := read.Canary(ctx, time.Now().Add(-time.Minute)); err != nil {
			failed["metrics: "+err.Error()]++
		}
		if _, err := read.AlarmStates(ctx, []string{"errors"}); err != nil {
			failed["alarms: "+err.Error()]++
		}
	}
	throttled := 0
	for _, c := range inst.Journal.Calls() {
		if c.Fault != "" {
			throttled++
		}
	}
	if throttled < reads/2 {
		t.Fatalf("only %d calls were throttled: the test proved nothing", throttled)
	}
	for msg, n := range failed {
		t.Errorf("%d of %d reads failed: %s", n, reads, msg)
	}
}

// TestReadsEndWithinBudget: a read whose every attempt is throttled gives
// up after health.ReadAttempts attempts, within its share of the interval,
// whatever max_retries the provider has.
func TestReadsEndWithinBudget(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{Faults: []sandbox.Fault{
		{Service: "lambda", Operation: "ListTags", Kind: sandbox.FaultThrottle, Rate: 1},
		{Service: "cloudwatch", Operation: "GetMetricData", Kind: sandbox.FaultThrottle, Rate: 1}}})
	src := healthSources(t, inst.URL)
	const interval = 3 * time.Second
	read := health.Bound(src, interval)
	for name, do := range map[string]func(context.Context) error{
		"ListTags":      func(ctx context.Context) error { _, err := read.Override(ctx); return err },
		"GetMetricData": func(ctx context.Context) error { _, err := read.Canary(ctx, time.Now().Add(-time.Minute)); return err },
	} {
		mark := inst.Journal.Mark()
		start := time.Now()
		err := do(context.Background())
		took := time.Since(start)
		if err == nil || !strings.Contains(err.Error(), "exceeded maximum number of attempts") {
			t.Errorf("%s: err = %v, want the attempts used up", name, err)
		}
		if n := len(inst.Journal.Of(mark, name)); n != health.ReadAttempts {
			t.Errorf("%s: %d attempts, want %d", name, n, health.ReadAttempts)
		}
		if budget := interval / 3; took > budget+budget/4 {
			t.Errorf("%s: a throttled read took %s, more than its budget %s", name, took, budget)
		}
	}
}

// healthSources are the provider's clients (awsclient with the default
// max_retries) reading the health of a function's live alias.
func healthSources(t *testing.T, url string) rollout.Sources {
	t.Helper()
	ctx := context.Background()
	ac := awsclient.New(awsclient.Options{Region: "us-east-1", AccessKey: "AKIDTEST", SecretKey: "s", SkipCredentialsValidation: true,
		Endpoints: map[awsclient.Service]string{awsclient.Lambda: url, awsclient.CloudWatch: url}})
	lc, err := ac.Lambda(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cw, err := ac.CloudWatch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	code := zipOf(t, "code")
	fn, err := lc.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("read"), Role: aws.String("arn:aws:iam::123456789012:role/r"),
		Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), Code: &lambdatypes.FunctionCode{ZipFile: code}, Publish: true})
	if err != nil {
		t.Fatal(err)
	}
	return &health.Sources{CloudWatch: cw, Lambda: lc, Function: "read", Alias: "live", To: "1", FunctionARN: aws.ToString(fn.FunctionArn), Clock: time.Now}
}
