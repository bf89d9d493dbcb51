package provider_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/rollout-tf/terraform-provider-rollout/internal/acctest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/loadgen"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/statehistory"
)

// twoPackages returns two deployment packages of the real test function
// with different code hashes (the second carries one more file).
func twoPackages(t *testing.T) (string, string) {
	t.Helper()
	p1, b := testFunctionZip(t)
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		if err := zw.Copy(f); err != nil {
			t.Fatal(err)
		}
	}
	w, err := zw.Create("RELEASE_NOTES")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte("release two"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	p2 := filepath.Join(t.TempDir(), "fn2.zip")
	if err := os.WriteFile(p2, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p1, p2
}

// functionState reads rollout_function.test from the local state file.
func (r *tfRun) functionState() map[string]any {
	r.t.Helper()
	b, err := os.ReadFile(filepath.Join(r.dir, "terraform.tfstate"))
	if err != nil {
		r.t.Fatal(err)
	}
	var st struct {
		Resources []struct {
			Type      string
			Instances []struct{ Attributes map[string]any }
		}
	}
	if err := json.Unmarshal(b, &st); err != nil {
		r.t.Fatal(err)
	}
	for _, res := range st.Resources {
		if res.Type == "rollout_function" && len(res.Instances) == 1 {
			return res.Instances[0].Attributes
		}
	}
	r.t.Fatal("no rollout_function in the state")
	return nil
}

func versionNumbers(attrs map[string]any) []string {
	var out []string
	vs, _ := attrs["versions"].([]any)
	for _, v := range vs {
		if m, ok := v.(map[string]any); ok {
			out = append(out, fmt.Sprint(m["number"]))
		}
	}
	return out
}

// snapshot copies the current local state into dir as serial-named file.
func (r *tfRun) snapshot(dir, name string) {
	r.t.Helper()
	b, err := os.ReadFile(filepath.Join(r.dir, "terraform.tfstate"))
	if err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
		r.t.Fatal(err)
	}
}

// pushPicked writes the older snapshot with the newest one's lineage and the
// next serial (what rolloutctl pick --write-state does) and pushes it.
func (r *tfRun) pushPicked(dir string) {
	r.t.Helper()
	ctx := context.Background()
	revs, err := statehistory.DirSource{Dir: dir}.Revisions(ctx)
	if err != nil {
		r.t.Fatal(err)
	}
	b, err := statehistory.WriteState(ctx, revs[0], revs[len(revs)-1], revs)
	if err != nil {
		r.t.Fatal(err)
	}
	p := filepath.Join(r.dir, "picked.tfstate")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		r.t.Fatal(err)
	}
	if out, err := r.runExact("state", "push", p); err != nil {
		r.t.Fatalf("terraform state push: %v\n%s", err, out)
	}
}

func countOps(calls []sandbox.Call, function string, ops ...string) map[string]int {
	out := map[string]int{}
	for _, c := range calls {
		for _, op := range ops {
			if c.Operation == op && c.Function == function && c.Status/100 == 2 {
				out[op]++
			}
		}
	}
	return out
}

