package provider_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/rollout-tf/terraform-provider-rollout/internal/acctest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/loadgen"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
)

const groupAddr = "rollout_alias_group.release"

// groupStack is n functions grp<prefix>-<i>, each with release and a
// FAIL_RATE (fail[i], "0" when absent), released together by one group
// under policy.
func groupStack(url, zip, prefix string, n int, release string, fail map[int]string, policy string) string {
	var b strings.Builder
	b.WriteString(acctest.SandboxConfig(url))
	for i := 0; i < n; i++ {
		rate := fail[i]
		if rate == "" {
			rate = "0"
		}
		fmt.Fprintf(&b, `
resource "rollout_function" "m%d" {
  function_name = "%s-%d"
  role          = %q
  runtime       = "provided.al2023"
  handler       = "bootstrap"
  filename      = %q
  release       = %q
  environment   = { RELEASE = %q, FAIL_RATE = %q }
}
`, i, prefix, i, testRole, zip, release, release, rate)
	}
	fmt.Fprintf(&b, "\nresource \"rollout_canary_policy\" \"p\" {\n%s\n}\n\nresource \"rollout_alias_group\" \"release\" {\n  name          = %q\n  canary_policy = rollout_canary_policy.p.spec\n  members = {\n", policy, prefix)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "    m%d = { function_name = rollout_function.m%d.function_name, alias = \"live\", function_version = rollout_function.m%d.version }\n", i, i, i)
	}
	b.WriteString("  }\n}\n")
	return b.String()
}

const groupPolicy = `  steps    = [{ weight_percent = 20, hold = "3s" }]
  interval = "1s"
  health   = { max_error_rate = 0.1, min_invocations = 3 }`

