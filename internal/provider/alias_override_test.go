package provider_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/rollout-tf/terraform-provider-rollout/internal/acctest"
)

var (
	rolloutctlOnce sync.Once
	rolloutctlPath string
	rolloutctlErr  error
)

// rolloutctlBinary builds rolloutctl once, for tests that run it as an
// operator or a pipeline does.
func rolloutctlBinary(t testing.TB) string {
	t.Helper()
	rolloutctlOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		dir, err := os.MkdirTemp("", "rolloutctl-bin-") //nolint:usetesting // shared by every test of the process
		if err != nil {
			rolloutctlErr = err
			return
		}
		rolloutctlPath = filepath.Join(dir, "rolloutctl")
		cmd := exec.Command("go", "build", "-o", rolloutctlPath, "./tools/rolloutctl")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			rolloutctlErr = fmt.Errorf("building rolloutctl: %v\n%s", err, out)
		}
	})
	if rolloutctlErr != nil {
		t.Fatal(rolloutctlErr)
	}
	return rolloutctlPath
}

// TestAccAliasCanary_overrideSteersOneRollout: an operator promotes a
// running canary with rolloutctl override; the override ends with that
// rollout. An override left from that earlier rollout, then one set
// before a rollout began, steer nothing: the next release, failing 90% of
// its calls, is rolled back by its gates, each override is reported and
// cleared. Real traffic throughout.
func TestAccAliasCanary_overrideSteersOneRollout(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcc(t)
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "running function code with real metrics")
	zip, _ := testFunctionZip(t)
	c := sdkLambda(be.URL)
	bg := context.Background()
	const arn = "arn:aws:lambda:us-east-1:123456789012:function:canaried"
	cfg := func(release, failRate, hold string) string {
		s := canaryStackWith(be.URL, zip, release, fmt.Sprintf(`  steps    = [{ weight_percent = 20, hold = %q }]
  interval = "1s"
  health   = { max_error_rate = 0.1, min_invocations = 3 }`, hold))
		return strings.Replace(s, `FAIL_RATE = "0"`, fmt.Sprintf(`FAIL_RATE = %q`, failRate), 1)
	}
	overrideTag := func() (string, bool) { return overrideTagOf(t, c, arn) }
	load := startLoad(c)
	defer load.stop()
	r := newTFRun(t)
	r.write(cfg("v1", "0", "3s"))
	r.mustRun("release v1", "apply", "-auto-approve")

	// A long canary; the operator promotes it with rolloutctl.
	r.write(cfg("v2", "0", "10m"))
	cmd := r.command("apply", "-auto-approve")
	var applyOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &applyOut, &applyOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if !splitWithin(c) {
		t.Fatalf("the canary never split the alias:\n%s", applyOut.String())
	}
	ctl := exec.Command(rolloutctlBinary(t), "override", "--function", "canaried", "--alias", "live", "--endpoint", be.URL, "--region", "us-east-1", "promote")
	ctl.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=AKIDOPERATOR", "AWS_SECRET_ACCESS_KEY=s")
	if out, err := ctl.CombinedOutput(); err != nil {
		t.Fatalf("rolloutctl override: %v\n%s", err, out)
	}
	if v, _ := overrideTag(); v != "promote alias=live from=1 to=2" {
		t.Errorf("rolloutctl override wrote %q, want the scoped form %q", v, "promote alias=live from=1 to=2")
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the promoted rollout failed: %v\n%s", err, applyOut.String())
	}
	if !r.expectDeployment(deploymentWant{Status: "promoted", Reason: "the rollout:override tag asks to promote now"}) {
		t.FailNow()
	}
	if v, ok := overrideTag(); ok {
		t.Errorf("the override outlived the rollout it steered: %q", v)
	}

	// Left from the earlier rollout (as if it had not been cleared), then a
	// bare one set before the next rollout began: neither steers release
	// v3, which fails 90% of its calls.
	for i, stale := range []string{"promote alias=live from=1 to=2", "promote"} {
		if _, err := c.TagResource(bg, &lambda.TagResourceInput{Resource: aws.String(arn), Tags: map[string]string{"rollout:override": stale}}); err != nil {
			t.Fatal(err)
		}
		r.write(cfg(fmt.Sprintf("v3.%d", i), "0.9", "3s"))
		out, err := r.run("apply", "-auto-approve")
		if err == nil {
			t.Fatalf("override %q: a release failing 90%% of its calls was promoted:\n%s", stale, out)
		}
		f := flat(out)
		for _, want := range []string{"Canary Rolled Back", "Override Ignored", fmt.Sprintf(`rollout:override = %q`, stale), "An override steers exactly one rollout. It was cleared."} {
			if !strings.Contains(f, want) {
				t.Errorf("override %q: the apply does not say %q:\n%s", stale, want, out)
			}
		}
		if dep, _ := r.aliasState()["deployment"].(map[string]any); dep["gate"] != "error_rate" {
			t.Errorf("override %q: deployment = %v, want a rollback by the error_rate gate", stale, dep)
		}
		if v, ok := overrideTag(); ok {
			t.Errorf("the ignored override %q is still there: %q", stale, v)
		}
	}
}

