package provider_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rollout-tf/terraform-provider-rollout/internal/acctest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/statehistory"
)

// TestAccStateHistory_s3BackendPick runs terraform with an S3 backend on
// the sandbox through a release, a promotion and a rollout that rolls
// back, then reads the object versions terraform wrote: the history shows
// each step, pick chooses the promoted release, and the state it writes is
// accepted by terraform state push.
func TestAccStateHistory_s3BackendPick(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcc(t)
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "running function code with real metrics")
	zip, _ := testFunctionZip(t)
	bg := context.Background()
	sc := acctest.S3Client(be.URL)
	sandboxtest.VersionedBucket(t, sc, "tfstate")
	stopLoad := loadOnLive(t, sdkLambda(be.URL), 100)

	backend := fmt.Sprintf(`terraform {
  backend "s3" {
    bucket                      = "tfstate"
    key                         = "orders/terraform.tfstate"
    region                      = "us-east-1"
    endpoint                    = %[1]q
    sts_endpoint                = %[1]q
    force_path_style            = true
    skip_credentials_validation = true
    skip_metadata_api_check     = true
    skip_region_validation      = true
    access_key                  = "sandbox"
    secret_key                  = "sandbox"
  }
}
`, be.URL)
	r := newTFRunWith(t, true)
	write := func(release, failRate string) {
		r.write(backend + canaryStack(be.URL, zip, release, failRate))
	}
	write("v1.0.0", "0")
	r.mustRun("init", "init")
	for _, step := range []struct{ release, failRate string }{{"v1.0.0", "0"}, {"v1.1.0", "0"}, {"v1.2.0", "1"}} {
		write(step.release, step.failRate)
		out, err := r.run("apply", "-auto-approve")
		if step.failRate == "1" {
			if err == nil || !strings.Contains(out, "Canary Rolled Back") {
				t.Fatalf("the bad release was not rolled back: %v\n%s", err, out)
			}
			continue
		}
		if err != nil {
			t.Fatalf("apply %s: %v\n%s", step.release, err, out)
		}
	}

	revs, err := statehistory.S3Source{Client: sc, Bucket: "tfstate", Key: "orders/terraform.tfstate"}.Revisions(bg)
	if err != nil {
		t.Fatal(err)
	}
	last := revs[len(revs)-1]
	aliases := last.Aliases
	if len(aliases) != 1 || aliases[0].Primary != "2" || aliases[0].Deployment != "rolled_back" {
		t.Fatalf("newest revision's alias = %+v; want version 2 after the rolled-back rollout", aliases)
	}
	p, err := statehistory.PickKnownGood(revs, "")
	if err != nil || p.Chosen == nil {
		t.Fatalf("pick = %+v, %v", p, err)
	}
	if strings.Join(p.Releases, ",") != "v1.1.0" || p.Aliases[0].To != "2" {
		t.Errorf("pick chose releases %v, alias -> %s; want v1.1.0 and version 2 (rejected: %+v)", p.Releases, p.Aliases[0].To, p.Rejected)
	}
	// The written state is accepted by terraform state push, without -force.
	b, err := statehistory.WriteState(bg, *p.Chosen, p.Reference, revs)
	if err != nil {
		t.Fatal(err)
	}
	restore := filepath.Join(r.dir, "restore.tfstate")
	if err := os.WriteFile(restore, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := r.runExact("state", "push", restore); err != nil {
		t.Fatalf("terraform state push of the picked revision: %v\n%s", err, out)
	}
	t.Logf("%d state versions in S3; picked serial %d (releases %v), %d newer rejected", len(revs), p.Chosen.Serial, p.Releases, len(p.Rejected))
	stopLoad()
	write("v1.1.0", "0")
	r.checkDestroy(be.URL)
}