// groupLoad sends real traffic through every member's alias until ctx ends.
func groupLoad(ctx context.Context, t *testing.T, be *acctest.Backend, prefix string, n, rps int) {
	c := sdkLambda(be.URL)
	for i := 0; i < n; i++ {
		fn := fmt.Sprintf("%s-%d", prefix, i)
		go func() {
			_, _ = loadgen.Run(ctx, loadgen.Options{Client: c, Function: fn, Qualifier: "live", RPS: float64(rps), Payload: []byte(`{}`)})
		}()
	}
	for i := 0; i < n; i++ {
		fn := fmt.Sprintf("%s-%d", prefix, i)
		for deadline := time.Now().Add(15 * time.Second); be.Sandbox.Journal.Count("Invoke", fn) < 5; {
			if time.Now().After(deadline) {
				t.Errorf("no traffic reached %s:live", fn)
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// aliasMoves returns, per function, the successful UpdateAlias calls since mark.
func aliasMoves(be *acctest.Backend, mark int) map[string]int {
	out := map[string]int{}
	for _, call := range be.Sandbox.Journal.Since(mark) {
		if call.Operation == "UpdateAlias" && call.Status == 200 && call.AccessKey == "AKIDROLLOUTTEST" {
			out[call.Function]++
		}
	}
	return out
}

// aliasRevision is the RevisionId of fn's live alias.
func aliasRevision(t *testing.T, be *acctest.Backend, fn string) string {
	t.Helper()
	a, err := lambdaops.FindAlias(context.Background(), sdkLambda(be.URL), fn, "live")
	if err != nil {
		t.Fatalf("reading %s:live: %v", fn, err)
	}
	return aws.ToString(a.RevisionId)
}

// allOn checks that every member's alias serves version with no split.
func allOn(be *acctest.Backend, prefix string, n int, version string) error {
	c := sdkLambda(be.URL)
	for i := 0; i < n; i++ {
		fn := fmt.Sprintf("%s-%d", prefix, i)
		a, err := lambdaops.FindAlias(context.Background(), c, fn, "live")
		if err != nil {
			return err
		}
		if v, w, split := lambdaops.Routing(a.RoutingConfig); aws.ToString(a.FunctionVersion) != version || split {
			return fmt.Errorf("%s:live serves %s (split %v: %g on %s), want all traffic on %s", fn, aws.ToString(a.FunctionVersion), split, w, v, version)
		}
	}
	return nil
}

// countOn counts the members whose alias serves version with no split.
func countOn(be *acctest.Backend, prefix string, n int, version string) int {
	c := sdkLambda(be.URL)
	on := 0
	for i := 0; i < n; i++ {
		a, err := lambdaops.FindAlias(context.Background(), c, fmt.Sprintf("%s-%d", prefix, i), "live")
		if err != nil {
			continue
		}
		if _, _, split := lambdaops.Routing(a.RoutingConfig); !split && aws.ToString(a.FunctionVersion) == version {
			on++
		}
	}
	return on
}

func groupMembersAt(n int, version string) []statecheck.StateCheck {
	var out []statecheck.StateCheck
	for i := 0; i < n; i++ {
		m := tfjsonpath.New("members").AtMapKey(fmt.Sprintf("m%d", i))
		out = append(out,
			statecheck.ExpectKnownValue(groupAddr, m.AtMapKey("function_version"), knownvalue.StringExact(version)),
			statecheck.ExpectKnownValue(groupAddr, m.AtMapKey("routing"), knownvalue.Null()))
	}
	return out
}

// testGroupRollbackAndPromote releases n functions together with real
// traffic: one bad member rolls every member back (the journal shows each
// alias moved exactly twice: the canary and the rollback; none stays on
// its new version), the same release is refused at plan time, and the fix
// promotes every member together.
func testGroupRollbackAndPromote(t *testing.T, prefix string, n, bad int) {
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "running function code with real metrics")
	zip, _ := testFunctionZip(t)
	ctx, stopLoad := context.WithCancel(context.Background())
	defer stopLoad()
	mark := 0
	badKey := fmt.Sprintf("m%d", bad)
	tfresource.ParallelTest(t, tfresource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckDestroy(be.URL),
		Steps: []tfresource.TestStep{
			{
				Config:            groupStack(be.URL, zip, prefix, n, "v1.0.0", nil, groupPolicy),
				ConfigStateChecks: groupMembersAt(n, "1"),
			},
			{
				// Every member gets v1.1.0; one member's release fails every call.
				PreConfig: func() {
					groupLoad(ctx, t, be, prefix, n, 40)
					mark = be.Sandbox.Journal.Mark()
				},
				Config: groupStack(be.URL, zip, prefix, n, "v1.1.0", map[int]string{bad: "1"}, groupPolicy),
				// The error names the member, the gate, the value and the threshold.
				ExpectError: regexp.MustCompile(acctest.ExpectErrorText(fmt.Sprintf("was rolled back at step 1 with 20%% of each changed member's traffic on its new version: member %s (%s-%d:live, version 1 -> 2): error rate", badKey, prefix, bad)).String() +
					`[\s\S]*` + acctest.ExpectErrorText(fmt.Sprintf("(member %s, gate error_rate: measured 1, threshold 0.1)", badKey)).String()),
			},
			{
				PreConfig: func() {
					if err := allOn(be, prefix, n, "1"); err != nil {
						t.Errorf("after the rollback: %v", err)
					}
					moves := aliasMoves(be, mark)
					for i := 0; i < n; i++ {
						if fn := fmt.Sprintf("%s-%d", prefix, i); moves[fn] != 2 {
							t.Errorf("%s: %d UpdateAlias calls, want 2 (the canary, then the rollback): %v", fn, moves[fn], moves)
						}
					}
				},
				// The bad member's release is remembered: the plan stops.
				Config:      groupStack(be.URL, zip, prefix, n, "v1.1.0", map[int]string{bad: "1"}, groupPolicy),
				PlanOnly:    true,
				ExpectError: acctest.ExpectErrorText("Release Rolled Back"),
			},
			{
				// The fix: every member promoted together.
				PreConfig: func() { mark = be.Sandbox.Journal.Mark() },
				Config:    groupStack(be.URL, zip, prefix, n, "v1.1.1", nil, groupPolicy),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(groupAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectUnknownValue(groupAddr, tfjsonpath.New("deployment")),
				}},
				ConfigStateChecks: append(groupMembersAt(n, "3"),
					statecheck.ExpectKnownValue(groupAddr, tfjsonpath.New("deployment").AtMapKey("status"), knownvalue.StringExact("promoted")),
					statecheck.ExpectKnownValue(groupAddr, tfjsonpath.New("deployment").AtMapKey("members").AtMapKey(badKey).AtMapKey("to_version"), knownvalue.StringExact("3"))),
				Check: func(*terraform.State) error {
					if err := allOn(be, prefix, n, "3"); err != nil {
						return err
					}
					moves := aliasMoves(be, mark)
					for i := 0; i < n; i++ {
						if fn := fmt.Sprintf("%s-%d", prefix, i); moves[fn] != 2 {
							return fmt.Errorf("%s: %d UpdateAlias calls, want 2 (the canary, then the promotion): %v", fn, moves[fn], moves)
						}
					}
					return nil
				},
			},
			{
				// Back to v1.0.0, promoted before on every member
				// (rollback_window): no steps, one UpdateAlias per member.
				PreConfig: func() { mark = be.Sandbox.Journal.Mark() },
				Config:    groupStack(be.URL, zip, prefix, n, "v1.0.0", nil, groupPolicy),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue(groupAddr, tfjsonpath.New("members").AtMapKey(badKey).AtMapKey("function_version"), knownvalue.StringExact("1")),
				}},
				ConfigStateChecks: append(groupMembersAt(n, "1"),
					statecheck.ExpectKnownValue(groupAddr, tfjsonpath.New("deployment").AtMapKey("status"), knownvalue.StringExact("promoted")),
					statecheck.ExpectKnownValue(groupAddr, tfjsonpath.New("members").AtMapKey(badKey).AtMapKey("promotions").AtSliceIndex(0).AtMapKey("version"), knownvalue.StringExact("1"))),
				Check: func(*terraform.State) error {
					moves := aliasMoves(be, mark)
					for i := 0; i < n; i++ {
						if fn := fmt.Sprintf("%s-%d", prefix, i); moves[fn] != 1 {
							return fmt.Errorf("%s: %d UpdateAlias calls, want 1 (a known-good release skips the steps): %v", fn, moves[fn], moves)
						}
					}
					return allOn(be, prefix, n, "1")
				},
			},
		},
	})
}

