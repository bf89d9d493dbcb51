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
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
)

const allMomentsInterlock = "  event_source_interlock = {\n    pause_on      = [\"start\", \"promotion\", \"rollback\"]\n    drain_timeout = \"30s\"\n  }\n"

// TestAccAliasInterlock_rollbackLosesNoMessage: a worker fed by a queue
// (an event source mapping on its alias) is released with a canary while
// messages arrive at a steady rate; the new version fails every batch, and
// the canary rolls back. The plan shows the pauses; afterwards the queue,
// the dead-letter queue and the worker's own record show every message
// processed exactly once or in the dead-letter queue, and none received
// by the rejected version after the rollback decision; the mapping is
// Enabled again and the state records nothing left paused.
func TestAccAliasInterlock_rollbackLosesNoMessage(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcc(t)
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "an SQS event source mapping that runs function code")
	zip, _ := testFunctionZip(t)
	record := recordFile(t)
	q := newQueueFixture(t, be.URL)
	r := newTFRun(t)
	r.write(workerStack(be.URL, zip, "v1", "0", record, 5, allMomentsInterlock))
	r.mustRun("first apply", "apply", "-auto-approve")
	q.mapQueue()
	defer q.unmap()
	q.sendSteadily()

	r.write(workerStack(be.URL, zip, "v2", "1", record, 5, allMomentsInterlock))
	plan := r.mustRun("plan", "plan")
	for _, want := range []string{"start: pause the event source mappings before the first 50% of the traffic moves to the new version",
		"rollback: pause the event source mappings first, if the canary rolls back, before all traffic returns to version 1"} {
		if !strings.Contains(plan, want) {
			t.Errorf("the plan does not say %q:\n%s", want, plan)
		}
	}
	mark := be.Sandbox.Journal.Mark()
	out, err := r.run("apply", "-auto-approve")
	time.Sleep(2 * time.Second) // messages keep arriving after the rollback
	sent := q.stopSending()
	if err == nil || !strings.Contains(out, "rolled back") {
		t.Fatalf("the failing release was not rolled back (err %v):\n%s", err, out)
	}
	r.expectDeployment(deploymentWant{Version: "1", Status: "rolled_back", Gate: "error_rate"})
	if st := q.waitMapping("Enabled", 10*time.Second); st != "Enabled" {
		t.Errorf("the mapping is %s after the rollback, want Enabled (resumed)", st)
	}
	if p, _ := r.aliasState()["paused_event_sources"].([]any); len(p) != 0 {
		t.Errorf("paused_event_sources = %v after a rollback that resumed", p)
	}
	if err := q.drain(2 * time.Minute); err != nil {
		t.Fatal(err)
	}
	tally := tallyQueue(t, q, readWorkerRecord(t, record), be.Sandbox.Journal.Since(mark), sent)
	tally.check(t)
	q.unmap()
	if out, err := r.destroy(be.URL, "-refresh=false"); err != nil {
		t.Errorf("destroy: %v\n%s", err, out)
	}
}

// TestAccAliasInterlock_interruptMidPause: SIGINT while the apply waits for
// the mapping to drain its in-flight batch (a slow worker) never leaves
// the mapping paused: the apply resumes it on the way out, or the state
// records it and the next plan shows it resumed.
func TestAccAliasInterlock_interruptMidPause(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcc(t)
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "an SQS event source mapping that runs function code")
	zip, _ := testFunctionZip(t)
	record := recordFile(t)
	q := newQueueFixture(t, be.URL)
	r := newTFRun(t)
	r.write(workerStack(be.URL, zip, "v1", "0", record, 4000, allMomentsInterlock))
	r.mustRun("first apply", "apply", "-auto-approve")
	q.mapQueue()
	defer q.unmap()
	// A batch is in flight (4s each) when the apply pauses the mapping.
	r.write(workerStack(be.URL, zip, "v2", "0", record, 4000, allMomentsInterlock))
	cmd, out := q.applyUntilPaused(r)
	_ = cmd.Process.Signal(os.Interrupt)
	waitErr := waitWithin(cmd, 2*time.Minute)
	if waitErr == nil {
		t.Errorf("an interrupted apply exited 0:\n%s", out.String())
	}
	a, err := lambdaops.FindAlias(context.Background(), q.lambda, workerFunction, "live")
	if err != nil || aws.ToString(a.FunctionVersion) != "1" || (a.RoutingConfig != nil && len(a.RoutingConfig.AdditionalVersionWeights) > 0) {
		t.Errorf("alias after SIGINT = %+v (%v); want all traffic on version 1\n%s", a, err, out.String())
	}
	st := q.waitMapping("Enabled", 40*time.Second)
	paused, _ := r.aliasState()["paused_event_sources"].([]any)
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

