package provider_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/google/go-cmp/cmp"

	"github.com/rollout-tf/terraform-provider-rollout/internal/acctest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/loadgen"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
)

// workerGroupStack is an API (api) and its worker (worker, fed by the
// queue of queueFixture through the mapping on worker:live) released
// together by rollout_alias_group.release under a canary; the worker
// member carries interlock. failRate is the share of the worker's batches
// that fail.
func workerGroupStack(url, zip, release, failRate, record, interlock string) string {
	return workerGroup(url, zip, release, failRate, record, interlock, "", `  steps    = [{ weight_percent = 50, hold = "30s" }]
  interval = "1s"
  health   = { max_error_rate = 0.1, min_invocations = 3 }`)
}

// workerGroup is workerGroupStack with more worker attribute lines
// (extra) and policy (empty: the group has no canary_policy).
func workerGroup(url, zip, release, failRate, record, interlock, extra, policy string) string {
	fn := func(name, env string) string {
		return fmt.Sprintf(`
resource "rollout_function" %q {
  function_name = %q
  role          = %q
  runtime       = "provided.al2023"
  handler       = "bootstrap"
  filename      = %q
  release       = %q
  timeout       = 30
  environment   = %s
%s}
`, name, name, testRole, zip, release, env, extra)
	}
	policyLine, policyBlock := "", ""
	if policy != "" {
		policyLine, policyBlock = "  canary_policy = rollout_canary_policy.p.spec\n", canaryPolicy(policy)
	}
	return acctest.ConfigCompose(acctest.SandboxConfig(url),
		fn("api", fmt.Sprintf(`{ RELEASE = %q, FAIL_RATE = "0" }`, release)),
		fn(workerFunction, fmt.Sprintf(`{ RELEASE = %q, FAIL_RATE = %q, OUTCOME_FILE = %q, LATENCY_MS = "5" }`, release, failRate, record)),
		policyBlock,
		fmt.Sprintf(`
resource "rollout_alias_group" "release" {
  name          = "orders"
%s  members = {
    api    = { function_name = rollout_function.api.function_name, alias = "live", function_version = rollout_function.api.version }
    worker = {
      function_name    = rollout_function.worker.function_name
      alias            = "live"
      function_version = rollout_function.worker.version
%s    }
  }
}
`, policyLine, interlock))
}

