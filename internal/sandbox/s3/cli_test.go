package s3_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rollout-tf/terraform-provider-rollout/internal/peers"
)

// TestDeleteCurrentVersionAWSCLI: the AWS CLI v2 restores an older version
// by deleting the newest one by id, and then reads the older one as
// current (HeadObject, ListObjectVersions).
func TestDeleteCurrentVersionAWSCLI(t *testing.T) {
	awsCLI := peers.Require(t, "the AWS CLI v2", "/usr/bin/aws")
	t.Parallel()
	_, url := startService(t, "")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"v1": "serial one", "v2": "serial two, newer"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	run := func(args ...string) map[string]any {
		t.Helper()
		cmd := exec.Command(awsCLI, append([]string{"--endpoint-url", url, "--output", "json", "s3api"}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=AKIDSANDBOXTEST", "AWS_SECRET_ACCESS_KEY=secret", "AWS_DEFAULT_REGION=us-east-1",
			"AWS_CONFIG_FILE="+filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "config"), "AWS_PAGER=")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("aws s3api %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		doc := map[string]any{}
		if len(strings.TrimSpace(string(out))) > 0 {
			if err := json.Unmarshal(out, &doc); err != nil {
				t.Fatalf("aws s3api %s: %v\n%s", strings.Join(args, " "), err, out)
			}
		}
		return doc
	}
	run("create-bucket", "--bucket", "state")
	run("put-bucket-versioning", "--bucket", "state", "--versioning-configuration", "Status=Enabled")
	v1 := run("put-object", "--bucket", "state", "--key", "tfstate", "--body", "v1")["VersionId"]
	v2 := run("put-object", "--bucket", "state", "--key", "tfstate", "--body", "v2")["VersionId"]
	v2id, _ := v2.(string)
	run("delete-object", "--bucket", "state", "--key", "tfstate", "--version-id", v2id)
	head := run("head-object", "--bucket", "state", "--key", "tfstate")
	if head["VersionId"] != v1 || head["ContentLength"] != float64(len("serial one")) {
		t.Errorf("head-object after deleting the newest version: version %v, %v bytes; want version %v, %d bytes", head["VersionId"], head["ContentLength"], v1, len("serial one"))
	}
	versions, _ := run("list-object-versions", "--bucket", "state")["Versions"].([]any)
	var only map[string]any
	if len(versions) == 1 {
		only, _ = versions[0].(map[string]any)
	}
	if only == nil || only["VersionId"] != v1 || only["IsLatest"] != true {
		t.Errorf("list-object-versions after deleting the newest version: %v, want only %v, latest", versions, v1)
	}
}
