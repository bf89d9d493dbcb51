package provider_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/google/go-cmp/cmp"

	"github.com/rollout-tf/terraform-provider-rollout/internal/acctest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/loadgen"
)

// TestAccAliasRolledBack_neverRelaunched rolls a bad release back under
// real traffic, then re-runs the same configuration five times as
// pipelines do (a plain re-run, after `terraform state push` of an older
// state, from a fresh working directory holding the saved state): every
// run must stop before anything moves, saying when and by which gate the
// release was rolled back and what the ways forward are, and no
// invocation may reach the rolled-back code. Then the explicit retry runs
// the canary once (and only once), and a fix ships. In both wait modes.
//
// It prints the measure of issue 13: invocations that reached the
// rolled-back release during the five re-runs (target 0).
func TestAccAliasRolledBack_neverRelaunched(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcc(t)
	for _, wait := range []bool{true, false} {
		t.Run(fmt.Sprintf("wait=%v", wait), func(t *testing.T) {
			t.Parallel()
			testNeverRelaunched(t, wait)
		})
	}
}

func testNeverRelaunched(t *testing.T, wait bool) {
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "running function code with real metrics")
	zip, _ := testFunctionZip(t)
	c := sdkLambda(be.URL)
	policy := fmt.Sprintf(`  steps    = [{ weight_percent = 20, hold = "3s" }]
  interval = "1s"
  health   = { max_error_rate = 0.1, min_invocations = 3 }
  wait     = %v`, wait)
	cfg := func(release, failRate, retry string) string {
		s := strings.Replace(canaryStackWith(be.URL, zip, release, policy), `FAIL_RATE = "0"`, fmt.Sprintf(`FAIL_RATE = %q`, failRate), 1)
		if retry != "" {
			s = strings.Replace(s, `  name             = "live"`, fmt.Sprintf("  name             = \"live\"\n  retry_rolled_back = %q", retry), 1)
		}
		return s
	}
	load := startLoad(c)
	r := newTFRun(t)
	r.write(cfg("v1", "0", ""))
	if out, err := r.run("apply", "-auto-approve"); err != nil {
		t.Fatalf("release v1: %v\n%s", err, out)
	}
	older := r.readState()

	// The bad release: every call fails; the canary rolls it back.
	r.write(cfg("v2", "1", ""))
	out := driveRollout(t, r, wait)
	if !strings.Contains(flat(out), "Canary Rolled Back") {
		t.Fatalf("release v2 was not rolled back:\n%s", out)
	}
	st := r.aliasState()
	dep, _ := st["deployment"].(map[string]any)
	got := map[string]any{"function_version": st["function_version"]}
	for _, k := range []string{"status", "gate", "from_version", "to_version", "threshold"} {
		got[k] = dep[k]
	}
	want := map[string]any{"function_version": "1", "status": "rolled_back", "gate": "error_rate", "from_version": "1", "to_version": "2", "threshold": 0.1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("state after the rollback (-want +got):\n%s", diff)
	}
	if v, _ := dep["value"].(float64); v <= 0.1 {
		t.Errorf("deployment.value = %v, want the measured error rate above the threshold", dep["value"])
	}
	during := load.stop()
	if during.ByVersion["2"].Invocations == 0 {
		t.Fatalf("the canary never reached version 2 (%v): the rollback was not caused by real traffic", during.ByVersion)
	}

	// The plan alone already says it, before anything moves.
	load = startLoad(c)
	mark := be.Sandbox.Journal.Mark()
	plan, err := r.run("plan")
	if err == nil {
		t.Fatalf("the plan of the rolled-back release succeeded:\n%s", plan)
	}
	token := expectRolledBackRefusal(t, plan, "2")

	// Five re-runs, as pipelines do them.
	reruns := []struct {
		name   string
		before func() *tfRun
	}{
		{"re-run", func() *tfRun { return r }},
		{"re-run again", func() *tfRun { return r }},
		{"after terraform state push of the state before the rollback", func() *tfRun {
			pushOlderState(t, r, older)
			return r
		}},
		{"a new pipeline run from the saved state", func() *tfRun {
			fresh := newTFRun(t)
			r.copyStateTo(fresh)
			r = fresh
			return r
		}},
		{"a scheduled apply", func() *tfRun { return r }},
	}
	for _, rr := range reruns {
		run := rr.before()
		run.write(cfg("v2", "1", ""))
		out, err := run.run("apply", "-auto-approve")
		if err == nil {
			t.Fatalf("%s: the apply of the rolled-back release succeeded:\n%s", rr.name, out)
		}
		expectRolledBackRefusal(t, out, "")
	}
	for _, call := range be.Sandbox.Journal.Since(mark) {
		if call.Operation == "UpdateAlias" && call.AccessKey == "AKIDROLLOUTTEST" {
			t.Errorf("a re-run moved traffic: %+v", call)
		}
		// Refused at plan time, the state push included: the plan adopts
		// the retained version by its digest, so no re-run publishes a copy.
		if call.Operation == "PublishVersion" || call.Operation == "UpdateFunctionCode" {
			t.Errorf("a re-run published or uploaded code before it was refused: %+v", call)
		}
	}
	after := load.stop()
	reached := 0
	for v, s := range after.ByVersion {
		if v != "1" {
			reached += s.Invocations
		}
	}
	if after.ByVersion["1"].Invocations == 0 {
		t.Fatalf("no traffic flowed during the re-runs (%v): the measure would mean nothing", after.ByVersion)
	}
	fmt.Printf("measure/rerun-rolled-back: wait=%v: %d re-runs of a rolled-back configuration, %d invocations served meanwhile, invocations that reached the rolled-back release: %d (target 0)\n",
		wait, len(reruns), after.Sent, reached)
	if reached != 0 {
		t.Errorf("%d invocations reached the rolled-back release during the re-runs (%v)", reached, after.ByVersion)
	}

	// The deliberate retry: written in the configuration, shown in the
	// plan, and good for exactly that rollback.
	load = startLoad(c)
	defer load.stop()
	r.write(cfg("v2", "1", token))
	plan, err = r.run("plan")
	if err != nil || !strings.Contains(plan, `retry_rolled_back`) {
		t.Fatalf("the plan of the retry failed or does not show it: %v\n%s", err, plan)
	}
	out = driveRollout(t, r, wait)
	if !strings.Contains(flat(out), "Canary Rolled Back") {
		t.Fatalf("the retry of the still-bad release was not rolled back:\n%s", out)
	}
	out, err = r.run("apply", "-auto-approve")
	if err == nil {
		t.Fatalf("the same retry_rolled_back relaunched the release a second time:\n%s", out)
	}
	if next := expectRolledBackRefusal(t, out, ""); next == token {
		t.Errorf("the second rollback kept the retry token %q:\n%s", token, out)
	}

	// The fix: a new digest ships through the canary.
	r.write(cfg("v3", "0", ""))
	out = driveRollout(t, r, wait)
	if st := r.aliasState(); st["function_version"] != "3" && st["function_version"] != "4" {
		t.Fatalf("the fix was not promoted: state function_version %v\n%s", st["function_version"], out)
	}
	a, err := lambdaops.FindAlias(context.Background(), c, "canaried", "live")
	if err != nil {
		t.Fatal(err)
	}
	if v, _, split := lambdaops.Routing(a.RoutingConfig); split {
		t.Errorf("the alias is still split onto %s after the fix", v)
	}
}

