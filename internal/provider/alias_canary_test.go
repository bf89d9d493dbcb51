package provider_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/terraform-plugin-testing/compare"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/rollout-tf/terraform-provider-rollout/internal/acctest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/loadgen"
	"github.com/rollout-tf/terraform-provider-rollout/internal/testfn"
)

// TestAccAliasCanary_rollbackPromoteAndWindow runs real traffic through the
// sandbox while the alias rolls out a bad release (rolled back on its
// error rate), a good one (promoted step by step), and a return to a
// known-good version (the rollback window: one UpdateAlias).
func TestAccAliasCanary_rollbackPromoteAndWindow(t *testing.T) {
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "running function code with real metrics")
	zip, _ := testFunctionZip(t)
	c := sdkLambda(be.URL)
	startLoad := func() { loadOnLive(t, c, 100) }
	mark := 0
	updatesSince := func(want int) func(*terraform.State) error {
		return func(*terraform.State) error {
			n := 0
			for _, call := range be.Sandbox.Journal.Since(mark) {
				if call.Operation == "UpdateAlias" && call.AccessKey == "AKIDROLLOUTTEST" && call.Status == 200 {
					n++
				}
			}
			if n != want {
				return fmt.Errorf("UpdateAlias calls = %d, want %d", n, want)
			}
			return nil
		}
	}
	const aliasAddr = "rollout_alias.live"
	tfresource.ParallelTest(t, acctest.Case(t, be.URL, []tfresource.TestStep{
		{
			Config: canaryStack(be.URL, zip, "v1.0.0", "0"),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("function_version"), knownvalue.StringExact("1")),
			},
		},
		{
			// A defective release: every call fails. 20% of the traffic
			// reaches it, the error rate gate trips, traffic returns to 1.
			PreConfig: func() {
				startLoad()
				// Wait until traffic flows on version 1 before the rollout starts.
				for deadline := time.Now().Add(10 * time.Second); be.Sandbox.Journal.Count("Invoke", "canaried") < 10 && time.Now().Before(deadline); {
					time.Sleep(20 * time.Millisecond)
				}
				mark = be.Sandbox.Journal.Mark()
			},
			Config:      canaryStack(be.URL, zip, "v1.1.0", "1"),
			ExpectError: acctest.ExpectErrorText(`from version 1 to version 2 was rolled back at step 1 with 20% of the traffic on version 2: error rate`),
		},
		{
			// Traffic is back on 1, and the same release is not offered
			// again: its plan stops before anything moves.
			PreConfig: func() {
				a, err := lambdaops.FindAlias(context.Background(), c, "canaried", "live")
				if err != nil || aws.ToString(a.FunctionVersion) != "1" || a.RoutingConfig != nil && len(a.RoutingConfig.AdditionalVersionWeights) > 0 {
					t.Errorf("alias after the rollback = %v %v; want all traffic on 1", a, err)
				}
				if err := updatesSince(2)(nil); err != nil {
					t.Errorf("the rollout set the canary and rolled back: %v", err)
				}
			},
			Config:      canaryStack(be.URL, zip, "v1.1.0", "1"),
			PlanOnly:    true,
			ExpectError: acctest.ExpectErrorText(`Release Rolled Back`),
		},
		{
			// The fix: promoted through the step.
			Config: canaryStack(be.URL, zip, "v1.1.1", "0"),
			ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("canary_policy").AtMapKey("schedule"), knownvalue.StringExact("20% for 3s, then 100%")),
			}},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("function_version"), knownvalue.StringExact("3")),
				statecheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("deployment").AtMapKey("status"), knownvalue.StringExact("promoted")),
				statecheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("routing"), knownvalue.Null()),
				// promoted_at means the promotion (the end of the canary), as with wait = false.
				statecheck.CompareValuePairs(aliasAddr, tfjsonpath.New("promotions").AtSliceIndex(0).AtMapKey("promoted_at"),
					aliasAddr, tfjsonpath.New("deployment").AtMapKey("finished_at"), compare.ValuesSame()),
			},
		},
		{
			// Back to 1.0.0, a version promoted before: no steps, one UpdateAlias.
			PreConfig: func() { mark = be.Sandbox.Journal.Mark() },
			Config:    canaryStack(be.URL, zip, "v1.0.0", "0"),
			ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectKnownValue("rollout_function.test", tfjsonpath.New("version"), knownvalue.StringExact("1")),
				plancheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("function_version"), knownvalue.StringExact("1")),
			}},
			Check: updatesSince(1),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("function_version"), knownvalue.StringExact("1")),
				statecheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("deployment").AtMapKey("status"), knownvalue.StringExact("promoted")),
			},
		},
	}))
}

// loadOnLive sends rps invocations a second to canaried:live in the
// background until stop is called or the test ends.
func loadOnLive(t testing.TB, c *lambda.Client, rps float64) (stop func()) {
	ctx, stop := context.WithCancel(context.Background())
	t.Cleanup(stop)
	go func() {
		_, _ = loadgen.Run(ctx, loadgen.Options{Client: c, Function: "canaried", Qualifier: "live", RPS: rps, Payload: []byte(`{}`)})
	}()
	return stop
}

