package pick

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmdtest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmdutil"
)

func TestNew(t *testing.T) {
	t.Parallel()
	cmdtest.CheckNew(t, New, map[string]cmdtest.NewCase[*Options]{
		// Users rely on flags after SOURCE: rolloutctl pick SOURCE --write-state F.
		"flags after the source": {Args: []string{"dir", "--write-state", "f", "--drop-new-resources", "--before", "s2", "--json"},
			Want: &Options{SourceOptions: cmdutil.SourceOptions{Source: "dir", JSON: true}, Before: "s2", WriteState: "f", DropNew: true}},
		"flags before the source": {Args: []string{"--write-state=f", "dir"},
			Want: &Options{SourceOptions: cmdutil.SourceOptions{Source: "dir"}, WriteState: "f"}},
		"no source": {Args: []string{"--json"}, WantErr: "pick takes one SOURCE"},
		"group":     {Args: []string{"dir", "--group", "checkout"}, Want: &Options{SourceOptions: cmdutil.SourceOptions{Source: "dir"}, Group: "checkout"}},
	})
}

func TestPickAndWriteState(t *testing.T) {
	t.Parallel()
	dir := cmdtest.Snapshots(t)
	written := filepath.Join(t.TempDir(), "restore.tfstate")
	io, err := cmdtest.Run(New, Run, "", dir, "--write-state", written)
	if err != nil {
		t.Fatalf("%v\n%s", err, io.ErrOut)
	}
	out := io.Out.String()
	for _, want := range []string{
		"Reference: revision s3.tfstate (serial 9",
		"Known-good: revision s2.tfstate (serial 5",
		"Check out release v1.1.0 of the configuration and apply it.",
		`~ rollout_function.orders: version "3" -> "2" (a retained version: adopted, nothing published)`,
		"terraform state push " + written,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("pick output lacks %q:\n%s", want, out)
		}
	}
	b, err := os.ReadFile(written)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	_ = json.Unmarshal(b, &doc)
	if doc["serial"] != float64(10) || doc["lineage"] != "lin-a" {
		t.Errorf("written state serial %v lineage %v; want 10 and lin-a", doc["serial"], doc["lineage"])
	}
	// Nothing older than the first revision: ErrNoneFound (exit code 3).
	io, err = cmdtest.Run(New, Run, "", dir, "--before", "s1")
	if !errors.Is(err, cmdutil.ErrNoneFound) || !strings.Contains(io.Out.String(), "No known-good revision") {
		t.Errorf("pick before the first revision = %v\n%s", err, io.Out)
	}
}

