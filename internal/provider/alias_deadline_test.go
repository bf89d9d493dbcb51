package provider_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/rollout-tf/terraform-provider-rollout/internal/acctest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
)

// runWithin runs terraform with args and kills it (and the provider) when
// it has not ended within limit: a rollout that never ends fails the test
// instead of hanging it.
func (r *tfRun) runWithin(limit time.Duration, args ...string) (out string, took time.Duration, err error) {
	r.t.Helper()
	cmd := r.command(args...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	start := time.Now()
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	timer := time.AfterFunc(limit, func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	err = cmd.Wait()
	took = time.Since(start)
	if !timer.Stop() {
		_ = os.Remove(filepath.Join(r.dir, ".terraform.tfstate.lock.info"))
		return buf.String(), took, fmt.Errorf("terraform %s was still running after %s and was killed", strings.Join(args, " "), limit)
	}
	return buf.String(), took, err
}

// aliasOnStable fails unless all traffic of canaried:live is on version 1,
// the stable version of these tests.
func aliasOnStable(t *testing.T, url string) {
	const version = "1"
	t.Helper()
	a, err := lambdaops.FindAlias(context.Background(), sdkLambda(url), "canaried", "live")
	if err != nil {
		t.Fatal(err)
	}
	if v, w, split := lambdaops.Routing(a.RoutingConfig); aws.ToString(a.FunctionVersion) != version || split {
		t.Errorf("alias = %s + %s@%g, want all traffic on %s", aws.ToString(a.FunctionVersion), v, w, version)
	}
}

// splitWithin reports whether canaried:live sends a share of its traffic
// to a second version within a minute (a rollout running in another
// process has shifted its first step). It polls the alias; it never sleeps
// longer than one poll.
func splitWithin(c *lambda.Client) bool {
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		a, err := lambdaops.FindAlias(context.Background(), c, "canaried", "live")
		if err == nil && a.RoutingConfig != nil && len(a.RoutingConfig.AdditionalVersionWeights) > 0 {
			return true
		}
	}
	return false
}

// TestAccAliasCanary_deadlineEndsAHoldWithoutTraffic: a blocking canary
// that no traffic reaches, with the default on_insufficient_data = "hold",
// ends at its default deadline (3s of hold + 5 intervals of 1s = 8s) with
// all traffic back on the stable version, instead of waiting forever.
func TestAccAliasCanary_deadlineEndsAHoldWithoutTraffic(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcc(t)
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "a rollout observed through the sandbox")
	zip, _ := testFunctionZip(t)
	policy := `  steps    = [{ weight_percent = 20, hold = "3s" }]
  interval = "1s"
  health   = { max_error_rate = 0.1, min_invocations = 3 }`
	r := newTFRun(t)
	r.write(canaryStackWith(be.URL, zip, "v1", policy))
	r.mustRun("first apply", "apply", "-auto-approve")
	r.write(canaryStackWith(be.URL, zip, "v2", policy))
	out, took, err := r.runWithin(90*time.Second, "apply", "-auto-approve")
	if err == nil {
		t.Fatalf("the apply of a canary that reached its deadline exited 0:\n%s", out)
	}
	const deadline = 3*time.Second + 5*time.Second // the hold + 5 intervals of 1s
	t.Logf("the rollout ended after %s (apply included); default deadline %s", took.Round(100*time.Millisecond), deadline)
	for _, want := range []string{"Canary Rolled Back", "reached its deadline of " + deadline.String(), `on_insufficient_data = "hold"`, "0 of min_invocations 3"} {
		if !strings.Contains(strings.Join(strings.Fields(out), " "), want) {
			t.Errorf("the apply's output does not say %q:\n%s", want, out)
		}
	}
	aliasOnStable(t, be.URL)
	r.expectDeployment(deploymentWant{Version: "1", Status: "rolled_back", Gate: "deadline"})
	// The rolled-back release is refused by every later plan, the one
	// terraform destroy runs to refresh included; the refusal names the
	// way to destroy.
	if out, err := r.destroy(be.URL); err == nil || !strings.Contains(out, "terraform destroy -refresh=false") {
		t.Errorf("destroy with the rolled-back release configured: %v\n%s", err, out)
	}
	if out, err := r.destroy(be.URL, "-refresh=false"); err != nil {
		t.Errorf("destroy -refresh=false: %v\n%s", err, out)
	}
}

