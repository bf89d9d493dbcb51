package sandbox_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/testfn"
)

// deployTestFunction creates name from the real aws-lambda-go test
// function with env, publishes it and returns the version.
func deployTestFunction(t *testing.T, c *lambda.Client, name string, timeout int32, env map[string]string) {
	t.Helper()
	zip, err := testfn.Zip()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(name), Role: aws.String(testRole),
		Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), Code: &types.FunctionCode{ZipFile: zip},
		Timeout: aws.Int32(timeout), Environment: &types.Environment{Variables: env}}); err != nil {
		t.Fatal(err)
	}
	if err := lambda.NewFunctionActiveV2Waiter(c).Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)}, time.Minute); err != nil {
		t.Fatal(err)
	}
}

func invoke(t *testing.T, c *lambda.Client, fn, qualifier, payload string) *lambda.InvokeOutput {
	t.Helper()
	in := &lambda.InvokeInput{FunctionName: aws.String(fn), Payload: []byte(payload), LogType: types.LogTypeTail}
	if qualifier != "" {
		in.Qualifier = aws.String(qualifier)
	}
	out, err := c.Invoke(ctx, in)
	if err != nil {
		t.Fatalf("Invoke %s:%s: %v", fn, qualifier, err)
	}
	return out
}

func TestInvokeRealBootstrap(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{})
	c := lambdaClient(inst, 1)
	deployTestFunction(t, c, "fn", 2, map[string]string{"RELEASE": "v1.0.0"})
	if _, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn")}); err != nil {
		t.Fatal(err)
	}

	// Success, through a version.
	out := invoke(t, c, "fn", "1", `{}`)
	var body map[string]any
	if err := json.Unmarshal(out.Payload, &body); err != nil {
		t.Fatalf("payload %q: %v", out.Payload, err)
	}
	if out.StatusCode != 200 || out.FunctionError != nil || body["version"] != "1" || body["release"] != "v1.0.0" || aws.ToString(out.ExecutedVersion) != "1" {
		t.Errorf("success = status %d error %v body %v executed %s", out.StatusCode, aws.ToString(out.FunctionError), body, aws.ToString(out.ExecutedVersion))
	}
	logs, _ := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	for _, want := range []string{"START RequestId: ", "Version: 1", "END RequestId: ", "REPORT RequestId: ", "Duration: "} {
		if !strings.Contains(string(logs), want) {
			t.Errorf("tail log lacks %q:\n%s", want, logs)
		}
	}

	// A handled error: 200 with Unhandled and the runtime's error document.
	out = invoke(t, c, "fn", "1", `{"action":"error"}`)
	if aws.ToString(out.FunctionError) != "Unhandled" || !strings.Contains(string(out.Payload), `"errorMessage":"asked to fail"`) {
		t.Errorf("handled error = %v %s", aws.ToString(out.FunctionError), out.Payload)
	}

	// A panic ends the environment; the next invoke cold-starts and works.
	out = invoke(t, c, "fn", "1", `{"action":"panic"}`)
	if aws.ToString(out.FunctionError) != "Unhandled" || !strings.Contains(string(out.Payload), "asked to panic") {
		t.Errorf("panic = %v %s", aws.ToString(out.FunctionError), out.Payload)
	}
	out = invoke(t, c, "fn", "1", `{}`)
	if out.FunctionError != nil {
		t.Errorf("invoke after a panic = %s", out.Payload)
	}

	// The timeout kills the process: Sandbox.Timedout.
	out = invoke(t, c, "fn", "1", `{"action":"sleep","ms":5000}`)
	if aws.ToString(out.FunctionError) != "Unhandled" || !strings.Contains(string(out.Payload), `"errorType":"Sandbox.Timedout"`) ||
		!strings.Contains(string(out.Payload), "Task timed out after 2.00 seconds") {
		t.Errorf("timeout = %v %s", aws.ToString(out.FunctionError), out.Payload)
	}
	out = invoke(t, c, "fn", "1", `{}`)
	if out.FunctionError != nil {
		t.Errorf("invoke after a timeout = %s", out.Payload)
	}

	// Event and DryRun.
	if ev, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("fn"), InvocationType: types.InvocationTypeEvent}); err != nil || ev.StatusCode != 202 {
		t.Errorf("Event invoke = %v, %v", ev, err)
	}
	if dr, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("fn"), InvocationType: types.InvocationTypeDryRun}); err != nil || dr.StatusCode != 204 {
		t.Errorf("DryRun invoke = %v, %v", dr, err)
	}

	// The payload limit.
	_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("fn"), Payload: []byte(`"` + strings.Repeat("x", 6*1024*1024) + `"`)})
	if code, _ := apiError(t, err); code != "RequestTooLargeException" {
		t.Errorf("oversized payload = %s", code)
	}
}

