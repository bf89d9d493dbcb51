package provider_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/rollout-tf/terraform-provider-rollout/internal/acctest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

// TestAccAliasGroup_provisionedConcurrency: two members whose aliases have
// provisioned concurrency (set outside the group) are released together
// in two steps, blocking and then plan-driven; the sandbox keeps each
// configuration IN_PROGRESS for a while after every move of traffic, and
// the journal shows that every shift of each member towards its new
// version came after a GetProvisionedConcurrencyConfig of that member
// answered READY, and that the provider saw IN_PROGRESS and waited.
func TestAccAliasGroup_provisionedConcurrency(t *testing.T) {
	inst := sandboxtest.Start(t, sandbox.Options{ProvisionedDelay: 2 * time.Second})
	be := &acctest.Backend{URL: inst.URL, Sandbox: inst}
	zip, _ := testFunctionZip(t)
	const prefix, n = "grpp", 2
	policy := func(wait bool) string {
		hold := "1s"
		if !wait {
			hold = "4s" // a plan-driven step outlasts the refresh after its apply
		}
		return fmt.Sprintf(`  steps    = [{ weight_percent = 20, hold = %q }, { weight_percent = 50, hold = %q }]
  interval = "1s"
  deadline = "2m"
  health   = { max_error_rate = 0.5 }
  wait     = %t`, hold, hold, wait)
	}
	mark := 0
	// warmBeforeEachShift checks the journal since mark: every member's
	// UpdateAlias came after a READY read of its own configuration, and
	// (mustWait) some read found it IN_PROGRESS. Plan-driven shifts come a
	// step's hold apart, longer than the sandbox keeps IN_PROGRESS, so
	// there the READY reads are what shows the wait ran.
	warmBeforeEachShift := func(wantShifts int, mustWait bool) func(*terraform.State) error {
		return func(*terraform.State) error {
			waited := 0
			for i := 0; i < n; i++ {
				fn := fmt.Sprintf("%s-%d", prefix, i)
				shifts, ready := 0, false
				for _, call := range be.Sandbox.Journal.Since(mark) {
					if call.Function != fn {
						continue
					}
					switch {
					case call.Operation == "GetProvisionedConcurrencyConfig" && call.Status == 200:
						ready = ready || call.Detail == "READY"
						if call.Detail == "IN_PROGRESS" {
							waited++
						}
					case call.Operation == "UpdateAlias" && call.AccessKey == "AKIDROLLOUTTEST" && call.Status == 200:
						shifts++
						if !ready {
							return fmt.Errorf("%s: shift %d (UpdateAlias) came without a READY GetProvisionedConcurrencyConfig since the previous shift", fn, shifts)
						}
						ready = false
					}
				}
				if shifts != wantShifts {
					return fmt.Errorf("%s: %d shifts, want %d", fn, shifts, wantShifts)
				}
			}
			if waited == 0 && mustWait {
				return fmt.Errorf("no IN_PROGRESS answer was seen: the wait did not wait")
			}
			t.Logf("group provisioned concurrency: %d shifts per member, each after READY; %d IN_PROGRESS answers waited through", wantShifts, waited)
			return nil
		}
	}
	sleep := func() { time.Sleep(4500 * time.Millisecond) } // the step's hold is wall-clock time
	tfresource.ParallelTest(t, tfresource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckDestroy(be.URL),
		Steps: []tfresource.TestStep{
			{
				Config: groupStack(be.URL, zip, prefix, n, "v1", nil, policy(true)),
				Check: func(*terraform.State) error {
					c := sdkLambda(be.URL)
					for i := 0; i < n; i++ {
						if _, err := c.PutProvisionedConcurrencyConfig(context.Background(), &lambda.PutProvisionedConcurrencyConfigInput{
							FunctionName: aws.String(fmt.Sprintf("%s-%d", prefix, i)), Qualifier: aws.String("live"), ProvisionedConcurrentExecutions: aws.Int32(2)}); err != nil {
							return err
						}
					}
					return nil
				},
			},
			{
				// Blocking: 20%, 50%, the promotion, each after READY.
				PreConfig: func() { mark = be.Sandbox.Journal.Mark() },
				Config:    groupStack(be.URL, zip, prefix, n, "v2", nil, policy(true)),
				Check:     warmBeforeEachShift(3, true),
			},
			{
				// Plan-driven: the start at 20%...
				PreConfig: func() { mark = be.Sandbox.Journal.Mark() },
				Config:    groupStack(be.URL, zip, prefix, n, "v3", nil, policy(false)),
			},
			{PreConfig: sleep, Config: groupStack(be.URL, zip, prefix, n, "v3", nil, policy(false))},
			{
				// ...50%, then the promotion: each after READY.
				PreConfig: sleep,
				Config:    groupStack(be.URL, zip, prefix, n, "v3", nil, policy(false)),
				Check:     warmBeforeEachShift(3, false),
			},
		},
	})
}