func TestPickNoOpAndDroppedResources(t *testing.T) {
	t.Parallel()
	dir := cmdtest.Snapshots(t)
	// The alias stays on version 2 (the rolled-back rollout left it there): not a return.
	io, err := cmdtest.Run(New, Run, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	out := io.Out.String()
	if strings.Contains(out, "returns to version 2 (v1.1.0), from 2") || !strings.Contains(out, "alias rollout_alias.live stays on version 2 (v1.1.0)") {
		t.Errorf("pick describes a no-op as a return:\n%s", out)
	}
	// A resource created after the picked revision: --write-state lists it and refuses.
	var doc map[string]any
	b, _ := os.ReadFile(filepath.Join(dir, "s3.tfstate"))
	_ = json.Unmarshal(b, &doc)
	resources, ok := doc["resources"].([]any)
	if !ok {
		t.Fatalf("s3.tfstate has no resources list: %v", doc["resources"])
	}
	doc["resources"] = append(resources, map[string]any{"mode": "managed", "type": "rollout_alias", "name": "beta",
		"instances": []any{map[string]any{"attributes": map[string]any{"name": "beta"}}}})
	b, _ = json.Marshal(doc)
	if err := os.WriteFile(filepath.Join(dir, "s3.tfstate"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	written := filepath.Join(t.TempDir(), "restore.tfstate")
	io, err = cmdtest.Run(New, Run, "", dir, "--write-state", written)
	if err == nil || !strings.Contains(err.Error(), "rollout_alias.beta") || !strings.Contains(err.Error(), "--drop-new-resources") {
		t.Errorf("pick --write-state dropping a resource = %v\nstdout:\n%s", err, io.Out)
	}
	if _, err := os.Stat(written); err == nil {
		t.Errorf("the refused pick wrote %s", written)
	}
	io, err = cmdtest.Run(New, Run, "", dir, "--write-state", written, "--drop-new-resources")
	if err != nil || !strings.Contains(io.Out.String(), "rollout_alias.beta") {
		t.Errorf("pick --write-state --drop-new-resources = %v\n%s", err, io.Out)
	}
	if _, err := os.Stat(written); err != nil {
		t.Errorf("--drop-new-resources did not write the state: %v", err)
	}
}

// TestPickAWSProviderLambda: pick on a state managed with the AWS
// provider only returns to version 2, names the code to check out and the
// plan that provider will show, and writes the state to push.
func TestPickAWSProviderLambda(t *testing.T) {
	t.Parallel()
	dir := cmdtest.AWSLambdaSnapshots(t, "../../../..")
	written := filepath.Join(t.TempDir(), "restore.tfstate")
	io, err := cmdtest.Run(New, Run, "", dir, "--write-state", written)
	if err != nil {
		t.Fatalf("%v\n%s", err, io.Out)
	}
	out := strings.ReplaceAll(io.Out.String(), written, "RESTORE")
	for _, want := range []string{"Known-good: revision a095449c4c98 (serial 8,", "alias aws_lambda_alias.live returns to version 2", `source_code_hash "HsRvlVmq37fyAWghuJcA322gdHIDc03UWqjLcmVY6b8="`} {
		if !strings.Contains(out, want) {
			t.Errorf("pick lacks %q", want)
		}
	}
	if strings.Contains(out, "planted-secret") {
		t.Fatal("pick printed a secret")
	}
	cmdtest.Golden(t, "pick_awslambda", out)
	if _, err := os.Stat(written); err != nil {
		t.Errorf("no state written: %v", err)
	}
}

// TestPickGroup: pick --group returns every member of the group together,
// names the release to check out and the plan for each member's function,
// and --write-state writes the picked revision with the group in it.
func TestPickGroup(t *testing.T) {
	t.Parallel()
	dir := cmdtest.GroupSnapshots(t, "../../../..")
	written := filepath.Join(t.TempDir(), "restore.tfstate")
	io, err := cmdtest.Run(New, Run, "", dir, "--group", "hist", "--write-state", written)
	if err != nil {
		t.Fatalf("%v\n%s", err, io.ErrOut)
	}
	out := strings.ReplaceAll(io.Out.String(), written, "RESTORE")
	cmdtest.Golden(t, "pick_group", out)
	b, err := os.ReadFile(written)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Serial    int `json:"serial"`
		Resources []struct {
			Type      string `json:"type"`
			Instances []struct {
				Attributes struct {
					Members map[string]struct {
						FunctionVersion string `json:"function_version"`
					} `json:"members"`
				} `json:"attributes"`
			} `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range doc.Resources {
		if r.Type == "rollout_alias_group" {
			for k, m := range r.Instances[0].Attributes.Members {
				got[k] = m.FunctionVersion
			}
		}
	}
	if doc.Serial != 14 || got["m0"] != "2" || got["m1"] != "2" {
		t.Errorf("written state: serial %d, members %v; want serial 14 (the newest 13, plus one) and both members on 2", doc.Serial, got)
	}
	// Before the promotion: both members move back, one plan line each.
	io, err = cmdtest.Run(New, Run, "", dir, "--group", "hist", "--before", "02.tfstate")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"group hist member m0 (hist-0:live) returns to version 1 (v1.0.0), from 2",
		`~ rollout_alias_group.release: members["m1"].function_version "2" -> "1" (hist-1:live;`,
	} {
		if !strings.Contains(io.Out.String(), want) {
			t.Errorf("pick --before 02 lacks %q:\n%s", want, io.Out)
		}
	}
	_, err = cmdtest.Run(New, Run, "", dir, "--group", "payments")
	if err == nil || err.Error() != `no group "payments" in revision 03.tfstate; its groups: hist` {
		t.Errorf("--group payments: %v", err)
	}
}