func TestInvokeInitFailureAndUnsupported(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{})
	c := lambdaClient(inst, 1)
	deployTestFunction(t, c, "broken", 3, map[string]string{"INIT_EXIT": "1"})
	out := invoke(t, c, "broken", "", `{}`)
	if aws.ToString(out.FunctionError) != "Unhandled" || !strings.Contains(string(out.Payload), `"errorType":"Runtime.ExitError"`) ||
		!strings.Contains(string(out.Payload), "Error: Runtime exited with error: exit status 1") {
		t.Errorf("init failure = %v %s", aws.ToString(out.FunctionError), out.Payload)
	}
	// A process that exits cleanly without answering: AWS says "Runtime exited
	// without providing a reason" (localstack's AWS recording
	// test_lambda_runtime_exit, sys.exit(0), 2025-11-24).
	deployTestFunction(t, c, "quits", 3, map[string]string{"INIT_EXIT": "0"})
	out = invoke(t, c, "quits", "", `{}`)
	var payload struct{ ErrorType, ErrorMessage string }
	if err := json.Unmarshal(out.Payload, &payload); err != nil {
		t.Fatalf("clean exit payload %s: %v", out.Payload, err)
	}
	if aws.ToString(out.FunctionError) != "Unhandled" || payload.ErrorType != "Runtime.ExitError" ||
		!strings.HasSuffix(payload.ErrorMessage, " Error: Runtime exited without providing a reason") {
		t.Errorf("clean exit without an answer = %v %s", aws.ToString(out.FunctionError), out.Payload)
	}
	if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("img"), Role: aws.String(testRole),
		PackageType: types.PackageTypeImage, Code: &types.FunctionCode{ImageUri: aws.String("repo/img:v1")}}); err != nil {
		t.Fatal(err)
	}
	_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("img")})
	code, msg := apiError(t, err)
	if code != "InvalidRuntimeException" || !strings.Contains(msg, "provided.al2023 and provided.al2") {
		t.Errorf("image invoke = %s: %s", code, msg)
	}
}

// TestInvokeInitIsNotTheTimeout: as on Lambda, a cold start's init (up to
// the runtime's first request for an event) has a limit of its own (10 s);
// the function's timeout counts from the moment the event is delivered.
// The REPORT line's Init Duration is the init's, its Duration the
// invoke's. (A loaded machine's slow cold start used to time out a
// function whose handler takes microseconds.)
func TestInvokeInitIsNotTheTimeout(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{})
	c := lambdaClient(inst, 1)
	deployTestFunction(t, c, "slowinit", 1, map[string]string{"INIT_SLEEP_MS": "1500"})
	out := invoke(t, c, "slowinit", "", `{}`)
	if out.FunctionError != nil {
		t.Fatalf("a 1.5 s init with a 1 s timeout = %s", out.Payload)
	}
	logs, _ := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	var initMS, durMS float64
	for _, field := range strings.Split(string(logs), "\t") {
		field = strings.TrimSpace(field)
		if v, ok := strings.CutPrefix(field, "Init Duration: "); ok {
			_, _ = fmt.Sscanf(v, "%f ms", &initMS)
		} else if v, ok := strings.CutPrefix(field, "Duration: "); ok {
			_, _ = fmt.Sscanf(v, "%f ms", &durMS)
		}
	}
	if initMS < 1500 || durMS <= 0 || durMS >= 1000 {
		t.Errorf("REPORT: Init Duration %.2f ms (want >= 1500), Duration %.2f ms (want the invoke's, < 1000):\n%s", initMS, durMS, logs)
	}
	// Warm, the timeout still bounds the handler.
	out = invoke(t, c, "slowinit", "", `{"action":"sleep","ms":3000}`)
	if !strings.Contains(string(out.Payload), "Task timed out after 1.00 seconds") {
		t.Errorf("a 3 s handler with a 1 s timeout = %v %s", aws.ToString(out.FunctionError), out.Payload)
	}
}