// TestAccFunction_adoptAfterStatePush pushes back an older state (the one
// before release v2 was published) and applies release v2 again: the plan
// lists AWS's retained versions because it would otherwise publish, finds
// version 2 with the same digest and shows it exactly; the apply publishes
// and uploads nothing. A refresh-only apply corrects versions from AWS,
// and a no-op plan makes no listing.
func TestAccFunction_adoptAfterStatePush(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcc(t)
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "counting API calls in the journal")
	z1, z2 := twoPackages(t)
	snaps := t.TempDir()
	r := newTFRun(t)
	r.write(adoptStack(be.URL, z1, "v1"))
	r.mustRun("apply v1", "apply", "-auto-approve")
	r.snapshot(snaps, "1.tfstate")
	r.write(adoptStack(be.URL, z2, "v2"))
	r.mustRun("apply v2", "apply", "-auto-approve")
	r.snapshot(snaps, "2.tfstate")
	r.pushPicked(snaps)
	if got := r.functionState()["version"]; got != "1" {
		t.Fatalf("pushed state has version %v; want 1", got)
	}

	// Without a refresh, the plan still finds version 2 in AWS.
	out, err := r.run("plan", "-refresh=false")
	if err != nil {
		t.Fatalf("plan: %v\n%s", err, out)
	}
	if !strings.Contains(out, `version                 = "1" -> "2"`) && !strings.Contains(out, `"1" -> "2"`) {
		t.Errorf("the plan does not adopt version 2 exactly:\n%s", out)
	}
	if strings.Contains(out, "version                 = \"1\" -> (known after apply)") {
		t.Errorf("the plan would publish a new version:\n%s", out)
	}

	// A refresh-only apply makes versions tell what AWS holds.
	r.mustRun("refresh-only", "apply", "-refresh-only", "-auto-approve")
	if got, want := strings.Join(versionNumbers(r.functionState()), ","), "2,1"; got != want {
		t.Errorf("after -refresh-only, versions = %s; want %s", got, want)
	}

	mark := be.Sandbox.Journal.Mark()
	r.mustRun("apply v2 again", "apply", "-auto-approve")
	if n := countOps(be.Sandbox.Journal.Since(mark), "adopter", "PublishVersion", "UpdateFunctionCode"); len(n) != 0 {
		t.Errorf("applying the retained release wrote %v; want no publish and no upload", n)
	}
	vs, err := lambdaops.ListVersions(context.Background(), sdkLambda(be.URL), "adopter")
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 {
		t.Errorf("AWS holds %d versions; want 2 (no duplicate of version 2)", len(vs))
	}
	if got := r.functionState()["version"]; got != "2" {
		t.Errorf("state version = %v; want 2", got)
	}

	// The no-op refresh and plan list nothing: their cost does not grow with history.
	mark = be.Sandbox.Journal.Mark()
	r.mustRun("no-op plan", "plan", "-detailed-exitcode")
	if n := countOps(be.Sandbox.Journal.Since(mark), "adopter", "ListVersionsByFunction"); len(n) != 0 {
		t.Errorf("a no-op plan listed versions %v; want none", n)
	}
	r.checkDestroy(be.URL)
}

// TestAccFunction_rollbackRestoresLatest rolls back by applying release
// v1's configuration again: traffic moves with one write, and afterwards
// $LATEST holds v1's code and configuration again, so an unqualified
// invocation no longer runs the rolled-back release.
func TestAccFunction_rollbackRestoresLatest(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcc(t)
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "counting API calls in the journal")
	z1, z2 := twoPackages(t)
	r := newTFRun(t)
	for _, step := range []struct{ zip, release string }{{z1, "v1"}, {z2, "v2"}} {
		r.write(adoptStack(be.URL, step.zip, step.release))
		if out, err := r.run("apply", "-auto-approve"); err != nil {
			t.Fatalf("apply %s: %v\n%s", step.release, err, out)
		}
	}
	r.write(adoptStack(be.URL, z1, "v1"))
	mark := be.Sandbox.Journal.Mark()
	if out, err := r.run("apply", "-auto-approve"); err != nil {
		t.Fatalf("rollback apply: %v\n%s", err, out)
	}
	untilSafe, total := rollbackWrites(be.Sandbox.Journal.Since(mark), "adopter")
	if untilSafe != 1 {
		t.Errorf("writes until traffic is safe = %d; want 1 (the UpdateAlias)", untilSafe)
	}
	t.Logf("rollback: %d write(s) until traffic is safe, %d in total", untilSafe, total)
	c := sdkLambda(be.URL)
	fn, err := c.GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String("adopter")})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(fn.Configuration.CodeSha256), fileSha(t, z1); got != want {
		t.Errorf("$LATEST code = %s; want v1's %s", got, want)
	}
	inv, err := c.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("adopter"), Payload: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(inv.Payload), `"release":"v1"`) {
		t.Errorf("an unqualified invocation answered %s; want release v1", inv.Payload)
	}
	// The next plan is empty, and lists nothing.
	if out, err := r.run("plan", "-detailed-exitcode"); err != nil {
		t.Errorf("plan after the rollback is not empty: %v\n%s", err, out)
	}
	if out, err := r.destroy(be.URL); err != nil {
		t.Errorf("destroy: %v\n%s", err, out)
	}
}

// rollbackWrites counts the writes of a rollback apply: until the alias
// moved (traffic safe) and in total.
func rollbackWrites(calls []sandbox.Call, function string) (untilSafe, total int) {
	safe := false
	for _, c := range calls {
		if c.Function != function || c.Status/100 != 2 {
			continue
		}
		switch c.Operation {
		case "PublishVersion", "UpdateFunctionCode", "UpdateFunctionConfiguration", "CreateFunction", "UpdateAlias", "CreateAlias", "TagResource", "UntagResource", "DeleteFunction":
			total++
			if !safe {
				untilSafe++
			}
			if c.Operation == "UpdateAlias" {
				safe = true
			}
		}
	}
	return untilSafe, total
}

