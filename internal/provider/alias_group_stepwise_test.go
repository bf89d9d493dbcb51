package provider_test

import (
	"context"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"
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

// TestAccAliasGroup_planDriven drives a group with wait = false and real
// traffic: each apply makes one transition of every changed member and
// each plan shows the group's next one before it happens (start, hold as
// an empty plan, advance, promote); a bad member's breach is planned as a
// rollback of every member, the apply names the member, gate, value and
// threshold, and re-applying the same configuration does not relaunch the
// rejected release.
func TestAccAliasGroup_planDriven(t *testing.T) {
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "running function code with real metrics")
	zip, _ := testFunctionZip(t)
	const prefix, n = "grpw", 2
	hook := newReceiver(t)
	policy := fmt.Sprintf(`  steps    = [{ weight_percent = 10, hold = "5s" }, { weight_percent = 50, hold = "5s" }]
  interval = "1s"
  health   = { max_error_rate = 0.2, min_invocations = 5 }
  wait     = false
  notifications = { webhook_url = %q }`, hook.srv.URL)
	stack := func(release string, fail map[int]string) string {
		return groupStack(be.URL, zip, prefix, n, release, fail, policy)
	}
	ctx, stopLoad := context.WithCancel(context.Background())
	defer func() { stopLoad() }()
	// every checks that each member's alias serves primary with weight on extra.
	every := func(primary, extra string, weight float64) error {
		c := sdkLambda(be.URL)
		for i := 0; i < n; i++ {
			fn := fmt.Sprintf("%s-%d", prefix, i)
			a, err := lambdaops.FindAlias(context.Background(), c, fn, "live")
			if err != nil {
				return err
			}
			v, w, _ := lambdaops.Routing(a.RoutingConfig)
			if got := *a.FunctionVersion; got != primary || v != extra || w != weight {
				return fmt.Errorf("%s:live = %s + %q@%g, want %s + %q@%g", fn, got, v, w, primary, extra, weight)
			}
		}
		return nil
	}
	hold := func(d time.Duration, then func()) func() {
		return func() {
			if then != nil {
				then()
			}
			time.Sleep(d) // the step's hold is wall-clock time with real traffic behind it
		}
	}
	dep := func(k string) tfjsonpath.Path { return tfjsonpath.New("deployment").AtMapKey(k) }
	member := func(k, attr string) tfjsonpath.Path { return tfjsonpath.New("members").AtMapKey(k).AtMapKey(attr) }
	mark := 0
	tfresource.ParallelTest(t, tfresource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckDestroy(be.URL),
		Steps: []tfresource.TestStep{
			{Config: stack("v1", nil), ConfigStateChecks: groupMembersAt(n, "1")},
			{
				// The apply publishes version 2 of each function, sets step 1
				// (10%) on every changed member and returns.
				PreConfig: func() {
					groupLoad(ctx, t, be, prefix, n, 40)
					mark = be.Sandbox.Journal.Mark()
				},
				Config: stack("v2", nil),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(groupAddr, dep("step"), knownvalue.Int64Exact(1)),
					statecheck.ExpectKnownValue(groupAddr, dep("weight_percent"), knownvalue.Float64Exact(10)),
					statecheck.ExpectKnownValue(groupAddr, dep("members").AtMapKey("m1").AtMapKey("to_version"), knownvalue.StringExact("2")),
					statecheck.ExpectKnownValue(groupAddr, member("m0", "function_version"), knownvalue.StringExact("2")),
					statecheck.ExpectKnownValue(groupAddr, member("m1", "function_version"), knownvalue.StringExact("2")),
					statecheck.ExpectKnownValue(groupAddr, dep("status"), knownvalue.StringExact("in_progress")),
				},
				Check: func(*terraform.State) error { return every("1", "2", 0.1) },
			},
			{
				// Within the hold the plan is empty: holding changes nothing.
				Config:   stack("v2", nil),
				PlanOnly: true,
			},
			{
				// After the hold, the plan shows every member going to 50%.
				PreConfig: hold(5500*time.Millisecond, nil),
				Config:    stack("v2", nil),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(groupAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(groupAddr, dep("step"), knownvalue.Int64Exact(2)),
					plancheck.ExpectKnownValue(groupAddr, dep("weight_percent"), knownvalue.Float64Exact(50)),
					plancheck.ExpectKnownValue(groupAddr, dep("next_action"), knownvalue.Null()),
					plancheck.ExpectUnknownValue(groupAddr, member("m0", "revision_id")),
					plancheck.ExpectUnknownValue(groupAddr, member("m1", "revision_id")),
				}},
				Check: func(*terraform.State) error { return every("1", "2", 0.5) },
			},
			{
				// Then the promotion of both, together.
				PreConfig: hold(5500*time.Millisecond, nil),
				Config:    stack("v2", nil),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue(groupAddr, dep("status"), knownvalue.StringExact("promoted")),
				}},
				ConfigStateChecks: append(groupMembersAt(n, "2"),
					statecheck.ExpectKnownValue(groupAddr, dep("status"), knownvalue.StringExact("promoted")),
					statecheck.ExpectKnownValue(groupAddr, member("m1", "promotions").AtSliceIndex(0).AtMapKey("version"), knownvalue.StringExact("2"))),
				Check: func(*terraform.State) error {
					if err := every("2", "", 0); err != nil {
						return err
					}
					// Three writes per member: 10%, 50%, the promotion.
					moves := aliasMoves(be, mark)
					for i := 0; i < n; i++ {
						if fn := fmt.Sprintf("%s-%d", prefix, i); moves[fn] != 3 {
							return fmt.Errorf("%s: %d UpdateAlias calls, want 3 (10%%, 50%%, promote): %v", fn, moves[fn], moves)
						}
					}
					return nil
				},
			},
			{
				// A release in which m1 fails every call starts at 10%
				// (without traffic for now: the refresh after the apply
				// finds too little data and holds)...
				PreConfig: func() {
					stopLoad()
					mark = be.Sandbox.Journal.Mark()
				},
				Config: stack("v3", map[int]string{1: "1"}),
				Check:  func(*terraform.State) error { return every("2", "3", 0.1) },
			},
			{
				// ...and with traffic, the next plan shows the rollback of
				// every member.
				PreConfig: hold(2500*time.Millisecond, func() {
					ctx, stopLoad = context.WithCancel(context.Background())
					groupLoad(ctx, t, be, prefix, n, 40)
				}),
				Config: stack("v3", map[int]string{1: "1"}),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue(groupAddr, dep("status"), knownvalue.StringExact("rolled_back")),
					plancheck.ExpectKnownValue(groupAddr, dep("member"), knownvalue.StringExact("m1")),
					plancheck.ExpectKnownValue(groupAddr, dep("gate"), knownvalue.StringExact("error_rate")),
					plancheck.ExpectKnownValue(groupAddr, dep("threshold"), knownvalue.Float64Exact(0.2)),
				}},
				ExpectError: regexp.MustCompile(acctest.ExpectErrorText("Group Release Rolled Back").String() + `[\s\S]*` +
					acctest.ExpectErrorText(fmt.Sprintf("member m1 (%s-1:live, version 2 -> 3): error rate", prefix)).String() + `[\s\S]*` +
					acctest.ExpectErrorText("(member m1, gate error_rate: measured").String()),
			},
			{
				// Every member is back on 2 (none stayed on 3), and the same
				// configuration does not relaunch the rejected release.
				PreConfig: func() {
					if err := every("2", "", 0); err != nil {
						t.Error(err)
					}
					moves := aliasMoves(be, mark)
					for i := 0; i < n; i++ {
						if fn := fmt.Sprintf("%s-%d", prefix, i); moves[fn] != 2 {
							t.Errorf("%s: %d UpdateAlias calls, want 2 (10%%, then the rollback): %v", fn, moves[fn], moves)
						}
					}
					mark = be.Sandbox.Journal.Mark()
				},
				Config:      stack("v3", map[int]string{1: "1"}),
				ExpectError: acctest.ExpectErrorText("Release Rolled Back"),
			},
		},
	})
	if moves := aliasMoves(be, mark); len(moves) != 0 {
		t.Errorf("the re-apply of the rolled-back release wrote aliases: %v", moves)
	}
	// Every transition was told, in order, as each apply made it.
	bodies := hook.snapshot()
	want := []string{"started step=1 gate=", "step_advanced step=2 gate=", "promoted step=2 gate=", "started step=1 gate=", "rolled_back step=1 gate=error_rate"}
	if diff := cmp.Diff(want, events(t, bodies)); diff != "" {
		t.Errorf("webhook events (-want +got):\n%s", diff)
	} else {
		checkGroupPayload(t, bodies[len(bodies)-1], prefix, "m1", 0.2)
	}
}