func TestAccAliasGroup_twoMembers(t *testing.T) { testGroupRollbackAndPromote(t, "grp2", 2, 1) }

func TestAccAliasGroup_fiveMembers(t *testing.T) { testGroupRollbackAndPromote(t, "grp5", 5, 3) }

// TestAccAliasGroup_memberWriteFails injects a failure of every
// UpdateAlias of one member once the first step is set: its shift to the
// second step fails, the other member is brought back, the failing
// member stays split (its rollback fails too), and the apply says so;
// the state records the split, the next plan shows it, and once the
// fault is gone one apply converges.
func TestAccAliasGroup_memberWriteFails(t *testing.T) {
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "fault injection")
	zip, _ := testFunctionZip(t)
	const prefix = "grpf"
	policy := `  steps    = [{ weight_percent = 10, hold = "2s" }, { weight_percent = 50, hold = "2s" }]
  interval = "1s"
  health   = { max_error_rate = 0.5 }`
	stack := func(release string) string {
		return groupStack(be.URL, zip, prefix, 2, release, nil, policy)
	}
	var watch sync.WaitGroup
	defer watch.Wait()
	mark := 0
	tfresource.ParallelTest(t, tfresource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckDestroy(be.URL),
		Steps: []tfresource.TestStep{
			{Config: stack("v1"), ConfigStateChecks: groupMembersAt(2, "1")},
			{
				PreConfig: func() {
					mark := be.Sandbox.Journal.Mark()
					watch.Add(1)
					go func() {
						defer watch.Done()
						// Once both members are at step 1, member m1's writes fail.
						for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
							if m := aliasMoves(be, mark); m[prefix+"-0"] >= 1 && m[prefix+"-1"] >= 1 {
								be.Sandbox.Server.SetFaults([]sandbox.Fault{{Service: "lambda", Operation: "UpdateAlias", Function: prefix + "-1", Kind: sandbox.FaultError, Rate: 1}})
								return
							}
						}
					}()
				},
				Config:      stack("v2"),
				ExpectError: regexp.MustCompile(`Group Release Incomplete[\s\S]*failed\s+member\(s\):\s+m1\.[\s\S]*m1\s+\(grpf-1:live,\s+version\s+1\s+->\s+2\)\s+holds\s+version\s+1\s+with\s+10%\s+of\s+its\s+traffic\s+on\s+version\s+2`),
			},
			{
				PreConfig: func() {
					watch.Wait()
					be.Sandbox.Server.SetFaults(nil)
					mark = be.Sandbox.Journal.Mark()
					c := sdkLambda(be.URL)
					a0, err0 := lambdaops.FindAlias(context.Background(), c, prefix+"-0", "live")
					a1, err1 := lambdaops.FindAlias(context.Background(), c, prefix+"-1", "live")
					if err0 != nil || err1 != nil {
						t.Fatalf("reading the aliases: %v %v", err0, err1)
					}
					if v, _, split := lambdaops.Routing(a0.RoutingConfig); aws.ToString(a0.FunctionVersion) != "1" || split {
						t.Errorf("m0 after the failed release: %s with %q split off; want all traffic back on 1", aws.ToString(a0.FunctionVersion), v)
					}
					if v, w, split := lambdaops.Routing(a1.RoutingConfig); aws.ToString(a1.FunctionVersion) != "1" || !split || v != "2" || w != 0.1 {
						t.Errorf("m1 after the failed release: %s, split %v (%g on %s); want 1 with 10%% on 2 (its writes were failing)", aws.ToString(a1.FunctionVersion), split, w, v)
					}
				},
				// The split is in the state and in the plan. Reverting to v1
				// moves m1 back whole with one write; m0 is not touched.
				Config: stack("v1"),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(groupAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(groupAddr, tfjsonpath.New("members").AtMapKey("m1").AtMapKey("routing"), knownvalue.Null()),
					plancheck.ExpectKnownValue(groupAddr, tfjsonpath.New("members").AtMapKey("m1").AtMapKey("function_version"), knownvalue.StringExact("1")),
				}},
				ConfigStateChecks: groupMembersAt(2, "1"),
				Check: func(*terraform.State) error {
					if m := aliasMoves(be, mark); m[prefix+"-0"] != 0 || m[prefix+"-1"] != 1 {
						return fmt.Errorf("UpdateAlias calls = %v, want only one, of the split member", m)
					}
					return allOn(be, prefix, 2, "1")
				},
			},
			{
				// The release again, without the fault: promoted together.
				Config: stack("v2"),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(groupAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(groupAddr, tfjsonpath.New("members").AtMapKey("m1").AtMapKey("routing"), knownvalue.Null()),
				}},
				ConfigStateChecks: append(groupMembersAt(2, "2"),
					statecheck.ExpectKnownValue(groupAddr, tfjsonpath.New("deployment").AtMapKey("status"), knownvalue.StringExact("promoted"))),
				Check: func(*terraform.State) error { return allOn(be, prefix, 2, "2") },
			},
		},
	})
}

