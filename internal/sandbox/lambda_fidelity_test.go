package sandbox_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

// The rules in this file are AWS's answers as recorded against the real
// service; each test names its source (see testdata/moto_differences.tsv
// and research/api_fidelity.md). LS means localstack's
// tests/aws/services/lambda_/test_lambda_api.snapshot.json at 8b9a79f,
// recorded against AWS on the date given.

// TestPublishUnchangedReturnsNewestVersion: "The publish_version api is
// idempotent ... will *NOT* create a new version because $LATEST hasn't
// been updated", even with a new Description (LS test_version_lifecycle,
// third_publish_response, 2025-11-25: Version 2, the old Description, the
// same RevisionId). An update, even one that changes nothing, counts as a
// change (moto PR #8379, verified against AWS).
func TestPublishUnchangedReturnsNewestVersion(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{})
	c := lambdaClient(inst, 1)
	createFunction(t, c, "fn", zipOf(t, "v1"))
	waitActive(t, c, "fn")

	first, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn"), Description: aws.String("[rollout release=v1] first")})
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn"), Description: aws.String("[rollout release=v2] second")})
	if err != nil {
		t.Fatal(err)
	}
	got := []string{aws.ToString(again.Version), aws.ToString(again.Description), aws.ToString(again.RevisionId)}
	want := []string{aws.ToString(first.Version), "[rollout release=v1] first", aws.ToString(first.RevisionId)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("publish of an unchanged $LATEST with a new Description (-want +got):\n%s", diff)
	}

	// The preconditions still apply to an unchanged $LATEST.
	_, err = c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn"), RevisionId: aws.String("stale")})
	if code, _ := apiError(t, err); code != "PreconditionFailedException" {
		t.Errorf("unchanged publish with a stale RevisionId = %s, want PreconditionFailedException", code)
	}
	_, err = c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn"), CodeSha256: aws.String("abc")})
	if code, _ := apiError(t, err); code != "InvalidParameterValueException" {
		t.Errorf("unchanged publish with a wrong CodeSha256 = %s, want InvalidParameterValueException", code)
	}

	// An update that changes nothing is still an update: the next publish is new.
	if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("fn"), Timeout: aws.Int32(3)}); err != nil {
		t.Fatal(err)
	}
	waitUpdated(t, c, "fn")
	third, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(third.Version) != "2" {
		t.Errorf("publish after an update = version %s, want 2", aws.ToString(third.Version))
	}
}

// TestTagsChangeRevisionID: a tag write gives $LATEST a new RevisionId, so a
// guarded write with the RevisionId read before it fails with 412.
func TestTagsChangeRevisionID(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{})
	c := lambdaClient(inst, 1)
	out := createFunction(t, c, "fn", zipOf(t, "v1"))
	waitActive(t, c, "fn")
	for name, write := range map[string]func() error{
		"TagResource": func() error {
			_, err := c.TagResource(ctx, &lambda.TagResourceInput{Resource: out.FunctionArn, Tags: map[string]string{"team": "a"}})
			return err
		},
		"UntagResource": func() error {
			_, err := c.UntagResource(ctx, &lambda.UntagResourceInput{Resource: out.FunctionArn, TagKeys: []string{"team"}})
			return err
		},
	} {
		before, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("fn")})
		if err != nil {
			t.Fatal(err)
		}
		if err := write(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		_, err = c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn"), RevisionId: before.Configuration.RevisionId})
		if code, _ := apiError(t, err); code != "PreconditionFailedException" {
			t.Errorf("publish guarded by the RevisionId read before %s = %s, want PreconditionFailedException", name, code)
		}
	}
}

type lambdaRule struct {
	call    func() error
	code    string
	message string
}

func checkRules(t *testing.T, rules map[string]lambdaRule) {
	t.Helper()
	for name, r := range rules {
		t.Run(name, func(t *testing.T) {
			code, msg := apiError(t, r.call())
			if code != r.code || msg != r.message {
				t.Errorf("error = %s: %q\nwant  %s: %q", code, msg, r.code, r.message)
			}
		})
	}
}