// TestAccAliasCanary_timeoutsUpdateEndsTheRolloutSafely: the alias's
// timeouts.update ends a long blocking rollout with all traffic back on
// the stable version and the state saying aborted by gate timeout.
func TestAccAliasCanary_timeoutsUpdateEndsTheRolloutSafely(t *testing.T) {
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "a rollout observed through the sandbox")
	zip, _ := testFunctionZip(t)
	c := sdkLambda(be.URL)
	loadOnLive(t, c, 30)
	cfg := func(release string) string {
		s := canaryStackWith(be.URL, zip, release, `  steps    = [{ weight_percent = 20, hold = "10m" }]
  interval = "1s"`)
		return strings.Replace(s, `  canary_policy    = rollout_canary_policy.p.spec`, `  canary_policy    = rollout_canary_policy.p.spec

  timeouts {
    update = "4s"
  }`, 1)
	}
	const aliasAddr = "rollout_alias.live"
	tfresource.ParallelTest(t, acctest.Case(t, be.URL, []tfresource.TestStep{
		{Config: cfg("v1")},
		{
			Config:      cfg("v2"),
			ExpectError: acctest.ExpectErrorText(`was aborted at step 1 with 20% of the traffic on version 2: the apply's time limit ran out`),
		},
		{
			PreConfig:          func() { aliasOnStable(t, be.URL) },
			Config:             cfg("v2"),
			PlanOnly:           true,
			ExpectNonEmptyPlan: true,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("function_version"), knownvalue.StringExact("1")),
				statecheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("deployment").AtMapKey("status"), knownvalue.StringExact("aborted")),
				statecheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("deployment").AtMapKey("gate"), knownvalue.StringExact("timeout")),
			},
		},
	}))
}

// TestAccCanaryPolicy_deadlineValidation: a deadline a healthy rollout
// could not meet is refused at plan time, naming the attribute, the value
// and a valid example; the default is shown in spec.
func TestAccCanaryPolicy_deadlineValidation(t *testing.T) {
	be := acctest.NewBackend(t)
	tfresource.ParallelTest(t, acctest.Case(t, be.URL, []tfresource.TestStep{
		{
			Config: policyConfig(`  steps    = [{ weight_percent = 10, hold = "5m" }, { weight_percent = 50, hold = "5m" }]
  deadline = "11m"`),
			PlanOnly:    true,
			ExpectError: acctest.ExpectErrorText(`deadline = "11m" is not valid: it must be at least the schedule's total hold plus one interval per step (10m0s + 2 × 1m0s = 12m0s), so that a healthy rollout can finish. A valid example: deadline = "20m"`),
		},
		{
			Config:      policyConfig(`  preset   = "Canary10Percent5Minutes"` + "\n" + `  deadline = "soon"`),
			PlanOnly:    true,
			ExpectError: acctest.ExpectErrorText(`deadline = "soon" is not valid: it must be a Go duration such as "30m" or "1h30m". A valid example: deadline = "10m"`),
		},
		{
			// The same rule for a policy written inline on the alias.
			Config: acctest.ConfigCompose(acctest.ProviderConfig("us-east-1", nil, "skip_credentials_validation = true"), `resource "rollout_alias" "a" {
  function_name    = "orders"
  name             = "live"
  function_version = "1"
  canary_policy    = { steps = [{ weight_percent = 10, hold = "5m" }], interval = "1m", deadline = "5m" }
}`),
			PlanOnly:    true,
			ExpectError: acctest.ExpectErrorText(`canary_policy.deadline = "5m": it must be at least the schedule's total hold plus one interval per step (5m0s + 1 × 1m0s = 6m0s), so that a healthy rollout can finish; for example deadline = "10m"`),
		},
		{
			Config: policyConfigOn(be.URL, `  preset = "Canary10Percent5Minutes"`),
			ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectKnownValue("rollout_canary_policy.p", tfjsonpath.New("spec").AtMapKey("deadline"), knownvalue.StringExact("10m0s")),
			}},
		},
	}))
}

// TestAccAliasCanary_unreadableHealthRollsBackInBoundedTime: with every
// CloudWatch read failing, a blocking canary moves all traffic back to
// the stable version within 3 intervals (+ 2 s) of the first failed read,
// with the provider's default max_retries. It prints the measured time
// for two intervals.
func TestAccAliasCanary_unreadableHealthRollsBackInBoundedTime(t *testing.T) {
	t.Parallel()
	for _, interval := range []time.Duration{time.Second, 2 * time.Second} {
		t.Run(interval.String(), func(t *testing.T) { unreadableHealthBlocking(t, interval) })
	}
}

