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

	"github.com/rollout-tf/terraform-provider-rollout/internal/acctest"
)

// TestAccAliasCanary_hookTimeoutPlanDriven runs plan-driven canaries
// (wait = false) whose pre- or post-traffic hook does not answer in time (it
// sleeps 20s): the policy's hooks.timeout (2s) ends the hook, not
// the alias's timeouts.update, and the rollout fails with the gate of
// the hook, traffic on version 1.
func TestAccAliasCanary_hookTimeoutPlanDriven(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcc(t)
	for _, phase := range []string{"pre_traffic", "post_traffic"} {
		t.Run(phase, func(t *testing.T) {
			t.Parallel()
			be := acctest.NewBackend(t)
			be.SandboxOnly(t, "running function code")
			zip, zipBytes := testFunctionZip(t)
			c := sdkLambda(be.URL)
			if _, err := c.CreateFunction(context.Background(), &lambda.CreateFunctionInput{FunctionName: aws.String("slow-hook"), Role: aws.String(testRole),
				Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), Code: &lambdatypes.FunctionCode{ZipFile: zipBytes},
				Timeout: aws.Int32(120), Environment: &lambdatypes.Environment{Variables: map[string]string{"LATENCY_MS": "20000"}}}); err != nil {
				t.Fatal(err)
			}
			policy := fmt.Sprintf(`  steps    = [{ weight_percent = 20, hold = "1s" }]
  interval = "1s"
  health   = { max_error_rate = 0.5, min_invocations = 1 }
  hooks    = { %s = "slow-hook", timeout = "2s" }
  wait     = false`, phase)
			load := startLoad(c)
			defer load.stop()
			r := newTFRun(t)
			r.write(canaryStackWith(be.URL, zip, "v1", policy))
			if out, err := r.run("apply", "-auto-approve"); err != nil {
				t.Fatalf("release v1: %v\n%s", err, out)
			}
			r.write(canaryStackWith(be.URL, zip, "v2", policy))
			var all strings.Builder
			var longest time.Duration
			for i := 0; i < 30; i++ {
				out, took, err := r.runWithin(40*time.Second, "apply", "-auto-approve")
				all.WriteString(out)
				longest = max(longest, took)
				// An apply that waited for the hook would take its 20 s; 18 s
				// leaves a loaded machine room for the apply itself.
				if took > 18*time.Second {
					t.Fatalf("an apply took %s with hooks.timeout = 2s:\n%s", took, all.String())
				}
				if err != nil {
					break
				}
				dep, _ := r.aliasState()["deployment"].(map[string]any)
				if dep == nil || dep["status"] != "in_progress" {
					break
				}
				time.Sleep(time.Second) // real traffic has to reach the canary between applies
			}
			t.Logf("hook %s sleeping 20s, hooks.timeout = 2s: the longest apply took %s", phase, longest.Round(10*time.Millisecond))
			f := flat(all.String())
			for _, w := range []string{"Canary Rolled Back", "hook:" + phase, "did not answer within hooks.timeout 2s"} {
				if !strings.Contains(f, w) {
					t.Errorf("the output does not say %q:\n%s", w, all.String())
				}
			}
			a, err := c.GetAlias(context.Background(), &lambda.GetAliasInput{FunctionName: aws.String("canaried"), Name: aws.String("live")})
			if err != nil {
				t.Fatal(err)
			}
			if v := aws.ToString(a.FunctionVersion); v != "1" || (a.RoutingConfig != nil && len(a.RoutingConfig.AdditionalVersionWeights) > 0) {
				t.Errorf("the alias serves %s with %v after the hook timed out; want version 1 only", v, a.RoutingConfig)
			}
		})
	}
}