// TestAccAliasInterlock_killMidPause: terraform and the provider killed
// outright (SIGKILL) while the apply waits for a paused mapping to drain
// save nothing, but the pause was recorded in the function's tags before
// the mapping was disabled: the next plan shows the mapping being resumed,
// its apply enables it and removes the record, and the configuration
// converges. Nothing is left paused without a plan saying so.
func TestAccAliasInterlock_killMidPause(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcc(t)
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "an SQS event source mapping that runs function code")
	zip, _ := testFunctionZip(t)
	record := recordFile(t)
	q := newQueueFixture(t, be.URL)
	r := newTFRun(t)
	r.write(workerStack(be.URL, zip, "v1", "0", record, 4000, allMomentsInterlock))
	r.mustRun("first apply", "apply", "-auto-approve")
	q.mapQueue()
	defer q.unmap()
	r.write(workerStack(be.URL, zip, "v2", "0", record, 4000, allMomentsInterlock))
	cmd, _ := q.applyUntilPaused(r)
	q.killMidPause(r, cmd)
	if got := q.pauseRecord(); len(got) != 1 {
		t.Errorf("the function's tags record %v as paused, want the one mapping", got)
	}
	// Back to the release that was live: the plan resumes the mapping.
	r.write(workerStack(be.URL, zip, "v1", "0", record, 4000, allMomentsInterlock))
	plan := r.mustRun("plan after the kill", "plan")
	if !strings.Contains(plan, "Resuming Paused Event Sources") || !strings.Contains(plan, "paused_event_sources") {
		t.Errorf("the plan after the kill does not show the paused mapping being resumed:\n%s", plan)
	}
	r.mustRun("apply after the kill", "apply", "-auto-approve")
	if st := q.waitMapping("Enabled", 30*time.Second); st != "Enabled" {
		t.Errorf("after the apply the mapping is %s, want Enabled", st)
	}
	if got := q.pauseRecord(); len(got) != 0 {
		t.Errorf("the pause record %v is still on the function after the resume", got)
	}
	if out, err := r.run("plan", "-detailed-exitcode"); err != nil {
		t.Errorf("the configuration did not converge after the resume: %v\n%s", err, out)
	}
	q.unmap()
	if out, err := r.destroy(be.URL, "-refresh=false"); err != nil {
		t.Errorf("destroy: %v\n%s", err, out)
	}
}

// waitWithin waits for cmd, killing it after limit.
func waitWithin(cmd *exec.Cmd, limit time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(limit):
		_ = cmd.Process.Kill()
		return <-done
	}
}

