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

// eventInterlock is an event_source_interlock with one named mapping whose
// messages carry event schema ev, pausing at the given moments.
func eventInterlock(uuid string, ev int, pauseOn string) string {
	return fmt.Sprintf("  event_source_interlock = {\n    pause_on = %s\n    mappings = [{ uuid = %q, event_schema_version = %d }]\n  }\n", pauseOn, uuid, ev)
}

// TestAccAlias_eventSchemaGuard: a mapping declares the event schema its
// messages carry; traffic to a version whose compatible_data_schemas
// exclude it is refused at plan time, for a version the apply publishes
// (from version_data_schemas), for a direct rollback, and for the version
// a canary would roll back to.
func TestAccAlias_eventSchemaGuard(t *testing.T) {
	be := acctest.NewBackend(t)
	v1, v2 := twoZips(t)
	const uuid = "a1b2c3d4-0000-4000-8000-000000000001"
	wired := "  version_data_schemas = rollout_function.test.version_data_schemas\n"
	stack := func(zip, release, schemas string, ev int, body string) string {
		return aliasStack(be.URL, zip, release, schemas, body+wired+eventInterlock(uuid, ev, "[]"))
	}
	tfresource.ParallelTest(t, acctest.Case(t, be.URL, []tfresource.TestStep{
		{
			Config: stack(v1, "v1", "{ min = 1, max = 2 }", 2, onVersion),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("function_version"), knownvalue.StringExact("1")),
			},
		},
		{
			// v2 reads schemas 3..4; the queue still carries schema 2.
			Config:      stack(v2, "v2", "{ min = 3, max = 4 }", 2, onVersion),
			PlanOnly:    true,
			ExpectError: acctest.ExpectErrorText(`event_source_interlock.mappings[0].event_schema_version = 2: the messages of event source mapping ` + uuid + ` carry event schema 2, but function_version (known after apply) would send them to the version this apply publishes of aliased, which records compatible_data_schemas 3..4`),
		},
		{
			// The producers moved to schema 3: v2 may take the traffic.
			Config: stack(v2, "v2", "{ min = 3, max = 4 }", 3, onVersion),
			ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("event_source_pauses"), knownvalue.ListExact([]knownvalue.Check{})),
			}},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("function_version"), knownvalue.StringExact("2")),
			},
		},
		{
			// A rollback to version 1 (schemas 1..2) would feed it schema-3 messages: refused.
			Config:      stack(v2, "v2", "{ min = 3, max = 4 }", 3, "  function_version = \"1\"\n"),
			PlanOnly:    true,
			ExpectError: acctest.ExpectErrorText(`function_version = "1" would send them to version 1 of aliased, which records compatible_data_schemas 1..2`),
		},
		{
			// A canary from 2 to 1 would be refused the same way (1 excludes 3);
			// a canary whose rollback target excludes the schema is refused too:
			// from 2 (3..4) towards 1 with schema 2 messages.
			Config: acctest.ConfigCompose(stack(v2, "v2", "{ min = 3, max = 4 }", 2, "  function_version = \"1\"\n  canary_policy = rollout_canary_policy.p.spec\n"),
				canaryPolicy(defaultCanaryPolicy)),
			PlanOnly:    true,
			ExpectError: acctest.ExpectErrorText(`a rollback of this canary would send them back to version 2 (serving now) of aliased, which records compatible_data_schemas 3..4`),
		},
	}))
}
