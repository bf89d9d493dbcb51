package provider_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/rollout-tf/terraform-provider-rollout/internal/acctest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/loadgen"
)

// TestAccAlias_externalVersions: the function and its versions are
// published outside this provider (a CI job with the AWS CLI, say); only
// rollout_alias and a canary policy are in Terraform. A bad version is
// rolled back by its canary, a good one promoted step by step, a return
// to a known-good version skips the steps, and rolloutctl reads the alias.
func TestAccAlias_externalVersions(t *testing.T) {
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "running function code with real metrics")
	_, code := testFunctionZip(t)
	c := sdkLambda(be.URL)
	ctx := context.Background()
	if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("external"), Role: aws.String(testRole), Runtime: lambdatypes.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Code: &lambdatypes.FunctionCode{ZipFile: code}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = c.DeleteFunction(context.Background(), &lambda.DeleteFunctionInput{FunctionName: aws.String("external")})
	})
	// Versions 1 (good), 2 (fails every call) and 3 (good), published
	// the way a CI job would.
	for i, failRate := range []string{"0", "1", "0"} {
		if err := lambda.NewFunctionUpdatedV2Waiter(c).Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("external")}, time.Minute); err != nil {
			t.Fatal(err)
		}
		if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("external"),
			Environment: &lambdatypes.Environment{Variables: map[string]string{"FAIL_RATE": failRate, "RELEASE": fmt.Sprintf("v%d", i+1)}}}); err != nil {
			t.Fatal(err)
		}
		if err := lambda.NewFunctionUpdatedV2Waiter(c).Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("external")}, time.Minute); err != nil {
			t.Fatal(err)
		}
		if _, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("external"), Description: aws.String(fmt.Sprintf("ci build %d", i+1))}); err != nil {
			t.Fatal(err)
		}
	}
	cfg := func(version string) string {
		return acctest.ConfigCompose(acctest.SandboxConfig(be.URL), fmt.Sprintf(`
resource "rollout_canary_policy" "p" {
  steps    = [{ weight_percent = 20, hold = "3s" }]
  interval = "1s"
  health   = { max_error_rate = 0.1, min_invocations = 3 }
}

resource "rollout_alias" "live" {
  function_name    = "external"
  name             = "live"
  function_version = %q
  canary_policy    = rollout_canary_policy.p.spec
}
`, version))
	}
	load, stop := context.WithCancel(ctx)
	defer stop()
	const aliasAddr = "rollout_alias.live"
	status := func(want string) func(*terraform.State) error {
		return func(*terraform.State) error {
			ctl := exec.Command(rolloutctlBinary(t), "status", "--function", "external", "--alias", "live", "--endpoint", be.URL, "--region", "us-east-1")
			ctl.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=AKIDOPERATOR", "AWS_SECRET_ACCESS_KEY=s")
			out, err := ctl.CombinedOutput()
			if err != nil || !strings.Contains(string(out), want) {
				return fmt.Errorf("rolloutctl status: %v\n%s\nwant %q in it", err, out, want)
			}
			return nil
		}
	}
	tfresource.ParallelTest(t, tfresource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckDestroy(be.URL, "external"),
		Steps: []tfresource.TestStep{
			{Config: cfg("1"), Check: status("external:live -> version 1")},
			{
				PreConfig: func() {
					go func() {
						_, _ = loadgen.Run(load, loadgen.Options{Client: c, Function: "external", Qualifier: "live", RPS: 100, Payload: []byte(`{}`)})
					}()
					for deadline := time.Now().Add(10 * time.Second); be.Sandbox.Journal.Count("Invoke", "external") < 10 && time.Now().Before(deadline); {
						time.Sleep(20 * time.Millisecond)
					}
				},
				Config:      cfg("2"),
				ExpectError: acctest.ExpectErrorText(`from version 1 to version 2 was rolled back at step 1 with 20% of the traffic on version 2: error rate`),
			},
			{
				Config: cfg("3"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("function_version"), knownvalue.StringExact("3")),
					statecheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("deployment").AtMapKey("status"), knownvalue.StringExact("promoted")),
				},
				Check: status("external:live -> version 3"),
			},
			{
				// Back to 1, promoted before: the rollback window skips the steps.
				Config: cfg("1"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("function_version"), knownvalue.StringExact("1")),
					statecheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("deployment").AtMapKey("reason"),
						knownvalue.StringRegexp(regexp.MustCompile(`among the last 3 promotions`))),
				},
			},
		},
	})
}
