package statehistory

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// stateJSON builds a state with one function and one alias.
func stateJSON(t testing.TB, lineage string, serial int, fnVersion, release, aliasVersion, deployment, secret string, routing map[string]any) []byte {
	t.Helper()
	alias := map[string]any{"function_name": "orders", "name": "live", "function_version": aliasVersion, "routing": nil, "deployment": nil}
	if routing != nil {
		alias["routing"] = routing
	}
	if deployment != "" {
		alias["deployment"] = map[string]any{"status": deployment, "reason": "error rate 30% is above the maximum 5%"}
	}
	doc := map[string]any{
		"version": 4, "terraform_version": "1.5.7", "serial": serial, "lineage": lineage,
		"resources": []any{
			map[string]any{"mode": "managed", "type": "rollout_function", "name": "orders", "provider": "provider[\"registry.terraform.io/rollout-tf/rollout\"]",
				"instances": []any{map[string]any{"attributes": map[string]any{"function_name": "orders", "version": fnVersion, "release": release,
					"environment": map[string]any{"DB_PASSWORD": secret},
					"versions":    []any{map[string]any{"number": fnVersion, "release": release}, map[string]any{"number": "1", "release": "v1.0.0"}}},
					"sensitive_attributes": []any{[]any{map[string]any{"type": "get_attr", "value": "environment"}}}}}},
			map[string]any{"mode": "managed", "type": "rollout_alias", "name": "live", "provider": "provider[\"registry.terraform.io/rollout-tf/rollout\"]",
				"instances": []any{map[string]any{"attributes": alias}}},
		},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeAt(t *testing.T, dir, name string, b []byte, at time.Time) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, at, at); err != nil {
		t.Fatal(err)
	}
}

var base = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

// history is a realistic sequence: v1 live, v2 promoted, v3 rolled back.
func history(t *testing.T) string {
	dir := t.TempDir()
	writeAt(t, dir, "01.tfstate", stateJSON(t, "lin-a", 1, "1", "v1.0.0", "1", "", "s3cr3t-one", nil), base)
	writeAt(t, dir, "02.tfstate", stateJSON(t, "lin-a", 4, "2", "v1.1.0", "2", "promoted", "s3cr3t-two", nil), base.Add(time.Hour))
	writeAt(t, dir, "03.tfstate", stateJSON(t, "lin-a", 7, "3", "v1.2.0", "2", "rolled_back", "s3cr3t-three", nil), base.Add(2*time.Hour))
	return dir
}

