package provider_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/rollout-tf/terraform-provider-rollout/internal/acctest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
)

const aliasAddr = "rollout_alias.live"

func TestAccAlias_routingDriftAndGuard(t *testing.T) {
	be := acctest.NewBackend(t)
	v1, v2 := twoZips(t)
	c := sdkLambda(be.URL)
	tfresource.ParallelTest(t, acctest.Case(t, be.URL, []tfresource.TestStep{
		{
			Config: aliasStack(be.URL, v1, "v1.0.0", "{ min = 1, max = 2 }", "  function_version = rollout_function.test.version\n"),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("function_version"), knownvalue.StringExact("1")),
				statecheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("routing"), knownvalue.Null()),
				statecheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("arn"), knownvalue.StringExact("arn:aws:lambda:us-east-1:123456789012:function:aliased:live")),
			},
		},
		{
			// A canary by hand: 10% to the new version.
			Config: aliasStack(be.URL, v2, "v1.1.0", "{ min = 2, max = 3 }",
				"  function_version = \"1\"\n  routing = { version = rollout_function.test.version, weight = 0.1 }\n"),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("routing"), knownvalue.ObjectExact(map[string]knownvalue.Check{
					"version": knownvalue.StringExact("2"), "weight": knownvalue.Float64Exact(0.1)})),
				statecheck.ExpectKnownValue("data.rollout_alias.live", tfjsonpath.New("routing").AtMapKey("version"), knownvalue.StringExact("2")),
			},
		},
		{
			// Promote: the plan shows exactly where traffic goes.
			Config: aliasStack(be.URL, v2, "v1.1.0", "{ min = 2, max = 3 }", "  function_version = \"2\"\n"),
			ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(aliasAddr, plancheck.ResourceActionUpdate),
				plancheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("function_version"), knownvalue.StringExact("2")),
				plancheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("routing"), knownvalue.Null()),
				plancheck.ExpectUnknownValue(aliasAddr, tfjsonpath.New("revision_id")),
			}},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("function_version"), knownvalue.StringExact("2")),
				statecheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("routing"), knownvalue.Null()),
			},
		},
		{
			// Someone splits the alias outside Terraform: the plan shows it and the apply undoes it.
			PreConfig: func() {
				if _, err := c.UpdateAlias(context.Background(), &lambda.UpdateAliasInput{FunctionName: aws.String("aliased"), Name: aws.String("live"),
					FunctionVersion: aws.String("1"), RoutingConfig: &lambdatypes.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 0.5}}}); err != nil {
					t.Fatal(err)
				}
			},
			Config: aliasStack(be.URL, v2, "v1.1.0", "{ min = 2, max = 3 }", "  function_version = \"2\"\n"),
			ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(aliasAddr, plancheck.ResourceActionUpdate),
				plancheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("routing"), knownvalue.Null()),
			}},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("function_version"), knownvalue.StringExact("2")),
				statecheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("routing"), knownvalue.Null()),
			},
		},
		{
			// The data stores moved to schema 3: rolling back to version 1 (schemas 1..2) is refused at plan time.
			Config:      aliasStack(be.URL, v2, "v1.1.0", "{ min = 2, max = 3 }", "  function_version = \"1\"\n  data_schema_version = 3\n"),
			PlanOnly:    true,
			ExpectError: acctest.ExpectErrorText(`function_version = "1" would send traffic to version 1 (release v1.0.0) of aliased, which records compatible_data_schemas 1..2; the data stores are at schema 3`),
		},
		{
			// At schema 2, the same rollback is allowed.
			Config: aliasStack(be.URL, v2, "v1.1.0", "{ min = 2, max = 3 }", "  function_version = \"1\"\n  data_schema_version = 2\n"),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("function_version"), knownvalue.StringExact("1")),
			},
		},
		{ResourceName: aliasAddr, ImportState: true, ImportStateId: "aliased/live", ImportStateVerify: true, ImportStateVerifyIgnore: []string{"data_schema_version", "promotions", "deployment"}},
		{ResourceName: aliasAddr, ImportState: true, ImportStateId: "arn:aws:lambda:us-east-1:123456789012:function:aliased:live", ImportStateVerify: true, ImportStateVerifyIgnore: []string{"data_schema_version", "promotions", "deployment"}},
	}))
}

