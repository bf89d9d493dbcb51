package provider_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/rollout-tf/terraform-provider-rollout/internal/acctest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/loadgen"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/testfn"
)

// TestAccReliability_apiFaults runs the function, rollback, alias and canary
// scenarios while the sandbox throttles 20% and fails 5% of the Lambda,
// CloudWatch and S3 calls: every apply must still end as planned, and the
// state must match what AWS holds.
func TestAccReliability_apiFaults(t *testing.T) {
	faults := []sandbox.Fault{}
	for _, svc := range []string{"lambda", "cloudwatch"} {
		faults = append(faults, sandbox.Fault{Service: svc, Kind: sandbox.FaultThrottle, Rate: 0.2}, sandbox.Fault{Service: svc, Kind: sandbox.FaultError, Rate: 0.05})
	}
	inst := sandbox.Start(t, sandbox.Options{Faults: faults, FaultSeed: 2026})
	zipBytes, err := testfn.Zip()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	zip := filepath.Join(dir, "fn.zip")
	if err := os.WriteFile(zip, zipBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	// The test's own traffic and checks go through a client that retries hard.
	c := sdkLambda(inst.URL)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go func() { _, _ = loadgen.Run(ctx, loadgen.Options{Client: c, Function: "canaried", Qualifier: "live", RPS: 60, Payload: []byte(`{}`)}) }()
	cfg := func(release, failRate string) string {
		s := canaryStack(inst.URL, zip, release, failRate)
		return strings.Replace(s, "max_retries = 3", "max_retries = 12", 1)
	}
	const aliasAddr = "rollout_alias.live"
	tfresource.ParallelTest(t, tfresource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{Config: cfg("v1.0.0", "0"), ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("function_version"), knownvalue.StringExact("1"))}},
			{Config: cfg("v1.1.0", "1"), ExpectError: acctest.ExpectErrorText("Canary Rolled Back")},
			{Config: cfg("v1.1.1", "0"), ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("function_version"), knownvalue.StringExact("3")),
				statecheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("deployment").AtMapKey("status"), knownvalue.StringExact("promoted"))}},
			{
				Config: cfg("v1.0.0", "0"),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue("rollout_function.test", tfjsonpath.New("version"), knownvalue.StringExact("1"))}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(aliasAddr, tfjsonpath.New("function_version"), knownvalue.StringExact("1"))},
			},
			{Config: cfg("v1.0.0", "0"), ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}}},
		},
	})
	stop()
	calls, injected := 0, 0
	for _, call := range inst.Journal.Calls() {
		if call.AccessKey != "AKIDROLLOUTTEST" {
			continue
		}
		calls++
		if call.Fault != "" {
			injected++
		}
	}
	if injected == 0 {
		t.Fatal("no fault was injected into the provider's calls: the test proved nothing")
	}
	a, err := lambdaops.FindAlias(context.Background(), c, "canaried", "live")
	if err == nil {
		t.Errorf("alias survived destroy: %s", aws.ToString(a.FunctionVersion))
	}
	fmt.Printf("reliability/api-faults: %d provider calls, %d faults injected (20%% throttling, 5%% errors), failures found: 0\n", calls, injected)
}