// TestAccAliasGroupInterlock_rollbackLosesNoMessage: a group of an API
// and its worker, the worker fed by a queue while messages arrive at a
// steady rate; the worker's new version fails every batch and the group
// rolls both members back. The plan lists the worker's pauses; the
// mapping is paused before either member's traffic goes back; afterwards
// the queue, the dead-letter queue and the worker's own record show every
// message processed exactly once or in the dead-letter queue, none
// received by the rejected version after the decision; both members serve
// version 1, the mapping is Enabled and the state records nothing paused.
func TestAccAliasGroupInterlock_rollbackLosesNoMessage(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcc(t)
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "an SQS event source mapping that runs function code")
	zip, _ := testFunctionZip(t)
	record := recordFile(t)
	q := newQueueFixture(t, be.URL)
	r := newTFRun(t)
	interlock := "      event_source_interlock = { pause_on = [\"start\", \"promotion\", \"rollback\"], drain_timeout = \"30s\" }\n"
	r.write(workerGroupStack(be.URL, zip, "v1", "0", record, interlock))
	r.mustRun("first apply", "apply", "-auto-approve")
	q.mapQueue()
	defer q.unmap()
	q.sendSteadily()

	r.write(workerGroupStack(be.URL, zip, "v2", "1", record, interlock))
	plan := r.mustRun("plan", "plan")
	for _, want := range []string{"worker: start: pause the event source mappings before the first 50% of the group's traffic moves to the new versions",
		"worker: rollback: pause the event source mappings first, if the canary rolls back, before any member's traffic goes back (this member's to version 1)"} {
		if !strings.Contains(plan, want) {
			t.Errorf("the plan does not say %q:\n%s", want, plan)
		}
	}
	if strings.Contains(plan, `"api: `) {
		t.Errorf("the plan lists pauses for api, which has no interlock:\n%s", plan)
	}
	mark := be.Sandbox.Journal.Mark()
	out, err := r.run("apply", "-auto-approve")
	time.Sleep(2 * time.Second) // messages keep arriving after the rollback
	sent := q.stopSending()
	if err == nil || !strings.Contains(out, "rolled back") {
		t.Fatalf("the failing release was not rolled back (err %v):\n%s", err, out)
	}
	c := sdkLambda(be.URL)
	for _, fn := range []string{"api", workerFunction} {
		a, err := c.GetAlias(context.Background(), &lambda.GetAliasInput{FunctionName: aws.String(fn), Name: aws.String("live")})
		if err != nil {
			t.Fatal(err)
		}
		if v := aws.ToString(a.FunctionVersion); v != "1" || a.RoutingConfig != nil && len(a.RoutingConfig.AdditionalVersionWeights) > 0 {
			t.Errorf("member %s serves version %s (routing %v) after the rollback, want all of it on 1", fn, v, a.RoutingConfig)
		}
	}
	if st := q.waitMapping("Enabled", 10*time.Second); st != "Enabled" {
		t.Errorf("the mapping is %s after the rollback, want Enabled (resumed)", st)
	}
	if p, _ := r.resourceState("rollout_alias_group")["paused_event_sources"].([]any); len(p) != 0 {
		t.Errorf("paused_event_sources = %v after a rollback that resumed", p)
	}
	calls := be.Sandbox.Journal.Since(mark)
	// Every member's rollback write comes after the rollback's pause: the
	// last pause (the mapping answered Disabling) before the first of them.
	rollbacks := map[string]time.Time{}
	for _, call := range calls {
		if call.AccessKey == acctest.ProviderAccessKey && call.Operation == "UpdateAlias" {
			rollbacks[call.Function] = call.Time
		}
	}
	first := time.Time{}
	for _, at := range rollbacks {
		if first.IsZero() || at.Before(first) {
			first = at
		}
	}
	var pause time.Time
	for _, call := range calls {
		if call.AccessKey == acctest.ProviderAccessKey && call.Operation == "UpdateEventSourceMapping" && call.Time.Before(first) && strings.Contains(call.Detail, "Disabl") {
			pause = call.Time
		}
	}
	var started time.Time // the start's pause
	for _, call := range calls {
		if call.AccessKey == acctest.ProviderAccessKey && call.Operation == "UpdateEventSourceMapping" && strings.Contains(call.Detail, "Disabl") {
			started = call.Time
			break
		}
	}
	if len(rollbacks) != 2 || pause.IsZero() || !pause.After(started) {
		t.Errorf("the journal shows no pause of the rollback before the members' rollback writes (writes %v, pauses at %v and %v)", rollbacks, started, pause)
	}
	if err := q.drain(2 * time.Minute); err != nil {
		t.Fatal(err)
	}
	tally := tallyQueue(t, q, readWorkerRecord(t, record), calls, sent)
	tally.check(t)
	q.unmap()
	if out, err := r.destroy(be.URL, "-refresh=false"); err != nil {
		t.Errorf("destroy: %v\n%s", err, out)
	}
}

