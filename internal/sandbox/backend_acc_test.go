package sandbox_test

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

// TestAccS3Backend_stateHistory runs the real terraform with an S3 backend
// on the sandbox through several applies, then reads back every state
// version it wrote: the history rolloutctl works from.
func TestAccS3Backend_stateHistory(t *testing.T) {
	tf := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: runs with TF_ACC=1 (make test sets it)")
	}
	if tf == "" {
		t.Fatal("TF_ACC_TERRAFORM_PATH is not set: run through make test, which finds or builds Terraform")
	}
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{DataDir: t.TempDir()})
	sc := s3Client(inst)
	sandboxtest.VersionedBucket(t, sc, "tfstate")

	work := t.TempDir()
	config := fmt.Sprintf(`
terraform {
  backend "s3" {
    bucket                      = "tfstate"
    key                         = "envs/demo/terraform.tfstate"
    region                      = "us-east-1"
    endpoint                    = %[1]q
    sts_endpoint                = %[1]q
    force_path_style            = true
    skip_credentials_validation = true
    skip_metadata_api_check     = true
    skip_region_validation      = true
    access_key                  = "sandbox"
    secret_key                  = "sandbox"
  }
}

variable "release" {
  type = string
}

output "release" {
  value = var.release
}
`, inst.URL)
	if err := os.WriteFile(filepath.Join(work, "main.tf"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	cliConfig := filepath.Join(work, "empty.tfrc")
	if err := os.WriteFile(cliConfig, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	terraform := func(args ...string) {
		t.Helper()
		cmd := exec.Command(tf, args...)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "TF_IN_AUTOMATION=1", "TF_INPUT=0", "TF_CLI_CONFIG_FILE="+cliConfig,
			"AWS_EC2_METADATA_DISABLED=true", "CHECKPOINT_DISABLE=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("terraform %v: %v\n%s", args, err, out)
		}
	}
	terraform("init", "-input=false", "-no-color")
	releases := []string{"v1.0.0", "v1.1.0", "v1.0.0"}
	for _, r := range releases {
		terraform("apply", "-auto-approve", "-input=false", "-no-color", "-var", "release="+r)
	}

	out, err := sc.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("tfstate"), Prefix: aws.String("envs/demo/terraform.tfstate")})
	if err != nil {
		t.Fatal(err)
	}
	type state struct {
		Lineage string `json:"lineage"`
		Serial  int    `json:"serial"`
		Outputs map[string]struct {
			Value string `json:"value"`
		} `json:"outputs"`
	}
	var states []state
	for _, v := range out.Versions {
		obj, err := sc.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("tfstate"), Key: v.Key, VersionId: v.VersionId})
		if err != nil {
			t.Fatalf("GetObject version %s: %v", aws.ToString(v.VersionId), err)
		}
		b, _ := io.ReadAll(obj.Body)
		_ = obj.Body.Close()
		var s state
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatalf("state version %s is not JSON: %v", aws.ToString(v.VersionId), err)
		}
		states = append(states, s)
	}
	if len(states) < len(releases) {
		t.Fatalf("terraform wrote %d state versions, want at least %d", len(states), len(releases))
	}
	sort.Slice(states, func(i, j int) bool { return states[i].Serial < states[j].Serial })
	var got []string
	for i, s := range states {
		if s.Lineage != states[0].Lineage {
			t.Errorf("state %d has lineage %s, want %s", i, s.Lineage, states[0].Lineage)
		}
		if r, ok := s.Outputs["release"]; ok && (len(got) == 0 || got[len(got)-1] != r.Value || i == len(states)-1) {
			got = append(got, r.Value)
		}
	}
	if last := states[len(states)-1].Outputs["release"].Value; last != "v1.0.0" {
		t.Errorf("newest state records release %q, want v1.0.0", last)
	}
	t.Logf("terraform wrote %d state versions through the sandbox's S3; releases in order: %v", len(states), got)
}
