package provider_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rollout-tf/terraform-provider-rollout/internal/acctest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/statehistory"
)

// TestAccStateHistory_groupStates runs the real terraform through three
// releases of a two-member rollout_alias_group with real traffic (v1.0.0
// created, v1.1.0 promoted, v1.2.0 rolled back by member m1's error rate),
// keeping the state terraform wrote after each apply. The states are the
// golden files of internal/statehistory's TestRealTerraformGroupStates
// (testdata/group-<program>-<version>/): their summaries must match what
// this terraform writes now; ROLLOUTCTL_UPDATE_GOLDEN=1 writes them again.
// The group pick returns both members to v1.1.0, and the state it writes is
// accepted by terraform state push and converges in one apply.
func TestAccStateHistory_groupStates(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcc(t)
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "running function code with real metrics")
	zip, _ := testFunctionZip(t)
	const prefix, n = "hist", 2
	ctx, stopLoad := context.WithCancel(context.Background())
	defer stopLoad()
	r := newTFRun(t)
	snapshots := t.TempDir()
	var states [][]byte
	for i, step := range []struct {
		release string
		fail    map[int]string
	}{{"v1.0.0", nil}, {"v1.1.0", nil}, {"v1.2.0", map[int]string{1: "1"}}} {
		r.write(groupStack(be.URL, zip, prefix, n, step.release, step.fail, groupPolicy))
		out, err := r.run("apply", "-auto-approve")
		switch {
		case step.fail != nil && (err == nil || !strings.Contains(out, "Release Rolled Back")):
			t.Fatalf("the bad release was not rolled back: %v\n%s", err, out)
		case step.fail == nil && err != nil:
			t.Fatalf("apply %s: %v\n%s", step.release, err, out)
		}
		if i == 0 {
			groupLoad(ctx, t, be, prefix, n, 40)
		}
		states = append(states, r.readState())
		r.snapshot(snapshots, fmt.Sprintf("%02d.tfstate", i+1))
	}
	stopLoad()

	first, err := statehistory.Parse(states[0])
	if err != nil {
		t.Fatal(err)
	}
	// OpenTofu writes its own version as terraform_version, and its own
	// serials: the folder says which program wrote the states.
	program := "terraform"
	if acctest.IsOpenTofu(t) {
		program = "opentofu"
	}
	golden := filepath.Join("..", "statehistory", "testdata", "group-"+program+"-"+first.TerraformVersion)
	update := os.Getenv("ROLLOUTCTL_UPDATE_GOLDEN") != ""
	if _, err := os.Stat(golden); err != nil && !update {
		others, _ := filepath.Glob(filepath.Join("..", "statehistory", "testdata", "group-"+program+"-*"))
		if len(others) == 0 {
			t.Fatal("no golden group states at all (ROLLOUTCTL_UPDATE_GOLDEN=1 writes them)")
		}
		t.Logf("no golden group states for %s %s; comparing with %s", program, first.TerraformVersion, others[0])
		golden = others[0]
	}
	summary := func(b []byte) string {
		s, err := statehistory.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		var parts []string
		for _, g := range statehistory.Groups(s) {
			parts = append(parts, g.Describe())
		}
		return fmt.Sprintf("serial %d: %s", s.Serial, strings.Join(parts, "; "))
	}
	for i, b := range states {
		p := filepath.Join(golden, fmt.Sprintf("%02d.tfstate", i+1))
		if update {
			if err := os.MkdirAll(golden, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("%v: no golden group states for terraform %s (ROLLOUTCTL_UPDATE_GOLDEN=1 writes them)", err, first.TerraformVersion)
		}
		if got, w := summary(b), summary(want); got != w {
			t.Errorf("state %d as this terraform writes it: %s; golden %s: %s", i+1, got, p, w)
		}
	}

	// The group pick: both members back on v1.1.0, pushed and applied.
	revs, err := statehistory.DirSource{Dir: snapshots}.Revisions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	p, err := statehistory.PickGroup(revs, "", prefix)
	if err != nil || p.Chosen == nil {
		t.Fatalf("pick --group %s chose nothing (%d rejected), %v", prefix, len(p.Rejected), err)
	}
	if strings.Join(p.Releases, ",") != "v1.1.0" || len(p.Members) != n {
		var rejected []string
		for _, r := range p.Rejected {
			rejected = append(rejected, r.Revision.ID+": "+strings.Join(r.Reasons, "; "))
		}
		t.Fatalf("pick --group chose releases %v, members %+v; want v1.1.0 for %d members (rejected: %s)", p.Releases, p.Members, n, strings.Join(rejected, " | "))
	}
	b, err := statehistory.WriteState(context.Background(), *p.Chosen, p.Reference, revs)
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
	r.write(groupStack(be.URL, zip, prefix, n, "v1.1.0", nil, groupPolicy))
	r.mustRun("apply of the picked release", "apply", "-auto-approve")
	if out := r.mustRun("plan after the apply", "plan", "-detailed-exitcode"); !strings.Contains(out, "No changes") {
		t.Errorf("the picked release did not converge in one apply:\n%s", out)
	}
	if err := allOn(be, prefix, n, "2"); err != nil {
		t.Error(err)
	}
	r.checkDestroy(be.URL)
}
