package provider_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/rollout-tf/terraform-provider-rollout/internal/acctest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

// TestAccPlan_noopCallsPerResource: a plan of an unchanged function and
// alias reads each at most twice (issue 22: at most 2 API calls per
// resource), with no check of a version that has not moved.
func TestAccPlan_noopCallsPerResource(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcc(t)
	inst := sandboxtest.Start(t, sandbox.Options{SettleDelay: time.Millisecond})
	zip := writeZipTB(t, t.TempDir(), "v1.zip", "release one")
	r := newTFRun(t)
	r.write(acctest.SandboxConfig(inst.URL) + fmt.Sprintf(`
resource "rollout_function" "f" {
  function_name = "quiet"
  role          = "%s"
  runtime       = "provided.al2023"
  handler       = "bootstrap"
  filename      = "%s"
}

resource "rollout_alias" "a" {
  function_name    = rollout_function.f.function_name
  name             = "live"
  function_version = rollout_function.f.version
}
`, testRole, zip))
	if out, err := r.run("apply", "-auto-approve"); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	mark := inst.Journal.Mark()
	if out, err := r.run("plan", "-detailed-exitcode"); err != nil {
		t.Fatalf("plan of the unchanged configuration: %v (exit 2 means it planned a change)\n%s", err, out)
	}
	calls := map[string]int{}
	total := 0
	for _, c := range inst.Journal.Since(mark) {
		if c.Operation == "GetCallerIdentity" { // once per provider, not per resource
			continue
		}
		calls[c.Operation]++
		total++
	}
	if total > 4 || calls["GetFunctionConfiguration"] > 1 {
		t.Errorf("no-op plan of 2 resources made %d calls %v; want at most 4 (2 per resource) and one GetFunctionConfiguration (the function's version)", total, calls)
	}
	if _, err := r.destroy(inst.URL); err != nil {
		t.Fatal(err)
	}
}