// TestAccAliasInterlock_queueDepthHoldsPromotion: with the mapping paused
// by hand and 40 messages waiting, a canary whose gates all pass is
// promoted under max_queue_depth = 100, and held at its last step under
// max_queue_depth = 10 until its deadline rolls it back, saying which
// queue held how many messages; then held by max_oldest_message_age =
// "2s" the same way, saying how old the oldest message is.
func TestAccAliasInterlock_queueDepthHoldsPromotion(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcc(t)
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "AWS/SQS metrics of a queue an event source mapping reads")
	zip, _ := testFunctionZip(t)
	record := recordFile(t)
	q := newQueueFixture(t, be.URL)
	gate := func(depth int, age string) string {
		g := fmt.Sprintf("  event_source_interlock = {\n    pause_on        = []\n    max_queue_depth = %d\n", depth)
		if age != "" {
			g += fmt.Sprintf("    max_oldest_message_age = %q\n", age)
		}
		return g + "  }\n"
	}
	stack := func(release string, depth int, age ...string) string {
		s := strings.Replace(workerStack(be.URL, zip, release, "0", record, 0, gate(depth, strings.Join(age, ""))), "min_invocations = 3", "min_invocations = 0", 1)
		return strings.Replace(s, `hold = "30s"`, `hold = "2s"`, 1)
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
	r.expectDeployment(deploymentWant{Version: "2", Status: "promoted"})

	r.write(stack("v3", 10))
	out, err := r.run("apply", "-auto-approve")
	if err == nil {
		t.Fatalf("a promotion over max_queue_depth was not held:\n%s", out)
	}
	if !r.expectDeployment(deploymentWant{Version: "2", Status: "rolled_back", Gate: "deadline"}) ||
		!strings.Contains(strings.Join(strings.Fields(out), " "), "queue orders holds 40 visible messages, above max_queue_depth 10") {
		t.Errorf("the rollback does not say the queue held the promotion:\n%s", out)
	}

	// The age of the oldest message holds a promotion too: one more
	// message makes the queue report its age now (the first ones have
	// waited since before the v2 apply), above a 2s limit.
	if err := q.send(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	r.write(stack("v4", 100, "2s"))
	out, err = r.run("apply", "-auto-approve")
	if err == nil {
		t.Fatalf("a promotion over max_oldest_message_age was not held:\n%s", out)
	}
	if flat := strings.Join(strings.Fields(out), " "); !r.expectDeployment(deploymentWant{Version: "2", Status: "rolled_back", Gate: "deadline"}) ||
		!strings.Contains(flat, "the oldest message in queue orders is") || !strings.Contains(flat, "above max_oldest_message_age 2s") {
		t.Errorf("the rollback does not say the oldest message held the promotion:\n%s", out)
	}
	q.unmap()
	if out, err := r.destroy(be.URL, "-refresh=false"); err != nil {
		t.Errorf("destroy: %v\n%s", err, out)
	}
}

// TestAccAliasInterlock_resumeFailureIsRecorded: when the mappings cannot
// be resumed after a move (the sandbox fails every
// UpdateEventSourceMapping from the moment the traffic moved), the apply
// warns and the state records them in paused_event_sources; the next plan
// shows them going to [] and its apply resumes them, after which the
// configuration has converged.
func TestAccAliasInterlock_resumeFailureIsRecorded(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcc(t)
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "a fault injected at an exact point of the apply")
	zip, _ := testFunctionZip(t)
	record := recordFile(t)
	q := newQueueFixture(t, be.URL)
	stack := func(release string) string {
		return acctest.ConfigCompose(
			functionConfig(be.URL, workerFunction, zip, fmt.Sprintf("release       = %q", release),
				fmt.Sprintf("environment   = { RELEASE = %q, OUTCOME_FILE = %q }", release, record)),
			liveAlias(onVersion+"  event_source_interlock = {\n    pause_on      = [\"promotion\"]\n    drain_timeout = \"5s\"\n  }\n"))
	}
	r := newTFRun(t)
	r.write(stack("v1"))
	r.mustRun("first apply", "apply", "-auto-approve")
	q.mapQueue()
	defer q.unmap()
	be.OnceAfterProvider("UpdateAlias", 200, func() {
		be.Sandbox.Server.SetFaults([]sandbox.Fault{{Service: "lambda", Operation: "UpdateEventSourceMapping", Kind: sandbox.FaultError, Rate: 1}})
	})
	r.write(stack("v2"))
	out := r.mustRun("apply whose resume fails", "apply", "-auto-approve")
	flat := strings.Join(strings.Fields(out), " ")
	if !strings.Contains(flat, "Event Source Interlock") || !strings.Contains(flat, "resuming the event source mappings after the promotion") {
		t.Errorf("the apply does not warn that the resume failed:\n%s", out)
	}
	if paused, _ := r.aliasState()["paused_event_sources"].([]any); len(paused) != 1 || paused[0] != q.mapping {
		t.Fatalf("paused_event_sources = %v, want [%s]", paused, q.mapping)
	}
	if st := q.waitMapping("Disabled", 10*time.Second); st != "Disabled" {
		t.Errorf("the mapping is %s, want Disabled (left paused)", st)
	}
	be.Sandbox.Server.SetFaults(nil)
	plan := strings.Join(strings.Fields(r.mustRun("plan", "plan")), " ")
	for _, want := range []string{"Resuming Paused Event Sources", `~ paused_event_sources = [ - "` + q.mapping + `", ]`} {
		if !strings.Contains(plan, want) {
			t.Errorf("the plan does not show %q:\n%s", want, plan)
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

// TestAccAliasInterlock_planDriven: with wait = false, each plan shows the
// pause of the transition it plans (the start, then the rollback the
// gates call for), each apply makes it, and the queue's messages are all
// processed once or dead-lettered, none by the rejected version after
// the rollback's pause.
func TestAccAliasInterlock_planDriven(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcc(t)
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "an SQS event source mapping that runs function code")
	zip, _ := testFunctionZip(t)
	record := recordFile(t)
	q := newQueueFixture(t, be.URL)
	stack := func(release, failRate string) string {
		return strings.Replace(workerStack(be.URL, zip, release, failRate, record, 5, allMomentsInterlock), `interval = "1s"`, "interval = \"1s\"\n  wait     = false", 1)
	}
	r := newTFRun(t)
	r.write(stack("v1", "0"))
	r.mustRun("first apply", "apply", "-auto-approve")
	q.mapQueue()
	defer q.unmap()
	q.sendSteadily()

	r.write(stack("v2", "1"))
	plan := strings.Join(strings.Fields(r.mustRun("plan of the start", "plan")), " ")
	if want := "start: pause the event source mappings before 50% of the traffic moves to the new version, resume after"; !strings.Contains(plan, want) {
		t.Errorf("the plan does not say %q:\n%s", want, plan)
	}
	mark := be.Sandbox.Journal.Mark()
	r.mustRun("apply of the start", "apply", "-auto-approve")
	if n := len(be.Sandbox.Journal.Of(mark, "UpdateEventSourceMapping")); n != 2 {
		t.Errorf("the start made %d UpdateEventSourceMapping calls, want 2 (pause, resume)", n)
	}
	// The canary's batches fail; the next plan shows the rollback, paused first.
	var rollbackPlan string
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(time.Second) {
		rollbackPlan = strings.Join(strings.Fields(r.mustRun("plan", "plan")), " ")
		if strings.Contains(rollbackPlan, `"roll_back"`) || strings.Contains(rollbackPlan, "rolled_back") {
			break
		}
	}
	if want := "rollback: pause the event source mappings first, before all traffic returns to version 1, resume after"; !strings.Contains(rollbackPlan, want) {
		t.Fatalf("the plan does not say %q:\n%s", want, rollbackPlan)
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

// TestAccAliasInterlock_rollbackWriteFailsKeepsPaused: the canary of a
// worker fed by a queue rolls back, but the rollback's UpdateAlias fails
// (the sandbox fails every UpdateAlias from the rollback on). Half of the
// traffic still reaches the rejected version, so the mapping stays paused
// (its messages wait in the queue) and the state lists it; the next plan
// says it resumes after the rollback, and its apply moves the traffic
// back before it enables the mapping.
func TestAccAliasInterlock_rollbackWriteFailsKeepsPaused(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcc(t)
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "a fault injected at an exact point of the apply")
	zip, _ := testFunctionZip(t)
	record := recordFile(t)
	q := newQueueFixture(t, be.URL)
	r := newTFRun(t)
	r.write(workerStack(be.URL, zip, "v1", "0", record, 5, allMomentsInterlock))
	r.mustRun("first apply", "apply", "-auto-approve")
	q.mapQueue()
	defer q.unmap()
	q.sendSteadily()
	// The provider's first UpdateAlias is the canary's start; the second,
	// the rollback, and every one after it fail.
	var updates atomic.Int32
	be.Sandbox.Server.BeforeRequest(func(call sandbox.Call) {
		if call.Operation == "UpdateAlias" && call.AccessKey == "AKIDROLLOUTTEST" && updates.Add(1) == 2 {
			be.Sandbox.Server.SetFaults([]sandbox.Fault{{Service: "lambda", Operation: "UpdateAlias", Kind: sandbox.FaultError, Rate: 1}})
		}
	})
	r.write(workerStack(be.URL, zip, "v2", "1", record, 5, allMomentsInterlock))
	out, err := r.run("apply", "-auto-approve")
	be.Sandbox.Server.BeforeRequest(nil)
	sent := q.stopSending()
	t.Logf("%d messages sent", sent)
	if err == nil || !strings.Contains(flat(out), "Rollback Failed") {
		t.Fatalf("the rollback's write did not fail as injected (err %v):\n%s", err, out)
	}
	if !strings.Contains(flat(out), "stay paused") {
		t.Errorf("the apply does not say the mapping stays paused:\n%s", out)
	}
	a, err := lambdaops.FindAlias(context.Background(), q.lambda, workerFunction, "live")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, split := lambdaops.Routing(a.RoutingConfig); !split {
		t.Fatalf("the alias is not split after the failed rollback (%+v): the test proves nothing", a)
	}
	if st := q.waitMapping("Disabled", 10*time.Second); st != "Disabled" {
		t.Errorf("the mapping is %s while half of the traffic reaches the rejected version, want Disabled (kept paused)", st)
	}
	if paused, _ := r.aliasState()["paused_event_sources"].([]any); len(paused) != 1 || paused[0] != q.mapping {
		t.Errorf("paused_event_sources = %v, want [%s]", paused, q.mapping)
	}

	be.Sandbox.Server.SetFaults(nil)
	plan := flat(r.mustRun("plan", "plan"))
	for _, want := range []string{"Resuming Paused Event Sources After The Rollback", "before all traffic returns to version 1",
		`+ gate = "error_rate"`, "+ threshold = 0.1", `status = "in_progress" -> "rolled_back"`} {
		if !strings.Contains(plan, want) {
			t.Errorf("the plan does not show %q:\n%s", want, plan)
		}
	}
	if strings.Contains(plan, "+ value = 0 ") {
		t.Errorf("the plan records the measured error rate as 0:\n%s", plan)
	}
	mark := be.Sandbox.Journal.Mark()
	if out, err := r.run("apply", "-auto-approve"); err == nil || !strings.Contains(flat(out), "Canary Rolled Back") {
		t.Errorf("the retried rollback: %v\n%s", err, out)
	}
	var order []string
	for _, c := range be.Sandbox.Journal.Since(mark) {
		if c.AccessKey == "AKIDROLLOUTTEST" && (c.Operation == "UpdateAlias" || c.Operation == "UpdateEventSourceMapping") && c.Status < 300 {
			order = append(order, c.Operation)
		}
	}
	if diff := cmp.Diff([]string{"UpdateAlias", "UpdateEventSourceMapping"}, order); diff != "" {
		t.Errorf("the retried rollback's writes (-want +got): the traffic must move back before the mapping resumes\n%s", diff)
	}
	if st := q.waitMapping("Enabled", 10*time.Second); st != "Enabled" {
		t.Errorf("the mapping is %s after the retried rollback, want Enabled", st)
	}
	a, err = lambdaops.FindAlias(context.Background(), q.lambda, workerFunction, "live")
	if v, _, split := lambdaops.Routing(a.RoutingConfig); err != nil || aws.ToString(a.FunctionVersion) != "1" || split {
		t.Errorf("after the retried rollback the alias serves %s (split onto %q, %v)", aws.ToString(a.FunctionVersion), v, err)
	}
	if err := q.drain(2 * time.Minute); err != nil {
		t.Error(err)
	}
	q.unmap()
	if out, err := r.destroy(be.URL, "-refresh=false"); err != nil {
		t.Errorf("destroy: %v\n%s", err, out)
	}
}