func TestAccAlias_disappears(t *testing.T) {
	be := acctest.NewBackend(t)
	zip := acctest.WriteZip(t, t.TempDir(), "fn.zip", "code")
	cfg := aliasStack(be.URL, zip, "v1", "{ min = 1 }", "  function_version = rollout_function.test.version\n")
	tfresource.ParallelTest(t, acctest.Case(t, be.URL, []tfresource.TestStep{
		{Config: cfg},
		{
			PreConfig: func() {
				if _, err := sdkLambda(be.URL).DeleteAlias(context.Background(), &lambda.DeleteAliasInput{FunctionName: aws.String("aliased"), Name: aws.String("live")}); err != nil {
					t.Fatal(err)
				}
			},
			Config: cfg,
			ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(aliasAddr, plancheck.ResourceActionCreate),
			}},
		},
	}))
}

// TestAccAlias_invalidConfig is the table of plan-time errors of
// rollout_alias: each names the attribute, the value and a valid example.
func TestAccAlias_invalidConfig(t *testing.T) {
	t.Parallel()
	be := acctest.NewBackend(t)
	c := sdkLambda(be.URL)
	ctx := context.Background()
	zip := acctest.WriteZip(t, t.TempDir(), "fn.zip", "code")
	b, _ := readFile(zip)
	if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("existing"), Role: aws.String(testRole),
		Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), Code: &lambdatypes.FunctionCode{ZipFile: b}}); err != nil {
		t.Fatal(err)
	}
	if err := lambdaops.WaitActive(ctx, c, "existing", time.Minute); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("existing"), Description: aws.String(fmt.Sprint(i))}); err != nil {
			t.Fatal(err)
		}
		if err := lambdaops.WaitUpdated(ctx, c, "existing", time.Minute); err != nil {
			t.Fatal(err)
		}
		if _, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("existing")}); err != nil {
			t.Fatal(err)
		}
	}
	alias := func(lines ...string) string {
		return acctest.ConfigCompose(acctest.SandboxConfig(be.URL),
			"resource \"rollout_alias\" \"live\" {\n  "+strings.Join(lines, "\n  ")+"\n}\n")
	}
	fn, name, primary := `function_name = "existing"`, `name = "live"`, `function_version = "1"`
	tests := map[string]struct {
		config string
		want   string
	}{
		"name only digits":     {alias(fn, `name = "123"`, primary), `name = "123" is not valid: it must not be only digits (that would read as a version number). A valid example: name = "live"`},
		"name with a space":    {alias(fn, `name = "my alias"`, primary), `name = "my alias" is not valid: it must be 1 to 128 letters, digits, hyphens or underscores. A valid example: name = "live"`},
		"name with a dot":      {alias(fn, `name = "v1.live"`, primary), `name = "v1.live" is not valid: it must be 1 to 128 letters, digits, hyphens or underscores.`},
		"name too long":        {alias(fn, `name = "`+strings.Repeat("a", 129)+`"`, primary), `is not valid: it must be 1 to 128 letters, digits, hyphens or underscores. A valid example: name = "live"`},
		"empty name":           {alias(fn, `name = ""`, primary), `name = "" is not valid: it must be 1 to 128 letters, digits, hyphens or underscores.`},
		"bad function name":    {alias(`function_name = "my fn"`, name, primary), `function_name = "my fn" is not valid: it must be 1 to 64 letters, digits, hyphens or underscores. A valid example: function_name = "orders-api"`},
		"version is an alias":  {alias(fn, name, `function_version = "live"`), `function_version = "live" is not valid: it must be a published version number such as "7", or "$LATEST". A valid example: function_version = rollout_function.orders.version`},
		"empty version":        {alias(fn, name, `function_version = ""`), `function_version = "" is not valid: it must be a published version number such as "7", or "$LATEST".`},
		"negative version":     {alias(fn, name, `function_version = "-1"`), `function_version = "-1" is not valid: it must be a published version number such as "7", or "$LATEST".`},
		"weight above 1":       {alias(fn, name, primary, `routing = { version = "2", weight = 1.5 }`), `routing.weight = 1.5 is not valid: it must be greater than 0 and less than 1 (a share of the traffic; remove routing to send all traffic to function_version). A valid example: routing = { version = "8", weight = 0.1 }`},
		"weight of 1":          {alias(fn, name, primary, `routing = { version = "2", weight = 1 }`), `routing.weight = 1 is not valid: it must be greater than 0 and less than 1`},
		"weight of 0":          {alias(fn, name, primary, `routing = { version = "2", weight = 0 }`), `routing.weight = 0 is not valid: it must be greater than 0 and less than 1`},
		"negative weight":      {alias(fn, name, primary, `routing = { version = "2", weight = -0.2 }`), `routing.weight = -0.2 is not valid: it must be greater than 0 and less than 1`},
		"routing to $LATEST":   {alias(fn, name, primary, `routing = { version = "$LATEST", weight = 0.1 }`), `routing.version = "$LATEST" is not valid: it must be a published version number such as "8" ($LATEST cannot take weighted traffic). A valid example: routing = { version = "8", weight = 0.1 }`},
		"routing to an alias":  {alias(fn, name, primary, `routing = { version = "live", weight = 0.1 }`), `routing.version = "live" is not valid: it must be a published version number such as "8"`},
		"routing to primary":   {alias(fn, name, primary, `routing = { version = "1", weight = 0.1 }`), `routing.version = "1" is not valid: it is already function_version; the split needs a second version. A valid example: routing = { version = "8", weight = 0.1 }`},
		"$LATEST with routing": {alias(fn, name, `function_version = "$LATEST"`, `routing = { version = "2", weight = 0.1 }`), `function_version = "$LATEST" is not valid: an alias that splits traffic must point at published versions, as AWS requires. A valid example: function_version = "7"`},
		"negative schema":      {alias(fn, name, primary, `data_schema_version = -1`), `data_schema_version = -1 is not valid: it must be at least 0. A valid example: data_schema_version = 7`},
		"long description":     {alias(fn, name, primary, `description = "`+strings.Repeat("d", 257)+`"`), `is not valid: it must be at most 256 characters, not 257. A valid example: description = "production traffic"`},
		"missing primary":      {alias(fn, name, `function_version = "9"`), `function_version = "9" is not valid: function existing has no published version 9. A valid example: function_version = rollout_function.<name>.version`},
		"missing extra":        {alias(fn, name, primary, `routing = { version = "42", weight = 0.1 }`), `routing.version = "42" is not valid: function existing has no published version 42.`},
		"inline empty steps":   {alias(fn, name, primary, `canary_policy = { steps = [], interval = "1s" }`), `canary_policy.steps = [] is not valid: a canary needs at least one step below 100% (an empty list would send all traffic at once with no gate; preset = "AllAtOnce" says that on purpose). A valid example: canary_policy = { steps = [{ weight_percent = 10, hold = "5m" }] }`},
		"inline without steps": {alias(fn, name, primary, `canary_policy = { interval = "1s" }`), `canary_policy.steps = null is not valid: a canary needs at least one step below 100%`},
		"inline empty steps with a schedule": {alias(fn, name, primary, `canary_policy = { steps = [], schedule = "10% for 5m", interval = "1s" }`),
			`canary_policy.steps = [] is not valid: a canary needs at least one step below 100%`},
		"unknown pause moment": {alias(fn, name, primary, `event_source_interlock = { pause_on = ["deploy"] }`), `pause_on[0] = "deploy" is not valid: it must be "start", "promotion" or "rollback". A valid example: pause_on = ["start", "rollback"]`},
		"endless drain":        {alias(fn, name, primary, `event_source_interlock = { drain_timeout = "1h" }`), `drain_timeout = "1h" is not valid: it must be at most 15m0s (drain_timeout): an interlock never waits without end. A valid example: drain_timeout = "2m"`},
		"drain not a duration": {alias(fn, name, primary, `event_source_interlock = { drain_timeout = "soon" }`), `drain_timeout = "soon" is not valid: it must be a duration such as "2m" or "90s" (drain_timeout).`},
		"negative queue depth": {alias(fn, name, primary, `event_source_interlock = { max_queue_depth = -1 }`), `max_queue_depth = -1 is not valid: it must be at least 0. A valid example: max_queue_depth = 1000`},
		"negative event schema": {alias(fn, name, primary, `event_source_interlock = { mappings = [{ uuid = "a", event_schema_version = -1 }] }`),
			`event_schema_version = -1 is not valid: it must be at least 0.`},
		"empty mapping uuid": {alias(fn, name, primary, `event_source_interlock = { mappings = [{ uuid = "" }] }`), `uuid = "" is not valid: it must not be empty.`},
		"no provisioned concurrency": {alias(fn, name, primary, `provisioned_concurrent_executions = 0`),
			`provisioned_concurrent_executions = 0 is not valid: it must be at least 1. A valid example: provisioned_concurrent_executions = 10`},
	}
	var refused acctest.Subtests
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			refused.Record(t)
			tfresource.ParallelTest(t, acctest.Case(t, be.URL, []tfresource.TestStep{{Config: tc.config, PlanOnly: true, ExpectError: acctest.ExpectErrorText(tc.want)}}))
		})
	}
	t.Cleanup(func() {
		if ran, failed := refused.Counts(); ran > 0 {
			fmt.Printf("reliability/bad-input: rollout_alias: %d invalid configurations, %d refused at plan time with its expected message, failures found: %d\n", len(tests), ran-failed, failed)
		}
	})
}