// TestAccAliasGroup_planDrivenWriteFails injects a failure of every
// UpdateAlias of one member before a plan-driven group's advance: the
// apply sends the other member back, says which member holds what, the
// state records the split, the next plan shows it (and the start of the
// release again, step 1 on both), and once the fault is gone one apply
// converges.
func TestAccAliasGroup_planDrivenWriteFails(t *testing.T) {
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "fault injection")
	zip, _ := testFunctionZip(t)
	const prefix = "grpwf"
	policy := `  steps    = [{ weight_percent = 10, hold = "6s" }, { weight_percent = 50, hold = "6s" }]
  interval = "1s"
  health   = { max_error_rate = 0.5 }
  wait     = false`
	stack := func(release string) string { return groupStack(be.URL, zip, prefix, 2, release, nil, policy) }
	dep := func(k string) tfjsonpath.Path { return tfjsonpath.New("deployment").AtMapKey(k) }
	member := func(k, attr string) tfjsonpath.Path { return tfjsonpath.New("members").AtMapKey(k).AtMapKey(attr) }
	tfresource.ParallelTest(t, tfresource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckDestroy(be.URL),
		Steps: []tfresource.TestStep{
			{Config: stack("v1"), ConfigStateChecks: groupMembersAt(2, "1")},
			{Config: stack("v2"), ConfigStateChecks: []statecheck.StateCheck{statecheck.ExpectKnownValue(groupAddr, dep("step"), knownvalue.Int64Exact(1))}},
			{
				// After the hold the plan advances both; m1's writes fail.
				PreConfig: func() {
					time.Sleep(6500 * time.Millisecond) // the step's hold is wall-clock time
					be.Sandbox.Server.SetFaults([]sandbox.Fault{{Service: "lambda", Operation: "UpdateAlias", Function: prefix + "-1", Kind: sandbox.FaultError, Rate: 1}})
				},
				Config: stack("v2"),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue(groupAddr, dep("step"), knownvalue.Int64Exact(2)),
				}},
				ExpectError: regexp.MustCompile(`Group Release Incomplete[\s\S]*failed\s+member\(s\):\s+m1\.[\s\S]*m1\s+\(grpwf-1:live,\s+version\s+1\s+->\s+2\)\s+holds\s+version\s+1\s+with\s+10%\s+of\s+its\s+traffic\s+on\s+version\s+2`),
			},
			{
				// m0 was brought back whole; m1 is split, and the plan says
				// so and shows the release starting again on both.
				PreConfig: func() {
					be.Sandbox.Server.SetFaults(nil)
					c := sdkLambda(be.URL)
					a0, err0 := lambdaops.FindAlias(context.Background(), c, prefix+"-0", "live")
					a1, err1 := lambdaops.FindAlias(context.Background(), c, prefix+"-1", "live")
					if err0 != nil || err1 != nil {
						t.Fatalf("reading the aliases: %v %v", err0, err1)
					}
					if v, _, split := lambdaops.Routing(a0.RoutingConfig); *a0.FunctionVersion != "1" || split {
						t.Errorf("m0 after the failed advance: %s with %q split off; want all traffic back on 1", *a0.FunctionVersion, v)
					}
					if v, w, split := lambdaops.Routing(a1.RoutingConfig); *a1.FunctionVersion != "1" || !split || v != "2" || w != 0.1 {
						t.Errorf("m1 after the failed advance: %s, split %v (%g on %s); want 1 with 10%% on 2", *a1.FunctionVersion, split, w, v)
					}
				},
				Config: stack("v2"),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(groupAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(groupAddr, member("m1", "routing"), knownvalue.Null()),
					plancheck.ExpectKnownValue(groupAddr, dep("status"), knownvalue.StringExact("in_progress")),
					plancheck.ExpectKnownValue(groupAddr, dep("step"), knownvalue.Int64Exact(1)),
					plancheck.ExpectKnownValue(groupAddr, dep("weight_percent"), knownvalue.Float64Exact(10)),
					plancheck.ExpectKnownValue(groupAddr, dep("members").AtMapKey("m0").AtMapKey("from_version"), knownvalue.StringExact("1")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(groupAddr, member("m0", "function_version"), knownvalue.StringExact("2")),
					statecheck.ExpectKnownValue(groupAddr, member("m1", "function_version"), knownvalue.StringExact("2")),
				},
			},
		},
	})
}