// TestAccAliasGroupInterlock_rollbackWriteFailsKeepsPaused: the group's
// canary rolls back, but every member's rollback write fails (the sandbox
// fails every UpdateAlias from the rollback on). The worker's traffic
// still reaches the rejected version, so its mapping stays paused and the
// state lists it; the next plan says it resumes after the rollback, and
// its apply moves both members back before it enables the mapping.
func TestAccAliasGroupInterlock_rollbackWriteFailsKeepsPaused(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcc(t)
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "a fault injected at an exact point of the apply")
	zip, _ := testFunctionZip(t)
	record := recordFile(t)
	q := newQueueFixture(t, be.URL)
	r := newTFRun(t)
	interlock := "      event_source_interlock = { pause_on = [\"start\", \"promotion\", \"rollback\"], drain_timeout = \"30s\" }\n"
	r.write(workerGroupStack(be.URL, zip, "v1", "0", record, interlock))
	r.mustRun("first apply", "apply", "-auto-approve")
	q.mapQueue()
	defer q.unmap()
	q.sendSteadily()
	// The provider's first two UpdateAlias are the members' start; from
	// the third (the rollback) on, every one fails.
	var updates atomic.Int32
	be.Sandbox.Server.BeforeRequest(func(call sandbox.Call) {
		if call.Operation == "UpdateAlias" && call.AccessKey == acctest.ProviderAccessKey && updates.Add(1) == 3 {
			be.Sandbox.Server.SetFaults([]sandbox.Fault{{Service: "lambda", Operation: "UpdateAlias", Kind: sandbox.FaultError, Rate: 1}})
		}
	})
	r.write(workerGroupStack(be.URL, zip, "v2", "1", record, interlock))
	out, err := r.run("apply", "-auto-approve")
	be.Sandbox.Server.BeforeRequest(nil)
	q.stopSending()
	if err == nil || !strings.Contains(flat(out), "stay paused") {
		t.Errorf("the apply does not say the mapping stays paused (err %v):\n%s", err, out)
	}
	a, err := lambdaops.FindAlias(context.Background(), q.lambda, workerFunction, "live")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, split := lambdaops.Routing(a.RoutingConfig); !split {
		t.Fatalf("the worker is not split after the failed rollback (%+v): the test proves nothing\n%s", a, out)
	}
	if st := q.waitMapping("Disabled", 10*time.Second); st != "Disabled" {
		t.Errorf("the mapping is %s while half of the worker's traffic reaches the rejected version, want Disabled (kept paused)", st)
	}
	want := "worker/" + q.mapping
	if paused, _ := r.resourceState("rollout_alias_group")["paused_event_sources"].([]any); len(paused) != 1 || paused[0] != want {
		t.Errorf("paused_event_sources = %v, want [%s]", paused, want)
	}

	be.Sandbox.Server.SetFaults(nil)
	plan := flat(r.mustRun("plan", "plan"))
	for _, want := range []string{"Resuming Paused Event Sources After The Rollback", `status = "in_progress" -> "rolled_back"`,
		"worker: rollback: pause the event source mappings first"} {
		if !strings.Contains(plan, want) {
			t.Errorf("the plan does not show %q:\n%s", want, plan)
		}
	}
	if strings.Contains(plan, "Group Member Split") {
		t.Errorf("the plan treats the failed rollback as an interrupted release (a new start towards the rejected versions):\n%s", plan)
	}
	mark := be.Sandbox.Journal.Mark()
	_, _ = r.run("apply", "-auto-approve") // the rollback's apply reports the rollback as an error
	var order []string
	for _, c := range be.Sandbox.Journal.Since(mark) {
		if c.AccessKey == acctest.ProviderAccessKey && (c.Operation == "UpdateAlias" || c.Operation == "UpdateEventSourceMapping") && c.Status < 300 {
			order = append(order, c.Operation)
		}
	}
	if diff := cmp.Diff([]string{"UpdateAlias", "UpdateAlias", "UpdateEventSourceMapping"}, order); diff != "" {
		t.Errorf("the retried rollback's writes (-want +got): both members' traffic must move back before the mapping resumes\n%s", diff)
	}
	if st := q.waitMapping("Enabled", 10*time.Second); st != "Enabled" {
		t.Errorf("the mapping is %s after the retried rollback, want Enabled", st)
	}
	for _, fn := range []string{"api", workerFunction} {
		a, err := lambdaops.FindAlias(context.Background(), q.lambda, fn, "live")
		if v, _, split := lambdaops.Routing(a.RoutingConfig); err != nil || aws.ToString(a.FunctionVersion) != "1" || split {
			t.Errorf("after the retried rollback member %s serves %s (split onto %q, %v)", fn, aws.ToString(a.FunctionVersion), v, err)
		}
	}
	if err := q.drain(2 * time.Minute); err != nil {
		t.Error(err)
	}
	q.unmap()
	if out, err := r.destroy(be.URL, "-refresh=false"); err != nil {
		t.Errorf("destroy: %v\n%s", err, out)
	}
}

