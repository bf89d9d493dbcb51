package provider_test

import (
	"fmt"
	"strings"

	"github.com/rollout-tf/terraform-provider-rollout/internal/acctest"
)

// The configurations the acceptance tests apply, built from three blocks:
// the provider on the backend with rollout_function.test (functionConfig),
// rollout_canary_policy.p (canaryPolicy) and rollout_alias.live
// (liveAlias).

// functionConfig renders the provider for url and a rollout_function with a
// zip file; extra holds more attribute lines.
func functionConfig(url, name, file string, extra ...string) string {
	body := fmt.Sprintf("  function_name = %q\n  role          = %q\n  runtime       = \"provided.al2023\"\n  handler       = \"bootstrap\"\n  filename      = %q\n", name, testRole, file)
	for _, e := range extra {
		body += "  " + e + "\n"
	}
	return acctest.ConfigCompose(acctest.SandboxConfig(url), fmt.Sprintf("resource \"rollout_function\" \"test\" {\n%s}\n", body))
}

// liveAlias renders rollout_alias.live on rollout_function.test; body holds
// the other attribute lines. Tests edit its text (the name line, say), so
// the layout stays as it is.
func liveAlias(body string) string {
	return fmt.Sprintf("resource \"rollout_alias\" \"live\" {\n  function_name    = rollout_function.test.function_name\n  name             = \"live\"\n%s}\n", body)
}

// onVersion is the alias line that routes to the planned version.
const onVersion = "  function_version = rollout_function.test.version\n"

// canaryPolicy renders rollout_canary_policy.p with body.
func canaryPolicy(body string) string {
	return "resource \"rollout_canary_policy\" \"p\" {\n" + body + "\n}\n"
}

// defaultCanaryPolicy is canaryStack's policy: one 20% step of 3s.
const defaultCanaryPolicy = `  steps    = [{ weight_percent = 20, hold = "3s" }]
  interval = "1s"
  health   = { max_error_rate = 0.1, min_invocations = 3 }`

// canaryStackFor is the real test function canaried (release, and the
// share of its calls that fail) behind rollout_alias.live with the canary
// policy body.
func canaryStackFor(url, zip, release, failRate, policy string) string {
	return acctest.ConfigCompose(
		functionConfig(url, "canaried", zip, fmt.Sprintf("release       = %q", release),
			fmt.Sprintf("environment   = { RELEASE = %q, FAIL_RATE = %q }", release, failRate)),
		canaryPolicy(policy),
		liveAlias(onVersion+"  canary_policy    = rollout_canary_policy.p.spec\n"))
}

// canaryStack is canaryStackFor with the default policy.
func canaryStack(url, zip, release, failRate string) string {
	return canaryStackFor(url, zip, release, failRate, defaultCanaryPolicy)
}

// canaryStackWith is canaryStack with a custom policy body.
func canaryStackWith(url, zip, release, policy string) string {
	return canaryStackFor(url, zip, release, "0", policy)
}

// unreadableStack is the canary stack with the provider's default retries
// (no max_retries): what a user gets.
func unreadableStack(url, zip, release, policy string) string {
	return strings.Replace(canaryStackWith(url, zip, release, policy), "  max_retries = 3\n", "", 1)
}

// adoptStack is a function running the real test function (its response
// carries RELEASE) behind an alias without a policy.
func adoptStack(url, zip, release string) string {
	return acctest.ConfigCompose(
		functionConfig(url, "adopter", zip, fmt.Sprintf("release       = %q", release), fmt.Sprintf("environment   = { RELEASE = %q }", release)),
		liveAlias(onVersion))
}

// schemaStack is a function with a schema range and an alias at a data
// schema; aliasExtra holds more alias lines.
func schemaStack(url, zip, release, schemas, aliasExtra string) string {
	return acctest.ConfigCompose(
		functionConfig(url, "guarded", zip, fmt.Sprintf("release = %q", release), "compatible_data_schemas = "+schemas),
		liveAlias(onVersion+aliasExtra))
}

// aliasStack renders a function (zip file, release, schema range), an
// alias whose body is given, and the alias data source.
func aliasStack(url, file, release, schemas, aliasBody string) string {
	return acctest.ConfigCompose(
		functionConfig(url, "aliased", file, fmt.Sprintf("release = %q", release), "compatible_data_schemas = "+schemas),
		liveAlias(aliasBody),
		`data "rollout_alias" "live" {
  function_name = rollout_alias.live.function_name
  name          = rollout_alias.live.name
}`,
	)
}
