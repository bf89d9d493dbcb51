package history

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmdtest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmdutil"
	"github.com/rollout-tf/terraform-provider-rollout/internal/statehistory"
)

// wholeTable is the table as history printed it from the whole history
// (every revision's summary in memory, through text/tabwriter): the
// reference the walk's table must match.
func wholeTable(t *testing.T, dir, alias, group string) string {
	t.Helper()
	revs, err := statehistory.DirSource{Dir: dir}.Revisions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	tw := tabwriter.NewWriter(&out, 0, 4, 2, ' ', 0)
	traffic := "ALIASES"
	for _, r := range revs {
		for _, g := range r.Groups {
			if alias == "" && (group == "" || g.Name == group) {
				traffic = "ALIASES AND GROUPS"
			}
		}
	}
	fmt.Fprintln(tw, "TIME\tREVISION\tLINEAGE\tSERIAL\t"+traffic)
	prev := ""
	for _, r := range revs {
		if r.Error != "" {
			fmt.Fprintf(tw, "%s\t%s\t-\t-\tunreadable: %s\n", r.Time.Format(time.RFC3339), r.Hash, r.Error)
			continue
		}
		var parts []string
		for _, a := range r.Aliases {
			if alias == "" && group == "" || a.Name == alias {
				parts = append(parts, a.Describe())
			}
		}
		for _, g := range r.Groups {
			if alias == "" && (group == "" || g.Name == group) {
				parts = append(parts, g.Describe())
			}
		}
		summary := strings.Join(parts, "; ")
		if (alias != "" || group != "") && summary == prev && len(r.Flags) == 0 {
			continue
		}
		prev = summary
		for _, f := range r.Flags {
			summary += "  !! " + f
		}
		fmt.Fprintf(tw, "%s\t%s\t%.8s\t%d\t%s\n", r.Time.Format(time.RFC3339), r.Hash, r.Lineage, r.Serial, summary)
	}
	if err := tw.Flush(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// messySnapshots is one folder holding every kind of revision the table
// shows: the rollout provider's, the AWS provider's and a group's
// histories (so lineage breaks), two revisions stored at the same time, a
// duplicate serial with other content, an unreadable file, and serials of
// different widths.
func messySnapshots(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	at := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	n := 0
	put := func(name string, b []byte, minutes int) {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		tm := at.Add(time.Duration(minutes) * time.Minute)
		if err := os.Chtimes(p, tm, tm); err != nil {
			t.Fatal(err)
		}
		n++
	}
	for i, src := range []string{cmdtest.Snapshots(t), cmdtest.AWSLambdaSnapshots(t, "../../../.."), cmdtest.GroupSnapshots(t, "../../../..")} {
		entries, err := os.ReadDir(src)
		if err != nil {
			t.Fatal(err)
		}
		for j, e := range entries {
			b, err := os.ReadFile(filepath.Join(src, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			put(fmt.Sprintf("%d-%s", i, e.Name()), b, 10*i+j)
		}
	}
	put("3-same-time-b.tfstate", cmdtest.State(12345, "2", "v2", "2", "promoted", "x"), 40)
	put("3-same-time-a.tfstate", cmdtest.State(12344, "2", "v2", "1", "", "x"), 40)
	put("4-dup.tfstate", cmdtest.State(12345, "3", "v3", "3", "", "x"), 41)
	put("5-broken.tfstate", []byte(`{"version": 4, "lineage": "x", "serial": 9, "resources": [`), 42)
	put("6-back.tfstate", cmdtest.State(7, "1", "v1", "1", "", "x"), 43)
	// An AWS provider alias on a version whose code hash only a later
	// revision records: the table shows that hash, as the whole history does.
	put("7-aws-early.tfstate", awsState(1, "1", "AAAAAAAAAAAA", "2"), 50)
	put("7-aws-later.tfstate", awsState(2, "2", "BBBBBBBBBBBB", "2"), 51)
	// Cells are aligned by runes, as tabwriter aligns them.
	put("8-unicode.tfstate", bytes.Replace(cmdtest.State(8, "1", "v1", "1", "", "x"), []byte(`"lin-a"`), []byte(`"ünïcødé-lin"`), 1), 52)
	return dir
}

func awsState(serial int, fnVersion, code, aliasVersion string) []byte {
	return fmt.Appendf(nil, `{"version": 4, "serial": %d, "lineage": "aws-late", "resources": [
  {"mode": "managed", "type": "aws_lambda_function", "name": "f", "instances": [{"attributes": {"function_name": "late-fn", "version": %q, "source_code_hash": %q}}]},
  {"mode": "managed", "type": "aws_lambda_alias", "name": "a", "instances": [{"attributes": {"function_name": "late-fn", "name": "late", "function_version": %q}}]}]}`,
		serial, fnVersion, code, aliasVersion)
}

// TestTableMatchesWholeHistory: the table history prints while walking
// the history (holding a small row per revision) is the one printed from
// the whole history in memory, byte for byte, with and without --alias
// and --group.
func TestTableMatchesWholeHistory(t *testing.T) {
	t.Parallel()
	dirs := map[string]string{"messy": messySnapshots(t), "snapshots": cmdtest.Snapshots(t),
		"awslambda": cmdtest.AWSLambdaSnapshots(t, "../../../.."), "group": cmdtest.GroupSnapshots(t, "../../../..")}
	for name, dir := range dirs {
		for _, mode := range [][]string{nil, {"--alias", "live"}, {"--group", "hist"}} {
			io, err := cmdtest.Run(New, Run, "", append([]string{dir}, mode...)...)
			if err != nil {
				if strings.Contains(err.Error(), "in this history") {
					continue // no such alias or group in this folder
				}
				t.Fatalf("%s %v: %v", name, mode, err)
			}
			alias, group := "", ""
			if len(mode) == 2 && mode[0] == "--alias" {
				alias = mode[1]
			} else if len(mode) == 2 {
				group = mode[1]
			}
			if diff := cmp.Diff(wholeTable(t, dir, alias, group), io.Out.String()); diff != "" {
				t.Errorf("%s %v (-whole history +walk):\n%s", name, mode, diff)
			}
		}
	}
}

// TestJSONMatchesWholeHistory: --json, written from a walk that holds no
// revision (issue 22), is what the whole history in memory gives, byte
// for byte, as one array encoded at once, with and without --alias and
// --group; an AWS provider alias whose code hash only a later revision
// records still shows it.
func TestJSONMatchesWholeHistory(t *testing.T) {
	t.Parallel()
	dirs := map[string]string{"messy": messySnapshots(t), "snapshots": cmdtest.Snapshots(t),
		"awslambda": cmdtest.AWSLambdaSnapshots(t, "../../../.."), "group": cmdtest.GroupSnapshots(t, "../../../..")}
	for name, dir := range dirs {
		for _, mode := range [][]string{nil, {"--alias", "live"}, {"--group", "hist"}, {"--alias", "late"}} {
			o := &Options{}
			if len(mode) == 2 && mode[0] == "--alias" {
				o.Alias = mode[1]
			} else if len(mode) == 2 {
				o.Group = mode[1]
			}
			revs, err := statehistory.DirSource{Dir: dir}.Revisions(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var lines []line
			names, groups := map[string]bool{}, map[string]bool{}
			for _, r := range revs {
				l := line{Revision: r, Functions: r.Functions}
				l.Aliases, l.Groups = o.filter(r, names, groups)
				lines = append(lines, l)
			}
			io, err := cmdtest.Run(New, Run, "", append([]string{dir, "--json"}, mode...)...)
			if (o.Alias != "" && !names[o.Alias]) || (o.Group != "" && !groups[o.Group]) {
				if err == nil || !strings.Contains(err.Error(), "in this history") || io.Out.Len() != 0 {
					t.Errorf("%s %v: error %v, output %d bytes; want a usage error and no output", name, mode, err, io.Out.Len())
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s %v: %v", name, mode, err)
			}
			var want bytes.Buffer
			if err := cmdutil.WriteJSON(&want, lines); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want.String(), io.Out.String()); diff != "" {
				t.Errorf("%s %v (-whole history +walk):\n%s", name, mode, diff)
			}
			if name == "messy" && mode == nil && !strings.Contains(want.String(), "BBBBBBBBBBBB") {
				t.Errorf("the messy history's early AWS alias lacks the code hash a later revision records")
			}
		}
	}
}