// TestAccAlias_dataSchemaGuardBeforePublish plans a release whose
// compatible_data_schemas exclude the alias's data_schema_version while
// its version number is not known yet: the plan refuses it, before any
// publish, both when the alias is not told the planned range (it asks for
// it) and when it is (it names the range); a compatible release applies.
func TestAccAlias_dataSchemaGuardBeforePublish(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcc(t)
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "reading $LATEST after a refused plan")
	dir := t.TempDir()
	z1 := acctest.WriteZip(t, dir, "v1.zip", "one")
	z2 := acctest.WriteZip(t, dir, "v2.zip", "two")
	c := sdkLambda(be.URL)
	count := func() int {
		vs, err := lambdaops.ListVersions(context.Background(), c, "guarded")
		if err != nil {
			t.Fatal(err)
		}
		return len(vs)
	}
	latest := func() string {
		fn, err := c.GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String("guarded")})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(fn.Configuration.CodeSha256)
	}
	r := newTFRun(t)
	r.write(schemaStack(be.URL, z1, "v1", "{ min = 1, max = 2 }", ""))
	r.mustRun("apply v1", "apply", "-auto-approve")
	before := latest()

	// Not told the planned range: the plan cannot check the unknown version, and says how to let it.
	r.write(schemaStack(be.URL, z2, "v2", "{ min = 3, max = 4 }", "  data_schema_version = 2\n"))
	out, err := r.run("apply", "-auto-approve")
	if err == nil {
		t.Fatalf("apply of an unchecked release succeeded:\n%s", out)
	}
	if !acctest.ExpectErrorText("version_data_schemas = rollout_function.test.version_data_schemas").MatchString(out) &&
		!acctest.ExpectErrorText("version_data_schemas").MatchString(out) {
		t.Errorf("the error does not say how to let the plan check the version:\n%s", out)
	}
	if n := count(); n != 1 {
		t.Errorf("%d versions after the refused apply; want 1 (nothing published)", n)
	}
	if got := latest(); got != before {
		t.Errorf("$LATEST changed from %s to %s: the refused apply uploaded code", before, got)
	}

	// Told the planned range: the plan names it and refuses.
	wired := "  data_schema_version  = 2\n  version_data_schemas = rollout_function.test.version_data_schemas\n"
	r.write(schemaStack(be.URL, z2, "v2", "{ min = 3, max = 4 }", wired))
	out, err = r.run("plan")
	if err == nil || !acctest.ExpectErrorText("which records compatible_data_schemas 3..4; the data stores are at schema 2").MatchString(out) {
		t.Errorf("the plan did not refuse the incompatible release: %v\n%s", err, out)
	}
	if n := count(); n != 1 {
		t.Errorf("%d versions after the refused plan; want 1", n)
	}

	// A release that can read schema 2 goes through.
	r.write(schemaStack(be.URL, z2, "v2", "{ min = 2, max = 4 }", wired))
	r.mustRun("apply of a compatible release", "apply", "-auto-approve")
	if got := r.aliasState()["function_version"]; got != "2" {
		t.Errorf("alias on %v; want 2", got)
	}
	r.checkDestroy(be.URL)
}