func TestInvokeConcurrencyAndThrottling(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{MaxConcurrency: 2})
	c := lambdaClient(inst, 1)
	// Each call sleeps long enough that all six overlap even on a loaded
	// machine, where goroutines can start hundreds of ms apart.
	deployTestFunction(t, c, "busy", 5, nil)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, throttled := 0, 0
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("busy"), Payload: []byte(`{"action":"sleep","ms":1500}`)})
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				ok++
				return
			}
			var tm *types.TooManyRequestsException
			if asTooMany(err, &tm) {
				throttled++
			}
		}()
	}
	wg.Wait()
	if ok != 2 || throttled != 4 {
		t.Errorf("6 concurrent invokes with a limit of 2: %d ran, %d throttled; want 2 and 4", ok, throttled)
	}
}

func asTooMany(err error, target **types.TooManyRequestsException) bool {
	for e := err; e != nil; {
		if tm, ok := e.(*types.TooManyRequestsException); ok {
			*target = tm
			return true
		}
		u, ok := e.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		e = u.Unwrap()
	}
	return false
}

func TestWeightedRoutingSplit(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{RoutingSeed: 3})
	c := lambdaClient(inst, 1)
	deployTestFunction(t, c, "split", 3, nil)
	for i := 0; i < 2; i++ {
		if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("split"), Description: aws.String(string(rune('a' + i)))}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("split")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("split"), Name: aws.String("live"), FunctionVersion: aws.String("1"),
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 0.2}}}); err != nil {
		t.Fatal(err)
	}
	const n = 2000
	counts := map[string]int{}
	for i := 0; i < n; i++ {
		out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("split"), Qualifier: aws.String("live")})
		if err != nil {
			t.Fatal(err)
		}
		counts[aws.ToString(out.ExecutedVersion)]++
	}
	// Binomial(2000, 0.2): mean 400, sd ~17.9; accept 4 sd.
	if got := counts["2"]; math.Abs(float64(got)-400) > 4*math.Sqrt(n*0.2*0.8) || counts["1"]+counts["2"] != n {
		t.Errorf("executed versions over %d invokes = %v; want about 400 on version 2", n, counts)
	}
	t.Logf("routing split over %d invokes: %v", n, counts)
}

// TestInvokeManyVersionsStayWarm invokes 40 published versions in turn,
// three rounds: with the default pool every version keeps its warm
// environment (exactly one cold start each, reported as AWS does with
// "Init Duration" in the REPORT line) and nothing is throttled.
func TestInvokeManyVersionsStayWarm(t *testing.T) {
	t.Parallel()
	// A loaded machine may keep a runtime from asking for its next event
	// within the default 2 s, which replaces it: not what is counted here.
	inst := sandboxtest.Start(t, sandbox.Options{RuntimeReadyWait: time.Minute})
	c := lambdaClient(inst, 1)
	const versions = 40
	publishVersions(t, c, "many", versions)
	cold := 0
	for round := 0; round < 3; round++ {
		for i := 1; i <= versions; i++ {
			out := invoke(t, c, "many", fmt.Sprint(i), `{}`)
			if out.FunctionError != nil {
				t.Errorf("round %d, version %d: %s", round+1, i, out.Payload)
			}
			if coldStart(t, out) {
				cold++
				if round > 0 {
					t.Logf("round %d, version %d started cold", round+1, i)
				}
			}
		}
	}
	// One per version, then warm (a thrashing pool made 114 of 120 calls
	// cold, before the pool kept 128 environments).
	if cold != versions {
		t.Errorf("3 rounds over %d versions made %d cold starts; want %d (one per version, then warm)", versions, cold, versions)
	}
}