// TestAccAliasGroupInterlock_resumeFailureIsRecorded: a group without a
// canary moves its worker (a promotion); the resume after the move fails,
// so the state records the mapping left paused as worker/<uuid>; the next
// plan shows it going to [] with a warning, and its apply resumes it.
func TestAccAliasGroupInterlock_resumeFailureIsRecorded(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcc(t)
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "a fault injected at an exact point of the apply")
	zip, _ := testFunctionZip(t)
	record := recordFile(t)
	q := newQueueFixture(t, be.URL)
	interlock := "      event_source_interlock = { pause_on = [\"promotion\"], drain_timeout = \"5s\" }\n"
	stack := func(release string) string { return workerGroup(be.URL, zip, release, "0", record, interlock, "", "") }
	r := newTFRun(t)
	r.write(stack("v1"))
	r.mustRun("first apply", "apply", "-auto-approve")
	q.mapQueue()
	defer q.unmap()
	r.write(stack("v2"))
	plan := strings.Join(strings.Fields(r.mustRun("plan", "plan")), " ")
	if want := `"worker: promotion: pause the event source mappings before all traffic moves to the new function_version, resume after"`; !strings.Contains(plan, want) {
		t.Errorf("the plan does not say %s:\n%s", want, plan)
	}
	be.OnceAfterProvider("UpdateAlias", 200, func() {
		be.Sandbox.Server.SetFaults([]sandbox.Fault{{Service: "lambda", Operation: "UpdateEventSourceMapping", Kind: sandbox.FaultError, Rate: 1}})
	})
	out := strings.Join(strings.Fields(r.mustRun("apply whose resume fails", "apply", "-auto-approve")), " ")
	if !strings.Contains(out, "Event Source Interlock") || !strings.Contains(out, "resuming the event source mappings after the promotion") {
		t.Errorf("the apply does not warn that the resume failed:\n%s", out)
	}
	want := "worker/" + q.mapping
	if paused, _ := r.resourceState("rollout_alias_group")["paused_event_sources"].([]any); len(paused) != 1 || paused[0] != want {
		t.Fatalf("paused_event_sources = %v, want [%s]", paused, want)
	}
	if st := q.waitMapping("Disabled", 10*time.Second); st != "Disabled" {
		t.Errorf("the mapping is %s, want Disabled (left paused)", st)
	}
	be.Sandbox.Server.SetFaults(nil)
	plan = strings.Join(strings.Fields(r.mustRun("plan", "plan")), " ")
	for _, w := range []string{"Resuming Paused Event Sources", `~ paused_event_sources = [ - "` + want + `", ]`} {
		if !strings.Contains(plan, w) {
			t.Errorf("the plan does not show %q:\n%s", w, plan)
		}
	}
	r.mustRun("apply that resumes", "apply", "-auto-approve")
	if st := q.waitMapping("Enabled", 10*time.Second); st != "Enabled" {
		t.Errorf("the mapping is %s after the resuming apply, want Enabled", st)
	}
	if out, err := r.run("plan", "-detailed-exitcode"); err != nil {
		t.Errorf("the configuration did not converge: %v\n%s", err, out)
	}
	q.unmap()
	r.checkDestroy(be.URL)
}

