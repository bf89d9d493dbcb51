package sandbox_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rollout-tf/terraform-provider-rollout/internal/peers"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

// cliStep is one AWS CLI v2 call and what AWS would answer.
type cliStep struct {
	args []string
	// code is the expected error code; "" means success.
	code string
	// message, when set, must equal the error message.
	message string
	// fields maps a path in the JSON answer (a.b, list[].c) to its value.
	fields map[string]any
	// save keeps the value at a path of the answer under a name; later
	// steps use it as {{name}} in their args.
	save map[string]string
}

var cliErrorRE = regexp.MustCompile(`An error occurred \(([A-Za-z.]+)\) when calling the \w+ operation(?: \(reached max retries: \d+\))?: (.*)`)

// TestConformanceAWSCLI drives the sandbox with the AWS CLI v2 (Debian's
// awscli, /usr/bin/aws): an independent client with its own serializers,
// error parsing and waiters.
func TestConformanceAWSCLI(t *testing.T) {
	awsCLI := peers.Require(t, "the AWS CLI v2", "/usr/bin/aws")
	if out, err := exec.Command(awsCLI, "--version").CombinedOutput(); err != nil || !strings.HasPrefix(string(out), "aws-cli/2.") {
		t.Fatalf("%s is not the AWS CLI v2: %s %v", awsCLI, out, err)
	}
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{})
	dir := t.TempDir()
	for name, content := range map[string]string{"v1.zip": "one", "v2.zip": "two"} {
		if err := os.WriteFile(filepath.Join(dir, name), zipOf(t, content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "config"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	const arn = "arn:aws:lambda:us-east-1:123456789012:function:fn1"
	role := "arn:aws:iam::123456789012:role/lambda-exec"
	steps := []cliStep{
		{args: []string{"lambda", "create-function", "--function-name", "fn1", "--runtime", "provided.al2023", "--handler", "bootstrap", "--role", role, "--zip-file", "fileb://v1.zip"},
			fields: map[string]any{"FunctionArn": arn, "Version": "$LATEST", "State": "Pending", "StateReasonCode": "Creating", "PackageType": "Zip", "Timeout": 3.0, "MemorySize": 128.0, "Architectures": []any{"x86_64"}}},
		{args: []string{"lambda", "create-function", "--function-name", "fn1", "--runtime", "provided.al2023", "--handler", "bootstrap", "--role", role, "--zip-file", "fileb://v1.zip"},
			code: "ResourceConflictException", message: "Function already exist: fn1"},
		{args: []string{"lambda", "wait", "function-active-v2", "--function-name", "fn1"}},
		{args: []string{"lambda", "get-function", "--function-name", "fn1"},
			fields: map[string]any{"Configuration.State": "Active", "Configuration.LastUpdateStatus": "Successful", "Code.RepositoryType": "S3"}},
		{args: []string{"lambda", "get-function-configuration", "--function-name", "fn1", "--qualifier", "$LATEST"},
			fields: map[string]any{"FunctionArn": arn + ":$LATEST", "Version": "$LATEST"}},
		{args: []string{"lambda", "publish-version", "--function-name", "fn1"}, fields: map[string]any{"Version": "1", "FunctionArn": arn + ":1", "State": "Active"}},
		{args: []string{"lambda", "publish-version", "--function-name", "fn1"}, fields: map[string]any{"Version": "1"}},
		{args: []string{"lambda", "publish-version", "--function-name", "fn1", "--revision-id", "stale"}, code: "PreconditionFailedException",
			message: "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id"},
		{args: []string{"lambda", "publish-version", "--function-name", "fn1", "--code-sha256", "abc"}, code: "InvalidParameterValueException"},
		{args: []string{"lambda", "update-function-configuration", "--function-name", "fn1", "--memory-size", "256", "--environment", "Variables={STAGE=test}"},
			fields: map[string]any{"LastUpdateStatus": "InProgress", "MemorySize": 256.0, "Environment.Variables.STAGE": "test"}},
		{args: []string{"lambda", "wait", "function-updated-v2", "--function-name", "fn1"}},
		{args: []string{"lambda", "publish-version", "--function-name", "fn1", "--description", "second"}, fields: map[string]any{"Version": "2", "Description": "second"}},
		{args: []string{"lambda", "update-function-code", "--function-name", "fn1", "--zip-file", "fileb://v2.zip", "--publish"},
			fields: map[string]any{"Version": "3", "FunctionArn": arn + ":3"}},
		{args: []string{"lambda", "wait", "published-version-active", "--function-name", "fn1", "--qualifier", "3"}},
		{args: []string{"lambda", "list-versions-by-function", "--function-name", "fn1"},
			fields: map[string]any{"Versions[].Version": []any{"$LATEST", "1", "2", "3"}}},
		{args: []string{"lambda", "list-versions-by-function", "--function-name", "fn1", "--page-size", "2"},
			fields: map[string]any{"Versions[].Version": []any{"$LATEST", "1", "2", "3"}}},
		{args: []string{"lambda", "create-alias", "--function-name", "fn1", "--name", "live", "--function-version", "1", "--routing-config", `{"AdditionalVersionWeights":{"2":0.1}}`},
			fields: map[string]any{"AliasArn": arn + ":live", "FunctionVersion": "1", "RoutingConfig.AdditionalVersionWeights.2": 0.1, "Description": ""}},
		{args: []string{"lambda", "create-alias", "--function-name", "fn1", "--name", "live", "--function-version", "1"}, code: "ResourceConflictException",
			message: "Alias already exists: " + arn + ":live"},
		{args: []string{"lambda", "create-alias", "--function-name", "fn1", "--name", "a1", "--function-version", "1", "--routing-config", `{"AdditionalVersionWeights":{"2":1.5}}`},
			code: "ValidationException"},
		{args: []string{"lambda", "create-alias", "--function-name", "fn1", "--name", "a2", "--function-version", "1", "--routing-config", `{"AdditionalVersionWeights":{"2":0.1,"3":0.1}}`},
			code: "InvalidParameterValueException", message: "Number of items in AdditionalVersionWeights cannot be greater than 1"},
		{args: []string{"lambda", "create-alias", "--function-name", "fn1", "--name", "a3", "--function-version", "$LATEST", "--routing-config", `{"AdditionalVersionWeights":{"2":0.1}}`},
			code: "InvalidParameterValueException", message: "$LATEST is not supported for an alias pointing to more than 1 version"},
		{args: []string{"lambda", "create-alias", "--function-name", "fn1", "--name", "a4", "--function-version", "1", "--routing-config", `{"AdditionalVersionWeights":{"1":0.1}}`},
			code: "InvalidParameterValueException", message: "Invalid function version 1. Function version 1 is already included in routing configuration."},
		{args: []string{"lambda", "create-alias", "--function-name", "fn1", "--name", "a5", "--function-version", "9"},
			code: "ResourceNotFoundException", message: "Function not found: " + arn + ":9"},
		{args: []string{"lambda", "create-alias", "--function-name", "fn1", "--name", "123", "--function-version", "1"}, code: "ValidationException"},
		{args: []string{"lambda", "get-alias", "--function-name", "fn1", "--name", "live"}, fields: map[string]any{"FunctionVersion": "1", "Name": "live"}},
		{args: []string{"lambda", "get-alias", "--function-name", "fn1", "--name", "nope"}, code: "ResourceNotFoundException", message: "Cannot find alias arn: " + arn + ":nope"},
		{args: []string{"lambda", "update-alias", "--function-name", "fn1", "--name", "live", "--function-version", "2", "--revision-id", "stale"}, code: "PreconditionFailedException"},
		{args: []string{"lambda", "update-alias", "--function-name", "fn1", "--name", "live", "--function-version", "3", "--routing-config", `{"AdditionalVersionWeights":{}}`},
			fields: map[string]any{"FunctionVersion": "3", "RoutingConfig": nil}},
		{args: []string{"lambda", "list-aliases", "--function-name", "fn1"}, fields: map[string]any{"Aliases[].Name": []any{"live"}}},
		{args: []string{"lambda", "delete-function", "--function-name", "fn1", "--qualifier", "3"}, code: "ResourceConflictException",
			message: "Unable to delete version because the following aliases reference it: [live]"},
		{args: []string{"lambda", "delete-function", "--function-name", "fn1", "--qualifier", "$LATEST"}, code: "InvalidParameterValueException",
			message: "$LATEST version cannot be deleted without deleting the function."},
		{args: []string{"lambda", "delete-function", "--function-name", "fn1", "--qualifier", "live"}, code: "InvalidParameterValueException",
			message: "Deletion of aliases is not currently supported."},
		{args: []string{"lambda", "get-function", "--function-name", "fn1:1", "--qualifier", "2"}, code: "InvalidParameterValueException",
			message: "The derived qualifier from the function name does not match the specified qualifier."},
		{args: []string{"lambda", "tag-resource", "--resource", arn, "--tags", "team=payments,tier=1"}},
		{args: []string{"lambda", "untag-resource", "--resource", arn, "--tag-keys", "tier"}},
		{args: []string{"lambda", "list-tags", "--resource", arn}, fields: map[string]any{"Tags": map[string]any{"team": "payments"}}},
		{args: []string{"lambda", "get-function-code-signing-config", "--function-name", "fn1"}},
		{args: []string{"s3api", "create-bucket", "--bucket", "artifacts"}},
		{args: []string{"s3api", "put-bucket-versioning", "--bucket", "artifacts", "--versioning-configuration", "Status=Enabled"}},
		{args: []string{"s3api", "put-object", "--bucket", "artifacts", "--key", "fn2.zip", "--body", "v2.zip"}},
		{args: []string{"lambda", "create-function", "--function-name", "fn2", "--runtime", "provided.al2023", "--handler", "bootstrap", "--role", role, "--code", "S3Bucket=artifacts,S3Key=fn2.zip"},
			fields: map[string]any{"FunctionName": "fn2", "CodeSize": float64(len(zipOf(t, "two")))}},
		{args: []string{"lambda", "create-function", "--function-name", "fn3", "--runtime", "provided.al2023", "--handler", "bootstrap", "--role", role, "--code", "S3Bucket=artifacts,S3Key=missing.zip"},
			code: "InvalidParameterValueException", message: "Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist."},
		{args: []string{"lambda", "delete-alias", "--function-name", "fn1", "--name", "live"}},
		{args: []string{"lambda", "delete-function", "--function-name", "fn1", "--qualifier", "1"}},
		{args: []string{"lambda", "delete-function", "--function-name", "fn1"}},
		{args: []string{"lambda", "get-function", "--function-name", "fn1"}, code: "ResourceNotFoundException", message: "Function not found: " + arn},
		{args: []string{"sts", "get-caller-identity"}, fields: map[string]any{"Account": "123456789012"}},
	}
	runCLISteps(t, awsCLI, inst, dir, steps)
	t.Logf("AWS CLI conformance: %d calls", len(steps))
}

// runCLISteps runs steps with the AWS CLI against inst, in dir (where
// fileb:// paths resolve), and checks each answer.
func runCLISteps(t *testing.T, awsCLI string, inst *sandboxtest.Instance, dir string, steps []cliStep) {
	t.Helper()
	saved := map[string]string{}
	for i, step := range steps {
		args := make([]string, len(step.args))
		for j, a := range step.args {
			for name, v := range saved {
				a = strings.ReplaceAll(a, "{{"+name+"}}", v)
			}
			args[j] = a
		}
		cmd := exec.Command(awsCLI, append([]string{"--endpoint-url", inst.URL, "--output", "json"}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=AKIDCLI", "AWS_SECRET_ACCESS_KEY=secret", "AWS_DEFAULT_REGION=us-east-1",
			"AWS_CONFIG_FILE="+filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "config"),
			"AWS_PAGER=", "AWS_MAX_ATTEMPTS=1", "AWS_EC2_METADATA_DISABLED=true")
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		label := fmt.Sprintf("step %d: aws %s", i+1, strings.Join(step.args, " "))
		if step.code != "" {
			m := cliErrorRE.FindStringSubmatch(stderr.String())
			if err == nil || m == nil {
				t.Errorf("%s: want error %s, got exit %v, stderr %q", label, step.code, err, stderr.String())
				continue
			}
			if m[1] != step.code || (step.message != "" && strings.TrimSpace(m[2]) != step.message) {
				t.Errorf("%s:\n got  %s: %s\n want %s: %s", label, m[1], strings.TrimSpace(m[2]), step.code, step.message)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v\n%s", label, err, stderr.String())
			continue
		}
		if len(step.fields) == 0 && len(step.save) == 0 {
			continue
		}
		var doc any
		if err := json.Unmarshal([]byte(stdout.String()), &doc); err != nil {
			t.Errorf("%s: answer is not JSON: %v\n%s", label, err, stdout.String())
			continue
		}
		for path, name := range step.save {
			saved[name] = fmt.Sprint(lookupJSON(doc, path))
		}
		for path, want := range step.fields {
			if w, ok := want.(string); ok {
				for name, v := range saved {
					w = strings.ReplaceAll(w, "{{"+name+"}}", v)
				}
				want = w
			}
			if diff := cmp.Diff(want, lookupJSON(doc, path)); diff != "" {
				t.Errorf("%s: %s (-want +got):\n%s", label, path, diff)
			}
		}
	}
}

// lookupJSON follows a dotted path; "name[]" maps the rest of the path over
// a list.
func lookupJSON(v any, path string) any {
	if path == "" {
		return v
	}
	head, rest, _ := strings.Cut(path, ".")
	if name, ok := strings.CutSuffix(head, "[]"); ok {
		m, _ := v.(map[string]any)
		list, _ := m[name].([]any)
		out := []any{}
		for _, item := range list {
			out = append(out, lookupJSON(item, rest))
		}
		return out
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	return lookupJSON(m[head], rest)
}
