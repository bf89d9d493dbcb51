package provider_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/rollout-tf/terraform-provider-rollout/internal/acctest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/testfn"
)

// TestAccReliability_apiFaults runs the function, rollback, alias and canary
// scenarios while the sandbox throttles 20% and fails 5% of the Lambda,
// CloudWatch and S3 calls: every apply must still end as planned, and the
// state must match what AWS holds.
func TestAccReliability_apiFaults(t *testing.T) {
	faults := []sandbox.Fault{}
	for _, svc := range []string{"lambda", "cloudwatch"} {
		faults = append(faults, sandbox.Fault{Service: svc, Kind: sandbox.FaultThrottle, Rate: 0.2}, sandbox.Fault{Service: svc, Kind: sandbox.FaultError, Rate: 0.05})
	}
	inst := sandboxtest.Start(t, sandbox.Options{Faults: faults, FaultSeed: 2026})
	zipBytes, err := testfn.Zip()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	zip := filepath.Join(dir, "fn.zip")
	if err := os.WriteFile(zip, zipBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	// The test's own traffic and checks go through a client that retries hard.
	c := acctest.PatientLambda(inst.URL)
	stop := loadOnLive(t, c, 60)
	cfg := func(release, failRate string) string {
		s := canaryStack(inst.URL, zip, release, failRate)
		return strings.Replace(s, "max_retries = 3", "max_retries = 12", 1)
	}
	const aliasAddr = "rollout_alias.live"
	fails := acctest.NewFailures(t)
	tfresource.ParallelTest(t, acctest.Case(t, inst.URL, []tfresource.TestStep{
		{Config: cfg("v1.0.0", "0"), ConfigStateChecks: []statecheck.StateCheck{
			statecheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("function_version"), knownvalue.StringExact("1"))}},
		{Config: cfg("v1.1.0", "1"), ExpectError: acctest.ExpectErrorText("Canary Rolled Back")},
		{Config: cfg("v1.1.1", "0"), ConfigStateChecks: []statecheck.StateCheck{
			statecheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("function_version"), knownvalue.StringExact("3")),
			statecheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("deployment").AtMapKey("status"), knownvalue.StringExact("promoted"))}},
		{
			Config: cfg("v1.0.0", "0"),
			ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectKnownValue("rollout_function.test", tfjsonpath.New("version"), knownvalue.StringExact("1"))}},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("function_version"), knownvalue.StringExact("1"))},
		},
		{Config: cfg("v1.0.0", "0"), ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}}},
	}))
	stop()
	calls, injected, throttled := 0, 0, 0
	for _, call := range inst.Journal.Calls() {
		if call.AccessKey != "AKIDROLLOUTTEST" {
			continue
		}
		calls++
		if call.Fault != "" {
			injected++
		}
		if strings.Contains(call.Fault, ":throttle=") {
			throttled++
		}
	}
	if injected == 0 {
		t.Fatal("no fault was injected into the provider's calls: the test proved nothing")
	}
	switch a, err := lambdaops.FindAlias(context.Background(), c, "canaried", "live"); {
	case err == nil:
		fails.Errorf("alias survived destroy: %s", aws.ToString(a.FunctionVersion))
	case !lambdaops.IsNotFound(err):
		fails.Errorf("cannot tell whether the alias survived destroy: %v", err)
	}
	fmt.Printf("reliability/api-faults: %d provider calls, %d faults injected (%d throttling, %d errors), failures found: %d\n", calls, injected, throttled, injected-throttled, fails.Count())
}

