package statehistory

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// summaryOf is everything a revision's summary holds of a state.
type summaryOf struct {
	Serial    uint64
	Lineage   string
	Aliases   []AliasView
	Groups    []GroupView
	Functions []FunctionView
	Tainted   []string
}

func summarise(s *State) summaryOf {
	out := summaryOf{Serial: s.Serial, Lineage: s.Lineage, Aliases: Aliases(s), Groups: Groups(s), Functions: Functions(s)}
	for _, r := range s.Resources {
		for _, i := range r.Instances {
			if i.Status == "tainted" {
				out.Tainted = append(out.Tainted, r.Address(i))
			}
		}
	}
	return out
}

// TestSummaryParserMatchesFullDecode: the summary parser gives the very
// summary the full decode gives, on every state terraform wrote for the
// tests (this provider's resources, a group, the AWS provider's Lambda
// resources) and on built ones (tainted, split, rolled back).
func TestSummaryParserMatchesFullDecode(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "*", "*.tfstate"))
	if err != nil || len(files) < 10 {
		t.Fatalf("%d golden states (%v)", len(files), err)
	}
	inputs := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs[f] = b
	}
	inputs["split"] = stateJSON(t, "lin", 3, "2", "v2", "1", "in_progress", "s", map[string]any{"version": "2", "weight": 0.1})
	inputs["rolled back"] = stateJSON(t, "lin", 4, "3", "v3", "2", "rolled_back", "s", nil)
	inputs["group split"] = groupStateJSON(t, 5, "in_progress", map[string][2]string{"a": {"2", ""}, "b": {"2", "3"}})
	for name, b := range inputs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			full, err := Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			light, err := parseSummary(b)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(summarise(full), summarise(light)); diff != "" {
				t.Errorf("summary (-full +summary parser):\n%s", diff)
			}
		})
	}
}