// TestAccStateHistory_realTerraformStates runs the real terraform through
// a release, a promotion and a release that rolls back, keeping the state
// terraform wrote after each apply, and reads them as rolloutctl does. The
// states are the golden files of internal/statehistory's
// TestRealTerraformStates (testdata/terraform-<version>/, or
// testdata/opentofu-<version>/ when TF_ACC_TERRAFORM_PATH is OpenTofu):
// their summaries must match what this terraform writes now, and the
// provider address in them is the one of its registry;
// ROLLOUTCTL_UPDATE_GOLDEN=1 writes them again.
func TestAccStateHistory_realTerraformStates(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcc(t)
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "running function code with real metrics")
	zip, _ := testFunctionZip(t)
	stopLoad := loadOnLive(t, sdkLambda(be.URL), 100)
	r := newTFRun(t)
	var states [][]byte
	for _, step := range []struct{ release, failRate string }{{"v1.0.0", "0"}, {"v1.1.0", "0"}, {"v1.2.0", "1"}} {
		r.write(canaryStack(be.URL, zip, step.release, step.failRate))
		out, err := r.run("apply", "-auto-approve")
		if step.failRate == "1" {
			if err == nil || !strings.Contains(out, "Canary Rolled Back") {
				t.Fatalf("the bad release was not rolled back: %v\n%s", err, out)
			}
		} else if err != nil {
			t.Fatalf("apply %s: %v\n%s", step.release, err, out)
		}
		b, err := os.ReadFile(filepath.Join(r.dir, "terraform.tfstate"))
		if err != nil {
			t.Fatal(err)
		}
		states = append(states, b)
	}
	first, err := statehistory.Parse(states[0])
	if err != nil {
		t.Fatal(err)
	}
	// OpenTofu writes its own version as terraform_version: the folder
	// says which program wrote the states.
	program := "terraform"
	if acctest.IsOpenTofu(t) {
		program = "opentofu"
	}
	golden := filepath.Join("..", "statehistory", "testdata", program+"-"+first.TerraformVersion)
	if _, err := os.Stat(golden); err != nil && os.Getenv("ROLLOUTCTL_UPDATE_GOLDEN") == "" {
		// No states of this terraform are kept: its summaries must still be
		// those of the states another version wrote (they name no version).
		others, _ := filepath.Glob(filepath.Join("..", "statehistory", "testdata", program+"-*"))
		if len(others) == 0 {
			others, _ = filepath.Glob(filepath.Join("..", "statehistory", "testdata", "*-[0-9]*"))
		}
		if len(others) == 0 {
			t.Fatal("no golden states at all (ROLLOUTCTL_UPDATE_GOLDEN=1 writes them)")
		}
		t.Logf("no golden states for terraform %s; comparing with %s", first.TerraformVersion, others[0])
		golden = others[0]
	}
	summary := func(b []byte) string {
		s, err := statehistory.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		var parts []string
		for _, f := range statehistory.Functions(s) {
			parts = append(parts, fmt.Sprintf("%s %s@%s (%s)", f.Resource, f.Function, f.Version, f.Release))
		}
		for _, a := range statehistory.Aliases(s) {
			parts = append(parts, a.Describe())
		}
		return fmt.Sprintf("serial %d: %s", s.Serial, strings.Join(parts, "; "))
	}
	for i, b := range states {
		p := filepath.Join(golden, fmt.Sprintf("%02d.tfstate", i+1))
		if os.Getenv("ROLLOUTCTL_UPDATE_GOLDEN") != "" {
			if err := os.MkdirAll(golden, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("%v: no golden states for terraform %s (ROLLOUTCTL_UPDATE_GOLDEN=1 writes them)", err, first.TerraformVersion)
		}
		if got, w := summary(b), summary(want); got != w {
			t.Errorf("state %d as this terraform writes it: %s; golden %s: %s", i+1, got, p, w)
		}
		if addr := fmt.Sprintf(`"provider[\"%s\"]"`, acctest.ProviderAddress()); !strings.Contains(string(b), addr) {
			t.Errorf("state %d as this terraform writes it does not name the provider %s", i+1, addr)
		}
	}
	stopLoad()
	r.write(canaryStack(be.URL, zip, "v1.1.0", "0"))
	if out, err := r.destroy(be.URL); err != nil {
		t.Errorf("destroy: %v\n%s", err, out)
	}
}
