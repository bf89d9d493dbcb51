package statehistory

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDiffComparesLeaves: equal JSON leaves of every kind (string, number,
// bool, null, empty list) are no change; a changed leaf of each kind is.
func TestDiffComparesLeaves(t *testing.T) {
	t.Parallel()
	state := func(attrs string) *State {
		var a map[string]any
		if err := json.Unmarshal([]byte(attrs), &a); err != nil {
			t.Fatal(err)
		}
		return &State{Resources: []Resource{{Mode: "managed", Type: "rollout_function", Name: "f", Instances: []Instance{{Attributes: a}}}}}
	}
	base := `{"s": "x", "n": 3, "b": true, "z": null, "l": [], "m": {"k": [1, "y"]}}`
	tests := map[string]struct {
		other string
		want  []string
	}{
		"unchanged":              {base, nil},
		"string changed":         {`{"s": "w", "n": 3, "b": true, "z": null, "l": [], "m": {"k": [1, "y"]}}`, []string{`s "x" -> "w"`}},
		"number changed":         {`{"s": "x", "n": 4, "b": true, "z": null, "l": [], "m": {"k": [1, "y"]}}`, []string{`n 3 -> 4`}},
		"bool changed":           {`{"s": "x", "n": 3, "b": false, "z": null, "l": [], "m": {"k": [1, "y"]}}`, []string{`b true -> false`}},
		"null to a value":        {`{"s": "x", "n": 3, "b": true, "z": "v", "l": [], "m": {"k": [1, "y"]}}`, []string{`z null -> "v"`}},
		"empty list to a string": {`{"s": "x", "n": 3, "b": true, "z": null, "l": "a", "m": {"k": [1, "y"]}}`, []string{`l [] -> "a"`}},
		"nested element changed": {`{"s": "x", "n": 3, "b": true, "z": null, "l": [], "m": {"k": [2, "y"]}}`, []string{`m.k[0] 1 -> 2`}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, c := range Diff(state(base), state(tc.other), false) {
				got = append(got, c.Path+" "+c.Old+" -> "+c.New)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
		})
	}
}

func attrsOf(t *testing.T, js string) map[string]any {
	t.Helper()
	var a map[string]any
	if err := json.Unmarshal([]byte(js), &a); err != nil {
		t.Fatal(err)
	}
	return a
}

// TestDiffMatchesListsByIdentity: a list of records with an identity
// (rollout_function's versions by number, blocks by name) is compared
// entry by entry, so one new promotion is one new entry, not a change
// of every position.
func TestDiffMatchesListsByIdentity(t *testing.T) {
	t.Parallel()
	fn := func(attrs string) *State {
		return &State{Resources: []Resource{{Mode: "managed", Type: "rollout_function", Name: "f", Instances: []Instance{{Attributes: attrsOf(t, attrs)}}}}}
	}
	old := fn(`{"versions": [{"number": "2", "release": "v2"}, {"number": "1", "release": "v1"}], "tags": ["a", "b"]}`)
	tests := map[string]struct {
		other string
		want  []string
	}{
		"a new promotion at the head": {`{"versions": [{"number": "3", "release": "v3"}, {"number": "2", "release": "v2"}, {"number": "1", "release": "v1"}], "tags": ["a", "b"]}`,
			[]string{`versions[number="3"].number (absent) -> "3"`, `versions[number="3"].release (absent) -> "v3"`}},
		"an entry relabelled": {`{"versions": [{"number": "2", "release": "v2-hotfix"}, {"number": "1", "release": "v1"}], "tags": ["a", "b"]}`,
			[]string{`versions[number="2"].release "v2" -> "v2-hotfix"`}},
		"an entry gone": {`{"versions": [{"number": "2", "release": "v2"}], "tags": ["a", "b"]}`,
			[]string{`versions[number="1"].number "1" -> (absent)`, `versions[number="1"].release "v1" -> (absent)`}},
		"scalars stay positional": {`{"versions": [{"number": "2", "release": "v2"}, {"number": "1", "release": "v1"}], "tags": ["b", "a"]}`,
			[]string{`tags[0] "a" -> "b"`, `tags[1] "b" -> "a"`}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, c := range Diff(old, fn(tc.other), false) {
				got = append(got, c.Path+" "+c.Old+" -> "+c.New)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDiffRedactsBySensitivePath: a value the state marks sensitive
// (sensitive_attributes, in the step-list form and in the string form) is
// redacted, and only that value: its siblings show, and a whole entry
// that holds it is redacted.
func TestDiffRedactsBySensitivePath(t *testing.T) {
	t.Parallel()
	steps := json.RawMessage(`[{"type":"get_attr","value":"settings"},{"type":"index","value":{"value":0,"type":"number"}},{"type":"get_attr","value":"token"}]`)
	str := json.RawMessage(`"settings[0].token"`)
	for form, path := range map[string]json.RawMessage{"steps": steps, "string": str} {
		t.Run(form, func(t *testing.T) {
			t.Parallel()
			st := func(attrs string) *State {
				return &State{Resources: []Resource{{Mode: "managed", Type: "example_thing", Name: "x",
					Instances: []Instance{{Attributes: attrsOf(t, attrs), SensitiveAttributes: []json.RawMessage{path}}}}}}
			}
			a := st(`{"settings": [{"token": "planted-old", "size": 3}], "name": "n"}`)
			b := st(`{"settings": [{"token": "planted-new", "size": 4}], "name": "m"}`)
			var got []string
			for _, c := range Diff(a, b, true) {
				got = append(got, c.Path+" "+c.Old+" -> "+c.New)
			}
			want := []string{`name "n" -> "m"`, `settings[0].size 3 -> 4`, `settings[0].token (sensitive) -> (sensitive)`}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
		})
	}
}

// TestOutsideView counts the resources outside the rollout view that
// changed, so that a diff of the view never reads as "nothing changed".
func TestOutsideView(t *testing.T) {
	t.Parallel()
	st := func(bucket, fn string) *State {
		return &State{Resources: []Resource{
			{Mode: "managed", Type: "aws_s3_bucket", Name: "b", Instances: []Instance{{Attributes: attrsOf(t, `{"bucket": "`+bucket+`"}`)}}},
			{Mode: "managed", Type: "aws_iam_role", Name: "r", Instances: []Instance{{Attributes: attrsOf(t, `{"name": "r"}`)}}},
			{Mode: "managed", Type: "aws_lambda_function", Name: "f", Instances: []Instance{{Attributes: attrsOf(t, `{"version": "`+fn+`"}`)}}},
		}}
	}
	if n := OutsideView(st("a", "1"), st("b", "1")); n != 1 {
		t.Errorf("OutsideView = %d, want 1 (the bucket)", n)
	}
	if n := OutsideView(st("a", "1"), st("a", "2")); n != 0 {
		t.Errorf("OutsideView = %d, want 0 (aws_lambda_function is in the view)", n)
	}
}