// TestAccAliasGroup_interrupts stops terraform in the middle of a group
// release with real traffic: a SIGINT restores every member (all back on
// the previous version, the release aborted); a SIGKILL leaves the
// members split, the next plan shows it, and one apply converges.
func TestAccAliasGroup_interrupts(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcc(t)
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "running function code with real metrics")
	zip, _ := testFunctionZip(t)
	const prefix, n = "grpi", 3
	policy := `  steps    = [{ weight_percent = 20, hold = "3s" }, { weight_percent = 50, hold = "3s" }]
  interval = "1s"
  health   = { max_error_rate = 0.5 }`
	ctx, stopLoad := context.WithCancel(context.Background())
	defer stopLoad()
	r := newTFRun(t)
	r.write(groupStack(be.URL, zip, prefix, n, "r0", nil, policy))
	if out, err := r.run("apply", "-auto-approve"); err != nil {
		t.Fatalf("first apply: %v\n%s", err, out)
	}
	groupLoad(ctx, t, be, prefix, n, 20)
	// stopMidStep starts an apply of release, waits until every member is
	// at step 1, and sends sig.
	stopMidStep := func(release string, sig syscall.Signal) string {
		r.write(groupStack(be.URL, zip, prefix, n, release, nil, policy))
		mark := be.Sandbox.Journal.Mark()
		cmd := r.command("apply", "-auto-approve")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
			moved := aliasMoves(be, mark)
			if len(moved) == n {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the release did not reach step 1 on every member: %v\n%s", moved, out.String())
			}
		}
		if sig == syscall.SIGKILL {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		} else {
			_ = cmd.Process.Signal(sig)
		}
		_ = cmd.Wait()
		_ = os.Remove(filepath.Join(r.dir, ".terraform.tfstate.lock.info"))
		return out.String()
	}
	converge := func(what string) {
		if out, err := r.run("apply", "-auto-approve"); err != nil {
			t.Fatalf("%s: the recovery apply failed: %v\n%s", what, err, out)
		}
		if out, err := r.run("plan", "-detailed-exitcode"); err != nil {
			t.Fatalf("%s: not converged after one apply: %v\n%s", what, err, out)
		}
	}

	out := stopMidStep("r1", syscall.SIGINT)
	restored := countOn(be, prefix, n, "1")
	if err := allOn(be, prefix, n, "1"); err != nil {
		t.Errorf("after SIGINT, every member should be back on 1: %v\n%s", err, out)
	}
	if !strings.Contains(out, "Group Release Aborted") {
		t.Errorf("the interrupted apply does not say the release was aborted:\n%s", out)
	}
	converge("SIGINT")
	if err := allOn(be, prefix, n, "2"); err != nil {
		t.Errorf("after the recovery apply: %v", err)
	}

	out = stopMidStep("r2", syscall.SIGKILL)
	split := 0
	c := sdkLambda(be.URL)
	for i := 0; i < n; i++ {
		a, err := lambdaops.FindAlias(context.Background(), c, fmt.Sprintf("%s-%d", prefix, i), "live")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, ok := lambdaops.Routing(a.RoutingConfig); ok {
			split++
		}
	}
	if split == 0 {
		t.Fatalf("SIGKILL at step 1 left no member split: the test did not stop the release mid-step\n%s", out)
	}
	plan := r.command("plan", "-detailed-exitcode")
	var pout bytes.Buffer
	plan.Stdout, plan.Stderr = &pout, &pout
	err := plan.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(pout.String(), "Group Member Split") || !strings.Contains(pout.String(), "routing") {
		t.Fatalf("%d members are split but the plan does not show it (exit %v):\n%s", split, err, pout.String())
	}
	converge("SIGKILL")
	if err := allOn(be, prefix, n, "3"); err != nil {
		t.Errorf("after the recovery apply: %v", err)
	}
	stopLoad()
	if out, err := r.destroy(be.URL); err != nil {
		t.Errorf("destroy: %v\n%s", err, out)
	}
	fmt.Printf("alias-group/interrupts: SIGINT left %d of %d members wholly on the previous version; SIGKILL left %d of %d members split, shown by the plan and converged by one apply\n", restored, n, split, n)
}

