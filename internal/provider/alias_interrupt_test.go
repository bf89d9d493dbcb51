package provider_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"

	"github.com/rollout-tf/terraform-provider-rollout/internal/acctest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
)

var (
	providerBinOnce sync.Once
	providerBinDir  string
	providerBinErr  error
)

// providerBinary builds the provider once, for tests that run terraform
// as a user does (a subprocess that can be interrupted).
func providerBinary(t testing.TB) string {
	t.Helper()
	providerBinOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		providerBinDir, providerBinErr = os.MkdirTemp("", "rollout-provider-bin-") //nolint:usetesting // shared by every test of the process, so not one test's TempDir
		if providerBinErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", filepath.Join(providerBinDir, "terraform-provider-rollout"), ".")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			providerBinErr = fmt.Errorf("building the provider: %v\n%s", err, out)
		}
	})
	if providerBinErr != nil {
		t.Fatal(providerBinErr)
	}
	return providerBinDir
}

// tfRun is a terraform working directory using the built provider through
// dev_overrides.
type tfRun struct {
	t   testing.TB
	tf  string
	dir string
	env []string
}

func newTFRun(t testing.TB) *tfRun { return newTFRunWith(t, false) }

// newTFRunWith uses dev_overrides (no terraform init needed), or, with
// mirror, a filesystem mirror holding the built provider, for
// configurations that need terraform init (a backend).
func newTFRunWith(t testing.TB, mirror bool) *tfRun {
	tf := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if tf == "" {
		t.Fatal("TF_ACC_TERRAFORM_PATH is not set: run through make test")
	}
	dir := t.TempDir()
	rc := filepath.Join(dir, "dev.tfrc")
	body := fmt.Sprintf("provider_installation {\n  dev_overrides {\n    \"rollout-tf/rollout\" = %q\n  }\n  direct {}\n}\n", providerBinary(t))
	if mirror {
		plat := filepath.Join(dir, "mirror", acctest.ProviderHost(), "rollout-tf", "rollout", "0.0.1", runtime.GOOS+"_"+runtime.GOARCH)
		if err := os.MkdirAll(plat, 0o755); err != nil {
			t.Fatal(err)
		}
		bin, err := os.ReadFile(filepath.Join(providerBinary(t), "terraform-provider-rollout"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(plat, "terraform-provider-rollout_v0.0.1"), bin, 0o755); err != nil {
			t.Fatal(err)
		}
		body = fmt.Sprintf("provider_installation {\n  filesystem_mirror {\n    path    = %q\n    include = [\"rollout-tf/rollout\"]\n  }\n}\n", filepath.Join(dir, "mirror"))
	}
	if err := os.WriteFile(rc, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return &tfRun{t: t, tf: tf, dir: dir, env: append(os.Environ(), "TF_CLI_CONFIG_FILE="+rc, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1")}
}

func (r *tfRun) write(config string) {
	r.t.Helper()
	full := "terraform {\n  required_providers {\n    rollout = { source = \"rollout-tf/rollout\" }\n  }\n}\n\n" + config
	if err := os.WriteFile(filepath.Join(r.dir, "main.tf"), []byte(full), 0o600); err != nil {
		r.t.Fatal(err)
	}
}

func (r *tfRun) command(args ...string) *exec.Cmd {
	cmd := exec.Command(r.tf, append(args, "-no-color", "-input=false")...)
	cmd.Dir, cmd.Env = r.dir, r.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd
}

func (r *tfRun) run(args ...string) (string, error) {
	out, err := r.command(args...).CombinedOutput()
	return string(out), err
}

// mustRun runs terraform with args and stops the test when it fails,
// naming the step (what) and showing terraform's output.
func (r *tfRun) mustRun(what string, args ...string) string {
	r.t.Helper()
	out, err := r.run(args...)
	if err != nil {
		r.t.Fatalf("%s: %v\n%s", what, err, out)
	}
	return out
}

// runExact runs terraform with exactly args (for commands that take no -input).
func (r *tfRun) runExact(args ...string) (string, error) {
	cmd := exec.Command(r.tf, args...)
	cmd.Dir, cmd.Env = r.dir, r.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// destroy runs terraform destroy -auto-approve with args and then proves,
// through the AWS SDK against url, that nothing the state held before
// destroy is left (acctest.CheckDestroyedState). The error is destroy's,
// or what destroy left behind.
func (r *tfRun) destroy(url string, args ...string) (string, error) {
	r.t.Helper()
	pull := exec.Command(r.tf, "state", "pull")
	pull.Dir, pull.Env = r.dir, r.env
	before, err := pull.Output()
	if err != nil {
		r.t.Fatalf("terraform state pull before destroy: %v", err)
	}
	out, err := r.run(append([]string{"destroy", "-auto-approve"}, args...)...)
	if err != nil {
		return out, err
	}
	if err := acctest.CheckDestroyedState(url, before); err != nil {
		return out, fmt.Errorf("destroy left something behind: %w", err)
	}
	return out, nil
}

// deploymentWant is what a test expects of rollout_alias.live in the
// state: the version it routes to and its deployment's status, gate and
// reason; an empty field is not compared.
type deploymentWant struct{ Version, Status, Gate, Reason string }

// expectDeployment reports (t.Errorf) how rollout_alias.live in the state
// differs from want; it returns whether it matched.
func (r *tfRun) expectDeployment(want deploymentWant) bool {
	r.t.Helper()
	st := r.aliasState()
	dep, _ := st["deployment"].(map[string]any)
	field := func(w string, v any) string {
		if w == "" {
			return ""
		}
		s, _ := v.(string)
		return s
	}
	got := deploymentWant{Version: field(want.Version, st["function_version"]), Status: field(want.Status, dep["status"]),
		Gate: field(want.Gate, dep["gate"]), Reason: field(want.Reason, dep["reason"])}
	if diff := cmp.Diff(want, got); diff != "" {
		r.t.Errorf("rollout_alias.live in the state (-want +got):\n%s\ndeployment: %v", diff, dep)
		return false
	}
	return true
}

// checkDestroy runs destroy and reports (t.Errorf) a failure or anything
// it left behind.
func (r *tfRun) checkDestroy(url string) {
	r.t.Helper()
	if out, err := r.destroy(url); err != nil {
		r.t.Errorf("destroy: %v\n%s", err, out)
	}
}

// aliasState reads rollout_alias.live from the local state file.
func (r *tfRun) aliasState() map[string]any {
	r.t.Helper()
	return r.resourceState("rollout_alias")
}

// resourceState reads the one resource of type typ from the local state file.
func (r *tfRun) resourceState(typ string) map[string]any {
	r.t.Helper()
	b, err := os.ReadFile(filepath.Join(r.dir, "terraform.tfstate"))
	if err != nil {
		r.t.Fatal(err)
	}
	var st struct {
		Resources []struct {
			Type      string
			Instances []struct {
				Attributes map[string]any
			}
		}
	}
	if err := json.Unmarshal(b, &st); err != nil {
		r.t.Fatal(err)
	}
	for _, res := range st.Resources {
		if res.Type == typ && len(res.Instances) == 1 {
			return res.Instances[0].Attributes
		}
	}
	r.t.Fatalf("no %s in state", typ)
	return nil
}

// TestAccAliasCanary_interrupts sends SIGINT to terraform in the middle of
// a rollout (traffic must be back on the old version and the state must say
// aborted), then kills terraform and the provider outright mid-rollout (the
// next plan must show the split, and the next apply must converge).
func TestAccAliasCanary_interrupts(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcc(t)
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "running function code with real metrics")
	zip, _ := testFunctionZip(t)
	c := sdkLambda(be.URL)
	loadOnLive(t, c, 50)

	cfg := func(release string) string {
		s := canaryStack(be.URL, zip, release, "0")
		return strings.Replace(s, `hold = "3s"`, `hold = "4s"`, 1)
	}
	r := newTFRun(t)
	r.write(cfg("v1.0.0"))
	r.mustRun("first apply", "apply", "-auto-approve")
	waitSplit := func() {
		t.Helper()
		if !splitWithin(c) {
			t.Fatal("the rollout never split the alias")
		}
	}
	start := func() (*exec.Cmd, *bytes.Buffer) {
		cmd := r.command("apply", "-auto-approve")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, &out
	}

	// SIGINT: Terraform asks the provider to stop; the rollout rolls back.
	r.write(cfg("v1.1.0"))
	cmd, out := start()
	waitSplit()
	_ = cmd.Process.Signal(os.Interrupt)
	if err := cmd.Wait(); err == nil {
		t.Errorf("an interrupted apply exited 0:\n%s", out)
	}
	a, err := lambdaops.FindAlias(context.Background(), c, "canaried", "live")
	if err != nil || aws.ToString(a.FunctionVersion) != "1" || (a.RoutingConfig != nil && len(a.RoutingConfig.AdditionalVersionWeights) > 0) {
		t.Fatalf("alias after SIGINT = %+v (%v); want all traffic on version 1\n%s", a, err, out)
	}
	if !r.expectDeployment(deploymentWant{Version: "1", Status: "aborted"}) {
		t.Logf("after SIGINT:\n%s", out)
	}

	// SIGKILL of terraform and the provider: the alias stays split.
	cmd, _ = start()
	waitSplit()
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	_ = cmd.Wait()
	a, err = lambdaops.FindAlias(context.Background(), c, "canaried", "live")
	if err != nil || a.RoutingConfig == nil || len(a.RoutingConfig.AdditionalVersionWeights) == 0 {
		t.Fatalf("after SIGKILL the alias should still be split, got %+v %v", a, err)
	}
	_ = os.Remove(filepath.Join(r.dir, ".terraform.tfstate.lock.info"))
	plan, err := r.run("plan")
	if err != nil {
		t.Fatalf("plan after the kill: %v\n%s", err, plan)
	}
	if !strings.Contains(plan, "routing") || !strings.Contains(plan, `function_version = "1" -> "2"`) {
		t.Errorf("the plan after the kill does not show the split and the move to version 2:\n%s", plan)
	}
	r.mustRun("recovery apply", "apply", "-auto-approve")
	a, err = lambdaops.FindAlias(context.Background(), c, "canaried", "live")
	if err != nil || aws.ToString(a.FunctionVersion) != "2" || (a.RoutingConfig != nil && len(a.RoutingConfig.AdditionalVersionWeights) > 0) {
		t.Errorf("alias after the recovery apply = %+v %v; want all traffic on version 2", a, err)
	}
	if out, err := r.run("plan", "-detailed-exitcode"); err != nil {
		t.Errorf("the configuration did not converge: %v\n%s", err, out)
	}
	r.checkDestroy(be.URL)
}