// TestAccAliasGroupInterlock_planChecks: at plan time, a member's mapping
// that declares an event schema its new version cannot read is refused,
// pointing at the member.
func TestAccAliasGroupInterlock_planChecks(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcc(t)
	be := acctest.NewBackend(t)
	zip, _ := testFunctionZip(t)
	record := recordFile(t)
	const uuid = "a1b2c3d4-0000-4000-8000-000000000002"
	interlock := func(ev int) string {
		return fmt.Sprintf("      version_data_schemas   = rollout_function.worker.version_data_schemas\n"+
			"      event_source_interlock = { mappings = [{ uuid = %q, event_schema_version = %d }] }\n", uuid, ev)
	}
	schemas := func(s string) string { return "  compatible_data_schemas = " + s + "\n" }
	r := newTFRun(t)
	r.write(workerGroup(be.URL, zip, "v1", "0", record, interlock(2), schemas("{ min = 1, max = 2 }"), ""))
	r.mustRun("first apply", "apply", "-auto-approve")
	// v2 reads schemas 3..4; the queue still carries schema 2. The worker's
	// version is published by the apply: the plan reads its range from
	// version_data_schemas.
	r.write(workerGroup(be.URL, zip, "v2", "0", record, interlock(2), schemas("{ min = 3, max = 4 }"), ""))
	out, err := r.run("plan")
	flat := strings.Join(strings.Fields(out), " ")
	if err == nil || !strings.Contains(flat, "Incompatible Event Schema") || !strings.Contains(flat, `Member "worker": event_source_interlock.mappings[0].event_schema_version = 2`) ||
		!strings.Contains(flat, "compatible_data_schemas 3..4") {
		t.Errorf("the plan does not refuse schema 2 for a version that reads 3..4 (err %v):\n%s", err, out)
	}
	r.write(workerGroup(be.URL, zip, "v1", "0", record, interlock(2), schemas("{ min = 1, max = 2 }"), ""))
	r.checkDestroy(be.URL)
}

// TestAccAliasGroup_statusShowsMemberProgress: while a group's canary
// holds its step, rolloutctl status --group shows each changed member's
// step and the time left in it (each member's rollout:progress tag).
func TestAccAliasGroup_statusShowsMemberProgress(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcc(t)
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "running function code with real metrics")
	zip, _ := testFunctionZip(t)
	record := recordFile(t)
	stack := func(release string) string {
		return workerGroup(be.URL, zip, release, "0", record, "", "", `  steps    = [{ weight_percent = 50, hold = "20s" }]
  interval = "1s"
  health   = { max_error_rate = 0.1, min_invocations = 3 }`)
	}
	r := newTFRun(t)
	r.write(stack("v1"))
	r.mustRun("first apply", "apply", "-auto-approve")
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	for _, fn := range []string{"api", workerFunction} {
		go func() {
			_, _ = loadgen.Run(ctx, loadgen.Options{Client: sdkLambda(be.URL), Function: fn, Qualifier: "live", RPS: 20, Payload: []byte(`{}`)})
		}()
	}
	ctlBin := rolloutctlBinary(t) // built before the hold starts, not inside it
	r.write(stack("v2"))
	applied := make(chan error, 1)
	go func() {
		_, err := r.run("apply", "-auto-approve")
		applied <- err
	}()
	var out []byte
	seen := false
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline) && !seen; time.Sleep(500 * time.Millisecond) {
		ctl := exec.Command(ctlBin, "status", "--group", "orders", "--member", "api:live", "--member", workerFunction+":live",
			"--endpoint", be.URL, "--region", "us-east-1")
		ctl.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=AKIDOPERATOR", "AWS_SECRET_ACCESS_KEY=s")
		out, _ = ctl.CombinedOutput()
		seen = strings.Count(string(out), "in progress, step 1 of 1 at 50%") == 2 && strings.Count(string(out), "left in the step") == 2
	}
	if !seen {
		t.Errorf("rolloutctl status --group never showed both members' step and time left during the release; last frame:\n%s", out)
	} else {
		t.Logf("rolloutctl status --group during the release:\n%s", out)
	}
	if err := <-applied; err != nil {
		t.Errorf("the healthy release failed: %v", err)
	}
	stop()
	r.checkDestroy(be.URL)
}

