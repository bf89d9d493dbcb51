package provider_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/hashicorp/terraform-plugin-testing/compare"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/rollout-tf/terraform-provider-rollout/internal/acctest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/loadgen"
)

// TestAccAliasCanary_planDriven drives rollouts with wait = false: each
// apply makes one transition and each plan shows the next one (advance,
// hold as an empty plan, promote, roll back) before it happens.
func TestAccAliasCanary_planDriven(t *testing.T) {
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "running function code with real metrics")
	zip, _ := testFunctionZip(t)
	c := sdkLambda(be.URL)
	ctx, stopLoad := context.WithCancel(context.Background())
	defer stopLoad()
	go func() {
		_, _ = loadgen.Run(ctx, loadgen.Options{Client: c, Function: "canaried", Qualifier: "live", RPS: 60, Payload: []byte(`{}`)})
	}()
	policy := `  steps    = [{ weight_percent = 10, hold = "3s" }, { weight_percent = 50, hold = "3s" }]
  interval = "1s"
  health   = { max_error_rate = 0.2, min_invocations = 10 }
  wait     = false`
	cfg := func(release, failRate string) string {
		return strings.Replace(canaryStackWith(be.URL, zip, release, policy), `FAIL_RATE = "0"`, fmt.Sprintf(`FAIL_RATE = %q`, failRate), 1)
	}
	routing := func(wantPrimary, wantExtra string, wantWeight float64) func() {
		return func() {
			a, err := lambdaops.FindAlias(context.Background(), c, "canaried", "live")
			if err != nil {
				t.Fatal(err)
			}
			v, w, _ := lambdaops.Routing(a.RoutingConfig)
			if aws.ToString(a.FunctionVersion) != wantPrimary || v != wantExtra || w != wantWeight {
				t.Errorf("alias = %s + %s@%g, want %s + %s@%g", aws.ToString(a.FunctionVersion), v, w, wantPrimary, wantExtra, wantWeight)
			}
		}
	}
	wait := func(d time.Duration, check func()) func() {
		return func() {
			if check != nil {
				check()
			}
			time.Sleep(d) // the step's hold is wall-clock time with real traffic behind it
		}
	}
	const aliasAddr = "rollout_alias.live"
	dep := func(k string) tfjsonpath.Path { return tfjsonpath.New("deployment").AtMapKey(k) }
	tfresource.ParallelTest(t, tfresource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckDestroy(be.URL),
		Steps: []tfresource.TestStep{
			{Config: cfg("v1", "0")},
			{
				// The apply publishes version 2, sets the first step and returns.
				Config: cfg("v2", "0"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("function_version"), knownvalue.StringExact("2")),
					statecheck.ExpectKnownValue(aliasAddr, dep("status"), knownvalue.StringExact("in_progress")),
					statecheck.ExpectKnownValue(aliasAddr, dep("weight_percent"), knownvalue.Float64Exact(10)),
				},
			},
			{
				// Within the hold, the plan is empty: hold is no change.
				PreConfig: routing("1", "2", 0.1),
				Config:    cfg("v2", "0"),
				PlanOnly:  true,
			},
			{
				// After the hold, the plan shows the advance to 50%.
				PreConfig: wait(3500*time.Millisecond, nil),
				Config:    cfg("v2", "0"),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue(aliasAddr, dep("step"), knownvalue.Int64Exact(2)),
					plancheck.ExpectKnownValue(aliasAddr, dep("weight_percent"), knownvalue.Float64Exact(50)),
					// The pending "advance" is consumed, not turned into "hold".
					plancheck.ExpectKnownValue(aliasAddr, dep("next_action"), knownvalue.Null()),
				}},
			},
			{
				// Then the promotion.
				PreConfig: wait(3500*time.Millisecond, routing("1", "2", 0.5)),
				Config:    cfg("v2", "0"),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue(aliasAddr, dep("status"), knownvalue.StringExact("promoted")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("function_version"), knownvalue.StringExact("2")),
					statecheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("routing"), knownvalue.Null()),
					// promoted_at means the promotion, as with wait = true.
					statecheck.CompareValuePairs(aliasAddr, tfjsonpath.New("promotions").AtSliceIndex(0).AtMapKey("promoted_at"),
						aliasAddr, dep("finished_at"), compare.ValuesSame()),
				},
			},
			{
				// A bad release starts at 10%...
				PreConfig: routing("2", "", 0),
				Config:    cfg("v3", "1"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(aliasAddr, dep("weight_percent"), knownvalue.Float64Exact(10)),
				},
			},
			{
				// ...and the next plan shows the rollback before it happens.
				PreConfig: wait(2500*time.Millisecond, nil),
				Config:    cfg("v3", "1"),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue(aliasAddr, dep("status"), knownvalue.StringExact("rolled_back")),
					plancheck.ExpectKnownValue(aliasAddr, dep("gate"), knownvalue.StringExact("error_rate")),
					// The real gate record, as blocking mode keeps it (not 0/0).
					plancheck.ExpectKnownValue(aliasAddr, dep("threshold"), knownvalue.Float64Exact(0.2)),
					plancheck.ExpectKnownValue(aliasAddr, dep("value"), knownvalue.Float64Func(func(v float64) error {
						if v <= 0.2 {
							return fmt.Errorf("value %v is not the measured error rate above the 0.2 threshold", v)
						}
						return nil
					})),
				}},
				// The same gate text as blocking mode.
				ExpectError: regexp.MustCompile(acctest.ExpectErrorText(`Canary Rolled Back`).String() + `[\s\S]*` +
					acctest.ExpectErrorText(`from version 2 to version 3 was rolled back at step 1 with 10% of the traffic on version 3: error rate`).String() + `[\s\S]*` +
					acctest.ExpectErrorText(`(gate error_rate: measured`).String()),
			},
			{
				// Traffic is back on 2, and the rolled-back release is not
				// offered again.
				PreConfig:   routing("2", "", 0),
				Config:      cfg("v3", "1"),
				PlanOnly:    true,
				ExpectError: acctest.ExpectErrorText("Release Rolled Back"),
			},
		},
	})
}