// TestAccAliasGroup_planDrivenUneven leaves the members of a plan-driven
// release at different weights, as an apply killed between two members'
// writes does: the refresh sees it, the plan shows every member going
// back (aborted, gate "interrupted"), the apply does it, and the release
// is not remembered as rejected: the next plan starts it again.
func TestAccAliasGroup_planDrivenUneven(t *testing.T) {
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "the journal")
	zip, _ := testFunctionZip(t)
	const prefix = "grpwu"
	policy := `  steps    = [{ weight_percent = 10, hold = "1m" }, { weight_percent = 50, hold = "1m" }]
  interval = "1s"
  health   = { max_error_rate = 0.5 }
  wait     = false`
	stack := func(release string) string { return groupStack(be.URL, zip, prefix, 2, release, nil, policy) }
	dep := func(k string) tfjsonpath.Path { return tfjsonpath.New("deployment").AtMapKey(k) }
	tfresource.ParallelTest(t, tfresource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckDestroy(be.URL),
		Steps: []tfresource.TestStep{
			{Config: stack("v1")},
			{Config: stack("v2"), ConfigStateChecks: []statecheck.StateCheck{statecheck.ExpectKnownValue(groupAddr, dep("weight_percent"), knownvalue.Float64Exact(10))}},
			{
				// m1 alone goes to 50%, as a kill between the two writes of
				// an advance leaves it.
				PreConfig: func() {
					c := sdkLambda(be.URL)
					if _, err := c.UpdateAlias(context.Background(), &lambda.UpdateAliasInput{FunctionName: aws.String(prefix + "-1"), Name: aws.String("live"),
						FunctionVersion: aws.String("1"), RoutingConfig: &lambdatypes.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 0.5}}}); err != nil {
						t.Fatal(err)
					}
				},
				Config: stack("v2"),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue(groupAddr, dep("status"), knownvalue.StringExact("aborted")),
					plancheck.ExpectKnownValue(groupAddr, dep("gate"), knownvalue.StringExact("interrupted")),
				}},
				ExpectError: regexp.MustCompile(acctest.ExpectErrorText("Group Release Aborted").String() + `[\s\S]*` + acctest.ExpectErrorText("m1 has 50% on version 2").String()),
			},
			{
				// Both back on 1; the same configuration starts the release again.
				PreConfig: func() {
					if err := allOn(be, prefix, 2, "1"); err != nil {
						t.Error(err)
					}
				},
				Config: stack("v2"),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue(groupAddr, dep("status"), knownvalue.StringExact("in_progress")),
					plancheck.ExpectKnownValue(groupAddr, dep("step"), knownvalue.Int64Exact(1)),
				}},
			},
			{
				// A new release while that one is in progress starts from
				// the version most traffic is on (1), not from 2.
				Config: stack("v3"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(groupAddr, dep("members").AtMapKey("m0").AtMapKey("from_version"), knownvalue.StringExact("1")),
					statecheck.ExpectKnownValue(groupAddr, dep("members").AtMapKey("m1").AtMapKey("to_version"), knownvalue.StringExact("3")),
				},
				Check: func(*terraform.State) error {
					c := sdkLambda(be.URL)
					for i := 0; i < 2; i++ {
						a, err := lambdaops.FindAlias(context.Background(), c, fmt.Sprintf("%s-%d", prefix, i), "live")
						if err != nil {
							return err
						}
						if v, w, _ := lambdaops.Routing(a.RoutingConfig); *a.FunctionVersion != "1" || v != "3" || w != 0.1 {
							return fmt.Errorf("%s-%d:live = %s + %s@%g, want 1 + 3@0.1", prefix, i, *a.FunctionVersion, v, w)
						}
					}
					return nil
				},
			},
		},
	})
}
