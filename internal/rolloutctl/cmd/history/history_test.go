package history

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmdtest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmdutil"
)

func TestNew(t *testing.T) {
	t.Parallel()
	cmdtest.CheckNew(t, New, map[string]cmdtest.NewCase[*Options]{
		"flags after the source": {Args: []string{"s3://b/k", "--alias", "live", "--json", "--workspace", "prod", "--endpoint", "http://127.0.0.1:1", "--region", "eu-west-1"},
			Want: &Options{SourceOptions: cmdutil.SourceOptions{Source: "s3://b/k", Workspace: "prod", Endpoint: "http://127.0.0.1:1", Region: "eu-west-1", JSON: true}, Alias: "live"}},
		"stdin":     {Args: []string{"-"}, Want: &Options{SourceOptions: cmdutil.SourceOptions{Source: "-"}}},
		"group":     {Args: []string{"dir", "--group", "checkout"}, Want: &Options{SourceOptions: cmdutil.SourceOptions{Source: "dir"}, Group: "checkout"}},
		"both":      {Args: []string{"dir", "--group", "checkout", "--alias", "live"}, WantErr: "history takes --alias or --group, not both: --alias follows one alias, --group one release group"},
		"no source": {WantErr: "history takes one SOURCE"},
		"two":       {Args: []string{"a", "b"}, WantErr: "history takes one SOURCE"},
	})
}

func TestHistory(t *testing.T) {
	t.Parallel()
	io, err := cmdtest.Run(New, Run, "", cmdtest.Snapshots(t))
	if err != nil {
		t.Fatal(err)
	}
	out := io.Out.String()
	for _, want := range []string{"live: 1 (v1.0.0)", "live: 2 (v1.1.0) [promoted]", "live: 2 [rolled_back]", "lin-a"} {
		if !strings.Contains(out, want) {
			t.Errorf("history lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "planted-secret") {
		t.Fatalf("history printed a secret:\n%s", out)
	}
}

// TestAliasTimeline: --alias shows the changes of one alias only; --json
// keeps every revision with its aliases and functions.
func TestAliasTimeline(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for i, s := range [][]byte{
		cmdtest.State(1, "1", "v1", "1", "", "x"),
		cmdtest.State(2, "1", "v1", "1", "", "y"), // another serial, the alias unchanged
		cmdtest.State(3, "2", "v2", "2", "promoted", "x"),
	} {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("s%d.tfstate", i+1)), s, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for args, want := range map[string]int{"": 4, "--alias=live": 3} {
		io, err := cmdtest.Run(New, Run, "", append([]string{dir}, strings.Fields(args)...)...)
		if err != nil {
			t.Fatal(err)
		}
		if lines := strings.Count(io.Out.String(), "\n"); lines != want {
			t.Errorf("history %s: %d lines, want %d:\n%s", args, lines, want, io.Out)
		}
	}
	// An alias no revision has is a usage error naming the ones there are,
	// not an empty timeline.
	_, err := cmdtest.Run(New, Run, "", dir, "--alias", "beta")
	want := cmdutil.UsageError{Msg: `no alias "beta" in this history; its aliases: live`}
	if diff := cmp.Diff(error(want), err); diff != "" {
		t.Errorf("--alias beta (-want +got):\n%s", diff)
	}
	io, err := cmdtest.Run(New, Run, "", dir, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var got []struct {
		Serial    int              `json:"serial"`
		Aliases   []map[string]any `json:"aliases"`
		Functions []map[string]any `json:"functions"`
	}
	if err := json.Unmarshal(io.Out.Bytes(), &got); err != nil {
		t.Fatalf("%v in %s", err, io.Out)
	}
	var serials []int
	for _, r := range got {
		serials = append(serials, r.Serial)
		if len(r.Aliases) != 1 || len(r.Functions) != 1 {
			t.Errorf("revision %d: %d aliases, %d functions; want 1 and 1", r.Serial, len(r.Aliases), len(r.Functions))
		}
	}
	if diff := cmp.Diff([]int{1, 2, 3}, serials); diff != "" {
		t.Errorf("serials (-want +got):\n%s", diff)
	}
}

// TestHistoryAWSProviderLambda: a state that manages Lambda with the AWS
// provider only shows what its alias served, the canary's split and the
// code each version runs.
func TestHistoryAWSProviderLambda(t *testing.T) {
	t.Parallel()
	dir := cmdtest.AWSLambdaSnapshots(t, "../../../..")
	io, err := cmdtest.Run(New, Run, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"live: 1 (code HGg2SMfn) + 10% on 2", "live: 2 (code HsRvlVmq)", "live: 3 (code vSLCHCBb)"} {
		if !strings.Contains(io.Out.String(), want) {
			t.Errorf("history lacks %q", want)
		}
	}
	cmdtest.Golden(t, "history_awslambda", io.Out.String())
	if _, err := cmdtest.Run(New, Run, "", dir, "--alias", "live"); err != nil {
		t.Errorf("--alias live: %v", err)
	}
}

// TestHistoryGroup: a rollout_alias_group shows beside the aliases with
// each member's version per revision; --group follows one group, and a
// group no revision holds is a usage error naming the ones there are.
func TestHistoryGroup(t *testing.T) {
	t.Parallel()
	dir := cmdtest.GroupSnapshots(t, "../../../..")
	io, err := cmdtest.Run(New, Run, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	cmdtest.Golden(t, "history_group", io.Out.String())
	io, err = cmdtest.Run(New, Run, "", dir, "--group", "hist")
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(io.Out.String(), "\n"); lines != 4 {
		t.Errorf("--group hist: %d lines, want a header and 3 revisions:\n%s", lines, io.Out)
	}
	_, err = cmdtest.Run(New, Run, "", dir, "--group", "payments")
	want := cmdutil.UsageError{Msg: `no group "payments" in this history; its groups: hist`}
	if diff := cmp.Diff(error(want), err); diff != "" {
		t.Errorf("--group payments (-want +got):\n%s", diff)
	}
	io, err = cmdtest.Run(New, Run, "", dir, "--json", "--group", "hist")
	if err != nil {
		t.Fatal(err)
	}
	var got []struct {
		Groups []struct {
			Name    string `json:"name"`
			Members []struct {
				Key     string `json:"key"`
				Primary string `json:"primary"`
			} `json:"members"`
		} `json:"groups"`
	}
	if err := json.Unmarshal(io.Out.Bytes(), &got); err != nil {
		t.Fatalf("%v in %s", err, io.Out)
	}
	var versions []string
	for _, r := range got {
		for _, g := range r.Groups {
			for _, m := range g.Members {
				versions = append(versions, g.Name+"."+m.Key+"="+m.Primary)
			}
		}
	}
	if diff := cmp.Diff([]string{"hist.m0=1", "hist.m1=1", "hist.m0=2", "hist.m1=2", "hist.m0=2", "hist.m1=2"}, versions); diff != "" {
		t.Errorf("--json members per revision (-want +got):\n%s", diff)
	}
}
