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