// TestAccAliasCanary_planDrivenRetarget changes the release while a
// plan-driven rollout is in progress. The new rollout starts from the
// version that was stable (1), never from the unpromoted target (2): no
// request may reach 2 as the primary. Returning the configuration to the
// stable version ends the rollout with every request on it, without an
// error (the user asked for it).
func TestAccAliasCanary_planDrivenRetarget(t *testing.T) {
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "running function code")
	zip, _ := testFunctionZip(t)
	c := sdkLambda(be.URL)
	policy := `  steps    = [{ weight_percent = 10, hold = "10m" }, { weight_percent = 50, hold = "10m" }]
  interval = "1s"
  health   = { max_error_rate = 0.2, min_invocations = 10 }
  wait     = false`
	cfg := func(release string) string { return canaryStackWith(be.URL, zip, release, policy) }
	routing := func(wantPrimary, wantExtra string, wantWeight float64) func() {
		return func() {
			a, err := lambdaops.FindAlias(context.Background(), c, "canaried", "live")
			if err != nil {
				t.Fatal(err)
			}
			v, w, _ := lambdaops.Routing(a.RoutingConfig)
			if aws.ToString(a.FunctionVersion) != wantPrimary || v != wantExtra || w != wantWeight {
				t.Errorf("alias = %s + %s@%g, want %s + %s@%g", aws.ToString(a.FunctionVersion), v, w, wantPrimary, wantExtra, wantWeight)
			}
		}
	}
	const aliasAddr = "rollout_alias.live"
	dep := func(k string) tfjsonpath.Path { return tfjsonpath.New("deployment").AtMapKey(k) }
	tfresource.ParallelTest(t, tfresource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckDestroy(be.URL),
		Steps: []tfresource.TestStep{
			{Config: cfg("v1")},
			{Config: cfg("v2")},
			{
				// v3 while 2 holds 10%: the new rollout goes from 1 to 3.
				PreConfig: routing("1", "2", 0.1),
				Config:    cfg("v3"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("function_version"), knownvalue.StringExact("3")),
					statecheck.ExpectKnownValue(aliasAddr, dep("status"), knownvalue.StringExact("in_progress")),
					statecheck.ExpectKnownValue(aliasAddr, dep("from_version"), knownvalue.StringExact("1")),
					statecheck.ExpectKnownValue(aliasAddr, dep("to_version"), knownvalue.StringExact("3")),
				},
			},
			{
				// Back to v1 (the stable version) while 3 holds 10%: every
				// request goes to 1, and the apply succeeds.
				PreConfig: routing("1", "3", 0.1),
				Config:    cfg("v1"),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue(aliasAddr, dep("status"), knownvalue.StringExact("aborted")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("function_version"), knownvalue.StringExact("1")),
					statecheck.ExpectKnownValue(aliasAddr, dep("status"), knownvalue.StringExact("aborted")),
					statecheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("routing"), knownvalue.Null()),
				},
			},
			{PreConfig: routing("1", "", 0), Config: cfg("v1"), PlanOnly: true},
		},
	})
}
