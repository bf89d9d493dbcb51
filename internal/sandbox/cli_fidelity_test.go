package sandbox_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rollout-tf/terraform-provider-rollout/internal/peers"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

// TestConformanceAWSCLIFidelity drives the rules of issue 15 (AWS's answers
// where they matter to a provider) with the AWS CLI v2, whose CloudWatch
// client speaks awsQuery; lambda_fidelity_test.go and
// cloudwatch_fidelity_test.go hold the same rules for aws-sdk-go-v2 and for
// the JSON and CBOR protocols. The source of each rule is given there.
func TestConformanceAWSCLIFidelity(t *testing.T) {
	awsCLI := peers.Require(t, "the AWS CLI v2", "/usr/bin/aws")
	if out, err := exec.Command(awsCLI, "--version").CombinedOutput(); err != nil || !strings.HasPrefix(string(out), "aws-cli/2.") {
		t.Fatalf("%s is not the AWS CLI v2: %s %v", awsCLI, out, err)
	}
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{})
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "v1.zip"), zipOf(t, "one"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	const arn = "arn:aws:lambda:us-east-1:123456789012:function:fid"
	var many []string
	for i := 0; i < 51; i++ {
		many = append(many, fmt.Sprintf(`"k%d":"v"`, i))
	}
	now := time.Now().UTC().Truncate(time.Minute).Add(-2 * time.Minute)
	at := now.Format(time.RFC3339)
	window := []string{"--start-time", now.Add(-time.Minute).Format(time.RFC3339), "--end-time", now.Add(2 * time.Minute).Format(time.RFC3339)}
	const qualifiedTags = "Tags on function aliases and versions are not supported. Please specify a function ARN."
	steps := []cliStep{
		{args: []string{"lambda", "create-function", "--function-name", "fid", "--runtime", "provided.al2023", "--handler", "bootstrap", "--role", testRole,
			"--zip-file", "fileb://v1.zip", "--environment", `{"Variables":{}}`},
			fields: map[string]any{"Environment": map[string]any{"Variables": map[string]any{}}}},
		{args: []string{"lambda", "create-function", "--function-name", "rt", "--runtime", "non-existent-runtime", "--handler", "bootstrap", "--role", testRole, "--zip-file", "fileb://v1.zip"},
			code: "InvalidParameterValueException", message: "Value non-existent-runtime at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: " +
				"[nodejs20.x, python3.14, provided.al2023, python3.12, python3.13, nodejs24.x, nodejs22.x, java25, python3.10, python3.11, java21, ruby3.3, ruby3.4, ruby3.2, python3.8, python3.9, java17, nodejs16.x, dotnet10, dotnet8, java11, dotnet6, nodejs18.x, provided.al2, java8.al2] or be a valid ARN"},
		{args: []string{"lambda", "wait", "function-active-v2", "--function-name", "fid"}},
		{args: []string{"lambda", "publish-version", "--function-name", "fid", "--description", "first"},
			fields: map[string]any{"Version": "1", "Description": "first"}, save: map[string]string{"RevisionId": "v1rev"}},
		{args: []string{"lambda", "publish-version", "--function-name", "fid", "--description", "second"},
			fields: map[string]any{"Version": "1", "Description": "first", "RevisionId": "{{v1rev}}"}},
		{args: []string{"lambda", "get-function-configuration", "--function-name", "fid"}, save: map[string]string{"RevisionId": "latest"}},
		{args: []string{"lambda", "tag-resource", "--resource", arn, "--tags", "team=payments"}},
		{args: []string{"lambda", "publish-version", "--function-name", "fid", "--revision-id", "{{latest}}"}, code: "PreconditionFailedException",
			message: "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id"},
		{args: []string{"lambda", "list-versions-by-function", "--function-name", "fid"},
			fields: map[string]any{"Versions[].Version": []any{"$LATEST", "1"}, "Versions[].State": []any{nil, nil}, "Versions[].LastUpdateStatus": []any{nil, nil}}},
		{args: []string{"lambda", "tag-resource", "--resource", arn + ":1", "--tags", "a=b"}, code: "InvalidParameterValueException", message: qualifiedTags},
		{args: []string{"lambda", "tag-resource", "--resource", arn, "--tags", "{" + strings.Join(many, ",") + "}"},
			code: "InvalidParameterValueException", message: "Number of tags exceeds resource tag limit."},
		{args: []string{"lambda", "tag-resource", "--resource", arn, "--tags", "{}"},
			code: "InvalidParameterValueException", message: "An error occurred and the request cannot be processed."},
		{args: []string{"lambda", "get-function", "--function-name", strings.Replace(arn, "us-east-1", "eu-west-1", 1)},
			code: "ResourceNotFoundException", message: "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')"},
		{args: []string{"lambda", "get-function", "--function-name", "fid", "--qualifier", "bad!"}, code: "ValidationException",
			message: `1 validation error detected: Value 'bad!' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: \$(LATEST(\.PUBLISHED)?)|[a-zA-Z0-9-_$]+`},
		{args: []string{"lambda", "get-function", "--function-name", "fid", "--qualifier", "1221"}, code: "ResourceNotFoundException", message: "Function not found: " + arn + ":1221"},
		{args: []string{"lambda", "delete-function", "--function-name", "missing", "--qualifier", "$LATEST"}, code: "InvalidParameterValueException",
			message: "$LATEST version cannot be deleted without deleting the function."},

		{args: []string{"cloudwatch", "put-metric-data", "--namespace", "fid", "--metric-data", `[{"MetricName":"m","Value":1.5,"Values":[1,10]}]`},
			code: "InvalidParameterCombination", message: "The parameters MetricData.member.1.Value and MetricData.member.1.Values are mutually exclusive and you have specified both."},
		{args: []string{"cloudwatch", "put-metric-data", "--namespace", "fid", "--metric-data", `[{"MetricName":"m","Values":[1,10],"Counts":[1,2,3]}]`},
			code: "InvalidParameterValue", message: "The parameters MetricData.member.1.Values and MetricData.member.1.Counts must be of the same size."},
		{args: []string{"cloudwatch", "put-metric-data", "--namespace", "fid", "--metric-data", `[{"MetricName":"m","Value":1,"StatisticValues":{"SampleCount":2,"Sum":3,"Minimum":1,"Maximum":2}}]`},
			code: "InvalidParameterCombination", message: "The parameters MetricData.member.1.Value and MetricData.member.1.StatisticValues are mutually exclusive and you have specified both."},
		{args: []string{"cloudwatch", "put-metric-data", "--namespace", "fid", "--metric-data",
			`[{"MetricName":"sets","Timestamp":"` + at + `","Unit":"Milliseconds","StatisticValues":{"SampleCount":10,"Sum":55,"Minimum":1,"Maximum":10}}]`}},
		{args: append([]string{"cloudwatch", "get-metric-data", "--metric-data-queries",
			`[{"Id":"sum","MetricStat":{"Metric":{"Namespace":"fid","MetricName":"sets"},"Period":60,"Stat":"Sum"}},` +
				`{"Id":"count","MetricStat":{"Metric":{"Namespace":"fid","MetricName":"sets"},"Period":60,"Stat":"SampleCount"}},` +
				`{"Id":"max","MetricStat":{"Metric":{"Namespace":"fid","MetricName":"sets"},"Period":60,"Stat":"Maximum"}},` +
				`{"Id":"none","MetricStat":{"Metric":{"Namespace":"fid","MetricName":"sets"},"Period":60,"Stat":"Sum","Unit":"Seconds"}}]`}, window...),
			fields: map[string]any{"MetricDataResults[].Id": []any{"sum", "count", "max", "none"},
				"MetricDataResults[].Label":  []any{"sets Sum", "sets SampleCount", "sets Maximum", "sets Sum"},
				"MetricDataResults[].Values": []any{[]any{55.0}, []any{10.0}, []any{10.0}, []any{}}}},
		{args: []string{"cloudwatch", "put-metric-alarm", "--alarm-name", "errors", "--metric-name", "Errors", "--namespace", "AWS/Lambda", "--statistic", "Sum",
			"--period", "60", "--evaluation-periods", "1", "--threshold", "1", "--comparison-operator", "GreaterThanOrEqualToThreshold"}},
		{args: []string{"cloudwatch", "describe-alarms", "--alarm-names", "errors"},
			fields: map[string]any{"MetricAlarms[].StateReason": []any{"Unchecked: Initial alarm creation"}, "MetricAlarms[].AlarmDescription": []any{nil}}},
		{args: []string{"cloudwatch", "set-alarm-state", "--alarm-name", "errors", "--state-value", "INVALID", "--state-reason", "test"}, code: "ValidationError",
			message: "1 validation error detected: Value 'INVALID' at 'stateValue' failed to satisfy constraint: Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]"},
		{args: []string{"cloudwatch", "set-alarm-state", "--alarm-name", "nope", "--state-value", "OK", "--state-reason", "test"}, code: "ResourceNotFound"},
	}
	runCLISteps(t, awsCLI, inst, dir, steps)
	t.Logf("AWS CLI fidelity conformance: %d calls", len(steps))
}