// TestAccStateHistory_pickAfterRevert runs terraform through v1, v2, a
// deliberate revert to v1, then v3 with a new alias: pick from the revert
// offers nothing (v2 was deliberately left, v1 is where it already is);
// pick from v3 returns to the revert, and lists the alias created since as
// what a written state would drop.
func TestAccStateHistory_pickAfterRevert(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcc(t)
	be := acctest.NewBackend(t)
	z1, z2 := twoPackages(t)
	z3 := acctest.WriteZip(t, t.TempDir(), "v3.zip", "three")
	snaps := t.TempDir()
	r := newTFRun(t)
	beta := `
resource "rollout_alias" "beta" {
  function_name    = rollout_function.test.function_name
  name             = "beta"
  function_version = rollout_function.test.version
}
`
	for i, step := range []struct{ zip, release, extra string }{{z1, "v1", ""}, {z2, "v2", ""}, {z1, "v1", ""}, {z3, "v3", beta}} {
		r.write(adoptStack(be.URL, step.zip, step.release) + step.extra)
		if out, err := r.run("apply", "-auto-approve"); err != nil {
			t.Fatalf("apply %s: %v\n%s", step.release, err, out)
		}
		r.snapshot(snaps, fmt.Sprintf("%02d.tfstate", i+1))
	}
	ctx := context.Background()
	revs, err := statehistory.DirSource{Dir: snaps}.Revisions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p, err := statehistory.PickKnownGood(revs, "03.tfstate")
	if err != nil {
		t.Fatal(err)
	}
	if p.Chosen != nil {
		t.Errorf("pick from the revert chose %s (releases %v); want none: v2 was deliberately left", p.Chosen.ID, p.Releases)
	}
	reasons := ""
	for _, rj := range p.Rejected {
		reasons += rj.Revision.ID + ": " + strings.Join(rj.Reasons, "; ") + "\n"
	}
	if !strings.Contains(reasons, "02.tfstate: release v2 (rollout_function.test version 2) was deliberately left: revision 03.tfstate reverted the configuration to version 1") {
		t.Errorf("rejections do not say v2 was deliberately left:\n%s", reasons)
	}
	p, err = statehistory.PickKnownGood(revs, "")
	if err != nil || p.Chosen == nil || p.Chosen.ID != "03.tfstate" {
		t.Fatalf("pick from v3 = %+v, %v; want 03.tfstate", p.Chosen, err)
	}
	dropped, err := statehistory.DroppedBy(ctx, *p.Chosen, p.Reference)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(dropped, ",") != "rollout_alias.beta" {
		t.Errorf("a state written from 03 would drop %v; want [rollout_alias.beta]", dropped)
	}
	r.checkDestroy(be.URL)
}

