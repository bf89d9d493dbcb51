package provider_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"

	"github.com/rollout-tf/terraform-provider-rollout/internal/acctest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
)

// TestAccAliasCanary_postHookRollbackFails promotes a canary whose
// post-traffic hook fails (in both wait modes), while every UpdateAlias after the
// promotion fails: the rollback did not happen, so the state must say what
// the alias reports (version 2 live, in progress, the rollback next), the
// rollback must not be remembered, and the error must say what is live and
// what to do. The next apply, with the API back, performs the rollback.
func TestAccAliasCanary_postHookRollbackFails(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcc(t)
	for _, wait := range []bool{false, true} {
		t.Run(fmt.Sprintf("wait=%v", wait), func(t *testing.T) {
			t.Parallel()
			testPostHookRollbackFails(t, wait)
		})
	}
}

func testPostHookRollbackFails(t *testing.T, wait bool) {
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "running function code with real metrics and injected faults")
	zip, zipBytes := testFunctionZip(t)
	c := sdkLambda(be.URL)
	bg := context.Background()
	if _, err := c.CreateFunction(bg, &lambda.CreateFunctionInput{FunctionName: aws.String("smoke-test"), Role: aws.String(testRole),
		Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), Code: &lambdatypes.FunctionCode{ZipFile: zipBytes},
		Environment: &lambdatypes.Environment{Variables: map[string]string{"FAIL_RATE": "1"}}}); err != nil {
		t.Fatal(err)
	}
	policy := fmt.Sprintf(`  steps    = [{ weight_percent = 20, hold = "2s" }]
  interval = "1s"
  health   = { max_error_rate = 0.1, min_invocations = 3 }
  hooks    = { post_traffic = "smoke-test", timeout = "30s" }
  wait     = %v`, wait)
	load := startLoad(c)
	defer load.stop()
	r := newTFRun(t)
	r.write(canaryStackWith(be.URL, zip, "v1", policy))
	if out, err := r.run("apply", "-auto-approve"); err != nil {
		t.Fatalf("release v1: %v\n%s", err, out)
	}
	// The second UpdateAlias of the provider from here on is the rollback
	// after the failed hook (the first is the promotion): from then on
	// every UpdateAlias fails.
	var updates atomic.Int32
	be.Sandbox.Server.BeforeRequest(func(call sandbox.Call) {
		if call.Operation == "UpdateAlias" && call.AccessKey == "AKIDROLLOUTTEST" && updates.Add(1) == 3 {
			be.Sandbox.Server.SetFaults([]sandbox.Fault{{Service: "lambda", Operation: "UpdateAlias", Kind: sandbox.FaultError, Rate: 1}})
		}
	})
	defer be.Sandbox.Server.BeforeRequest(nil)
	r.write(canaryStackWith(be.URL, zip, "v2", policy)) // update 1: the first step
	out := driveRollout(t, r, wait)                     // update 2: the promotion; 3: the rollback
	be.Sandbox.Server.SetFaults(nil)
	f := flat(out)
	for _, w := range []string{"Rollback Failed", "post-traffic hook smoke-test failed", "version 2 serves 100%", "terraform apply", "update-alias"} {
		if !strings.Contains(f, w) {
			t.Errorf("the error does not say %q:\n%s", w, out)
		}
	}
	a, err := lambdaops.FindAlias(bg, c, "canaried", "live")
	if err != nil {
		t.Fatal(err)
	}
	if v := aws.ToString(a.FunctionVersion); v != "2" {
		t.Fatalf("the alias serves version %s: the injected fault did not stop the rollback, the test proves nothing", v)
	}
	st := r.aliasState()
	dep, _ := st["deployment"].(map[string]any)
	got := map[string]any{"function_version": st["function_version"], "status": dep["status"], "weight_percent": dep["weight_percent"], "next_action": dep["next_action"]}
	want := map[string]any{"function_version": "2", "status": "in_progress", "weight_percent": 100.0, "next_action": "roll_back"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the state after the failed rollback (-want +got), while the alias serves version 2 only:\n%s", diff)
	}
	fn, err := c.GetFunction(bg, &lambda.GetFunctionInput{FunctionName: aws.String("canaried")})
	if err != nil {
		t.Fatal(err)
	}
	if recs := lambdaops.RollbackRecords(fn.Tags); len(recs) != 0 {
		t.Errorf("a rollback that did not happen was remembered: %+v", recs)
	}

	// The API is back: the plan shows the rollback, the apply performs it.
	plan, err := r.run("plan")
	if err != nil || !strings.Contains(plan, "rolled_back") {
		t.Errorf("the plan after the failed rollback does not show the rollback: %v\n%s", err, plan)
	}
	out, err = r.run("apply", "-auto-approve")
	if err == nil || !strings.Contains(flat(out), "Canary Rolled Back") {
		t.Errorf("the retried rollback: %v\n%s", err, out)
	}
	a, err = lambdaops.FindAlias(bg, c, "canaried", "live")
	if err != nil {
		t.Fatal(err)
	}
	if v, _, split := lambdaops.Routing(a.RoutingConfig); aws.ToString(a.FunctionVersion) != "1" || split {
		t.Errorf("after the retried rollback the alias serves %s (split onto %q)", aws.ToString(a.FunctionVersion), v)
	}
	if st := r.aliasState(); st["function_version"] != "1" {
		t.Errorf("state function_version = %v after the rollback, want 1", st["function_version"])
	}
}
