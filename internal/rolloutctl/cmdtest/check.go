package cmdtest

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmdutil"
)

// NewCase is one command line for a command's New: the options it parses
// to, or the error it is refused with.
type NewCase[O any] struct {
	Args    []string
	Want    O
	WantErr string
}

// CheckNew runs a table of command lines through parse (a command's New,
// which returns a pointer to its Options) and compares the options, their
// unexported fields (the Factory) aside.
func CheckNew[O any](t *testing.T, parse func(*cmdutil.Factory, []string) (*O, error), tests map[string]NewCase[*O]) {
	t.Helper()
	var zero O
	ignore := cmpopts.IgnoreUnexported(zero)
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f, _ := Factory("", Clients{})
			got, err := parse(f, tc.Args)
			if diff := cmp.Diff(tc.WantErr, ErrString(err)); diff != "" {
				t.Fatalf("error (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.Want, got, ignore); diff != "" {
				t.Errorf("options (-want +got):\n%s", diff)
			}
		})
	}
}

// ErrString is err's text, "" for nil.
func ErrString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// DiffJSON decodes out (a command's --json) and compares it with want, a
// value of the shape encoding/json decodes into (map[string]any, []any,
// float64, string, bool).
func DiffJSON(t *testing.T, want any, out []byte) {
	t.Helper()
	got := reflect.New(reflect.TypeOf(want)).Interface()
	if err := json.Unmarshal(out, got); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	if diff := cmp.Diff(want, reflect.ValueOf(got).Elem().Interface()); diff != "" {
		t.Errorf("JSON (-want +got):\n%s", diff)
	}
}