// TestLambdaErrorFidelity: exact codes and texts of AWS's answers.
func TestLambdaErrorFidelity(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{})
	c := lambdaClient(inst, 1)
	out := createFunction(t, c, "fn", zipOf(t, "v1"))
	waitActive(t, c, "fn")
	if _, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn")}); err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(out.FunctionArn)
	const otherRegionARN = "arn:aws:lambda:eu-west-1:123456789012:function:fn"
	many := map[string]string{}
	for i := 0; i < 51; i++ {
		many[fmt.Sprintf("k%d", i)] = "v"
	}
	tag := func(res string, tags map[string]string) func() error {
		return func() error {
			_, err := c.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(res), Tags: tags})
			return err
		}
	}
	const qualifiedTags = "Tags on function aliases and versions are not supported. Please specify a function ARN."
	const runtimes = "[nodejs20.x, python3.14, provided.al2023, python3.12, python3.13, nodejs24.x, nodejs22.x, java25, python3.10, python3.11, java21, ruby3.3, ruby3.4, ruby3.2, python3.8, python3.9, java17, nodejs16.x, dotnet10, dotnet8, java11, dotnet6, nodejs18.x, provided.al2, java8.al2]"
	checkRules(t, map[string]lambdaRule{
		// LS TestLambdaTags::test_tag_limits (2025-11-25).
		"51 tags": {call: tag(arn, many), code: "InvalidParameterValueException", message: "Number of tags exceeds resource tag limit."},
		// LS TestLambdaTags::test_tag_exceptions tag_empty_tags.
		"empty tags": {call: tag(arn, map[string]string{}), code: "InvalidParameterValueException", message: "An error occurred and the request cannot be processed."},
		// The same limit on the tags a function is created with (developer
		// guide, tagging.html; localstack checks both paths alike).
		"create with 51 tags": {call: func() error {
			_, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("tagged"), Role: aws.String(testRole), Runtime: types.RuntimeProvidedal2023,
				Handler: aws.String("bootstrap"), Code: &types.FunctionCode{ZipFile: zipOf(t, "x")}, Tags: many})
			return err
		}, code: "InvalidParameterValueException", message: "Number of tags exceeds resource tag limit."},
		// LS TestLambdaTags::test_tag_versions (version and $LATEST).
		"tag a version ARN":  {call: tag(arn+":1", map[string]string{"a": "b"}), code: "InvalidParameterValueException", message: qualifiedTags},
		"tag a $LATEST ARN":  {call: tag(arn+":$LATEST", map[string]string{"a": "b"}), code: "InvalidParameterValueException", message: qualifiedTags},
		"tag a missing qual": {call: tag(arn+":nope", map[string]string{"a": "b"}), code: "InvalidParameterValueException", message: qualifiedTags},
		// Tag restrictions from the Lambda developer guide (tagging.html): keys up
		// to 128 characters, values up to 256, no aws: prefix. AWS's texts for
		// these were not found in a recording; the codes follow the model (TagKey
		// and TagValue carry no constraints, so the service answers, not the
		// validator).
		"tag key with aws: prefix": {call: tag(arn, map[string]string{"aws:owner": "x"}), code: "InvalidParameterValueException",
			message: "The tag key aws:owner begins with aws:, a prefix reserved for AWS use."},
		"tag key too long": {call: tag(arn, map[string]string{strings.Repeat("k", 129): "x"}), code: "InvalidParameterValueException",
			message: "The tag key " + strings.Repeat("k", 129) + " is longer than 128 characters."},
		"tag value too long": {call: tag(arn, map[string]string{"k": strings.Repeat("v", 257)}), code: "InvalidParameterValueException",
			message: "The tag value for key k is longer than 256 characters."},
		// LS TestLambdaTag::test_tag_exceptions invalid_arn_exception.
		"tag a non-function ARN": {call: tag("arn:aws:lambda:us-east-1:123456789012:foobar:fn", map[string]string{"a": "b"}), code: "ValidationException",
			message: `1 validation error detected: Value 'arn:aws:lambda:us-east-1:123456789012:foobar:fn' at 'resource' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*):lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:(function:[a-zA-Z0-9-_]+(:(\$LATEST|[a-zA-Z0-9-_]+))?|layer:([a-zA-Z0-9-_]+)|code-signing-config:csc-[a-z0-9]{17}|event-source-mapping:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|capacity-provider:[a-zA-Z0-9-_]+)`},
		// LS TestLambdaFunction::test_get_function_wrong_region (GetFunction, Delete, Invoke ...).
		"get from another region": {call: func() error {
			_, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(otherRegionARN)})
			return err
		}, code: "ResourceNotFoundException", message: "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')"},
		"delete from another region": {call: func() error {
			_, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(otherRegionARN)})
			return err
		}, code: "ResourceNotFoundException", message: "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')"},
		"tag in another region": {call: tag(otherRegionARN, map[string]string{"a": "b"}), code: "ResourceNotFoundException",
			message: "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')"},
		// LS test_function_name_and_qualifier_validation[invalid_characters_in_qualifier / qualifier_too_long].
		"invalid qualifier": {call: func() error {
			_, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("fn"), Qualifier: aws.String("invalid!")})
			return err
		}, code: "ValidationException", message: `1 validation error detected: Value 'invalid!' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: \$(LATEST(\.PUBLISHED)?)|[a-zA-Z0-9-_$]+`},
		"over-long qualifier": {call: func() error {
			_, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("fn"), Qualifier: aws.String(strings.Repeat("a", 129))})
			return err
		}, code: "ValidationException", message: fmt.Sprintf("1 validation error detected: Value '%s' at 'qualifier' failed to satisfy constraint: Member must have length less than or equal to 128", strings.Repeat("a", 129))},
		// The service model's FunctionName constraints (botocore lambda
		// 2015-03-31: at most 140 characters for UpdateFunctionCode, AWS's
		// pattern for all).
		"over-long function name": {call: func() error {
			_, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(strings.Repeat("f", 141)), ZipFile: zipOf(t, "x")})
			return err
		}, code: "ValidationException", message: fmt.Sprintf("1 validation error detected: Value '%s' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 140", strings.Repeat("f", 141))},
		"partial ARN of a missing function": {call: func() error {
			_, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("123456789012:function:other:7")})
			return err
		}, code: "ResourceNotFoundException", message: "Function not found: arn:aws:lambda:us-east-1:123456789012:function:other:7"},
		// LS test_ops_with_arn_qualifier_mismatch match_exception and test_ops_on_nonexisting_version.
		"missing function keeps the qualifier": {call: func() error {
			_, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("arn:aws:lambda:us-east-1:123456789012:function:other:$LATEST"), Qualifier: aws.String("$LATEST")})
			return err
		}, code: "ResourceNotFoundException", message: "Function not found: arn:aws:lambda:us-east-1:123456789012:function:other:$LATEST"},
		"missing version keeps the qualifier": {call: func() error {
			_, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("fn"), Qualifier: aws.String("1221")})
			return err
		}, code: "ResourceNotFoundException", message: "Function not found: " + arn + ":1221"},
		// LS test_ops_with_arn_qualifier_mismatch[delete_function] match_exception: $LATEST is refused before the function is looked up.
		"delete $LATEST of a missing function": {call: func() error {
			_, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("arn:aws:lambda:us-east-1:123456789012:function:other:$LATEST"), Qualifier: aws.String("$LATEST")})
			return err
		}, code: "InvalidParameterValueException", message: "$LATEST version cannot be deleted without deleting the function."},
		// LS test_delete_on_nonexisting_version: a missing function with a version qualifier, unqualified ARN.
		"delete a version of a missing function": {call: func() error {
			_, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("other"), Qualifier: aws.String("1")})
			return err
		}, code: "ResourceNotFoundException", message: "Function not found: arn:aws:lambda:us-east-1:123456789012:function:other"},
		// LS TestLambdaFunction::test_create_lambda_exceptions invalid_runtime_exc (2026-01-12).
		"unknown runtime": {call: func() error {
			_, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("rt"), Role: aws.String(testRole), Runtime: "non-existent-runtime",
				Handler: aws.String("bootstrap"), Code: &types.FunctionCode{ZipFile: zipOf(t, "x")}})
			return err
		}, code: "InvalidParameterValueException", message: "Value non-existent-runtime at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: " + runtimes + " or be a valid ARN"},
		"unknown runtime on update": {call: func() error {
			_, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("fn"), Runtime: "PYTHON3.9"})
			return err
		}, code: "InvalidParameterValueException", message: "Value PYTHON3.9 at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: " + runtimes + " or be a valid ARN"},
	})
}