// TestAccFunction_releaseRelabel changes only release: nothing is
// published, the label moves in AWS (the function tag rollout:release:<N>,
// since a version's description cannot change) and in the state's
// versions, where rolloutctl reads it; the next plan is empty.
func TestAccFunction_releaseRelabel(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcc(t)
	be := acctest.NewBackend(t)
	z1, _ := twoPackages(t)
	r := newTFRun(t)
	r.write(adoptStack(be.URL, z1, "v1.0.0"))
	r.mustRun("apply", "apply", "-auto-approve")
	// Only the label changes (RELEASE in the environment stays): a relabel of the same build.
	r.write(strings.Replace(adoptStack(be.URL, z1, "v1.0.0"), `release       = "v1.0.0"`, `release       = "v1.0.1"`, 1))
	out, err := r.run("apply", "-auto-approve")
	if err != nil {
		t.Fatalf("relabel apply: %v\n%s", err, out)
	}
	c := sdkLambda(be.URL)
	vs, err := lambdaops.ListVersions(context.Background(), c, "adopter")
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 1 {
		t.Errorf("%d versions after a relabel; want 1 (nothing published)", len(vs))
	}
	fn, err := c.GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String("adopter")})
	if err != nil {
		t.Fatal(err)
	}
	if got := fn.Tags["rollout:release:1"]; got != "v1.0.1" {
		t.Errorf("tag rollout:release:1 = %q; want v1.0.1 (tags %v)", got, fn.Tags)
	}
	b, err := os.ReadFile(filepath.Join(r.dir, "terraform.tfstate"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := statehistory.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if a := statehistory.Aliases(st); len(a) != 1 || a[0].Release != "v1.0.1" {
		t.Errorf("rolloutctl reads the alias's release as %+v; want v1.0.1", a)
	}
	if out, err := r.run("plan", "-detailed-exitcode"); err != nil {
		t.Errorf("plan after the relabel is not empty: %v\n%s", err, out)
	}
	r.checkDestroy(be.URL)
}

// TestAccAliasCanary_rollbackRestoresLatest rolls a bad release back in
// both wait modes with real traffic: after the rollback, $LATEST holds the
// stable version's configuration again, so an unqualified invocation runs
// the stable release, not the rolled-back one.
func TestAccAliasCanary_rollbackRestoresLatest(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcc(t)
	for name, policy := range map[string]string{
		"blocking": `  steps    = [{ weight_percent = 20, hold = "3s" }]
  interval = "1s"
  health   = { max_error_rate = 0.1, min_invocations = 3 }`,
		"plan-driven": `  steps    = [{ weight_percent = 20, hold = "3s" }]
  interval = "1s"
  health   = { max_error_rate = 0.1, min_invocations = 3 }
  wait     = false`,
	} {
		t.Run(name, func(t *testing.T) {
			be := acctest.NewBackend(t)
			be.SandboxOnly(t, "running function code with real metrics")
			zip, _ := testFunctionZip(t)
			c := sdkLambda(be.URL)
			ctx, stopLoad := context.WithCancel(context.Background())
			defer stopLoad()
			cfg := func(release, failRate string) string {
				return strings.Replace(canaryStackWith(be.URL, zip, release, policy), `FAIL_RATE = "0"`, fmt.Sprintf(`FAIL_RATE = %q`, failRate), 1)
			}
			r := newTFRun(t)
			r.write(cfg("v1", "0"))
			if out, err := r.run("apply", "-auto-approve"); err != nil {
				t.Fatalf("apply v1: %v\n%s", err, out)
			}
			go func() {
				_, _ = loadgen.Run(ctx, loadgen.Options{Client: c, Function: "canaried", Qualifier: "live", RPS: 60, Payload: []byte(`{}`)})
			}()
			r.write(cfg("v2", "1"))
			mark := be.Sandbox.Journal.Mark()
			out, err := r.run("apply", "-auto-approve")
			if name == "plan-driven" {
				if err != nil {
					t.Fatalf("apply v2 (first step): %v\n%s", err, out)
				}
				time.Sleep(2500 * time.Millisecond) // real traffic on the canary: the next plan reads its error rate
				mark = be.Sandbox.Journal.Mark()
				out, err = r.run("apply", "-auto-approve")
			}
			if err == nil || !strings.Contains(out, "Canary Rolled Back") {
				t.Fatalf("the bad release was not rolled back: %v\n%s", err, out)
			}
			stopLoad()
			// The rollback's writes, from the decision: in the blocking
			// mode those after the read that decided (the last
			// GetMetricData before the rollback's UpdateAlias, the second
			// of the apply), in the plan-driven mode (decided at the
			// refresh) those of its apply.
			calls := be.Sandbox.Journal.Since(mark)
			if name == "blocking" {
				updates, decided := 0, -1
				for i, c := range calls {
					if c.Operation == "GetMetricData" && c.Status/100 == 2 {
						decided = i
					}
					if c.Operation == "UpdateAlias" && c.Function == "canaried" && c.Status/100 == 2 {
						if updates++; updates == 2 {
							break
						}
					}
				}
				if updates != 2 || decided < 0 {
					t.Fatalf("the journal shows %d UpdateAlias and no deciding read (%d): the measure would mean nothing", updates, decided)
				}
				calls = calls[decided+1:]
			}
			untilSafe, total := rollbackWrites(calls, "canaried")
			fmt.Printf("measure/canary-rollback-writes: %s: %d write(s) until traffic is safe, %d in total from the decision (the rollback memory tag, the restore of $LATEST and the progress tag after it)\n", name, untilSafe, total)
			if untilSafe != 1 {
				t.Errorf("writes until traffic is safe = %d; want 1 (the rollback UpdateAlias first)", untilSafe)
			}
			fn, err := c.GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String("canaried")})
			if err != nil {
				t.Fatal(err)
			}
			if env := fn.Configuration.Environment.Variables; env["RELEASE"] != "v1" || env["FAIL_RATE"] != "0" {
				t.Errorf("$LATEST environment after the rollback = %v; want v1's (RELEASE=v1, FAIL_RATE=0)", env)
			}
			inv, err := c.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("canaried"), Payload: []byte(`{}`)})
			if err != nil {
				t.Fatal(err)
			}
			if inv.FunctionError != nil || !strings.Contains(string(inv.Payload), `"release":"v1"`) {
				t.Errorf("an unqualified invocation answered %s (error %v); want release v1", inv.Payload, aws.ToString(inv.FunctionError))
			}
			r.write(cfg("v1", "0"))
			if out, err := r.destroy(be.URL); err != nil {
				t.Errorf("destroy: %v\n%s", err, out)
			}
		})
	}
}