// TestAccAliasGroup_planChecksAndImport: bad input is refused at plan
// time (two members on one alias, a member whose
// release is incompatible with the data schema); without a policy the
// changed members move at once and the unchanged one is not written; the
// group imports by name and members.
func TestAccAliasGroup_planChecksAndImport(t *testing.T) {
	be := acctest.NewBackend(t)
	zip := acctest.WriteZip(t, t.TempDir(), "a.zip", "code a")
	fn := func(name, release string) string {
		return fmt.Sprintf(`
resource "rollout_function" %q {
  function_name           = %q
  role                    = %q
  runtime                 = "provided.al2023"
  handler                 = "bootstrap"
  filename                = %q
  release                 = %q
  description             = %q
  compatible_data_schemas = { min = 1, max = 2 }
}
`, name, "grpc-"+name, testRole, zip, release, release)
	}
	stack := func(release string, group string) string {
		return acctest.SandboxConfig(be.URL) + fn("api", release) + fn("worker", release) + fn("cron", "v1") + group
	}
	plain := `
resource "rollout_alias_group" "release" {
  name    = "checkout"
  members = {
    api    = { function_name = rollout_function.api.function_name, alias = "live", function_version = rollout_function.api.version }
    worker = { function_name = rollout_function.worker.function_name, alias = "live", function_version = rollout_function.worker.version }
    cron   = { function_name = rollout_function.cron.function_name, alias = "live", function_version = rollout_function.cron.version }
  }
}
`
	mark, cronRev := 0, ""
	tfresource.ParallelTest(t, tfresource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckDestroy(be.URL),
		Steps: []tfresource.TestStep{
			{
				Config: stack("v1", `
resource "rollout_alias_group" "release" {
  name    = "checkout"
  members = {
    a = { function_name = "grpc-api", alias = "live", function_version = "1" }
    b = { function_name = "grpc-api", alias = "live", function_version = "1" }
  }
}
`),
				PlanOnly:    true,
				ExpectError: acctest.ExpectErrorText(`Duplicate Group Member`),
			},
			{
				Config: stack("v1", `
resource "rollout_alias_group" "release" {
  name    = "checkout"
  members = {
    api = { function_name = rollout_function.api.function_name, alias = "live", function_version = rollout_function.api.version,
            data_schema_version = 3, version_data_schemas = rollout_function.api.version_data_schemas }
  }
}
`),
				PlanOnly:    true,
				ExpectError: acctest.ExpectErrorText(`Incompatible Data Schema`),
			},
			{
				Config:            stack("v1", plain),
				ConfigStateChecks: []statecheck.StateCheck{statecheck.ExpectKnownValue(groupAddr, tfjsonpath.New("members").AtMapKey("cron").AtMapKey("function_version"), knownvalue.StringExact("1"))},
			},
			{
				// No policy: api and worker move at once; cron is not written.
				PreConfig: func() {
					if be.Sandbox != nil {
						mark = be.Sandbox.Journal.Mark()
					}
					cronRev = aliasRevision(t, be, "grpc-cron")
				},
				Config: stack("v2", plain),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue(groupAddr, tfjsonpath.New("members").AtMapKey("cron").AtMapKey("revision_id"), knownvalue.NotNull()),
					plancheck.ExpectUnknownValue(groupAddr, tfjsonpath.New("members").AtMapKey("api").AtMapKey("revision_id")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(groupAddr, tfjsonpath.New("members").AtMapKey("api").AtMapKey("function_version"), knownvalue.StringExact("2")),
					statecheck.ExpectKnownValue(groupAddr, tfjsonpath.New("members").AtMapKey("worker").AtMapKey("function_version"), knownvalue.StringExact("2")),
					statecheck.ExpectKnownValue(groupAddr, tfjsonpath.New("members").AtMapKey("cron").AtMapKey("function_version"), knownvalue.StringExact("1")),
					statecheck.ExpectKnownValue(groupAddr, tfjsonpath.New("deployment").AtMapKey("status"), knownvalue.StringExact("promoted")),
					statecheck.ExpectKnownValue(groupAddr, tfjsonpath.New("deployment").AtMapKey("gates").AtSliceIndex(0).AtMapKey("reason"), knownvalue.StringExact("no steps: all at once")),
				},
				Check: func(*terraform.State) error {
					// Any backend: the unchanged member's alias was not written.
					if rev := aliasRevision(t, be, "grpc-cron"); rev != cronRev {
						return fmt.Errorf("grpc-cron:live revision %s -> %s: the unchanged member was written", cronRev, rev)
					}
					if be.Sandbox == nil {
						return nil // moto keeps no journal to count the writes with
					}
					moves := aliasMoves(be, mark)
					want := map[string]int{"grpc-api": 1, "grpc-worker": 1}
					if fmt.Sprint(moves) != fmt.Sprint(want) {
						return fmt.Errorf("UpdateAlias calls = %v, want %v (the unchanged member untouched)", moves, want)
					}
					return nil
				},
			},
			{
				ResourceName:                         groupAddr,
				ImportState:                          true,
				ImportStateId:                        "checkout:api=grpc-api/live,worker=grpc-worker/live,cron=grpc-cron/live",
				ImportStateVerify:                    true,
				ImportStateVerifyIdentifierAttribute: "name",
				ImportStateVerifyIgnore:              []string{"deployment", "members.api.promotions", "members.worker.promotions", "members.cron.promotions"}, // the release history is not in AWS
			},
			{
				ResourceName:  groupAddr,
				ImportState:   true,
				ImportStateId: "checkout:api=grpc-api",
				ExpectError:   acctest.ExpectErrorText("Invalid Import ID"),
			},
		},
	})
}