// TestAccReliability_interruptLoop interrupts rollouts at seeded random
// points, 20 times, alternating SIGINT (Terraform stops the provider) and
// SIGKILL of Terraform and the provider. After each: the alias is never
// split without the plan showing it, and one apply converges.
func TestAccReliability_interruptLoop(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcc(t)
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "running function code with real metrics")
	zip, _ := testFunctionZip(t)
	c := sdkLambda(be.URL)
	stopLoad := loadOnLive(t, c, 50)
	cfg := func(release string) string {
		return strings.Replace(canaryStack(be.URL, zip, release, "0"), `hold = "3s"`, `hold = "2s"`, 1)
	}
	r := newTFRun(t)
	r.write(cfg("r0"))
	r.mustRun("first apply", "apply", "-auto-approve")
	rng := rand.New(rand.NewSource(20261125))
	const runs = 20
	fails := acctest.NewFailures(t)
	kills, interrupts, splits, torn := 0, 0, 0, 0
	for i := 1; i <= runs; i++ {
		r.write(cfg(fmt.Sprintf("r%d", i)))
		cmd := r.command("apply", "-auto-approve")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.Intn(3000)) * time.Millisecond)
		if i%2 == 0 {
			kills++
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		} else {
			interrupts++
			_ = cmd.Process.Signal(os.Interrupt)
		}
		_ = cmd.Wait()
		_ = os.Remove(filepath.Join(r.dir, ".terraform.tfstate.lock.info"))
		if r.restoreTornState() {
			torn++
		}

		a, err := lambdaops.FindAlias(context.Background(), c, "canaried", "live")
		if err != nil {
			t.Fatalf("run %d: reading the alias: %v", i, err)
		}
		if a.RoutingConfig != nil && len(a.RoutingConfig.AdditionalVersionWeights) > 0 {
			splits++
			r.expectPlanShowsSplit(fmt.Sprintf("run %d", i))
		}
		if out, err := r.run("apply", "-auto-approve"); err != nil {
			t.Fatalf("run %d: the recovery apply failed: %v\n%s", i, err, out)
		}
		if out, err := r.run("plan", "-detailed-exitcode"); err != nil {
			t.Fatalf("run %d: not converged after one apply: %v\n%s", i, err, out)
		}
	}
	stopLoad()
	if out, err := r.destroy(be.URL); err != nil {
		fails.Errorf("destroy: %v\n%s", err, out)
	}
	fmt.Printf("reliability/interrupts: %d runs (%d SIGINT, %d SIGKILL), %d left the alias split and the plan showed it, %d left terraform.tfstate torn (restored from its backup), failures found: %d\n", interrupts+kills, interrupts, kills, splits, torn, fails.Count())
}

// expectPlanShowsSplit stops the test (what names the moment) unless
// plan -detailed-exitcode shows changes and the alias's routing: the
// split the alias is left in.
func (r *tfRun) expectPlanShowsSplit(what string) {
	r.t.Helper()
	plan := r.command("plan", "-detailed-exitcode")
	var out bytes.Buffer
	plan.Stdout, plan.Stderr = &out, &out
	err := plan.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(out.String(), "routing") {
		r.t.Fatalf("%s: the alias is split but the plan does not show it (exit %v):\n%s", what, err, out.String())
	}
}

// restoreTornState does what docs/guides/canaries.md tells a user to do
// after Terraform was killed while writing its local state: Terraform's
// local backend empties terraform.tfstate and then writes it (it does not
// write a new file and rename it), so SIGKILL between the two leaves the
// file empty, and Terraform then plans to create everything. The state
// before that apply is in terraform.tfstate.backup (written before the
// first change of every apply); restoring it is the recovery, and the
// provider must converge from it in one apply. It reports whether the
// state was torn.
func (r *tfRun) restoreTornState() bool {
	r.t.Helper()
	path := filepath.Join(r.dir, "terraform.tfstate")
	b, err := os.ReadFile(path)
	if err != nil {
		r.t.Fatal(err)
	}
	if len(b) > 0 && json.Valid(b) {
		return false
	}
	backup, err := os.ReadFile(path + ".backup")
	if err != nil || !json.Valid(backup) {
		r.t.Fatalf("terraform.tfstate is torn (%d bytes) and its backup is not a state either: %v", len(b), err)
	}
	if err := os.WriteFile(path, backup, 0o600); err != nil {
		r.t.Fatal(err)
	}
	return true
}