// expectRolledBackRefusal checks the refusal of a rolled-back release and
// returns the retry value it offers.
func expectRolledBackRefusal(t *testing.T, out, version string) string {
	t.Helper()
	f := flat(out)
	want := []string{"Release Rolled Back", "was rolled back on alias live at", "by gate error_rate (measured", "threshold 0.1",
		"Ship a fix", "known-good release", "retry_rolled_back ="}
	if version != "" {
		want = append(want, "version "+version)
	}
	for _, w := range want {
		if !strings.Contains(f, w) {
			t.Errorf("the refusal does not say %q:\n%s", w, out)
		}
	}
	m := regexp.MustCompile(`Retry this release on purpose: set on the rollout_alias of live retry_rolled_back = "([^"]+)"`).FindStringSubmatch(f)
	if m == nil {
		t.Fatalf("no retry value offered:\n%s", out)
	}
	return m[1]
}

// flat removes Terraform's diagnostic frame and line wrapping.
func flat(out string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(out, "│", " ")), " ")
}

// driveRollout applies until the rollout ends: one apply with wait =
// true; with wait = false, an apply every second as a pipeline would,
// until one fails (a rollback) or the alias is no longer in progress.
func driveRollout(t *testing.T, r *tfRun, wait bool) string {
	t.Helper()
	var all strings.Builder
	for i := 0; i < 40; i++ {
		out, err := r.run("apply", "-auto-approve")
		all.WriteString(out)
		if wait || err != nil {
			return all.String()
		}
		dep, _ := r.aliasState()["deployment"].(map[string]any)
		if dep == nil || dep["status"] != "in_progress" {
			return all.String()
		}
		time.Sleep(time.Second) // real traffic has to reach the canary between applies
	}
	t.Fatalf("the plan-driven rollout did not end in 40 applies:\n%s", all.String())
	return ""
}

func (r *tfRun) readState() []byte {
	r.t.Helper()
	b, err := os.ReadFile(filepath.Join(r.dir, "terraform.tfstate"))
	if err != nil {
		r.t.Fatal(err)
	}
	return b
}

func (r *tfRun) copyStateTo(other *tfRun) {
	r.t.Helper()
	if err := os.WriteFile(filepath.Join(other.dir, "terraform.tfstate"), r.readState(), 0o600); err != nil {
		r.t.Fatal(err)
	}
}

// pushOlderState pushes an older state with the serial bumped, as
// `rolloutctl pick --write-state` writes it.
func pushOlderState(t *testing.T, r *tfRun, older []byte) {
	t.Helper()
	var cur, old map[string]any
	if err := json.Unmarshal(r.readState(), &cur); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(older, &old); err != nil {
		t.Fatal(err)
	}
	serial, ok := cur["serial"].(float64)
	if !ok {
		t.Fatalf("the current state has no serial: %v", cur["serial"])
	}
	old["serial"] = serial + 1
	b, _ := json.Marshal(old)
	p := filepath.Join(r.dir, "older.tfstate")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := r.runExact("state", "push", p); err != nil {
		t.Fatalf("terraform state push: %v\n%s", err, out)
	}
}

// loadRun is steady traffic on canaried:live whose totals are read at stop.
type loadRun struct {
	cancel context.CancelFunc
	done   chan loadgen.Stats
}

func startLoad(c *lambda.Client) *loadRun {
	lc := c
	ctx, cancel := context.WithCancel(context.Background())
	l := &loadRun{cancel: cancel, done: make(chan loadgen.Stats, 1)}
	go func() {
		s, _ := loadgen.Run(ctx, loadgen.Options{Client: lc, Function: "canaried", Qualifier: "live", RPS: 60, Payload: []byte(`{}`)})
		l.done <- s
	}()
	return l
}

func (l *loadRun) stop() loadgen.Stats {
	if l.cancel == nil {
		return loadgen.Stats{}
	}
	l.cancel()
	l.cancel = nil
	return <-l.done
}