// TestAccFunction_releaseLabelPruned relabels version 1, then releases
// until retain_versions = 1 prunes it: its label tag goes with it, so
// labels of deleted versions do not eat the function's 50 tags.
func TestAccFunction_releaseLabelPruned(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcc(t)
	be := acctest.NewBackend(t)
	z1, z2 := twoPackages(t)
	r := newTFRun(t)
	cfg := func(zip, release, env string) string {
		s := strings.Replace(adoptStack(be.URL, zip, env), `release       = "`+env+`"`, `release       = "`+release+`"`, 1)
		return strings.Replace(s, "  environment", "  retain_versions = 1\n  environment", 1)
	}
	for _, step := range []struct{ zip, release, env string }{{z1, "v1.0.0", "v1.0.0"}, {z1, "v1.0.1", "v1.0.0"}, {z2, "v2", "v2"}, {z1, "v3", "v3"}} {
		r.write(cfg(step.zip, step.release, step.env))
		if out, err := r.run("apply", "-auto-approve"); err != nil {
			t.Fatalf("apply %s: %v\n%s", step.release, err, out)
		}
	}
	c := sdkLambda(be.URL)
	vs, err := lambdaops.ListVersions(context.Background(), c, "adopter")
	if err != nil {
		t.Fatal(err)
	}
	var nums []string
	for _, v := range vs {
		nums = append(nums, aws.ToString(v.Version))
	}
	if strings.Contains(" "+strings.Join(nums, " ")+" ", " 1 ") {
		t.Fatalf("version 1 was not pruned (versions %v): the test proves nothing", nums)
	}
	fn, err := c.GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String("adopter")})
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := fn.Tags["rollout:release:1"]; ok {
		t.Errorf("tag rollout:release:1 = %q outlived version 1 (versions %v)", got, nums)
	}
	if out, err := r.destroy(be.URL); err != nil {
		t.Errorf("destroy: %v\n%s", err, out)
	}
}

// TestAccFunction_restoreLatestConcurrentTag: an operator's tag write
// between the alias's read of $LATEST and its guarded restore write (the
// code upload, or the configuration) makes AWS answer 412; the restore
// reads $LATEST again and retries, so $LATEST does not keep the
// rolled-back code until the next release.
func TestAccFunction_restoreLatestConcurrentTag(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcc(t)
	for _, op := range []string{"UpdateFunctionCode", "UpdateFunctionConfiguration"} {
		t.Run(op, func(t *testing.T) {
			be := acctest.NewBackend(t)
			be.SandboxOnly(t, "an operator's tag at an exact point of the apply")
			z1, z2 := twoPackages(t)
			c := sdkLambda(be.URL)
			r := newTFRun(t)
			for _, step := range []struct{ zip, release string }{{z1, "v1"}, {z2, "v2"}} {
				r.write(adoptStack(be.URL, step.zip, step.release))
				if out, err := r.run("apply", "-auto-approve"); err != nil {
					t.Fatalf("apply %s: %v\n%s", step.release, err, out)
				}
			}
			fn, err := c.GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String("adopter")})
			if err != nil {
				t.Fatal(err)
			}
			be.Sandbox.Server.BeforeRequest(func(call sandbox.Call) {
				if call.Operation == op && call.AccessKey == "AKIDROLLOUTTEST" {
					be.Sandbox.Server.BeforeRequest(nil)
					if _, err := c.TagResource(context.Background(), &lambda.TagResourceInput{Resource: fn.Configuration.FunctionArn,
						Tags: map[string]string{"owner": "ops"}}); err != nil {
						t.Errorf("operator tag: %v", err)
					}
				}
			})
			defer be.Sandbox.Server.BeforeRequest(nil)
			mark := be.Sandbox.Journal.Mark()
			r.write(adoptStack(be.URL, z1, "v1"))
			out, err := r.run("apply", "-auto-approve")
			if err != nil {
				t.Fatalf("rollback apply: %v\n%s", err, out)
			}
			refused := 0
			for _, call := range be.Sandbox.Journal.Since(mark) {
				if call.Operation == op && call.Status == 412 {
					refused++
				}
			}
			if refused == 0 {
				t.Fatalf("no %s was refused with 412: the concurrent tag did not strike, the test proves nothing", op)
			}
			if strings.Contains(flat(out), "Unqualified Invocations Still Run") {
				t.Errorf("the restore gave up on the 412:\n%s", out)
			}
			latest, err := c.GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String("adopter")})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := aws.ToString(latest.Configuration.CodeSha256), fileSha(t, z1); got != want {
				t.Errorf("$LATEST code = %s; want v1's %s", got, want)
			}
			if got := latest.Configuration.Environment.Variables["RELEASE"]; got != "v1" {
				t.Errorf("$LATEST environment RELEASE = %q; want v1", got)
			}
			if latest.Tags["owner"] != "ops" {
				t.Errorf("the operator's tag was lost: %v", latest.Tags)
			}
		})
	}
}