// TestAccReliability_tornStateRecovers kills Terraform during a canary at
// the instant its local backend has emptied terraform.tfstate to rewrite
// it (the test empties the file). Terraform writes terraform.tfstate.backup,
// the state the apply started from, just before its first rewrite of an
// apply; when the kill came before that rewrite (Terraform 1.5 rewrites the
// state only at the end of an apply), the test writes that backup itself
// from its own copy of the state the apply started from. After the user's
// recovery (the backup restored), the plan shows the split and one apply
// converges, adopting the version the killed apply published instead of
// publishing it again.
func TestAccReliability_tornStateRecovers(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcc(t)
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "running function code with real metrics")
	zip, _ := testFunctionZip(t)
	c := sdkLambda(be.URL)
	stopLoad := loadOnLive(t, c, 50)
	defer stopLoad()
	r := newTFRun(t)
	r.write(canaryStack(be.URL, zip, "r0", "0"))
	r.mustRun("first apply", "apply", "-auto-approve")

	startedFrom := r.readState()
	r.write(canaryStack(be.URL, zip, "r1", "0"))
	cmd := r.command("apply", "-auto-approve")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	split := splitWithin(c)
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	_ = cmd.Wait()
	if !split {
		t.Fatalf("the canary never split the alias within a minute:\n%s", out.String())
	}
	_ = os.Remove(filepath.Join(r.dir, ".terraform.tfstate.lock.info"))
	backup := filepath.Join(r.dir, "terraform.tfstate.backup")
	switch b, err := os.ReadFile(backup); {
	case os.IsNotExist(err):
		t.Logf("Terraform had not rewritten its state yet in this apply: the backup it writes first is the state the apply started from")
		if err := os.WriteFile(backup, startedFrom, 0o600); err != nil {
			t.Fatal(err)
		}
	case err != nil:
		t.Fatal(err)
	case !json.Valid(b):
		t.Fatalf("Terraform's backup is not a state:\n%s", b)
	}
	if err := os.Truncate(filepath.Join(r.dir, "terraform.tfstate"), 0); err != nil {
		t.Fatal(err)
	}
	before, err := lambdaops.ListVersions(context.Background(), c, "canaried")
	if err != nil {
		t.Fatal(err)
	}
	if !r.restoreTornState() {
		t.Fatal("an empty terraform.tfstate was not taken as torn")
	}

	r.expectPlanShowsSplit("after the backup was restored")
	r.mustRun("the recovery apply", "apply", "-auto-approve")
	if out, err := r.run("plan", "-detailed-exitcode"); err != nil {
		t.Fatalf("not converged after one apply: %v\n%s", err, out)
	}
	after, err := lambdaops.ListVersions(context.Background(), c, "canaried")
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Errorf("the recovery apply published %d version(s) again; the killed apply's version should have been adopted", len(after)-len(before))
	}
	r.expectDeployment(deploymentWant{Version: aws.ToString(before[len(before)-1].Version), Status: "promoted"})
	stopLoad()
	r.checkDestroy(be.URL)
}