// TestAccAliasGroupInterlock_planDriven: with wait = false each plan shows
// the worker's pause of the transition it plans (the start, then the
// rollback the gates call for), each apply makes it, and the queue's
// messages are all processed once or dead-lettered, none by the rejected
// version after the rollback's pause.
func TestAccAliasGroupInterlock_planDriven(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcc(t)
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "an SQS event source mapping that runs function code")
	zip, _ := testFunctionZip(t)
	record := recordFile(t)
	q := newQueueFixture(t, be.URL)
	interlock := "      event_source_interlock = { pause_on = [\"start\", \"promotion\", \"rollback\"], drain_timeout = \"30s\" }\n"
	stack := func(release, failRate string) string {
		return workerGroup(be.URL, zip, release, failRate, record, interlock, "", `  steps    = [{ weight_percent = 50, hold = "30s" }]
  interval = "1s"
  wait     = false
  health   = { max_error_rate = 0.1, min_invocations = 3 }`)
	}
	r := newTFRun(t)
	r.write(stack("v1", "0"))
	r.mustRun("first apply", "apply", "-auto-approve")
	q.mapQueue()
	defer q.unmap()
	q.sendSteadily()

	r.write(stack("v2", "1"))
	plan := strings.Join(strings.Fields(r.mustRun("plan of the start", "plan")), " ")
	if want := `"worker: start: pause the event source mappings before the first 50% of the group's traffic moves to the new versions, resume after"`; !strings.Contains(plan, want) {
		t.Errorf("the plan does not say %s:\n%s", want, plan)
	}
	if strings.Contains(plan, "worker: rollback") || strings.Contains(plan, "worker: promotion") {
		t.Errorf("the plan of the start lists pauses the start does not make:\n%s", plan)
	}
	mark := be.Sandbox.Journal.Mark()
	r.mustRun("apply of the start", "apply", "-auto-approve")
	if n := len(be.Sandbox.Journal.Of(mark, "UpdateEventSourceMapping")); n != 2 {
		t.Errorf("the start made %d UpdateEventSourceMapping calls, want 2 (pause, resume)", n)
	}
	// The worker's batches fail; the next plan shows the group's rollback, paused first.
	var rollbackPlan string
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(time.Second) {
		rollbackPlan = strings.Join(strings.Fields(r.mustRun("plan", "plan")), " ")
		if strings.Contains(rollbackPlan, "rolled_back") {
			break
		}
	}
	if want := `"worker: rollback: pause the event source mappings first, before any member's traffic goes back (this member's to version 1), resume after"`; !strings.Contains(rollbackPlan, want) {
		t.Fatalf("the plan does not say %s:\n%s", want, rollbackPlan)
	}
	mark = be.Sandbox.Journal.Mark()
	out, err := r.run("apply", "-auto-approve")
	if err == nil || !strings.Contains(out, "Rolled Back") {
		t.Fatalf("the rollback apply did not end rolled back (err %v):\n%s", err, out)
	}
	time.Sleep(2 * time.Second)
	sent := q.stopSending()
	if st := q.waitMapping("Enabled", 10*time.Second); st != "Enabled" {
		t.Errorf("the mapping is %s after the rollback, want Enabled", st)
	}
	if p, _ := r.resourceState("rollout_alias_group")["paused_event_sources"].([]any); len(p) != 0 {
		t.Errorf("paused_event_sources = %v after a rollback that resumed", p)
	}
	if err := q.drain(2 * time.Minute); err != nil {
		t.Fatal(err)
	}
	tally := tallyQueue(t, q, readWorkerRecord(t, record), be.Sandbox.Journal.Since(mark), sent)
	t.Logf("sent %d: processed once %d, in the dead-letter queue %d, lost %d, processed twice %d; received by the rejected version %d, of which after the decision %d",
		tally.Sent, tally.Processed, tally.InDLQ, tally.Lost, tally.Twice, tally.ReceivedByRejected, tally.SeenByRejected)
	if tally.Lost != 0 || tally.Twice != 0 || tally.SeenByRejected != 0 || tally.ReceivedByRejected == 0 {
		t.Errorf("want every message processed once or dead-lettered, none after the decision, and the canary exercised: %+v", tally)
	}
	q.unmap()
	if out, err := r.destroy(be.URL, "-refresh=false"); err != nil {
		t.Errorf("destroy: %v\n%s", err, out)
	}
}

