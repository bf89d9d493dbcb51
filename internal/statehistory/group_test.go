package statehistory

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// groupSnapshots copies the states the real terraform wrote for a
// two-member rollout_alias_group (testdata/group-<program>-<version>/,
// written by internal/provider's TestAccStateHistory_groupStates: v1.0.0
// created, v1.1.0 promoted, v1.2.0 rolled back by member m1) into a
// snapshot folder, an hour apart.
func groupSnapshots(t *testing.T, golden string) string {
	t.Helper()
	dir := t.TempDir()
	for i, n := range []string{"01.tfstate", "02.tfstate", "03.tfstate"} {
		b, err := os.ReadFile(filepath.Join(golden, n))
		if err != nil {
			t.Fatal(err)
		}
		writeAt(t, dir, n, b, base.Add(time.Duration(i)*time.Hour))
	}
	return dir
}

func groupGoldens(t *testing.T) []string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join("testdata", "group-*-[0-9]*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden group states written by terraform (%v)", err)
	}
	return dirs
}

// TestRealTerraformGroupStates: history shows each member of the group
// per revision; the default pick and pick --group both return every
// member to v1.1.0 together, with a plan line per member's function.
func TestRealTerraformGroupStates(t *testing.T) {
	t.Parallel()
	for _, golden := range groupGoldens(t) {
		t.Run(filepath.Base(golden), func(t *testing.T) {
			t.Parallel()
			revs, err := DirSource{Dir: groupSnapshots(t, golden)}.Revisions(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range revs {
				if !r.Readable() {
					t.Fatalf("%s unreadable: %s", r.ID, r.Error)
				}
				for _, g := range r.Groups {
					got = append(got, g.Describe())
				}
			}
			want := []string{
				"group hist {m0=hist-0:live 1 (v1.0.0), m1=hist-1:live 1 (v1.0.0)}",
				"group hist {m0=hist-0:live 2 (v1.1.0), m1=hist-1:live 2 (v1.1.0)} [promoted]",
				"group hist {m0=hist-0:live 2 (v1.1.0), m1=hist-1:live 2 (v1.1.0)} [rolled_back by m1]",
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("groups (-want +got):\n%s", diff)
			}
			last := revs[2].Groups[0]
			if last.Gate != "error_rate" || last.Members[1].FromVersion != "2" || last.Members[1].ToVersion != "3" {
				t.Errorf("the rolled-back release: gate %q, m1 %s -> %s; want error_rate, 2 -> 3", last.Gate, last.Members[1].FromVersion, last.Members[1].ToVersion)
			}
			for name, pick := range map[string]func() (Pick, error){
				"pick":    func() (Pick, error) { return PickKnownGood(revs, "") },
				"--group": func() (Pick, error) { return PickGroup(revs, "", "hist") },
			} {
				p, err := pick()
				if err != nil || p.Chosen == nil || p.Chosen.ID != "02.tfstate" {
					t.Fatalf("%s = %+v, %v; want 02.tfstate", name, p.Chosen, err)
				}
				var moves []string
				for _, m := range p.Members {
					moves = append(moves, m.Key+" "+m.From+"->"+m.To+" "+m.Release)
				}
				if diff := cmp.Diff([]string{"m0 2->2 v1.1.0", "m1 2->2 v1.1.0"}, moves); diff != "" {
					t.Errorf("%s: member moves (-want +got):\n%s", name, diff)
				}
				wantPlan := []string{
					`~ rollout_function.m0: version "3" -> "2" (a retained version: adopted, nothing published)`,
					`~ rollout_function.m1: version "3" -> "2" (a retained version: adopted, nothing published)`,
				}
				if diff := cmp.Diff(wantPlan, p.ExpectPlan); diff != "" {
					t.Errorf("%s: plan to expect (-want +got):\n%s", name, diff)
				}
				if diff := cmp.Diff([]string{"v1.1.0"}, p.Releases); diff != "" {
					t.Errorf("%s: releases (-want +got):\n%s", name, diff)
				}
				if len(p.Rejected) != 0 {
					t.Errorf("%s: rejected %+v; want none between the promotion and the reference", name, p.Rejected)
				}
			}
			// The rolled-back revision is no target, named by member and gate.
			if why := strings.Join(Reasons(revs[2], revs[1]), "; "); !strings.Contains(why, "group hist: release rolled_back (member m1, gate error_rate") {
				t.Errorf("reasons against the rolled-back revision: %s", why)
			}
		})
	}
}

// groupState writes a state holding only a rollout_alias_group with the
// given members (key -> version, routing) and deployment status.
func groupState(t *testing.T, serial int, status string, members map[string][2]string) []byte {
	t.Helper()
	return groupStateJSON(t, serial, status, members)
}

func groupStateJSON(t testing.TB, serial int, status string, members map[string][2]string) []byte {
	t.Helper()
	ms := map[string]any{}
	fns := []any{}
	for k, v := range members {
		m := map[string]any{"function_name": "fn-" + k, "alias": "live", "function_version": v[0], "routing": nil}
		if v[1] != "" {
			m["routing"] = map[string]any{"version": v[1], "weight": 0.2}
		}
		ms[k] = m
		fns = append(fns, map[string]any{"mode": "managed", "type": "rollout_function", "name": k, "instances": []any{
			map[string]any{"attributes": map[string]any{"function_name": "fn-" + k, "version": v[0], "release": "r" + v[0]}}}})
	}
	var dep any
	if status != "" {
		dep = map[string]any{"status": status, "reason": "why", "member": "b", "gate": "p99"}
	}
	res := append(fns, map[string]any{"mode": "managed", "type": "rollout_alias_group", "name": "g", "instances": []any{
		map[string]any{"attributes": map[string]any{"name": "checkout", "members": ms, "deployment": dep}}}})
	b, err := json.Marshal(map[string]any{"version": 4, "serial": serial, "lineage": "lin-g", "resources": res})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPickGroup: a revision whose group release did not finish, or that
// left a member split, is never a target; --group names a group the
// reference holds.
func TestPickGroup(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeAt(t, dir, "1.tfstate", groupState(t, 1, "promoted", map[string][2]string{"a": {"1", ""}, "b": {"1", ""}}), base)
	writeAt(t, dir, "2.tfstate", groupState(t, 2, "promoted", map[string][2]string{"a": {"2", ""}, "b": {"2", ""}}), base.Add(time.Hour))
	writeAt(t, dir, "3.tfstate", groupState(t, 3, "in_progress", map[string][2]string{"a": {"2", ""}, "b": {"2", "3"}}), base.Add(2*time.Hour))
	writeAt(t, dir, "4.tfstate", groupState(t, 4, "promoted", map[string][2]string{"a": {"3", ""}, "b": {"3", ""}}), base.Add(3*time.Hour))
	revs, err := DirSource{Dir: dir}.Revisions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		before, group string
		wantID        string
		wantErr       string
		wantRejected  []string
	}{
		"the split revision is skipped": {group: "checkout", wantID: "2.tfstate", wantRejected: []string{
			"group checkout: release in_progress (member b, gate p99: why); group checkout: member b (fn-b:live) is split: 20% on version 3"}},
		"without --group too": {wantID: "2.tfstate", wantRejected: []string{
			"group checkout: release in_progress (member b, gate p99: why); group checkout: member b (fn-b:live) is split: 20% on version 3"}},
		"before the promotion": {before: "2.tfstate", group: "checkout", wantID: "1.tfstate"},
		"unknown group":        {group: "payments", wantErr: `no group "payments" in revision 4.tfstate; its groups: checkout`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var p Pick
			var err error
			if tc.group != "" {
				p, err = PickGroup(revs, tc.before, tc.group)
			} else {
				p, err = PickKnownGood(revs, tc.before)
			}
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || p.Chosen == nil || p.Chosen.ID != tc.wantID {
				t.Fatalf("chose %+v, %v; want %s", p.Chosen, err, tc.wantID)
			}
			var rejected []string
			for _, r := range p.Rejected {
				rejected = append(rejected, strings.Join(r.Reasons, "; "))
			}
			if diff := cmp.Diff(tc.wantRejected, rejected); diff != "" {
				t.Errorf("rejected (-want +got):\n%s", diff)
			}
		})
	}
}