// TestAccAliasCanary_latestRestoredOnNextApply: a canary rolls back while
// every UpdateFunctionConfiguration fails, so $LATEST keeps the
// rolled-back release (a warning says so). The next apply, of the
// reverted configuration, does not move the alias; its plan shows the
// restore and it copies the served version into $LATEST, after which the
// plan is empty.
func TestAccAliasCanary_latestRestoredOnNextApply(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcc(t)
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "running function code with real metrics and injected faults")
	zip, _ := testFunctionZip(t)
	c := sdkLambda(be.URL)
	policy := `  steps    = [{ weight_percent = 20, hold = "3s" }]
  interval = "1s"
  health   = { max_error_rate = 0.1, min_invocations = 3 }`
	cfg := func(release, failRate string) string {
		return strings.Replace(canaryStackWith(be.URL, zip, release, policy), `FAIL_RATE = "0"`, fmt.Sprintf(`FAIL_RATE = %q`, failRate), 1)
	}
	r := newTFRun(t)
	r.write(cfg("v1", "0"))
	if out, err := r.run("apply", "-auto-approve"); err != nil {
		t.Fatalf("apply v1: %v\n%s", err, out)
	}
	load := startLoad(c)
	defer load.stop()
	// The second UpdateAlias of the rollout is the rollback: from then on
	// $LATEST cannot be written.
	var updates atomic.Int32
	be.Sandbox.Server.BeforeRequest(func(call sandbox.Call) {
		if call.Operation == "UpdateAlias" && call.AccessKey == "AKIDROLLOUTTEST" && updates.Add(1) == 2 {
			be.Sandbox.Server.SetFaults([]sandbox.Fault{{Service: "lambda", Operation: "UpdateFunctionConfiguration", Kind: sandbox.FaultError, Rate: 1}})
		}
	})
	defer be.Sandbox.Server.BeforeRequest(nil)
	r.write(cfg("v2", "1"))
	out, err := r.run("apply", "-auto-approve")
	be.Sandbox.Server.BeforeRequest(nil)
	be.Sandbox.Server.SetFaults(nil)
	if err == nil || !strings.Contains(out, "Canary Rolled Back") {
		t.Fatalf("the bad release was not rolled back: %v\n%s", err, out)
	}
	latestEnv := func() map[string]string {
		fn, err := c.GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String("canaried")})
		if err != nil {
			t.Fatal(err)
		}
		return fn.Configuration.Environment.Variables
	}
	if env := latestEnv(); env["RELEASE"] != "v2" {
		t.Fatalf("$LATEST RELEASE = %q after the rollback with failing configuration writes: the fault did not strike, the test proves nothing", env["RELEASE"])
	}
	if !strings.Contains(flat(out), "Unqualified Invocations Still Run") {
		t.Errorf("no warning that $LATEST still holds the rolled-back release:\n%s", out)
	}

	r.write(cfg("v1", "0"))
	plan, err := r.run("plan")
	if err != nil || !strings.Contains(flat(plan), "Restoring $LATEST") {
		t.Errorf("the plan of the reverted configuration does not show the restore of $LATEST: %v\n%s", err, plan)
	}
	mark := be.Sandbox.Journal.Mark()
	if out, err := r.run("apply", "-auto-approve"); err != nil {
		t.Fatalf("apply of the reverted configuration: %v\n%s", err, out)
	}
	for _, call := range be.Sandbox.Journal.Since(mark) {
		if call.Operation == "UpdateAlias" && call.AccessKey == "AKIDROLLOUTTEST" {
			t.Errorf("the apply moved the alias: %+v", call)
		}
	}
	if env := latestEnv(); env["RELEASE"] != "v1" || env["FAIL_RATE"] != "0" {
		t.Errorf("$LATEST environment after the next apply = %v; want v1's (RELEASE=v1, FAIL_RATE=0)", env)
	}
	if out, err := r.run("plan", "-detailed-exitcode"); err != nil {
		t.Errorf("plan after the restore is not empty: %v\n%s", err, out)
	}
}
