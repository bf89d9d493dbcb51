package statehistory

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// messyHistory is a folder with what a walk must get right: a lineage
// break, a duplicate serial with other content, revisions stored at the
// same time (ordered by serial), an unreadable one, a rollout left
// split, and a configuration revert that rejects the release it left.
func messyHistory(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	at := func(m int) time.Time { return base.Add(time.Duration(m) * time.Minute) }
	writeAt(t, dir, "01.tfstate", stateJSON(t, "lin-x", 1, "1", "v1", "1", "", "x", nil), at(0))
	writeAt(t, dir, "02.tfstate", stateJSON(t, "lin-a", 2, "1", "v1", "1", "", "x", nil), at(1))
	writeAt(t, dir, "03.tfstate", stateJSON(t, "lin-a", 3, "2", "v2", "2", "promoted", "x", nil), at(2))
	writeAt(t, dir, "04.tfstate", stateJSON(t, "lin-a", 3, "2", "v2", "2", "promoted", "y", nil), at(3))
	writeAt(t, dir, "05b.tfstate", stateJSON(t, "lin-a", 5, "3", "v3", "3", "promoted", "x", nil), at(4))
	writeAt(t, dir, "05a.tfstate", stateJSON(t, "lin-a", 6, "3", "v3", "2", "in_progress", "x", map[string]any{"version": "3", "weight": 0.1}), at(4))
	writeAt(t, dir, "06.tfstate", []byte(`{"version": 4, "lineage": "lin-a", "serial": 7, "resources": [`), at(5))
	writeAt(t, dir, "07.tfstate", stateJSON(t, "lin-a", 8, "2", "v2", "2", "", "x", nil), at(6))
	writeAt(t, dir, "08.tfstate", stateJSON(t, "lin-a", 9, "2", "v2", "2", "", "z", nil), at(7))
	for i := 9; i < 40; i++ {
		writeAt(t, dir, fmt.Sprintf("%02d.tfstate", i), stateJSON(t, "lin-a", i+1, fmt.Sprint(i%4+2), fmt.Sprintf("v%d", i%4+2), fmt.Sprint(i%4+2), "", "x", nil), at(i))
	}
	return dir
}

// TestPickFromMatchesPick: PickFrom, which reads newest first and holds
// only the revisions back to the one it chooses, gives the pick (every
// rejection with its reasons and flags, the choice, the advice) and the
// serial to write that PickKnownGood, PickGroup and WriteState give over
// the whole history, for every reference and every group.
func TestPickFromMatchesPick(t *testing.T) {
	t.Parallel()
	dirs := map[string]string{"messy": messyHistory(t), "history": history(t), "awslambda": awsLambdaHistory(t)}
	for _, golden := range groupGoldens(t) {
		dirs[filepath.Base(golden)] = groupSnapshots(t, golden)
	}
	ctx := context.Background()
	for name, dir := range dirs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, src := range []Source{DirSource{Dir: dir, Parallel: 2}, DirSource{Dir: dir}} {
				revs, err := src.Revisions(ctx)
				if err != nil {
					t.Fatal(err)
				}
				befores := []string{"", "nothing-like-it"}
				groups := map[string]bool{"": true, "missing": true}
				for _, r := range revs {
					befores = append(befores, r.ID, r.Hash)
					for _, g := range r.Groups {
						groups[g.Name] = true
					}
				}
				for _, before := range befores {
					for group := range groups {
						want, wantErr := pickIn(revs, before, group)
						got, top, gotErr := PickFrom(ctx, src, before, group)
						if fmt.Sprint(wantErr) != fmt.Sprint(gotErr) {
							t.Fatalf("before %q group %q: error %v, want %v", before, group, gotErr, wantErr)
						}
						if wantErr != nil {
							continue
						}
						if diff := cmp.Diff(asJSONText(t, want), asJSONText(t, got)); diff != "" {
							t.Errorf("before %q group %q (-whole history +walk):\n%s", before, group, diff)
						}
						if wantTop := topSerial(revs, want.Reference); top != wantTop {
							t.Errorf("before %q group %q: top serial %d, want %d", before, group, top, wantTop)
						}
					}
				}
			}
		})
	}
}

func asJSONText(t *testing.T, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
