package statehistory

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestRealTerraformStates reads the states the real terraform wrote for
// this provider's resources (testdata/terraform-<version>/ and
// testdata/opentofu-<version>/, written by internal/provider's
// TestAccStateHistory_realTerraformStates: v1.0.0 released, v1.1.0
// promoted, v1.2.0 rolled back) as a snapshot folder, for every Terraform
// and OpenTofu version there is a folder for.
func TestRealTerraformStates(t *testing.T) {
	t.Parallel()
	registries := map[string]string{"terraform": "registry.terraform.io", "opentofu": "registry.opentofu.org"}
	var dirs []string
	for program := range registries {
		d, err := filepath.Glob(filepath.Join("testdata", program+"-*"))
		if err != nil || len(d) == 0 {
			t.Fatalf("no golden states written by %s (%v)", program, err)
		}
		dirs = append(dirs, d...)
	}
	for _, golden := range dirs {
		t.Run(filepath.Base(golden), func(t *testing.T) {
			t.Parallel()
			program, version, _ := strings.Cut(filepath.Base(golden), "-")
			provider := fmt.Sprintf(`provider["%s/rollout-tf/rollout"]`, registries[program])
			dir := t.TempDir()
			for i, n := range []string{"01.tfstate", "02.tfstate", "03.tfstate"} {
				b, err := os.ReadFile(filepath.Join(golden, n))
				if err != nil {
					t.Fatal(err)
				}
				// The states are what that program wrote: its version and
				// its registry's address of this provider.
				s, err := Parse(b)
				if err != nil {
					t.Fatal(err)
				}
				if s.TerraformVersion != version || len(s.Resources) == 0 || s.Resources[0].Provider != provider {
					t.Fatalf("%s: written by %s with provider %q; want %s with %s", n, s.TerraformVersion, firstProvider(s), version, provider)
				}
				writeAt(t, dir, n, b, base.Add(time.Duration(i)*time.Hour))
			}
			revs, err := DirSource{Dir: dir}.Revisions(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range revs {
				if !r.Readable() {
					t.Fatalf("%s unreadable: %s", r.ID, r.Error)
				}
				for _, a := range r.Aliases {
					got = append(got, a.Describe())
				}
			}
			want := []string{"live: 1 (v1.0.0)", "live: 2 (v1.1.0) [promoted]", "live: 2 (v1.1.0) [rolled_back]"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("aliases (-want +got):\n%s", diff)
			}
			p, err := PickKnownGood(revs, "")
			if err != nil || p.Chosen == nil || p.Chosen.ID != "02.tfstate" || strings.Join(p.Releases, ",") != "v1.1.0" {
				t.Fatalf("pick = %+v (releases %v), %v; want 02.tfstate, v1.1.0", p.Chosen, p.Releases, err)
			}
			// The promotion record of v1.2.0 is one new entry of versions,
			// matched by number; the environment is redacted.
			a, _, _ := revs[1].Load(context.Background())
			b, _, _ := revs[2].Load(context.Background())
			for _, c := range Diff(a, b, false) {
				if strings.HasPrefix(c.Path, "versions[") && !strings.HasPrefix(c.Path, `versions[number="3"]`) {
					t.Errorf("versions changed at %s (%s -> %s): a list entry other than the new one", c.Path, c.Old, c.New)
				}
				if strings.HasPrefix(c.Path, "environment") && (c.Old != Redacted || c.New != Redacted) {
					t.Errorf("environment printed: %+v", c)
				}
			}
		})
	}
}

// firstProvider is the provider of the first resource in s, or "".
func firstProvider(s *State) string {
	if len(s.Resources) == 0 {
		return ""
	}
	return s.Resources[0].Provider
}