func TestPickKnownGood(t *testing.T) {
	t.Parallel()
	revs, err := DirSource{Dir: history(t)}.Revisions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	p, err := PickKnownGood(revs, "")
	if err != nil {
		t.Fatal(err)
	}
	if p.Chosen == nil || p.Chosen.ID != "02.tfstate" {
		t.Fatalf("picked %+v, want 02.tfstate", p.Chosen)
	}
	if diff := cmp.Diff([]string{"v1.1.0"}, p.Releases); diff != "" {
		t.Errorf("releases (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]Move{{Address: "rollout_function.orders", From: "3", To: "2", Release: "v1.1.0"}}, p.Functions); diff != "" {
		t.Errorf("function moves (-want +got):\n%s", diff)
	}
	// From the promoted revision, the only older one is the first.
	p, err = PickKnownGood(revs, "02")
	if err != nil || p.Chosen == nil || p.Chosen.ID != "01.tfstate" {
		t.Fatalf("pick before 02 = %+v, %v", p.Chosen, err)
	}
}

func TestPickRejections(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeAt(t, dir, "a.tfstate", stateJSON(t, "lin-x", 1, "1", "v1", "1", "", "x", nil), base)
	writeAt(t, dir, "b.tfstate", stateJSON(t, "lin-a", 2, "2", "v2", "1", "in_progress", "x", map[string]any{"version": "2", "weight": 0.1}), base.Add(time.Minute))
	writeAt(t, dir, "c.tfstate", stateJSON(t, "lin-a", 3, "3", "v3", "3", "aborted", "x", nil), base.Add(2*time.Minute))
	writeAt(t, dir, "d.tfstate", []byte(`{"version": 4, "lineage": "lin-a", "serial": 4, "resources": [`), base.Add(3*time.Minute))
	writeAt(t, dir, "e.tfstate", stateJSON(t, "lin-a", 5, "3", "v3", "3", "", "x", nil), base.Add(4*time.Minute))
	revs, err := DirSource{Dir: dir}.Revisions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	p, err := PickKnownGood(revs, "")
	if err != nil {
		t.Fatal(err)
	}
	if p.Chosen != nil {
		t.Fatalf("picked %s; every older revision is unusable", p.Chosen.ID)
	}
	got := map[string]string{}
	for _, r := range p.Rejected {
		got[r.Revision.ID] = strings.Join(r.Reasons, "; ")
	}
	want := map[string]string{
		"d.tfstate": "unreadable: not a Terraform state file: the JSON is truncated or corrupt (unexpected end of JSON input)",
		"c.tfstate": "alias live: deployment aborted (error rate 30% is above the maximum 5%); runs the same function versions as the reference: nothing to return to",
		"b.tfstate": "alias live: deployment in_progress (error rate 30% is above the maximum 5%)",
		"a.tfstate": "different lineage lin-x (another state; restoring it would replace, not roll back)",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rejections (-want +got):\n%s", diff)
	}
	// The lineage change is flagged in history, never hidden.
	if len(revs[1].Flags) == 0 || !strings.HasPrefix(revs[1].Flags[0], "lineage break") {
		t.Errorf("flags of b = %v, want a lineage break", revs[1].Flags)
	}
}

func TestDuplicateSerialFlagged(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeAt(t, dir, "a.tfstate", stateJSON(t, "lin-a", 3, "1", "v1", "1", "", "x", nil), base)
	writeAt(t, dir, "b.tfstate", stateJSON(t, "lin-a", 3, "2", "v2", "2", "", "x", nil), base.Add(time.Minute))
	revs, err := DirSource{Dir: dir}.Revisions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"duplicate serial 3 with different content"}, revs[1].Flags); diff != "" {
		t.Errorf("flags (-want +got):\n%s", diff)
	}
}

func TestWriteState(t *testing.T) {
	t.Parallel()
	revs, err := DirSource{Dir: history(t)}.Revisions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	p, _ := PickKnownGood(revs, "")
	b, err := WriteState(context.Background(), *p.Chosen, p.Reference, revs)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if s.Lineage != "lin-a" || s.Serial != 8 || Functions(s)[0].Version != "2" {
		t.Errorf("written state: lineage %s serial %d version %s; want lin-a, 8, 2", s.Lineage, s.Serial, Functions(s)[0].Version)
	}
}

