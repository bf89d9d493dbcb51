package diff

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmdtest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/statehistory"
)

func TestNew(t *testing.T) {
	t.Parallel()
	f, _ := cmdtest.Factory("", cmdtest.Clients{})
	o, err := New(f, []string{"dir", "a", "--all", "b", "--json"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"dir", "a", "b"}, []string{o.Source, o.A, o.B}); diff != "" || !o.All || !o.JSON {
		t.Errorf("options %+v (-want +got):\n%s", o, diff)
	}
	if _, err := New(f, []string{"dir", "a"}); err == nil || err.Error() != "diff takes SOURCE REV_A REV_B" {
		t.Errorf("two arguments: %v", err)
	}
}

func TestFind(t *testing.T) {
	t.Parallel()
	revs := []statehistory.Revision{{ID: "3Lg0aX.111", Hash: "aaaa"}, {ID: "3Lg0aX.222", Hash: "bbbb"}, {ID: "s1.tfstate", Hash: "cccc"}}
	tests := map[string]struct {
		id      string
		want    string
		wantErr string
	}{
		"id":        {id: "s1.tfstate", want: "s1.tfstate"},
		"hash":      {id: "bbbb", want: "3Lg0aX.222"},
		"prefix":    {id: "3Lg0aX.1", want: "3Lg0aX.111"},
		"ambiguous": {id: "3Lg0aX", wantErr: `revision "3Lg0aX" is ambiguous (2 match)`},
		"none":      {id: "zz", wantErr: `no revision "zz" (see rolloutctl history)`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := finder{id: tc.id}
			for _, r := range revs {
				f.see(r)
			}
			got, err := f.found()
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if diff := cmp.Diff(tc.wantErr, gotErr); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, got.ID); diff != "" {
				t.Errorf("revision (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDiffNeverPrintsSecrets(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"s1", "s3"}, {"s1", "s3", "--all", "--json"}} {
		io, err := cmdtest.Run(New, Run, "", append([]string{cmdtest.Snapshots(t)}, args...)...)
		if err != nil {
			t.Fatal(err)
		}
		out := io.Out.String()
		if strings.Contains(out, "planted-secret") {
			t.Fatalf("diff printed a secret:\n%s", out)
		}
		if !strings.Contains(out, "(sensitive)") || !strings.Contains(out, "function_version") {
			t.Errorf("diff output:\n%s", out)
		}
	}
}

// TestDiffSaysWhatChangedOutsideTheView: without --all, a diff whose
// rollout resources are unchanged but whose other resources changed says
// how many changed instead of "no differences"; with --all it shows the
// attribute that changed.
func TestDiffSaysWhatChangedOutsideTheView(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, bucket := range map[string]string{"a.tfstate": "orders-old", "b.tfstate": "orders-new"} {
		var doc map[string]any
		_ = json.Unmarshal(cmdtest.State(1, "1", "v1", "1", "", "x"), &doc)
		resources, ok := doc["resources"].([]any)
		if !ok {
			t.Fatalf("the fixture has no resources list: %v", doc["resources"])
		}
		doc["resources"] = append(resources, map[string]any{"mode": "managed", "type": "aws_s3_bucket", "name": "assets",
			"instances": []any{map[string]any{"attributes": map[string]any{"bucket": bucket}}}})
		b, _ := json.Marshal(doc)
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	io, err := cmdtest.Run(New, Run, "", dir, "a.tfstate", "b.tfstate")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("no differences in the rollout view; 1 resource outside it changed (--all shows it)\n", io.Out.String()); diff != "" {
		t.Errorf("diff (-want +got):\n%s", diff)
	}
	io, err = cmdtest.Run(New, Run, "", dir, "a.tfstate", "b.tfstate", "--all")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("~ aws_s3_bucket.assets\n    bucket: \"orders-old\" -> \"orders-new\"\n", io.Out.String()); diff != "" {
		t.Errorf("diff --all (-want +got):\n%s", diff)
	}
}

// TestDiffAWSProviderLambda: the AWS provider's Lambda resources are in
// the view; their environment is redacted.
func TestDiffAWSProviderLambda(t *testing.T) {
	t.Parallel()
	dir := cmdtest.AWSLambdaSnapshots(t, "../../../..")
	io, err := cmdtest.Run(New, Run, "", dir, "03-v2-promoted.tfstate", "04-v3-bad.tfstate")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(io.Out.String(), "planted-secret") {
		t.Fatal("diff printed a secret")
	}
	cmdtest.Golden(t, "diff_awslambda", io.Out.String())
}

// TestDiffGroupMembers: diff shows each group member's move, by key.
func TestDiffGroupMembers(t *testing.T) {
	t.Parallel()
	dir := cmdtest.GroupSnapshots(t, "../../../..")
	io, err := cmdtest.Run(New, Run, "", dir, "01.tfstate", "02.tfstate")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"~ rollout_alias_group.release\n",
		`    members.m0.function_version: "1" -> "2"`,
		`    members.m1.function_version: "1" -> "2"`,
		`    deployment.members.m1.to_version: (absent) -> "2"`,
		`    deployment.status: (absent) -> "promoted"`,
	} {
		if !strings.Contains(io.Out.String(), want) {
			t.Errorf("diff lacks %q:\n%s", want, io.Out)
		}
	}
}
