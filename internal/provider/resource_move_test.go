package provider_test

import (
	"fmt"
	"strings"
	"testing"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/rollout-tf/terraform-provider-rollout/internal/acctest"
)

// TestAccMove_fromAWSProvider: a function and alias made with the AWS
// provider's aws_lambda_function (publish = true) and aws_lambda_alias
// (here the stand-in, with their schemas) move to rollout_function and
// rollout_alias with `moved` blocks: the plan of the move changes nothing,
// the apply writes nothing to AWS, the state adopts the published version,
// and the next plan is empty.
func TestAccMove_fromAWSProvider(t *testing.T) {
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "the call journal")
	zip := acctest.WriteZip(t, t.TempDir(), "api.zip", "code")
	awsProvider := fmt.Sprintf(`provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIDAWSSTANDIN"
  secret_key                  = "s"
  skip_credentials_validation = true
  endpoints {
    lambda = %q
  }
}`, be.URL)
	before := acctest.ConfigCompose(awsProvider, fmt.Sprintf(`
resource "aws_lambda_function" "api" {
  function_name = "moved-api"
  role          = %q
  runtime       = "provided.al2023"
  handler       = "bootstrap"
  filename      = %q
  memory_size   = 256
  description   = "orders API"
  publish       = true
  environment {
    variables = { LOG_LEVEL = "info" }
  }
  tracing_config {
    mode = "Active"
  }
}

resource "aws_lambda_alias" "live" {
  function_name    = aws_lambda_function.api.function_name
  name             = "live"
  function_version = aws_lambda_function.api.version
}
`, testRole, zip))
	after := acctest.ConfigCompose(awsProvider, acctest.SandboxConfig(be.URL), fmt.Sprintf(`
resource "rollout_function" "api" {
  function_name  = "moved-api"
  role           = %q
  runtime        = "provided.al2023"
  handler        = "bootstrap"
  filename       = %q
  memory_size    = 256
  description    = "orders API"
  environment    = { LOG_LEVEL = "info" }
  tracing_config = { mode = "Active" }
}

resource "rollout_alias" "live" {
  function_name    = rollout_function.api.function_name
  name             = "live"
  function_version = rollout_function.api.version
}

moved {
  from = aws_lambda_function.api
  to   = rollout_function.api
}

moved {
  from = aws_lambda_alias.live
  to   = rollout_alias.live
}
`, testRole, zip))
	mark := 0
	noWrites := func(*terraform.State) error {
		reads := 0
		for _, c := range be.Sandbox.Journal.Since(mark) {
			if !strings.HasPrefix(c.Operation, "Get") && !strings.HasPrefix(c.Operation, "List") {
				return fmt.Errorf("the move called %s (status %d); it must only read", c.Operation, c.Status)
			}
			reads++
		}
		fmt.Printf("moved from the AWS provider: %d read calls, no write\n", reads)
		return nil
	}
	tfresource.ParallelTest(t, tfresource.TestCase{
		PreCheck: func() { acctest.PreCheck(t) },
		// Moves across providers came with Terraform 1.8.
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_8_0)},
		ProtoV6ProviderFactories: withAWSStandIn(),
		CheckDestroy:             acctest.CheckDestroy(be.URL),
		Steps: []tfresource.TestStep{
			{Config: before},
			{
				PreConfig: func() { mark = be.Sandbox.Journal.Mark() },
				Config:    after,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("rollout_function.api", plancheck.ResourceActionNoop),
					plancheck.ExpectResourceAction("rollout_alias.live", plancheck.ResourceActionNoop),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("rollout_function.api", tfjsonpath.New("version"), knownvalue.StringExact("1")),
					statecheck.ExpectKnownValue("rollout_alias.live", tfjsonpath.New("function_version"), knownvalue.StringExact("1")),
				},
				Check: noWrites,
			},
			{
				Config:           after,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
		},
	})
}