// TestAccAliasGroupInterlock_queueDepthHoldsPromotion: the worker member's
// queue holds 40 messages (its mapping paused by hand); a group release
// whose gates all pass is promoted under the worker's max_queue_depth =
// 100 and held at its last step under max_queue_depth = 10 until the
// deadline rolls both members back, saying which queue held how many.
func TestAccAliasGroupInterlock_queueDepthHoldsPromotion(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcc(t)
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "AWS/SQS metrics of a queue an event source mapping reads")
	zip, _ := testFunctionZip(t)
	record := recordFile(t)
	q := newQueueFixture(t, be.URL)
	stack := func(release string, depth int) string {
		return workerGroup(be.URL, zip, release, "0", record, fmt.Sprintf("      event_source_interlock = { pause_on = [], max_queue_depth = %d }\n", depth), "",
			`  steps    = [{ weight_percent = 50, hold = "2s" }]
  interval = "1s"
  health   = { max_error_rate = 0.1, min_invocations = 0 }`)
	}
	r := newTFRun(t)
	r.write(stack("v1", 100))
	r.mustRun("first apply", "apply", "-auto-approve")
	q.mapQueue()
	defer q.unmap()
	if _, err := q.lambda.UpdateEventSourceMapping(context.Background(), &lambda.UpdateEventSourceMappingInput{UUID: aws.String(q.mapping), Enabled: aws.Bool(false)}); err != nil {
		t.Fatal(err)
	}
	if st := q.waitMapping("Disabled", 30*time.Second); st != "Disabled" {
		t.Fatalf("the mapping is %s, want Disabled", st)
	}
	if err := q.send(context.Background(), 40); err != nil {
		t.Fatal(err)
	}
	r.write(stack("v2", 100))
	r.mustRun("apply under max_queue_depth = 100", "apply", "-auto-approve")

	r.write(stack("v3", 10))
	out, err := r.run("apply", "-auto-approve")
	flat := strings.Join(strings.Fields(out), " ")
	if err == nil || !strings.Contains(flat, "queue orders holds 40 visible messages, above max_queue_depth 10") {
		t.Fatalf("a group promotion over the worker's max_queue_depth was not held and rolled back naming the queue (err %v):\n%s", err, out)
	}
	c := sdkLambda(be.URL)
	for _, fn := range []string{"api", workerFunction} {
		a, err := c.GetAlias(context.Background(), &lambda.GetAliasInput{FunctionName: aws.String(fn), Name: aws.String("live")})
		if err != nil || aws.ToString(a.FunctionVersion) != "2" || a.RoutingConfig != nil && len(a.RoutingConfig.AdditionalVersionWeights) > 0 {
			t.Errorf("member %s is not back on version 2 alone after the rollback: %+v, %v", fn, a, err)
		}
	}
	q.unmap()
	if out, err := r.destroy(be.URL, "-refresh=false"); err != nil {
		t.Errorf("destroy: %v\n%s", err, out)
	}
}