// TestLambdaShapes: members AWS sends or leaves out.
func TestLambdaShapes(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{})
	c := lambdaClient(inst, 1)
	// An empty Environment is echoed as {"Variables":{}} (LS: every function
	// created with Environment {"Variables": {}} reads back that way, e.g.
	// TestLambdaTags::test_tag_limits get_fn_response).
	body := `{"FunctionName":"env","Role":"` + testRole + `","Runtime":"provided.al2023","Handler":"bootstrap","Code":{"ZipFile":"` +
		b64(zipOf(t, "x")) + `"},"Environment":{"Variables":{}}}`
	created := rawLambda(t, inst, "POST", "/2015-03-31/functions", body, 201)
	if diff := cmp.Diff(map[string]any{"Variables": map[string]any{}}, created["Environment"]); diff != "" {
		t.Errorf("CreateFunction Environment (-want +got):\n%s", diff)
	}
	waitActive(t, c, "env")
	if _, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("env")}); err != nil {
		t.Fatal(err)
	}
	got := rawLambda(t, inst, "GET", "/2015-03-31/functions/env/configuration", "", 200)
	if diff := cmp.Diff(map[string]any{"Variables": map[string]any{}}, got["Environment"]); diff != "" {
		t.Errorf("GetFunctionConfiguration Environment (-want +got):\n%s", diff)
	}
	// ListVersionsByFunction items carry no State or LastUpdateStatus members
	// (LS TestLambdaVersions::test_publish_version_on_create list_versions_result).
	list := rawLambda(t, inst, "GET", "/2015-03-31/functions/env/versions", "", 200)
	versions, _ := list["Versions"].([]any)
	if len(versions) != 2 {
		t.Fatalf("versions = %d, want 2", len(versions))
	}
	for _, v := range versions {
		item, _ := v.(map[string]any)
		for _, member := range []string{"State", "StateReason", "StateReasonCode", "LastUpdateStatus", "LastUpdateStatusReason", "LastUpdateStatusReasonCode"} {
			if val, ok := item[member]; ok {
				t.Errorf("ListVersionsByFunction item %v has %s = %v; AWS sends none", item["Version"], member, val)
			}
		}
	}
}