// TestAccReliability_concurrentApplies runs two terraform applies, from two
// separate states, that change the same function and alias at the same
// moment: one wins, the other fails clearly, and nothing of the loser is
// published or routed.
func TestAccReliability_concurrentApplies(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcc(t)
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "holding two writers at the same point")
	dir := t.TempDir()
	zips := map[string]string{}
	for _, n := range []string{"a1", "a2", "b1"} {
		zips[n] = acctest.WriteZip(t, dir, n+".zip", "code "+n)
	}
	stack := func(zip, release string) string {
		return acctest.ConfigCompose(acctest.SandboxConfig(be.URL), fmt.Sprintf(`
resource "rollout_function" "test" {
  function_name = "shared"
  role          = %q
  runtime       = "provided.al2023"
  handler       = "bootstrap"
  filename      = %q
  release       = %q
}

resource "rollout_alias" "live" {
  function_name    = rollout_function.test.function_name
  name             = "live"
  function_version = rollout_function.test.version
}
`, testRole, zip, release))
	}
	a, b := newTFRun(t), newTFRun(t)
	a.write(stack(zips["a1"], "a1"))
	if out, err := a.run("apply", "-auto-approve"); err != nil {
		t.Fatalf("apply a1: %v\n%s", err, out)
	}
	b.write(stack(zips["b1"], "b1"))
	for _, imp := range [][]string{{"rollout_function.test", "shared"}, {"rollout_alias.live", "shared/live"}} {
		if out, err := b.runExact("import", "-input=false", "-no-color", imp[0], imp[1]); err != nil {
			t.Fatalf("import %v: %v\n%s", imp, err, out)
		}
	}
	a.write(stack(zips["a2"], "a2"))

	// Hold each UpdateFunctionCode until both writers have read the same
	// RevisionId: the race is then certain, not a matter of luck.
	var mu sync.Mutex
	arrived := 0
	both := make(chan struct{})
	be.Sandbox.Server.BeforeRequest(func(call sandbox.Call) {
		if call.Operation != "UpdateFunctionCode" || call.AccessKey != "AKIDROLLOUTTEST" {
			return
		}
		mu.Lock()
		arrived++
		if arrived == 2 {
			close(both)
		}
		mu.Unlock()
		select {
		case <-both:
		case <-time.After(20 * time.Second):
		}
	})
	type result struct {
		who string
		out string
		err error
	}
	runs := map[string]*tfRun{"a": a, "b": b}
	results := make(chan result, len(runs))
	for who, r := range runs {
		go func(who string, r *tfRun) {
			out, err := r.run("apply", "-auto-approve")
			results <- result{who, out, err}
		}(who, r)
	}
	var winner, loser result
	for range runs {
		res := <-results
		if res.err == nil {
			winner = res
		} else {
			loser = res
		}
	}
	be.Sandbox.Server.BeforeRequest(nil)
	if winner.who == "" || loser.who == "" {
		t.Fatalf("want one winner and one loser; a and b:\n%s\n%s", winner.out, loser.out)
	}
	fails := acctest.NewFailures(t)
	clearly := strings.Contains(loser.out, "Concurrent Change Of $LATEST") && strings.Contains(loser.out, "Nothing was published and no alias moved")
	if !clearly {
		fails.Errorf("the loser (%s) did not fail clearly:\n%s", loser.who, loser.out)
	}
	winZip := map[string]string{"a": zips["a2"], "b": zips["b1"]}[winner.who]
	loseZip := map[string]string{"a": zips["a2"], "b": zips["b1"]}[loser.who]
	c := sdkLambda(be.URL)
	versions, err := lambdaops.ListVersions(context.Background(), c, "shared")
	if err != nil {
		t.Fatal(err)
	}
	published := 0
	for _, v := range versions {
		if aws.ToString(v.CodeSha256) == fileSha(t, loseZip) {
			published++
			fails.Errorf("version %s holds the loser's code", aws.ToString(v.Version))
		}
	}
	al, err := lambdaops.FindAlias(context.Background(), c, "shared", "live")
	if err != nil {
		t.Fatal(err)
	}
	live, err := lambdaops.FindVersion(context.Background(), c, "shared", aws.ToString(al.FunctionVersion))
	if err != nil || aws.ToString(live.CodeSha256) != fileSha(t, winZip) {
		fails.Errorf("the alias routes to version %s, not the winner's code", aws.ToString(al.FunctionVersion))
	}
	fmt.Printf("reliability/concurrency: %d simultaneous applies, winner %s, loser %s failed with a concurrent-change error: %v, loser's code published: %d, failures found: %d\n",
		len(runs), winner.who, loser.who, clearly, published, fails.Count())
}
