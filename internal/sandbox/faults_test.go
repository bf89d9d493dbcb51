package sandbox_test

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

func TestParseFault(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		spec    string
		want    sandbox.Fault
		wantErr string
	}{
		"service throttle":   {spec: "lambda:throttle=0.2", want: sandbox.Fault{Service: "lambda", Kind: sandbox.FaultThrottle, Rate: 0.2}},
		"operation error":    {spec: "lambda.PublishVersion:error=0.05", want: sandbox.Fault{Service: "lambda", Operation: "PublishVersion", Kind: sandbox.FaultError, Rate: 0.05}},
		"latency":            {spec: "s3:latency=50ms", want: sandbox.Fault{Service: "s3", Kind: sandbox.FaultLatency, Rate: 1, Latency: 50 * time.Millisecond}},
		"rate above 1":       {spec: "lambda:throttle=2", wantErr: `fault "lambda:throttle=2": rate "2" must be a number from 0 to 1, for example "lambda:throttle=0.2", "lambda.UpdateAlias:error=0.05" or "s3:latency=50ms"`},
		"unknown service":    {spec: "dynamodb:error=0.1", wantErr: `fault "dynamodb:error=0.1": unknown service "dynamodb" (lambda, s3, sts, cloudwatch, sqs or *), for example "lambda:throttle=0.2", "lambda.UpdateAlias:error=0.05" or "s3:latency=50ms"`},
		"unknown kind":       {spec: "s3:drop=0.1", wantErr: `fault "s3:drop=0.1": unknown kind "drop" (throttle, error or latency), for example "lambda:throttle=0.2", "lambda.UpdateAlias:error=0.05" or "s3:latency=50ms"`},
		"no selector":        {spec: "throttle", wantErr: `fault "throttle": want <service>[.<Operation>]:<kind>=<value>, for example "lambda:throttle=0.2", "lambda.UpdateAlias:error=0.05" or "s3:latency=50ms"`},
		"malformed duration": {spec: "s3:latency=fast", wantErr: `fault "s3:latency=fast": latency "fast" must be a duration such as 50ms, for example "lambda:throttle=0.2", "lambda.UpdateAlias:error=0.05" or "s3:latency=50ms"`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := sandbox.ParseFault(tc.spec)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tc.wantErr {
				t.Fatalf("ParseFault(%q) error = %q, want %q", tc.spec, gotErr, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseFault(%q) (-want +got):\n%s", tc.spec, diff)
			}
		})
	}
}

func TestThrottleAnswersAsLambda(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{Faults: []sandbox.Fault{{Service: "lambda", Operation: "GetFunction", Kind: sandbox.FaultThrottle, Rate: 1}}})
	c := lambdaClient(inst, 1)
	createFunction(t, c, "fn", zipOf(t, "v1"))
	_, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("fn")})
	var tm *types.TooManyRequestsException
	if !errors.As(err, &tm) {
		t.Fatalf("GetFunction under a throttle rule = %v, want TooManyRequestsException", err)
	}
	if tm.Reason != types.ThrottleReasonCallerRateLimitExceeded || aws.ToString(tm.RetryAfterSeconds) != "1" {
		t.Errorf("throttle Reason/Retry-After = %q/%q, want CallerRateLimitExceeded/1", tm.Reason, aws.ToString(tm.RetryAfterSeconds))
	}
	calls := inst.Journal.Calls()
	if last := calls[len(calls)-1]; last.Status != 429 || last.Fault != "lambda.GetFunction:throttle=1" {
		t.Errorf("journal records %+v, want status 429 with the fault", last)
	}
}

// TestRetriesRideOutFaults drives a control-plane sequence through 20%
// throttling and 5% server errors with the SDK's retryer: every operation
// ends correctly, and the journal shows the faults really happened.
func TestRetriesRideOutFaults(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{FaultSeed: 42, Faults: []sandbox.Fault{
		{Service: "lambda", Kind: sandbox.FaultThrottle, Rate: 0.2},
		{Service: "lambda", Kind: sandbox.FaultError, Rate: 0.05},
	}})
	c := lambdaClient(inst, 25)
	createFunction(t, c, "fn", zipOf(t, "v1"))
	ops := 1 // operations that ended correctly
	for i := 1; i <= 20; i++ {
		if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("fn"), Description: aws.String(strconv.Itoa(i))}); err != nil {
			t.Fatalf("update %d: %v", i, err)
		}
		v, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn")})
		if err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
		if aws.ToString(v.Version) != strconv.Itoa(i) {
			t.Fatalf("publish %d returned version %s: a retried publish must not skip or repeat numbers", i, aws.ToString(v.Version))
		}
		ops += 2
	}
	faults := 0
	for _, call := range inst.Journal.Calls() {
		if call.Fault != "" {
			faults++
		}
	}
	if faults == 0 {
		t.Fatal("no fault was injected: the test proved nothing")
	}
	t.Logf("faults: %d injected over %d calls, %d operations ended correctly", faults, len(inst.Journal.Calls()), ops)
}