func unreadableHealthBlocking(t *testing.T, interval time.Duration) {
	acctest.SkipUnlessAcc(t)
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "fault injection")
	zip, _ := testFunctionZip(t)
	c := sdkLambda(be.URL)
	loadOnLive(t, c, 30)
	policy := fmt.Sprintf(`  steps    = [{ weight_percent = 20, hold = "1m" }]
  interval = %q
  health   = { max_error_rate = 0.1 }`, interval)
	r := newTFRun(t)
	r.write(unreadableStack(be.URL, zip, "v1", policy))
	r.mustRun("first apply", "apply", "-auto-approve")
	r.write(unreadableStack(be.URL, zip, "v2", policy))
	type result struct {
		out string
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, _, err := r.runWithin(90*time.Second, "apply", "-auto-approve")
		done <- result{out, err}
	}()
	if !splitWithin(sdkLambda(be.URL)) {
		t.Fatal("the rollout never split the alias")
	}
	mark := be.Sandbox.Journal.Mark()
	be.Sandbox.Server.SetFaults([]sandbox.Fault{{Service: "cloudwatch", Kind: sandbox.FaultError, Rate: 1}})
	res := <-done
	be.Sandbox.Server.SetFaults(nil)
	if res.err == nil {
		t.Fatalf("the apply exited 0 although the health could not be read:\n%s", res.out)
	}
	var firstFailure, rolledBack time.Time
	for _, call := range be.Sandbox.Journal.Since(mark) {
		if call.Service == "cloudwatch" && call.Fault != "" && firstFailure.IsZero() {
			firstFailure = call.Time
		}
		if call.Operation == "UpdateAlias" && call.AccessKey == "AKIDROLLOUTTEST" && call.Status == 200 && !firstFailure.IsZero() && rolledBack.IsZero() {
			rolledBack = call.Time
		}
	}
	if firstFailure.IsZero() || rolledBack.IsZero() {
		t.Fatalf("no failed CloudWatch read (%v) or no roll back (%v) in the journal:\n%s", firstFailure, rolledBack, res.out)
	}
	took, target := rolledBack.Sub(firstFailure), 3*interval+2*time.Second
	t.Logf("measured: %s from the first failed CloudWatch read to 100%% on the stable version (interval %s, target at most %s)",
		took.Round(time.Millisecond), interval, target)
	if took > target {
		t.Errorf("traffic went back %s after the first failed read, want at most %s", took, target)
	}
	if !strings.Contains(res.out, "health_unreadable") {
		t.Errorf("the apply's error does not name the gate health_unreadable:\n%s", res.out)
	}
	aliasOnStable(t, be.URL)
	r.expectDeployment(deploymentWant{Version: "1", Status: "rolled_back", Gate: "health_unreadable"})
}

// TestAccAliasCanary_unreadableHealthPlanDriven: with wait = false and
// every CloudWatch read failing, the refresh warns, and once two intervals
// have passed since the first failed read the plan shows the roll back
// (exit code 2), which the next apply performs.
func TestAccAliasCanary_unreadableHealthPlanDriven(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcc(t)
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "fault injection")
	zip, _ := testFunctionZip(t)
	c := sdkLambda(be.URL)
	loadOnLive(t, c, 30)
	policy := `  steps    = [{ weight_percent = 20, hold = "5m" }]
  interval = "2s"
  health   = { max_error_rate = 0.1 }
  wait     = false`
	r := newTFRun(t)
	r.write(unreadableStack(be.URL, zip, "v1", policy))
	r.mustRun("first apply", "apply", "-auto-approve")
	r.write(unreadableStack(be.URL, zip, "v2", policy))
	r.mustRun("the apply that starts the rollout", "apply", "-auto-approve")
	be.Sandbox.Server.SetFaults([]sandbox.Fault{{Service: "cloudwatch", Kind: sandbox.FaultError, Rate: 1}})
	defer be.Sandbox.Server.SetFaults(nil)
	// The first refresh that cannot read the health warns and holds.
	out, _, err := r.runWithin(60*time.Second, "apply", "-auto-approve")
	if err != nil {
		t.Fatalf("the apply while health is unreadable: %v\n%s", err, out)
	}
	if !strings.Contains(out, "Warning: Health Unreadable") {
		t.Errorf("the refresh did not warn that the health is unreadable:\n%s", out)
	}
	// The bound counts from the refresh that first failed, as the state
	// records it (health_unreadable_since, to the second).
	dep, _ := r.aliasState()["deployment"].(map[string]any)
	since, perr := time.Parse(time.RFC3339, fmt.Sprint(dep["health_unreadable_since"]))
	if perr != nil {
		t.Fatalf("deployment.health_unreadable_since after the apply: %v (deployment %v)", perr, dep)
	}
	bound := since.Add(4 * time.Second)
	// Within the bound the plan still holds (exit 0) but warns again: a plan
	// that ended before the bound refreshed before it.
	out, _, err = r.runWithin(60*time.Second, "plan", "-detailed-exitcode")
	if time.Now().Before(bound) {
		if err != nil || !strings.Contains(out, "Warning: Health Unreadable") {
			t.Errorf("within the bound the plan should hold and warn (exit 0): %v\n%s", err, out)
		}
	} else {
		t.Logf("the plan within the bound ended after it (the machine is slow): its hold is not checked")
	}
	// Once two intervals (4s) have passed, the plan shows the roll back.
	time.Sleep(time.Until(bound))
	out, _, err = r.runWithin(60*time.Second, "plan", "-detailed-exitcode")
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Fatalf("after the bound, plan -detailed-exitcode = %v, want exit 2 (changes: the roll back)\n%s", err, out)
	}
	for _, want := range []string{`"in_progress" -> "rolled_back"`, `"health_unreadable"`} {
		if !strings.Contains(out, want) {
			t.Errorf("the plan does not show %s:\n%s", want, out)
		}
	}
	out, _, err = r.runWithin(60*time.Second, "apply", "-auto-approve")
	if err == nil || !strings.Contains(out, "Canary Rolled Back") {
		t.Errorf("the apply after the bound should roll back and fail: %v\n%s", err, out)
	}
	aliasOnStable(t, be.URL)
	r.expectDeployment(deploymentWant{Version: "1", Status: "rolled_back", Gate: "health_unreadable"})
}