// TestAccAliasCanary_alarmsOverrideAndHooks covers the gates other than the
// metrics: an alarm already firing (both policies), the override tag during
// a blocking apply, and a failing pre-traffic hook.
func TestAccAliasCanary_alarmsOverrideAndHooks(t *testing.T) {
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "running function code with real metrics")
	zip, zipBytes := testFunctionZip(t)
	c := sdkLambda(be.URL)
	cw := acctest.CloudWatchClient(be.URL)
	bg := context.Background()
	// An old alarm that is firing before any rollout starts.
	if _, err := cw.PutMetricAlarm(bg, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String("orders-old-alarm"), Namespace: aws.String("App"),
		MetricName: aws.String("Legacy"), Statistic: cwtypes.StatisticSum, Period: aws.Int32(3600), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(1),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold}); err != nil {
		t.Fatal(err)
	}
	if _, err := cw.SetAlarmState(bg, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("orders-old-alarm"), StateValue: cwtypes.StateValueAlarm, StateReason: aws.String("old incident")}); err != nil {
		t.Fatal(err)
	}
	// A pre-traffic hook that fails (every call is a function error).
	if _, err := c.CreateFunction(bg, &lambda.CreateFunctionInput{FunctionName: aws.String("smoke-test"), Role: aws.String(testRole),
		Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), Code: &lambdatypes.FunctionCode{ZipFile: zipBytes},
		Environment: &lambdatypes.Environment{Variables: map[string]string{"FAIL_RATE": "1"}}}); err != nil {
		t.Fatal(err)
	}
	loadOnLive(t, c, 50)
	mark := 0
	alarmPolicy := func(preexisting string) string {
		return fmt.Sprintf(`  steps    = [{ weight_percent = 20, hold = "2s" }]
  interval = "1s"
  health   = { alarms = ["orders-old-alarm"], preexisting_alarms = %q }`, preexisting)
	}
	const aliasAddr = "rollout_alias.live"
	tfresource.ParallelTest(t, tfresource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckDestroy(be.URL, "smoke-test"),
		Steps: []tfresource.TestStep{
			{Config: canaryStackWith(be.URL, zip, "v1", alarmPolicy("fail"))},
			{
				PreConfig:   func() { mark = be.Sandbox.Journal.Mark() },
				Config:      canaryStackWith(be.URL, zip, "v2", alarmPolicy("fail")),
				ExpectError: acctest.ExpectErrorText(`before any traffic moved: alarm orders-old-alarm was already in ALARM before the rollout (preexisting_alarms = "fail"); no traffic was moved`),
			},
			{
				// Nothing moved; with "ignore" the fix ships despite the old alarm.
				PreConfig: func() {
					if calls := be.Sandbox.Journal.Of(mark, "UpdateAlias"); len(calls) > 0 {
						t.Errorf("the refused rollout called UpdateAlias: %v", calls)
					}
				},
				Config: canaryStackWith(be.URL, zip, "v2", alarmPolicy("ignore")),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("function_version"), knownvalue.StringExact("2")),
					statecheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("deployment").AtMapKey("status"), knownvalue.StringExact("promoted")),
				},
			},
			{
				// A long step; the operator promotes by tagging the function
				// with an override that names this rollout.
				PreConfig: func() {
					go func() {
						if splitWithin(c) {
							_, _ = c.TagResource(bg, &lambda.TagResourceInput{Resource: aws.String("arn:aws:lambda:us-east-1:123456789012:function:canaried"),
								Tags: map[string]string{"rollout:override": "promote alias=live from=2 to=3"}})
						}
					}()
				},
				Config: canaryStackWith(be.URL, zip, "v3", `  steps    = [{ weight_percent = 20, hold = "10m" }]
  interval = "1s"`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("function_version"), knownvalue.StringExact("3")),
					statecheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("deployment").AtMapKey("reason"), knownvalue.StringExact("the rollout:override tag asks to promote now")),
				},
			},
			{
				// A failing pre-traffic hook: no traffic moves.
				PreConfig: func() {
					_, _ = c.UntagResource(bg, &lambda.UntagResourceInput{Resource: aws.String("arn:aws:lambda:us-east-1:123456789012:function:canaried"), TagKeys: []string{"rollout:override"}})
					mark = be.Sandbox.Journal.Mark()
				},
				Config: canaryStackWith(be.URL, zip, "v4", `  steps    = [{ weight_percent = 20, hold = "2s" }]
  interval = "1s"
  hooks    = { pre_traffic = "smoke-test", timeout = "30s" }`),
				ExpectError: acctest.ExpectErrorText(`before any traffic moved: pre-traffic hook smoke-test failed`),
			},
		},
	})
}

// testFunctionZip writes the real aws-lambda-go test function's package to
// a temporary file and returns its path and content.
func testFunctionZip(t *testing.T) (string, []byte) {
	t.Helper()
	b, err := testfn.Zip()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "fn.zip")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p, b
}