// TestAccAlias_concurrentChangeIsNotOverwritten changes the alias outside
// Terraform between the refresh and the apply's UpdateAlias: the apply must
// fail on the RevisionId precondition and leave the other writer's routing.
func TestAccAlias_concurrentChangeIsNotOverwritten(t *testing.T) {
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "a concurrent writer at an exact point of the apply")
	v1, v2 := twoZips(t)
	c := sdkLambda(be.URL)
	tfresource.ParallelTest(t, acctest.Case(t, be.URL, []tfresource.TestStep{
		{Config: aliasStack(be.URL, v1, "v1", "{ min = 1 }", "  function_version = rollout_function.test.version\n")},
		{Config: aliasStack(be.URL, v2, "v2", "{ min = 1 }", "  function_version = \"1\"\n")},
		{
			PreConfig: func() {
				// Strike just before the apply's UpdateAlias reaches the server.
				be.OnceBeforeProvider("UpdateAlias", func() {
					if _, err := c.UpdateAlias(context.Background(), &lambda.UpdateAliasInput{FunctionName: aws.String("aliased"), Name: aws.String("live"),
						Description: aws.String("hotfix by hand")}); err != nil {
						t.Errorf("out-of-band update: %v", err)
					}
				})
			},
			Config:      aliasStack(be.URL, v2, "v2", "{ min = 1 }", "  function_version = \"2\"\n"),
			ExpectError: acctest.ExpectErrorText("Alias Changed Outside Terraform"),
		},
		{
			// The other writer's change stands and traffic was not moved; the next plan shows the difference.
			PreConfig: func() {
				out, err := lambdaops.FindAlias(context.Background(), c, "aliased", "live")
				if err != nil {
					t.Fatal(err)
				}
				if aws.ToString(out.Description) != "hotfix by hand" || aws.ToString(out.FunctionVersion) != "1" {
					t.Errorf("alias after the refused apply = version %s, description %q; want version 1 and the other writer's description",
						aws.ToString(out.FunctionVersion), aws.ToString(out.Description))
				}
			},
			Config:             aliasStack(be.URL, v2, "v2", "{ min = 1 }", "  function_version = \"2\"\n"),
			PlanOnly:           true,
			ExpectNonEmptyPlan: true,
		},
	}))
	out, err := lambdaops.FindAlias(context.Background(), c, "aliased", "live")
	if err == nil {
		t.Errorf("alias survived destroy: %v", aws.ToString(out.FunctionVersion))
	}
}