// TestAccAliasCanary_deadlinePlanDriven: with wait = false, a canary that no
// traffic reaches holds (empty plans) until its deadline (15s, set well
// past the hold so that a plan on a loaded machine still lands before it);
// then the plan shows the roll back by gate deadline and the apply
// performs it. The default deadline is TestAccAliasCanary_deadlineEndsAHoldWithoutTraffic's.
func TestAccAliasCanary_deadlinePlanDriven(t *testing.T) {
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "a rollout observed through the sandbox")
	zip, _ := testFunctionZip(t)
	policy := `  steps    = [{ weight_percent = 20, hold = "2s" }]
  interval = "1s"
  deadline = "15s"
  health   = { max_error_rate = 0.1, min_invocations = 3 }
  wait     = false`
	var started time.Time
	const aliasAddr = "rollout_alias.live"
	dep := func(k string) tfjsonpath.Path { return tfjsonpath.New("deployment").AtMapKey(k) }
	tfresource.ParallelTest(t, acctest.Case(t, be.URL, []tfresource.TestStep{
		{Config: canaryStackWith(be.URL, zip, "v1", policy)},
		{
			Config: canaryStackWith(be.URL, zip, "v2", policy),
			Check: func(*terraform.State) error {
				started = time.Now()
				return nil
			},
		},
		{
			// After the hold, still no data: hold, an empty plan.
			PreConfig: func() { time.Sleep(time.Until(started.Add(3 * time.Second))) },
			Config:    canaryStackWith(be.URL, zip, "v2", policy),
			PlanOnly:  true,
		},
		{
			PreConfig: func() { time.Sleep(time.Until(started.Add(15500 * time.Millisecond))) },
			Config:    canaryStackWith(be.URL, zip, "v2", policy),
			ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectKnownValue(aliasAddr, dep("status"), knownvalue.StringExact("rolled_back")),
				plancheck.ExpectKnownValue(aliasAddr, dep("gate"), knownvalue.StringExact("deadline")),
			}},
			ExpectError: acctest.ExpectErrorText("reached its deadline of 15s"),
		},
		{
			// The release rolled back at its deadline is not relaunched.
			PreConfig:   func() { aliasOnStable(t, be.URL) },
			Config:      canaryStackWith(be.URL, zip, "v2", policy),
			PlanOnly:    true,
			ExpectError: acctest.ExpectErrorText("Release Rolled Back"),
		},
		{
			// Back to the known-good release: nothing moves, so the
			// test's destroy plans cleanly.
			Config: canaryStackWith(be.URL, zip, "v1", policy),
		},
	}))
}

// TestAccAlias_timeoutsShorterThanTheDeadlineWarns: a timeouts.update that
// would abort a blocking rollout before its deadline is pointed out when
// the configuration is validated.
func TestAccAlias_timeoutsShorterThanTheDeadlineWarns(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcc(t)
	r := newTFRun(t)
	r.write(acctest.ConfigCompose(acctest.ProviderConfig("us-east-1", nil, "skip_credentials_validation = true"), `resource "rollout_alias" "a" {
  function_name    = "orders"
  name             = "live"
  function_version = "1"
  canary_policy    = { steps = [{ weight_percent = 10, hold = "10m" }], interval = "1m" }

  timeouts {
    update = "5m"
  }
}`))
	out, err := r.runExact("validate", "-no-color")
	if err != nil {
		t.Fatalf("validate: %v\n%s", err, out)
	}
	want := `Warning: Update Time Limit Shorter Than The Deadline`
	detail := `timeouts.update = "5m0s" ends the apply before the canary policy's deadline (20m0s)`
	if flat := strings.Join(strings.Fields(out), " "); !strings.Contains(flat, want) || !strings.Contains(flat, detail) {
		t.Errorf("validate does not warn %q / %q:\n%s", want, detail, out)
	}
}