// TestAccAliasCanary_overrideSteersOneRollout_planDriven is the same rule
// with wait = false: an override set before the rollout began is ignored,
// reported and cleared by the apply that starts it (the next plans hold);
// the one rolloutctl writes for the running rollout shows as a promotion
// in the next plan, and ends with it.
func TestAccAliasCanary_overrideSteersOneRollout_planDriven(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcc(t)
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "running function code with real metrics")
	zip, _ := testFunctionZip(t)
	c := sdkLambda(be.URL)
	bg := context.Background()
	const arn = "arn:aws:lambda:us-east-1:123456789012:function:canaried"
	cfg := func(release string) string {
		return canaryStackWith(be.URL, zip, release, `  steps    = [{ weight_percent = 20, hold = "10m" }]
  interval = "1s"
  health   = { max_error_rate = 0.1, min_invocations = 3 }
  wait     = false`)
	}
	overrideTag := func() (string, bool) { return overrideTagOf(t, c, arn) }
	load := startLoad(c)
	defer load.stop()
	r := newTFRun(t)
	r.write(cfg("v1"))
	r.mustRun("release v1", "apply", "-auto-approve")
	if _, err := c.TagResource(bg, &lambda.TagResourceInput{Resource: aws.String(arn), Tags: map[string]string{"rollout:override": "promote"}}); err != nil {
		t.Fatal(err)
	}
	r.write(cfg("v2"))
	out, err := r.run("apply", "-auto-approve")
	if err != nil {
		t.Fatalf("starting release v2: %v\n%s", err, out)
	}
	if f := flat(out); !strings.Contains(f, "Override Ignored") || !strings.Contains(f, "it was set before this rollout began") {
		t.Errorf("the start of the rollout does not report the stale override:\n%s", out)
	}
	if v, ok := overrideTag(); ok {
		t.Errorf("the stale override %q is still there", v)
	}
	// Within the 10m hold the plans hold: nothing promotes the canary.
	for i := 0; i < 2; i++ {
		time.Sleep(1500 * time.Millisecond)
		if out, err := r.run("plan", "-detailed-exitcode"); err != nil {
			t.Fatalf("plan %d during the hold is not empty (%v): the stale override steered it\n%s", i+1, err, out)
		}
	}
	ctl := exec.Command(rolloutctlBinary(t), "override", "--function", "canaried", "--alias", "live", "--endpoint", be.URL, "--region", "us-east-1", "promote")
	ctl.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=AKIDOPERATOR", "AWS_SECRET_ACCESS_KEY=s")
	if out, err := ctl.CombinedOutput(); err != nil {
		t.Fatalf("rolloutctl override: %v\n%s", err, out)
	}
	out, err = r.run("apply", "-auto-approve")
	if err != nil {
		t.Fatalf("the apply after the override: %v\n%s", err, out)
	}
	if !r.expectDeployment(deploymentWant{Version: "2", Status: "promoted", Reason: "the rollout:override tag asks to promote now"}) {
		t.FailNow()
	}
	if v, ok := overrideTag(); ok {
		t.Errorf("the override outlived the rollout it steered: %q", v)
	}
}

// overrideTagOf reads the rollout:override tag of the function arn.
func overrideTagOf(t *testing.T, c *lambda.Client, arn string) (string, bool) {
	t.Helper()
	out, err := c.ListTags(context.Background(), &lambda.ListTagsInput{Resource: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	v, ok := out.Tags["rollout:override"]
	return v, ok
}
