package provider_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/rollout-tf/terraform-provider-rollout/internal/acctest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/loadgen"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

// TestAccAliasCanary_provisionedConcurrency: an alias with provisioned
// concurrency rolls out a release in two steps; the sandbox keeps the
// configuration IN_PROGRESS for a while after each move of traffic, and
// the journal shows that every shift towards the new version (each
// UpdateAlias of the rollout) came after a GetProvisionedConcurrencyConfig
// answered READY, and that the provider saw IN_PROGRESS and waited.
func TestAccAliasCanary_provisionedConcurrency(t *testing.T) {
	inst := sandboxtest.Start(t, sandbox.Options{ProvisionedDelay: 2500 * time.Millisecond})
	be := &acctest.Backend{URL: inst.URL, Sandbox: inst}
	zip, _ := testFunctionZip(t)
	c := sdkLambda(be.URL)
	ctx, stopLoad := context.WithCancel(context.Background())
	defer stopLoad()
	policy := `  steps    = [{ weight_percent = 20, hold = "1s" }, { weight_percent = 50, hold = "1s" }]
  interval = "1s"
  deadline = "2m"
  health   = { max_error_rate = 0.5, min_invocations = 1 }`
	stack := func(release string) string {
		s := canaryStackWith(be.URL, zip, release, policy)
		return strings.Replace(s, `  canary_policy    = rollout_canary_policy.p.spec`, "  canary_policy    = rollout_canary_policy.p.spec\n  provisioned_concurrent_executions = 2", 1)
	}
	mark := 0
	const aliasAddr = "rollout_alias.live"
	warmBeforeEachShift := func(*terraform.State) error {
		shifts, waited, readySinceShift := 0, 0, false
		for _, call := range be.Sandbox.Journal.Since(mark) {
			switch {
			case call.Operation == "GetProvisionedConcurrencyConfig" && call.Status == 200:
				readySinceShift = readySinceShift || call.Detail == "READY"
				if call.Detail == "IN_PROGRESS" {
					waited++
				}
			case call.Operation == "UpdateAlias" && call.AccessKey == "AKIDROLLOUTTEST" && call.Status == 200:
				shifts++
				if !readySinceShift {
					return fmt.Errorf("shift %d (UpdateAlias) came without a READY GetProvisionedConcurrencyConfig since the previous shift", shifts)
				}
				readySinceShift = false
			}
		}
		if shifts != 3 || waited == 0 {
			return fmt.Errorf("the rollout made %d shifts (want 3: 20%%, 50%%, 100%%) and saw IN_PROGRESS %d times (want some: the wait must have waited)", shifts, waited)
		}
		fmt.Printf("provisioned concurrency canary: %d shifts, each after READY; %d IN_PROGRESS answers waited through\n", shifts, waited)
		return nil
	}
	tfresource.ParallelTest(t, tfresource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckDestroy(be.URL),
		Steps: []tfresource.TestStep{
			{
				Config: stack("v1.0.0"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("provisioned_concurrent_executions"), knownvalue.Int64Exact(2)),
				},
				Check: func(*terraform.State) error {
					out, err := c.GetProvisionedConcurrencyConfig(context.Background(), &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: aws.String("canaried"), Qualifier: aws.String("live")})
					if err != nil {
						return err
					}
					if got := aws.ToInt32(out.RequestedProvisionedConcurrentExecutions); got != 2 {
						return fmt.Errorf("provisioned concurrency requested = %d, want 2", got)
					}
					return nil
				},
			},
			{
				PreConfig: func() {
					go func() {
						_, _ = loadgen.Run(ctx, loadgen.Options{Client: c, Function: "canaried", Qualifier: "live", RPS: 50, Payload: []byte(`{}`)})
					}()
					mark = be.Sandbox.Journal.Mark()
				},
				Config: stack("v1.1.0"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("function_version"), knownvalue.StringExact("2")),
					statecheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("deployment").AtMapKey("status"), knownvalue.StringExact("promoted")),
				},
				Check: warmBeforeEachShift,
			},
		},
	})
}