// TestInvokeManyVersionsStayWarmUnderLoad: the same 40 live versions
// called by four clients at once (the demo's load generator runs four),
// each going round its own ten: after the first round every call is
// warm, the pool keeping the 40 environments while four are busy at any
// moment (issue 22: no thrash at 40 live versions). The clients share no
// version, so no call finds its version's environment busy (which would
// start a second one, as AWS does).
func TestInvokeManyVersionsStayWarmUnderLoad(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{RuntimeReadyWait: time.Minute})
	c := lambdaClient(inst, 4)
	const versions, clients, rounds = 40, 4, 3
	publishVersions(t, c, "busy", versions)
	var mu sync.Mutex
	coldLater := 0
	var wg sync.WaitGroup
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := range rounds {
				for k := range versions / clients {
					v := w*versions/clients + k + 1
					out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("busy"), Qualifier: aws.String(fmt.Sprint(v)), Payload: []byte(`{}`), LogType: types.LogTypeTail})
					if err != nil {
						t.Errorf("client %d, version %d: %v", w, v, err)
						return
					}
					cold, err := startedCold(out)
					if err != nil {
						t.Errorf("client %d, version %d: the tail log: %v", w, v, err)
						return
					}
					if round > 0 && cold {
						mu.Lock()
						coldLater++
						mu.Unlock()
						t.Logf("client %d, round %d, version %d started cold", w, round+1, v)
					}
				}
			}
		}()
	}
	wg.Wait()
	if coldLater != 0 {
		t.Errorf("after the first round, %d of %d calls started cold; want 0 (the pool keeps what the load made)", coldLater, (rounds-1)*versions)
	}
}

// TestInvokeEvictsLeastRecentlyUsed keeps two environments: a third
// version stops the one idle longest, never the one just used.
func TestInvokeEvictsLeastRecentlyUsed(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{MaxConcurrency: 1, MaxEnvironments: 2, RuntimeReadyWait: time.Minute})
	c := lambdaClient(inst, 1)
	publishVersions(t, c, "lru", 3)
	var got []bool
	for _, v := range []string{"1", "2", "1", "3", "1"} {
		got = append(got, coldStart(t, invoke(t, c, "lru", v, `{}`)))
	}
	// 3 evicts 2 (idle longest), so the last call on 1 is warm.
	if diff := cmp.Diff([]bool{true, true, false, true, false}, got); diff != "" {
		t.Errorf("cold starts for versions 1,2,1,3,1 (-want +got):\n%s", diff)
	}
}

// publishVersions deploys the test function as name and publishes n
// versions of it, each with its own description.
func publishVersions(t *testing.T, c *lambda.Client, name string, n int) {
	t.Helper()
	// A timeout would replace an environment: 30 s, so that only the pool's
	// choices count, even on a starved machine.
	deployTestFunction(t, c, name, 30, nil)
	for i := 1; i <= n; i++ {
		if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(name), Description: aws.String(fmt.Sprintf("v%d", i))}); err != nil {
			t.Fatal(err)
		}
		if err := lambda.NewFunctionUpdatedV2Waiter(c).Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)}, time.Minute); err != nil {
			t.Fatal(err)
		}
		if _, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
	}
}

// coldStart tells whether an invocation started a new environment: its
// REPORT line carries "Init Duration", as on Lambda.
func coldStart(t *testing.T, out *lambda.InvokeOutput) bool {
	t.Helper()
	cold, err := startedCold(out)
	if err != nil {
		t.Fatal(err)
	}
	return cold
}

// startedCold is coldStart for a goroutine that cannot end the test.
func startedCold(out *lambda.InvokeOutput) (bool, error) {
	logs, err := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	return strings.Contains(string(logs), "\tInit Duration: "), err
}
