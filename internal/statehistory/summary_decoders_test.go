package statehistory

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gojson "github.com/goccy/go-json"
	"github.com/google/go-cmp/cmp"
)

// FuzzSummaryDecodersAgree holds the fast decoder to encoding/json's
// answer: whatever encoding/json decodes, the fast one decodes to the same
// summary; whatever encoding/json refuses, the fast one refuses too (a
// refusal sends the state through encoding/json, so only an acceptance of
// what encoding/json refuses could change a summary). The seeds are every
// state terraform and OpenTofu wrote in testdata, each cut short, and
// hand-made edge cases.
func FuzzSummaryDecodersAgree(f *testing.F) {
	golden, err := filepath.Glob(filepath.Join("testdata", "*", "*.tfstate"))
	if err != nil || len(golden) == 0 {
		f.Fatalf("no golden states (%v)", err)
	}
	for _, p := range golden {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/2])
		f.Add(b[:len(b)-2])
	}
	for _, s := range []string{
		`{"version":4,"lineage":"l","resources":[{"instances":[{"attributes":{"versions":[1]}}]}]}`,
		`{"version":4,"lineage":"l","resources":[{"type":"rollout_alias","instances":[{"attributes":{"function_version":7,"name":"live"}}]}]}`,
		`{"Version":4,"LINEAGE":"l","Resources":[{"Type":"rollout_alias","instances":[{"index_key":"a","attributes":{"Function_Name":"f"}}]}]}`,
		`{"version":4,"lineage":"l","lineage":"m","serial":3,"serial":4}`,
		`{"version":4,"lineage":"l\u00e9\ud83d\ude00","resources":[{"instances":[{"index_key":1.5e3,"deposed":"d","status":"tainted"}]}]}`,
		`{"version":4,"lineage":"l","resources":[{"instances":[{"attributes":{"routing":{"version":"2","weight":0.1},"routing_config":[{"additional_version_weights":{"2":0.5}}]}}]}]}`,
		`{"version":4,"lineage":"l","resources":[{"instances":[{"attributes":{"deployment":{"members":{"a":{"to_version":"3"}}},"members":{"a":{"alias":"live"}}}}]}]}`,
		`{"version":4,"lineage":"l","resources":[{"instances":[{"attributes":{"other":{"deep":[1,{"x":"\"}"}]}}}]}]}`,
		`{"version":4,"lineage":"l","serial":-1}`,
		`{"version":4,"lineage":"l","serial":1e3}`,
		`{"version":4,"lineage":"l"} trailing`,
		`{"version":4,"lineage":"l","resources":[{"instances":[{"attributes":{"other":"bad \x01 control"}}]}]}`,
		`{"version":4,"lineage":"l","resources":[{"instances":[{"attributes":{"other":"bad \q escape"}}]}]}`,
		`{"version":4,"lineage":"l","resources":[{"instances":[{"attributes":{"other":[1,2,]}}]}]}`,
		`{"version":4,"lineage":"l","resources":[{"instances":[{"attributes":{"other":tru}}]}]}`,
		`{"version":4,"lineage":"l","resources":null}`,
		``,
		`null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var want, got summaryState
		wantErr := json.Unmarshal(b, &want)
		gotErr := gojson.Unmarshal(b, &got)
		// A refusal by the fast decoder alone only costs time: the
		// fallback answers.
		switch {
		case wantErr != nil && gotErr == nil:
			t.Fatalf("encoding/json refuses %q (%v), the fast decoder accepts it: the summary would differ", clip(b), wantErr)
		case wantErr == nil && gotErr == nil:
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("the decoders disagree on %q (-encoding/json +fast):\n%s", clip(b), diff)
			}
		}
		// The summary's own decode is encoding/json's answer either way.
		var light summaryState
		err := decodeSummary(b, &light)
		if (err == nil) != (wantErr == nil) || (err == nil && !cmp.Equal(want, light)) {
			t.Fatalf("decodeSummary(%q) = %v, want encoding/json's answer %v", clip(b), err, wantErr)
		}
	})
}

func clip(b []byte) string {
	s := string(b)
	if len(s) > 300 {
		return s[:150] + " ... " + s[len(s)-150:]
	}
	return strings.ToValidUTF8(s, "?")
}
