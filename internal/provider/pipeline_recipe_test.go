package provider_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/rollout-tf/terraform-provider-rollout/internal/acctest"
)

// TestAccPipelineRecipe_shellLoop runs the pipeline recipe of the docs,
// examples/pipelines/rollout-loop.sh with examples/pipelines/main.tf, end
// to end against an in-process sandbox on an ephemeral port, with the
// built provider and rolloutctl and real traffic: a first release, a good
// release driven to promotion one plan-driven transition per round, a bad
// release rolled back by its gates (exit 5), and the same bad release run
// again, which stops before anything moves (exit 5 again).
func TestAccPipelineRecipe_shellLoop(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcc(t)
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "running function code with real metrics")
	zip, _ := testFunctionZip(t)
	c := sdkLambda(be.URL)
	_, file, _, _ := runtime.Caller(0)
	recipe := filepath.Join(filepath.Dir(file), "..", "..", "examples", "pipelines")
	r := newTFRun(t)
	tf, err := os.ReadFile(filepath.Join(recipe, "main.tf"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(r.dir, "main.tf"), tf, 0o600); err != nil {
		t.Fatal(err)
	}
	loop := func(release, failRate string) (int, string) {
		t.Helper()
		cmd := exec.Command("bash", filepath.Join(recipe, "rollout-loop.sh"))
		cmd.Dir = r.dir
		cmd.Env = append(append([]string(nil), r.env...),
			"TERRAFORM="+r.tf, "ROLLOUTCTL="+rolloutctlBinary(t), "ROLLOUT_INTERVAL=1", "ROLLOUT_MAX_ROUNDS=60",
			"AWS_ENDPOINT_URL="+be.URL, "AWS_ACCESS_KEY_ID=AKIDROLLOUTTEST", "AWS_SECRET_ACCESS_KEY=rollout-test-secret", "AWS_REGION=us-east-1",
			"TF_VAR_function_name=canaried", "TF_VAR_role="+testRole, "TF_VAR_package="+zip, "TF_VAR_release="+release,
			`TF_VAR_environment={ FAIL_RATE = "`+failRate+`", RELEASE = "`+release+`" }`, "TF_VAR_hold=2s", "TF_VAR_interval=1s")
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		switch {
		case err == nil:
			return 0, string(out)
		case errors.As(err, &exit):
			return exit.ExitCode(), string(out)
		}
		t.Fatalf("running the loop: %v\n%s", err, out)
		return -1, ""
	}

	if code, out := loop("v1", "0"); code != 0 || !strings.Contains(out, "==> done") {
		t.Fatalf("first release: exit %d, want 0\n%s", code, out)
	}
	load := startLoad(c)
	defer load.stop()
	code, out := loop("v2", "0")
	if code != 0 || !strings.Contains(out, "==> round 2:") {
		t.Fatalf("good release: exit %d, want 0 after more than one round\n%s", code, out)
	}
	if st := r.aliasState(); st["function_version"] != "2" {
		t.Fatalf("after the good release the alias is on %v, want 2\n%s", st["function_version"], out)
	}
	code, out = loop("v3", "1")
	if code != 5 || !strings.Contains(flat(out), "Canary Rolled Back") || !strings.Contains(out, "==> rolled back") {
		t.Fatalf("bad release: exit %d, want 5 (rolled back by its gates)\n%s", code, out)
	}
	mark := be.Sandbox.Journal.Mark()
	code, out = loop("v3", "1")
	if code != 5 || !strings.Contains(flat(out), "Release Rolled Back") || strings.Contains(out, "==> round 2:") {
		t.Fatalf("bad release again: exit %d, want 5 after one round that stops at plan time\n%s", code, out)
	}
	for _, call := range be.Sandbox.Journal.Of(mark, "UpdateAlias", "PublishVersion") {
		t.Errorf("running the rolled-back release again called %s", call.Operation)
	}
}