// TestLambdaErrorBodies: the body of an error carries Type (User, or
// Service for ServiceException) next to the message, except the
// ValidationException, which has only message (LS recordings of each).
func TestLambdaErrorBodies(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{})
	createFunction(t, lambdaClient(inst, 1), "fn", zipOf(t, "v1"))
	tests := map[string]struct {
		method, path, body string
		status             int
		want               map[string]any
	}{
		"not found": {method: "GET", path: "/2015-03-31/functions/none", status: 404,
			want: map[string]any{"Type": "User", "Message": "Function not found: arn:aws:lambda:us-east-1:123456789012:function:none"}},
		"invalid parameter": {method: "DELETE", path: "/2015-03-31/functions/none?Qualifier=%24LATEST", status: 400,
			want: map[string]any{"Type": "User", "message": "$LATEST version cannot be deleted without deleting the function."}},
		"validation": {method: "GET", path: "/2015-03-31/functions/none?Qualifier=bad%21", status: 400,
			want: map[string]any{"message": `1 validation error detected: Value 'bad!' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: \$(LATEST(\.PUBLISHED)?)|[a-zA-Z0-9-_$]+`}},
		// LS TestLambdaTags::test_tag_exceptions untag_empty_keys (the SDK
		// refuses to send this request, so it goes raw).
		"untag without keys": {method: "DELETE", path: "/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Afn", status: 400,
			want: map[string]any{"message": "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := rawLambda(t, inst, tc.method, tc.path, tc.body, tc.status)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("error body (-want +got):\n%s", diff)
			}
		})
	}
	// The service's own failures carry Type Service; throttling is the
	// caller's (Type User, with Reason).
	faulty := sandboxtest.Start(t, sandbox.Options{})
	faulty.Server.SetFaults([]sandbox.Fault{{Service: "lambda", Operation: "GetFunction", Kind: sandbox.FaultError, Rate: 1},
		{Service: "lambda", Operation: "ListFunctions", Kind: sandbox.FaultThrottle, Rate: 1}})
	if diff := cmp.Diff(map[string]any{"Type": "Service", "Message": "An internal error occurred (injected by the sandbox)."},
		rawLambda(t, faulty, "GET", "/2015-03-31/functions/fn", "", 500)); diff != "" {
		t.Errorf("ServiceException body (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"Type": "User", "message": "Rate exceeded", "Reason": "CallerRateLimitExceeded"},
		rawLambda(t, faulty, "GET", "/2015-03-31/functions/", "", 429)); diff != "" {
		t.Errorf("TooManyRequestsException body (-want +got):\n%s", diff)
	}
}

func waitActive(t *testing.T, c *lambda.Client, name string) {
	t.Helper()
	if err := lambda.NewFunctionActiveV2Waiter(c).Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)}, 10*time.Second); err != nil {
		t.Fatalf("FunctionActiveV2(%s): %v", name, err)
	}
}

func waitUpdated(t *testing.T, c *lambda.Client, name string) {
	t.Helper()
	if err := lambda.NewFunctionUpdatedV2Waiter(c).Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)}, 10*time.Second); err != nil {
		t.Fatalf("FunctionUpdatedV2(%s): %v", name, err)
	}
}

// rawLambda sends one unsigned-but-credentialed request and decodes the JSON answer.
func rawLambda(t *testing.T, inst *sandboxtest.Instance, method, path, body string, status int) map[string]any {
	t.Helper()
	req, err := http.NewRequest(method, inst.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDRAW/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=0")
	req.Header.Set("X-Amz-Date", "20260101T000000Z")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("%s %s = %d %s, want %d", method, path, resp.StatusCode, b, status)
	}
	out := map[string]any{}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s %s: not JSON: %s", method, path, b)
	}
	return out
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
