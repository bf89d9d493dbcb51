package provider_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rollout-tf/terraform-provider-rollout/internal/acctest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

// TestAccPlan_callsPerPair counts the API calls of one rollout_function +
// rollout_alias pair per Terraform command (a saved plan, then its apply,
// so each command is one walk of the provider) through a no-op plan, a code
// change and a revert (issue 22). Targets: a no-op plan at most 2 calls per
// resource and no code signing read when none is configured; in any one
// command no published version read twice (versions are immutable, a walk
// reads each once) and no repeated listing but around a publish; and totals per command that
// leave no repeated read of $LATEST between ModifyPlan and apply.
// GetCallerIdentity (once per provider configuration, not per resource) is
// not counted.
func TestAccPlan_callsPerPair(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcc(t)
	inst := sandboxtest.Start(t, sandbox.Options{SettleDelay: time.Millisecond})
	dir := t.TempDir()
	v1 := writeZipTB(t, dir, "v1.zip", "release one")
	v2 := writeZipTB(t, dir, "v2.zip", "release two")
	r := newTFRun(t)
	cfg := func(zip string) string {
		return acctest.SandboxConfig(inst.URL) + fmt.Sprintf(`
resource "rollout_function" "f" {
  function_name = "pair"
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
`, testRole, zip)
	}
	// step runs one command and checks its calls against the most it may make.
	step := func(what string, most int, args ...string) {
		t.Helper()
		mark := inst.Journal.Mark()
		if out, err := r.runExact(append([]string{args[0], "-no-color", "-input=false"}, args[1:]...)...); err != nil {
			t.Fatalf("%s: %v\n%s", what, err, out)
		}
		seen := map[string]int{}
		var lines []string
		for _, c := range inst.Journal.Since(mark) {
			if c.Operation == "GetCallerIdentity" {
				continue
			}
			key := c.Operation + " " + c.Qualifier
			seen[key]++
			lines = append(lines, key)
		}
		sort.Strings(lines)
		calls := "\n  " + strings.Join(lines, "\n  ")
		t.Logf("%s: %d calls", what, len(lines))
		if len(lines) > most {
			t.Errorf("%s made %d calls; want at most %d:%s", what, len(lines), most, calls)
		}
		published := false
		for key := range seen {
			published = published || strings.HasPrefix(key, "PublishVersion ")
		}
		for key, n := range seen {
			op, qualifier, _ := strings.Cut(key, " ")
			repeatable := op == "GetFunction" && qualifier == "" // $LATEST: read again after each write
			repeatable = repeatable || !strings.HasPrefix(op, "Get") && !strings.HasPrefix(op, "List")
			repeatable = repeatable || op == "ListVersionsByFunction" && published // before and after the publish
			if n > 1 && !repeatable {
				t.Errorf("%s read %s %d times; a version is immutable and a walk reads it once:%s", what, key, n, calls)
			}
		}
		if what == "no-op plan" && seen["GetFunctionCodeSigningConfig "] > 0 {
			t.Errorf("no-op plan read the code signing configuration of a function that has none configured or in state:%s", calls)
		}
	}
	r.write(cfg(v1))
	step("create", 100, "apply", "-auto-approve")
	step("no-op plan", 3, "plan", "-detailed-exitcode")
	r.write(cfg(v2))
	step("code change plan", 4, "plan", "-out", "code.tfplan")
	step("code change apply", 12, "apply", "-auto-approve", "code.tfplan")
	r.write(cfg(v1))
	step("revert plan", 5, "plan", "-out", "revert.tfplan")
	step("revert apply", 11, "apply", "-auto-approve", "revert.tfplan")
	if _, err := r.destroy(inst.URL); err != nil {
		t.Fatal(err)
	}
}
