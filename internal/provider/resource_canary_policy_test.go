package provider_test

import (
	"fmt"
	"testing"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/rollout-tf/terraform-provider-rollout/internal/acctest"
)

func policyConfig(body string) string {
	return acctest.ConfigCompose(acctest.ProviderConfig("us-east-1", nil, "skip_credentials_validation = true"),
		"resource \"rollout_canary_policy\" \"p\" {\n"+body+"\n}\n")
}

// policyConfigOn is policyConfig with the provider pointed at a backend,
// for tests that apply: CheckDestroy proves the policy made nothing there.
func policyConfigOn(url, body string) string {
	return acctest.ConfigCompose(acctest.SandboxConfig(url), "resource \"rollout_canary_policy\" \"p\" {\n"+body+"\n}\n")
}

func TestAccCanaryPolicy_specAtPlanTime(t *testing.T) {
	const addr = "rollout_canary_policy.p"
	be := acctest.NewBackend(t)
	tfresource.ParallelTest(t, acctest.Case(t, be.URL, []tfresource.TestStep{
		{
			Config: policyConfigOn(be.URL, `  preset = "Canary10Percent5Minutes"
  health = { max_error_rate = 0.05, max_p99_duration_ms = 800, min_invocations = 20, alarms = ["orders-errors"] }`),
			ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				// The whole schedule is in the plan, not "known after apply".
				plancheck.ExpectKnownValue(addr, tfjsonpath.New("spec").AtMapKey("schedule"), knownvalue.StringExact("10% for 5m0s, then 100%")),
				plancheck.ExpectKnownValue(addr, tfjsonpath.New("spec").AtMapKey("steps"), knownvalue.ListExact([]knownvalue.Check{
					knownvalue.ObjectExact(map[string]knownvalue.Check{"weight_percent": knownvalue.Float64Exact(10), "hold": knownvalue.StringExact("5m0s")}),
				})),
			}},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("spec").AtMapKey("on_insufficient_data"), knownvalue.StringExact("hold")),
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("spec").AtMapKey("preexisting_alarms"), knownvalue.StringExact("fail")),
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("spec").AtMapKey("wait"), knownvalue.Bool(true)),
			},
		},
		{
			Config: policyConfigOn(be.URL, `  steps    = [{ weight_percent = 10, hold = "3s" }, { weight_percent = 50, hold = "3s" }]
  interval = "1s"
  wait     = false`),
			ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectKnownValue(addr, tfjsonpath.New("spec").AtMapKey("schedule"), knownvalue.StringExact("10% for 3s, then 50% for 3s, then 100%")),
			}},
		},
	}))
}

func TestAccCanaryPolicy_invalidConfig(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		body string
		want string
	}{
		"unknown preset":      {`preset = "Canary50Percent"`, `preset = "Canary50Percent" is not valid: it must be one of AllAtOnce, Canary10Percent10Minutes, Canary10Percent15Minutes, Canary10Percent30Minutes, Canary10Percent5Minutes, Linear10PercentEvery10Minutes, Linear10PercentEvery1Minute, Linear10PercentEvery2Minutes, Linear10PercentEvery3Minutes. A valid example: preset = "Canary10Percent5Minutes"`},
		"neither":             {`interval = "1m"`, `preset / steps = (neither set) is not valid: give exactly one of preset or steps.`},
		"both":                {`preset = "AllAtOnce"` + "\n" + `steps = [{ weight_percent = 10, hold = "5m" }]`, `preset / steps = (both set) is not valid: give exactly one of preset or steps.`},
		"weights not rising":  {`steps = [{ weight_percent = 20, hold = "5m" }, { weight_percent = 10, hold = "5m" }]`, `steps[1].weight_percent = 10: weights must increase from step to step (the previous step sends 20%).`},
		"weight of 100":       {`steps = [{ weight_percent = 100, hold = "5m" }]`, `steps[0].weight_percent = 100: each step sends more than 0% and less than 100% of the traffic to the new version`},
		"hold below interval": {`steps = [{ weight_percent = 10, hold = "10s" }]`, `steps[0].hold = 10s: a step must hold at least one interval (1m0s) so that its gates are evaluated.`},
		"bad hold":            {`steps = [{ weight_percent = 10, hold = "five minutes" }]`, `steps[0].hold = "five minutes" is not valid: it must be a Go duration.`},
		"bad interval":        {`preset = "AllAtOnce"` + "\n" + `interval = "100ms"`, `interval = "100ms" is not valid: it must be a Go duration of at least 1s. A valid example: interval = "1m"`},
		"error rate above 1":  {`preset = "AllAtOnce"` + "\n" + `health = { max_error_rate = 5 }`, `health.max_error_rate = 5 is not valid: it is a fraction from 0 to 1. A valid example: max_error_rate = 0.05`},
		"bad insufficient":    {`preset = "AllAtOnce"` + "\n" + `health = { on_insufficient_data = "wait" }`, `health.on_insufficient_data = "wait" is not valid: it must be "hold", "proceed" or "rollback".`},
		"bad preexisting":     {`preset = "AllAtOnce"` + "\n" + `health = { preexisting_alarms = "skip" }`, `health.preexisting_alarms = "skip" is not valid: it must be "fail" or "ignore".`},
		"negative window":     {`preset = "AllAtOnce"` + "\n" + `rollback_window = -1`, `rollback_window = -1 is not valid: it must be at least 0.`},
		"webhook not a URL": {`preset = "AllAtOnce"` + "\n" + `notifications = { webhook_url = "hooks.slack.com/services/x" }`,
			`notifications.webhook_url = (the configured URL, not shown: it is sensitive) is not valid: it must be an absolute URL.`},
		"webhook scheme": {`preset = "AllAtOnce"` + "\n" + `notifications = { webhook_url = "ftp://127.0.0.1/hook" }`,
			`its scheme must be https (or http for a local receiver), not "ftp".`},
		"not an SNS topic": {`preset = "AllAtOnce"` + "\n" + `notifications = { sns_topic_arn = "arn:aws:sqs:us-east-1:123456789012:deploys" }`,
			`notifications.sns_topic_arn = "arn:aws:sqs:us-east-1:123456789012:deploys" is not valid: it must be an SNS topic ARN (arn:aws:sns:<region>:<12-digit account>:<topic>). A valid example: sns_topic_arn = "arn:aws:sns:us-east-1:123456789012:deploys"`},
		"empty notifications": {`preset = "AllAtOnce"` + "\n" + `notifications = {}`,
			`notifications = {} is not valid: give webhook_url, sns_topic_arn or both, or leave notifications out.`},
		"empty steps": {`steps = []`, `steps = [] is not valid: a canary needs at least one step below 100% (an empty list would send all traffic at once with no gate; preset = "AllAtOnce" says that on purpose). A valid example: steps = [{ weight_percent = 10, hold = "5m" }]`},
	}
	var refused acctest.Subtests
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			refused.Record(t)
			tfresource.ParallelTest(t, acctest.Case(t, "", []tfresource.TestStep{{Config: policyConfig(tc.body), PlanOnly: true, ExpectError: acctest.ExpectErrorText(tc.want)}}))
		})
	}
	t.Cleanup(func() {
		if ran, failed := refused.Counts(); ran > 0 {
			fmt.Printf("reliability/bad-input: rollout_canary_policy: %d invalid configurations, %d refused at plan time with its expected message, failures found: %d\n", len(tests), ran-failed, failed)
		}
	})
}