// TestAccAliasGroupInterlock_interruptMidPause: SIGINT while the group's
// apply waits for the worker's mapping to drain its in-flight batch (a
// slow worker) moves no member and never leaves the mapping paused: the
// apply resumes it on the way out, or the state records it and the next
// plan shows it resumed.
func TestAccAliasGroupInterlock_interruptMidPause(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcc(t)
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "an SQS event source mapping that runs function code")
	zip, _ := testFunctionZip(t)
	record := recordFile(t)
	q := newQueueFixture(t, be.URL)
	interlock := "      event_source_interlock = { pause_on = [\"start\", \"promotion\", \"rollback\"], drain_timeout = \"30s\" }\n"
	stack := func(release string) string {
		return strings.Replace(workerGroupStack(be.URL, zip, release, "0", record, interlock), `LATENCY_MS = "5"`, `LATENCY_MS = "4000"`, 1)
	}
	r := newTFRun(t)
	r.write(stack("v1"))
	r.mustRun("first apply", "apply", "-auto-approve")
	q.mapQueue()
	defer q.unmap()
	// A batch is in flight (4s each) when the apply pauses the mapping.
	r.write(stack("v2"))
	cmd, out := q.applyUntilPaused(r)
	_ = cmd.Process.Signal(os.Interrupt)
	if err := waitWithin(cmd, 2*time.Minute); err == nil {
		t.Errorf("an interrupted apply exited 0:\n%s", out.String())
	}
	for _, fn := range []string{"api", workerFunction} {
		a, err := lambdaops.FindAlias(context.Background(), q.lambda, fn, "live")
		if err != nil || aws.ToString(a.FunctionVersion) != "1" || (a.RoutingConfig != nil && len(a.RoutingConfig.AdditionalVersionWeights) > 0) {
			t.Errorf("member %s after SIGINT = %+v (%v); want all traffic on version 1\n%s", fn, a, err, out.String())
		}
	}
	st := q.waitMapping("Enabled", 40*time.Second)
	paused, _ := r.resourceState("rollout_alias_group")["paused_event_sources"].([]any)
	switch {
	case st == "Enabled" && len(paused) == 0:
		// Resumed on the way out.
	case st != "Enabled" && len(paused) == 1:
		plan := r.mustRun("plan after the interrupt", "plan")
		if !strings.Contains(plan, "Resuming Paused Event Sources") {
			t.Errorf("the plan does not show the resume:\n%s", plan)
		}
	default:
		t.Errorf("after SIGINT the mapping is %s and the state records %v as paused: a mapping left paused without the state saying so\n%s", st, paused, out.String())
	}
	t.Logf("after SIGINT the mapping is %s; paused_event_sources = %v", st, paused)
	q.unmap()
	if out, err := r.destroy(be.URL, "-refresh=false"); err != nil {
		t.Errorf("destroy: %v\n%s", err, out)
	}
}

// TestAccAliasGroupInterlock_killMidPause: terraform and the provider
// killed outright (SIGKILL) while the group's apply waits for the worker's
// paused mapping to drain: the pause recorded in the worker's tags brings
// it into the group's paused_event_sources at the next plan, whose apply
// resumes it and removes the record.
func TestAccAliasGroupInterlock_killMidPause(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcc(t)
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "an SQS event source mapping that runs function code")
	zip, _ := testFunctionZip(t)
	record := recordFile(t)
	q := newQueueFixture(t, be.URL)
	interlock := "      event_source_interlock = { pause_on = [\"start\", \"promotion\", \"rollback\"], drain_timeout = \"30s\" }\n"
	stack := func(release string) string {
		return strings.Replace(workerGroupStack(be.URL, zip, release, "0", record, interlock), `LATENCY_MS = "5"`, `LATENCY_MS = "4000"`, 1)
	}
	r := newTFRun(t)
	r.write(stack("v1"))
	r.mustRun("first apply", "apply", "-auto-approve")
	q.mapQueue()
	defer q.unmap()
	r.write(stack("v2"))
	cmd, _ := q.applyUntilPaused(r)
	q.killMidPause(r, cmd)
	r.write(stack("v1"))
	plan := r.mustRun("plan after the kill", "plan")
	if !strings.Contains(plan, "Resuming Paused Event Sources") || !strings.Contains(plan, "worker/") {
		t.Errorf("the plan after the kill does not show the worker's mapping being resumed:\n%s", plan)
	}
	r.mustRun("apply after the kill", "apply", "-auto-approve")
	if st := q.waitMapping("Enabled", 30*time.Second); st != "Enabled" {
		t.Errorf("after the apply the mapping is %s, want Enabled", st)
	}
	if got := q.pauseRecord(); len(got) != 0 {
		t.Errorf("the pause record %v is still on the worker after the resume", got)
	}
	q.unmap()
	if out, err := r.destroy(be.URL, "-refresh=false"); err != nil {
		t.Errorf("destroy: %v\n%s", err, out)
	}
}