func TestDiffRedactsSecrets(t *testing.T) {
	t.Parallel()
	revs, err := DirSource{Dir: history(t)}.Revisions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	a, _, err := revs[0].Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := revs[2].Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	changes := Diff(a, b, false)
	out, _ := json.Marshal(changes)
	for _, secret := range []string{"s3cr3t-one", "s3cr3t-three"} {
		if strings.Contains(string(out), secret) {
			t.Fatalf("diff output contains the secret %q: %s", secret, out)
		}
	}
	found := map[string]Change{}
	for _, c := range changes {
		found[c.Address+" "+c.Path] = c
	}
	if c := found["rollout_function.orders environment.DB_PASSWORD"]; c.Old != Redacted || c.New != Redacted {
		t.Errorf("environment change = %+v, want redacted", c)
	}
	if c := found["rollout_alias.live function_version"]; c.Old != `"1"` || c.New != `"2"` {
		t.Errorf("function_version change = %+v", c)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in   string
		want string
	}{
		"empty": {"", "not a Terraform state file: the input is empty (Terraform empties a local state file before it writes it: " +
			"one killed at that moment leaves it empty, and the state from before that apply is in its .backup)"},
		"truncated": {`{"version": 4, "lin`, "not a Terraform state file: the JSON is truncated or corrupt (unexpected end of JSON input)"},
		"foreign":   {`{"name": "package.json"}`, "not a Terraform state file: it has no version and lineage fields"},
		"v3": {`{"version": 3, "lineage": "x"}`, "state format version 3 was written by Terraform 0.11 or earlier; rolloutctl reads format 4: " +
			"Terraform 0.12 or later upgrades it (terraform state pull prints it as format 4, and the next apply stores it so)"},
		"future": {`{"version": 5, "lineage": "x"}`, "state format version 5 is newer than rolloutctl reads (format 4, written by Terraform 0.12 and later, OpenTofu 1.x): upgrade rolloutctl"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tc.in))
			if err == nil || err.Error() != tc.want {
				t.Errorf("Parse = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestLocalHistoryEmptyStateFile: Terraform killed while writing its local
// state leaves terraform.tfstate empty; history says so and where the
// state before that apply is, and still lists the backup.
func TestLocalHistoryEmptyStateFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeAt(t, dir, "terraform.tfstate.backup", stateJSON(t, "lin-a", 3, "3", "v3", "3", "", "x", nil), base)
	writeAt(t, dir, "terraform.tfstate", nil, base.Add(time.Minute))
	revs, err := LocalSource{Path: filepath.Join(dir, "terraform.tfstate")}.Revisions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(revs) != 2 || !revs[0].Readable() || revs[0].Serial != 3 {
		t.Fatalf("revisions = %+v, want the backup (serial 3) and then the empty file", revs)
	}
	want := "not a Terraform state file: the input is empty (Terraform empties a local state file before it writes it: " +
		"one killed at that moment leaves it empty, and the state from before that apply is in its .backup)"
	if revs[1].Error != want {
		t.Errorf("the empty file's error = %q, want %q", revs[1].Error, want)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(stateJSON(f, "l", 1, "1", "v1", "1", "", "x", nil))
	f.Add([]byte(`{"version":4,"lineage":"l","resources":[{"instances":[{"attributes":{"versions":[1]}}]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Parse(b)
		if err != nil {
			return
		}
		// Whatever decodes must be summarised without panicking.
		_ = Aliases(s)
		_ = Functions(s)
		_ = Diff(s, s, true)
	})
}

func TestLocalSourceReadsBackups(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "terraform.tfstate")
	writeAt(t, dir, "terraform.tfstate", stateJSON(t, "lin-a", 9, "3", "v3", "3", "", "x", nil), base.Add(2*time.Hour))
	writeAt(t, dir, "terraform.tfstate.backup", stateJSON(t, "lin-a", 8, "2", "v2", "2", "promoted", "x", nil), base.Add(time.Hour))
	writeAt(t, dir, "terraform.tfstate.1763629200.backup", stateJSON(t, "lin-a", 3, "1", "v1", "1", "", "x", nil), base.Add(3*time.Hour))
	writeAt(t, dir, "other.tfstate", stateJSON(t, "lin-z", 1, "9", "v9", "9", "", "x", nil), base)
	revs, err := LocalSource{Path: p}.Revisions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range revs {
		got = append(got, fmt.Sprintf("%s@%d", r.ID, r.Serial))
	}
	// The timestamped backup is dated by its name (2025-11-20 09:00 UTC), not its mtime.
	want := []string{"terraform.tfstate.1763629200.backup@3", "terraform.tfstate.backup@8", "terraform.tfstate@9"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("revisions (-want +got):\n%s", diff)
	}
	if _, err := (LocalSource{Path: filepath.Join(dir, "missing.tfstate")}).Revisions(context.Background()); err == nil {
		t.Error("a missing state file gave no error")
	}
}

// TestLargeState reads a 100 MB state (many instances with big attributes)
// and summarises it.
func TestLargeState(t *testing.T) {
	t.Parallel()
	blob := strings.Repeat("x", 10_000)
	var res []any
	for i := 0; i < 10_500; i++ {
		res = append(res, map[string]any{"mode": "managed", "type": "aws_s3_object", "name": fmt.Sprintf("o%d", i),
			"instances": []any{map[string]any{"attributes": map[string]any{"content": blob}}}})
	}
	b, err := json.Marshal(map[string]any{"version": 4, "serial": 1, "lineage": "big", "resources": res})
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 100<<20 {
		t.Fatalf("built %d bytes, want at least 100 MB", len(b))
	}
	revs, err := ReaderSource{R: bytes.NewReader(b), Name: "stdin"}.Revisions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	st, _, err := revs[0].Load(context.Background())
	if err != nil || len(st.Resources) != 10_500 {
		t.Fatalf("large state: %v %v", err, revs[0].Error)
	}
}

// TestHostileInputs feeds the inspector what a broken or hostile history
// holds: corrupt and truncated JSON, foreign files, binary junk, a state of
// another lineage, and planted secrets. Nothing may crash, hide a revision
// or print a secret.
func TestHostileInputs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := stateJSON(t, "lin-a", 5, "2", "v2", "2", "promoted", "planted-secret-xyz", nil)
	inputs := map[string][]byte{
		"01-corrupt.tfstate":   []byte(`{"version": 4, "lineage": "lin-a", "serial": }`),
		"02-truncated.tfstate": good[:len(good)/2],
		"03-foreign.json":      []byte(`{"name": "left-pad", "version": "1.3.0"}`),
		"04-binary.tfstate":    {0x00, 0xff, 0x13, 0x37, '{', 0x00},
		"05-empty.tfstate":     {},
		"06-other.tfstate":     stateJSON(t, "lin-other", 9, "9", "v9", "9", "", "planted-secret-xyz", nil),
		"07-good.tfstate":      good,
		"08-latest.tfstate":    stateJSON(t, "lin-a", 6, "3", "v3", "3", "rolled_back", "planted-secret-xyz", nil),
	}
	i := 0
	for name, b := range inputs {
		writeAt(t, dir, name, b, base.Add(time.Duration(name[1]-'0')*time.Minute))
		i++
	}
	revs, err := DirSource{Dir: dir}.Revisions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(revs) != len(inputs) {
		t.Fatalf("%d revisions for %d files: a revision was hidden", len(revs), len(inputs))
	}
	unreadable, foreign := 0, 0
	for _, r := range revs {
		if !r.Readable() {
			unreadable++
		} else if r.Lineage != "lin-a" {
			foreign++
		}
	}
	p, err := PickKnownGood(revs, "")
	if err != nil || p.Chosen == nil || p.Chosen.ID != "07-good.tfstate" {
		t.Fatalf("pick = %+v %v; want 07-good.tfstate", p.Chosen, err)
	}
	latest, _, _ := revs[len(revs)-1].Load(context.Background())
	other, _, _ := revs[5].Load(context.Background())
	dump, _ := json.Marshal([]any{revs, p, Diff(other, latest, true)})
	secrets := strings.Count(string(dump), "planted-secret-xyz")
	if secrets > 0 {
		t.Fatal("a planted secret reached the output")
	}
	failures := 0
	if unreadable != 5 || foreign != 1 {
		failures++
		t.Errorf("%d unreadable and %d foreign revisions, want 5 and 1", unreadable, foreign)
	}
	fmt.Printf("reliability/rolloutctl-hostile: %d inputs (%d unreadable, %d foreign lineage, planted secrets), %d listed, secrets printed: %d, failures found: %d\n", len(inputs), unreadable, foreign, len(revs), secrets, failures)
}

func TestPickDeliberateRevert(t *testing.T) {
	t.Parallel()
	type rev struct {
		fn, release, alias, deployment string
	}
	tests := map[string]struct {
		revs         []rev
		wantChosen   string // "" for none
		wantRejected map[string]string
	}{
		"a revert away from v2 rejects v2": {
			revs: []rev{{"1", "v1", "1", ""}, {"2", "v2", "2", "promoted"}, {"1", "v1", "1", "promoted"}},
			wantRejected: map[string]string{
				"01.tfstate": "release v2 (rollout_function.orders version 2) was deliberately left: revision 02.tfstate reverted the configuration to version 1; promote it again to make it a target",
				"00.tfstate": "runs the same function versions as the reference: nothing to return to",
			},
		},
		"promoted again after the revert: a target again": {
			revs:       []rev{{"1", "v1", "1", ""}, {"2", "v2", "2", "promoted"}, {"1", "v1", "1", "promoted"}, {"2", "v2", "2", "promoted"}, {"3", "v3", "2", "rolled_back"}},
			wantChosen: "03.tfstate",
		},
		"moving forward to a new release leaves the old one a target": {
			revs:       []rev{{"1", "v1", "1", ""}, {"2", "v2", "2", "promoted"}, {"3", "v3", "3", "promoted"}},
			wantChosen: "01.tfstate",
		},
		"a revert after a bad release rejects the bad one only": {
			revs:       []rev{{"1", "v1", "1", ""}, {"2", "v2", "2", "promoted"}, {"3", "v3", "3", "promoted"}, {"2", "v2", "2", "promoted"}, {"4", "v4", "2", "rolled_back"}},
			wantChosen: "03.tfstate",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for i, r := range tc.revs {
				writeAt(t, dir, fmt.Sprintf("%02d.tfstate", i), stateJSON(t, "lin-a", i+1, r.fn, r.release, r.alias, r.deployment, "x", nil), base.Add(time.Duration(i)*time.Minute))
			}
			revs, err := DirSource{Dir: dir}.Revisions(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			p, err := PickKnownGood(revs, "")
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if p.Chosen != nil {
				got = p.Chosen.ID
			}
			if got != tc.wantChosen {
				t.Errorf("chose %q; want %q (rejected %+v)", got, tc.wantChosen, p.Rejected)
			}
			if tc.wantRejected != nil {
				rej := map[string]string{}
				for _, r := range p.Rejected {
					rej[r.Revision.ID] = strings.Join(r.Reasons, "; ")
				}
				if diff := cmp.Diff(tc.wantRejected, rej); diff != "" {
					t.Errorf("rejections (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestDroppedByWriteState(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	older := stateJSON(t, "lin-a", 1, "1", "v1", "1", "", "x", nil)
	newer := stateJSON(t, "lin-a", 2, "2", "v2", "2", "promoted", "x", nil)
	var doc map[string]any
	if err := json.Unmarshal(newer, &doc); err != nil {
		t.Fatal(err)
	}
	resources, _ := doc["resources"].([]any)
	doc["resources"] = append(resources,
		map[string]any{"mode": "managed", "type": "rollout_alias", "name": "beta", "instances": []any{map[string]any{"attributes": map[string]any{"name": "beta"}}}},
		map[string]any{"mode": "data", "type": "rollout_alias", "name": "read", "instances": []any{map[string]any{"attributes": map[string]any{}}}},
		map[string]any{"module": "module.api", "mode": "managed", "type": "aws_sqs_queue", "name": "q", "instances": []any{
			map[string]any{"index_key": 0, "attributes": map[string]any{}}, map[string]any{"index_key": 1, "attributes": map[string]any{}}}},
	)
	newer, _ = json.Marshal(doc)
	writeAt(t, dir, "01.tfstate", older, base)
	writeAt(t, dir, "02.tfstate", newer, base.Add(time.Minute))
	revs, err := DirSource{Dir: dir}.Revisions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got, err := DroppedBy(context.Background(), revs[0], revs[1])
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"module.api.aws_sqs_queue.q[0]", "module.api.aws_sqs_queue.q[1]", "rollout_alias.beta"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("dropped (-want +got):\n%s", diff)
	}
}

// TestFolderCacheAndMemory: a snapshot folder's summaries are cached by
// path, size and modification time (a warm history reads no unchanged
// snapshot: content swapped in under the same size and time is not seen;
// a new time is), and a revision read from a file keeps its summary, not
// the state (Load reads it again).
func TestFolderCacheAndMemory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir, cache := history(t), t.TempDir()
	// Summaries are cached for snapshots of cacheMinBytes and more: pad them.
	for i, n := range []string{"01.tfstate", "02.tfstate", "03.tfstate"} {
		b, _ := os.ReadFile(filepath.Join(dir, n))
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		resources, ok := doc["resources"].([]any)
		if !ok {
			t.Fatalf("%s: resources is %T, want a list", n, doc["resources"])
		}
		doc["resources"] = append(resources, map[string]any{"mode": "managed", "type": "aws_s3_object", "name": "pad",
			"instances": []any{map[string]any{"attributes": map[string]any{"content": strings.Repeat("z", cacheMinBytes)}}}})
		b, _ = json.Marshal(doc)
		writeAt(t, dir, n, b, base.Add(time.Duration(i)*time.Hour))
	}
	for _, src := range []Source{DirSource{Dir: dir, CacheDir: cache, Parallel: 3}, LocalSource{Path: filepath.Join(dir, "03.tfstate"), CacheDir: cache}} {
		if _, err := src.Revisions(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// 02 rewritten in place: same size, same time, another alias version.
	p := filepath.Join(dir, "02.tfstate")
	old, _ := os.ReadFile(p)
	swapped := bytes.Replace(old, []byte(`"function_version":"2"`), []byte(`"function_version":"9"`), 1)
	if bytes.Equal(old, swapped) || len(old) != len(swapped) {
		t.Fatal("the test's swap did not apply")
	}
	writeAt(t, dir, "02.tfstate", swapped, base.Add(time.Hour))
	revs, err := DirSource{Dir: dir, CacheDir: cache}.Revisions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := revs[1].Aliases[0].Primary; got != "2" {
		t.Errorf("warm history read 02.tfstate again (alias on %s): the cached summary was not used", got)
	}
	for _, r := range revs {
		if r.state != nil || r.raw != nil || r.load == nil {
			t.Errorf("%s keeps its state in memory (state %v, %d bytes)", r.ID, r.state != nil, len(r.raw))
		}
	}
	if s, _, err := revs[1].Load(ctx); err != nil || Aliases(s)[0].Primary != "9" {
		t.Errorf("Load reads the file again: %v", err)
	}
	writeAt(t, dir, "02.tfstate", swapped, base.Add(90*time.Minute))
	revs, err = DirSource{Dir: dir, CacheDir: cache}.Revisions(ctx)
	if err != nil || revs[1].ID != "02.tfstate" || revs[1].Aliases[0].Primary != "9" {
		t.Fatalf("after a new modification time: %v, %+v; want 02.tfstate read again (alias on 9)", err, revs[1].Aliases)
	}
	entries, _ := filepath.Glob(filepath.Join(cache, "files", "*.summary"))
	if len(entries) != 4 { // 01, 02 at two times, 03
		t.Errorf("%d cached summaries, want 4", len(entries))
	}
	// Their bodies (what each revision shows) are stored once per content.
	bodies, _ := filepath.Glob(filepath.Join(cache, "files", "bodies", "*.json"))
	distinct := map[string]bool{}
	for _, r := range revs {
		b, _ := json.Marshal([]any{r.Aliases, r.Groups, r.Functions, r.Tainted})
		distinct[string(b)] = true
	}
	if len(bodies) < len(distinct) || len(bodies) > 4 {
		t.Errorf("%d cached bodies for 4 summaries, %d distinct now; want one per distinct body seen", len(bodies), len(distinct))
	}
}

// TestCacheStoresEachBodyOnce: 60 revisions showing 3 distinct summaries
// (the serial alone changes between the others) cache 60 small entries
// and 3 bodies; a warm history decodes each body once, so revisions that
// show the same thing share it, and reads back what the cold one did.
func TestCacheStoresEachBodyOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir, cache := t.TempDir(), t.TempDir()
	pad := bytes.Repeat([]byte(" "), cacheMinBytes) // over the size that is cached
	for i := 0; i < 60; i++ {
		v := fmt.Sprint(1 + i/20)
		writeAt(t, dir, fmt.Sprintf("%03d.tfstate", i), append(stateJSON(t, "lin", i+1, v, "v"+v, v, "", "x", nil), pad...), base.Add(time.Duration(i)*time.Minute))
	}
	cold, err := DirSource{Dir: dir, CacheDir: cache}.Revisions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	warm, err := DirSource{Dir: dir, CacheDir: cache}.Revisions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(summaries(cold), summaries(warm)); diff != "" {
		t.Errorf("warm history differs from cold (-cold +warm):\n%s", diff)
	}
	entries, _ := filepath.Glob(filepath.Join(cache, "files", "*.summary"))
	bodies, _ := filepath.Glob(filepath.Join(cache, "files", "bodies", "*.json"))
	if len(entries) != 60 || len(bodies) != 3 {
		t.Errorf("cache holds %d entries and %d bodies, want 60 and 3", len(entries), len(bodies))
	}
	for i := 1; i < len(warm); i++ {
		same := warm[i].Aliases[0].Primary == warm[i-1].Aliases[0].Primary
		if shared := &warm[i].Aliases[0] == &warm[i-1].Aliases[0]; same != shared {
			t.Errorf("revisions %d and %d: same summary %t, sharing one copy %t", i-1, i, same, shared)
		}
	}
}

// summaries is what each revision shows, for comparing two readings.
func summaries(revs []Revision) []string {
	var out []string
	for _, r := range revs {
		b, _ := json.Marshal([]any{r.ID, r.Serial, r.Hash, r.Lineage, r.Flags, r.Error, r.Aliases, r.Groups, r.Functions, r.Tainted})
		out = append(out, string(b))
	}
	return out
}
