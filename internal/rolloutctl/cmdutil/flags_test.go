package cmdutil

import (
	"bytes"
	"flag"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestParseFlags: flags may stand before, between and after positional
// arguments; "-" is a positional (stdin); "--" ends the flags of one run.
func TestParseFlags(t *testing.T) {
	t.Parallel()
	type parsed struct {
		Pos   []string
		Write string
		JSON  bool
	}
	tests := map[string]struct {
		args    []string
		want    parsed
		wantErr error
	}{
		"flags after the source":   {args: []string{"dir", "--write-state", "f", "--json"}, want: parsed{Pos: []string{"dir"}, Write: "f", JSON: true}},
		"flags before the source":  {args: []string{"--json", "-write-state=f", "dir"}, want: parsed{Pos: []string{"dir"}, Write: "f", JSON: true}},
		"flags between positional": {args: []string{"dir", "--json", "a", "--write-state", "f", "b"}, want: parsed{Pos: []string{"dir", "a", "b"}, Write: "f", JSON: true}},
		"stdin":                    {args: []string{"-", "--json"}, want: parsed{Pos: []string{"-"}, JSON: true}},
		"double dash":              {args: []string{"--", "--json"}, want: parsed{Pos: []string{"--json"}}},
		"none":                     {want: parsed{}},
		"unknown flag":             {args: []string{"dir", "--nope"}, wantErr: UsageError{Msg: "pick: flag provided but not defined: -nope"}},
		"help":                     {args: []string{"dir", "-h"}, wantErr: flag.ErrHelp},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var got parsed
			f := &Factory{IO: IOStreams{ErrOut: &bytes.Buffer{}}}
			fs := f.NewFlagSet("pick")
			fs.StringVar(&got.Write, "write-state", "", "")
			fs.BoolVar(&got.JSON, "json", false, "")
			pos, err := ParseFlags(fs, tc.args)
			if tc.wantErr != nil {
				if err == nil || err.Error() != tc.wantErr.Error() {
					t.Fatalf("error %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got.Pos = pos
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
