package sandbox_test

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

func createFunction(t *testing.T, c *lambda.Client, name string, zip []byte) *lambda.CreateFunctionOutput {
	t.Helper()
	out, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(name), Role: aws.String(testRole), Runtime: types.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Code: &types.FunctionCode{ZipFile: zip},
	})
	if err != nil {
		t.Fatalf("CreateFunction(%s): %v", name, err)
	}
	return out
}

func TestFunctionLifecycle(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{})
	c := lambdaClient(inst, 1)
	zip := zipOf(t, "v1")
	sum := sha256.Sum256(zip)

	created := createFunction(t, c, "fn", zip)
	if got, want := created.State, types.StatePending; got != want {
		t.Errorf("CreateFunction State = %q, want %q", got, want)
	}
	if created.LastUpdateStatus != "" {
		t.Errorf("CreateFunction LastUpdateStatus = %q, want none", created.LastUpdateStatus)
	}
	if got, want := aws.ToString(created.CodeSha256), base64.StdEncoding.EncodeToString(sum[:]); got != want {
		t.Errorf("CodeSha256 = %q, want %q", got, want)
	}
	if got, want := aws.ToString(created.FunctionArn), "arn:aws:lambda:us-east-1:123456789012:function:fn"; got != want {
		t.Errorf("FunctionArn = %q, want %q", got, want)
	}

	// The SDK's own waiter sees the function settle.
	if err := lambda.NewFunctionActiveV2Waiter(c).Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("fn")}, 10*time.Second); err != nil {
		t.Fatalf("FunctionActiveV2 waiter: %v", err)
	}
	got, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("fn")})
	if err != nil {
		t.Fatal(err)
	}
	cfg := got.Configuration
	if cfg.State != types.StateActive || cfg.LastUpdateStatus != types.LastUpdateStatusSuccessful {
		t.Errorf("settled State/LastUpdateStatus = %q/%q, want Active/Successful", cfg.State, cfg.LastUpdateStatus)
	}
	if aws.ToString(cfg.RevisionId) == aws.ToString(created.RevisionId) {
		t.Error("settling did not change RevisionId")
	}
	if aws.ToString(got.Code.RepositoryType) != "S3" {
		t.Errorf("Code.RepositoryType = %q, want S3", aws.ToString(got.Code.RepositoryType))
	}
	resp, err := http.Get(aws.ToString(got.Code.Location))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if string(body) != string(zip) {
		t.Error("Code.Location did not serve the uploaded zip")
	}

	// Publishing twice without a change returns the same version.
	v1, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn")})
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(v1.Version) != "1" || aws.ToString(again.Version) != "1" {
		t.Errorf("publish, publish = %s, %s; want 1, 1", aws.ToString(v1.Version), aws.ToString(again.Version))
	}
	if got, want := aws.ToString(v1.FunctionArn), "arn:aws:lambda:us-east-1:123456789012:function:fn:1"; got != want {
		t.Errorf("version ARN = %q, want %q", got, want)
	}

	// An update goes InProgress, settles, and the next publish is version 2.
	upd, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("fn"), MemorySize: aws.Int32(256)})
	if err != nil {
		t.Fatal(err)
	}
	if upd.LastUpdateStatus != types.LastUpdateStatusInProgress {
		t.Errorf("UpdateFunctionConfiguration LastUpdateStatus = %q, want InProgress", upd.LastUpdateStatus)
	}
	if err := lambda.NewFunctionUpdatedV2Waiter(c).Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("fn")}, 10*time.Second); err != nil {
		t.Fatalf("FunctionUpdatedV2 waiter: %v", err)
	}
	if v, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn")}); err != nil || aws.ToString(v.Version) != "2" {
		t.Fatalf("publish after update = %v, %v; want version 2", v, err)
	}

	// Numbers are never reused: delete 1, change, publish -> 3.
	if _, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("fn"), Qualifier: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("fn"), ZipFile: zipOf(t, "v2")}); err != nil {
		t.Fatal(err)
	}
	if v, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn")}); err != nil || aws.ToString(v.Version) != "3" {
		t.Fatalf("publish after delete = %v, %v; want version 3", v, err)
	}
	list, err := c.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String("fn")})
	if err != nil {
		t.Fatal(err)
	}
	var versions, arns []string
	for _, v := range list.Versions {
		versions = append(versions, aws.ToString(v.Version))
		arns = append(arns, aws.ToString(v.FunctionArn))
	}
	if diff := cmp.Diff([]string{"$LATEST", "2", "3"}, versions); diff != "" {
		t.Errorf("ListVersionsByFunction versions (-want +got):\n%s", diff)
	}
	if got, want := arns[0], "arn:aws:lambda:us-east-1:123456789012:function:fn:$LATEST"; got != want {
		t.Errorf("$LATEST entry ARN = %q, want %q", got, want)
	}
	// The published version keeps its own RevisionId and is Active/Successful.
	v2, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("fn"), Qualifier: aws.String("2")})
	if err != nil {
		t.Fatal(err)
	}
	if v2.State != types.StateActive || v2.LastUpdateStatus != types.LastUpdateStatusSuccessful || v2.MemorySize == nil || *v2.MemorySize != 256 {
		t.Errorf("version 2 = %s/%s memory %v, want Active/Successful memory 256", v2.State, v2.LastUpdateStatus, v2.MemorySize)
	}
	if err := lambda.NewPublishedVersionActiveWaiter(c).Wait(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("fn"), Qualifier: aws.String("2")}, 10*time.Second); err != nil {
		t.Errorf("PublishedVersionActive waiter: %v", err)
	}
}

func TestPublishPreconditionsAndStates(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	inst := sandboxtest.Start(t, sandbox.Options{Clock: clock.Now, SettleDelay: time.Second})
	c := lambdaClient(inst, 1)
	createFunction(t, c, "fn", zipOf(t, "v1"))

	// Pending: updates and publishes are refused until the function is created.
	_, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn")})
	code, msg := apiError(t, err)
	if code != "ResourceConflictException" || msg != "The operation cannot be performed at this time. The function is currently in the following state: Pending" {
		t.Errorf("publish while Pending = %s: %s", code, msg)
	}
	clock.Advance(time.Second)

	got, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("fn")})
	if err != nil {
		t.Fatal(err)
	}
	rev := aws.ToString(got.Configuration.RevisionId)

	_, err = c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn"), RevisionId: aws.String("not-" + rev)})
	var pre *types.PreconditionFailedException
	if !errors.As(err, &pre) {
		t.Fatalf("publish with a stale RevisionId = %v, want PreconditionFailedException", err)
	}
	if got, want := aws.ToString(pre.Message), "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id"; got != want {
		t.Errorf("precondition message = %q, want %q", got, want)
	}

	_, err = c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn"), CodeSha256: aws.String("abc")})
	var inv *types.InvalidParameterValueException
	if !errors.As(err, &inv) {
		t.Fatalf("publish with a wrong CodeSha256 = %v, want InvalidParameterValueException", err)
	}
	want := fmt.Sprintf("CodeSHA256 (abc) is different from current CodeSHA256 in $LATEST (%s). Please try again with the CodeSHA256 in $LATEST.", aws.ToString(got.Configuration.CodeSha256))
	if aws.ToString(inv.Message) != want {
		t.Errorf("CodeSha256 message = %q, want %q", aws.ToString(inv.Message), want)
	}

	// While an update is in progress, publish and further updates conflict.
	if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("fn"), Timeout: aws.Int32(10)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn")})
	code, msg = apiError(t, err)
	if code != "ResourceConflictException" || msg != "The operation cannot be performed at this time. An update is in progress for resource: arn:aws:lambda:us-east-1:123456789012:function:fn" {
		t.Errorf("publish while InProgress = %s: %s", code, msg)
	}
	clock.Advance(time.Second)
	if v, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn"), RevisionId: nil}); err != nil || aws.ToString(v.Version) != "1" {
		t.Fatalf("publish after settling = %v, %v", v, err)
	}
}

func TestAliasRoutingRules(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{})
	c := lambdaClient(inst, 1)
	createFunction(t, c, "fn", zipOf(t, "v1"))
	for i := 1; i <= 2; i++ {
		if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("fn"), Description: aws.String("d" + strconv.Itoa(i))}); err != nil {
			t.Fatal(err)
		}
		if v, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn")}); err != nil || aws.ToString(v.Version) != strconv.Itoa(i) {
			t.Fatalf("publish %d: %v %v", i, v, err)
		}
	}
	const arn = "arn:aws:lambda:us-east-1:123456789012:function:fn"
	tests := map[string]struct {
		primary string
		weights map[string]float64
		code    string
		message string
	}{
		"weight above 1": {primary: "1", weights: map[string]float64{"2": 1.5}, code: "ValidationException",
			message: "1 validation error detected: Value '{2=1.5}' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0, Member must not be null]"},
		"negative weight": {primary: "1", weights: map[string]float64{"2": -0.1}, code: "ValidationException",
			message: "1 validation error detected: Value '{2=-0.1}' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0, Member must not be null]"},
		"two extra versions": {primary: "1", weights: map[string]float64{"2": 0.1, "3": 0.1}, code: "InvalidParameterValueException",
			message: "Number of items in AdditionalVersionWeights cannot be greater than 1"},
		"routing to the primary": {primary: "1", weights: map[string]float64{"1": 0.5}, code: "InvalidParameterValueException",
			message: "Invalid function version 1. Function version 1 is already included in routing configuration."},
		"primary $LATEST with routing": {primary: "$LATEST", weights: map[string]float64{"2": 0.5}, code: "InvalidParameterValueException",
			message: "$LATEST is not supported for an alias pointing to more than 1 version"},
		"routing key $LATEST": {primary: "1", weights: map[string]float64{"$LATEST": 0.5}, code: "ValidationException",
			message: "1 validation error detected: Value '{$LATEST=0.5}' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 1024, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [0-9]+]"},
		"missing extra version": {primary: "1", weights: map[string]float64{"9": 0.5}, code: "ResourceNotFoundException",
			message: "Function not found: " + arn + ":9"},
		"missing primary": {primary: "7", code: "ResourceNotFoundException", message: "Function not found: " + arn + ":7"},
		"primary not a version": {primary: "live", code: "ValidationException",
			message: "1 validation error detected: Value 'live' at 'functionVersion' failed to satisfy constraint: Member must satisfy regular expression pattern: (\\$LATEST|[0-9]+)"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			in := &lambda.CreateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("a" + strconv.Itoa(len(name))), FunctionVersion: aws.String(tc.primary)}
			if tc.weights != nil {
				in.RoutingConfig = &types.AliasRoutingConfiguration{AdditionalVersionWeights: tc.weights}
			}
			_, err := c.CreateAlias(ctx, in)
			code, msg := apiError(t, err)
			if code != tc.code || msg != tc.message {
				t.Errorf("CreateAlias error = %s: %q\nwant %s: %q", code, msg, tc.code, tc.message)
			}
		})
	}

	// A valid split, then the rules on update and delete.
	live, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live"), FunctionVersion: aws.String("1"),
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 0.25}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err == nil {
		t.Error("a duplicate alias was accepted")
	} else if code, msg := apiError(t, err); code != "ResourceConflictException" || msg != "Alias already exists: "+arn+":live" {
		t.Errorf("duplicate alias = %s: %s", code, msg)
	}
	for _, v := range []string{"1", "2"} {
		_, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("fn"), Qualifier: aws.String(v)})
		if code, msg := apiError(t, err); code != "ResourceConflictException" || msg != "Unable to delete version because the following aliases reference it: [live]" {
			t.Errorf("deleting version %s used by live = %s: %s", v, code, msg)
		}
	}
	_, err = c.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live"), FunctionVersion: aws.String("2"), RevisionId: aws.String("stale")})
	var pre *types.PreconditionFailedException
	if !errors.As(err, &pre) {
		t.Errorf("UpdateAlias with a stale RevisionId = %v, want PreconditionFailedException", err)
	}
	upd, err := c.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live"), FunctionVersion: aws.String("2"),
		RoutingConfig: &types.AliasRoutingConfiguration{}, RevisionId: live.RevisionId})
	if err != nil {
		t.Fatal(err)
	}
	if upd.RoutingConfig != nil || aws.ToString(upd.FunctionVersion) != "2" || aws.ToString(upd.RevisionId) == aws.ToString(live.RevisionId) {
		t.Errorf("UpdateAlias result = version %s routing %v revision %s", aws.ToString(upd.FunctionVersion), upd.RoutingConfig, aws.ToString(upd.RevisionId))
	}
	again, err := c.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live")})
	if err != nil || aws.ToString(again.RevisionId) == aws.ToString(upd.RevisionId) {
		t.Errorf("a no-op UpdateAlias must still issue a new RevisionId: %v %v", again, err)
	}
	if _, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("fn"), Qualifier: aws.String("1")}); err != nil {
		t.Errorf("deleting version 1 once no alias uses it: %v", err)
	}
	_, err = c.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String("fn"), Name: aws.String("nope")})
	if code, msg := apiError(t, err); code != "ResourceNotFoundException" || msg != "Cannot find alias arn: "+arn+":nope" {
		t.Errorf("GetAlias of a missing alias = %s: %s", code, msg)
	}
	_, err = c.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("nope"), FunctionVersion: aws.String("2")})
	if code, msg := apiError(t, err); code != "ResourceNotFoundException" || msg != "Alias not found: "+arn+":nope" {
		t.Errorf("UpdateAlias of a missing alias = %s: %s", code, msg)
	}
	if _, err := c.DeleteAlias(ctx, &lambda.DeleteAliasInput{FunctionName: aws.String("fn"), Name: aws.String("nope")}); err != nil {
		t.Errorf("DeleteAlias of a missing alias must succeed: %v", err)
	}
}

func TestQualifierRules(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{})
	c := lambdaClient(inst, 1)
	createFunction(t, c, "fn", zipOf(t, "v1"))
	if _, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	const arn = "arn:aws:lambda:us-east-1:123456789012:function:fn"
	tests := map[string]struct {
		call    func() error
		code    string
		message string
	}{
		"derived qualifier differs": {
			call: func() error {
				_, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("fn:1"), Qualifier: aws.String("live")})
				return err
			},
			code: "InvalidParameterValueException", message: "The derived qualifier from the function name does not match the specified qualifier.",
		},
		"qualifiers are case-sensitive": {
			call: func() error {
				_, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("fn"), Qualifier: aws.String("$latest")})
				return err
			},
			code: "ResourceNotFoundException", message: "Function not found: " + arn + ":$latest",
		},
		"missing function": {
			call: func() error {
				_, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("other")})
				return err
			},
			code: "ResourceNotFoundException", message: "Function not found: arn:aws:lambda:us-east-1:123456789012:function:other",
		},
		"delete $LATEST": {
			call: func() error {
				_, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("fn"), Qualifier: aws.String("$LATEST")})
				return err
			},
			code: "InvalidParameterValueException", message: "$LATEST version cannot be deleted without deleting the function.",
		},
		"delete by alias": {
			call: func() error {
				_, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("fn"), Qualifier: aws.String("live")})
				return err
			},
			code: "InvalidParameterValueException", message: "Deletion of aliases is not currently supported.",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			code, msg := apiError(t, tc.call())
			if code != tc.code || msg != tc.message {
				t.Errorf("error = %s: %q\nwant %s: %q", code, msg, tc.code, tc.message)
			}
		})
	}

	// Reads through every form of the name.
	for _, ref := range []string{"fn:live", "123456789012:function:fn:live", arn + ":live"} {
		got, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(ref)})
		if err != nil {
			t.Errorf("GetFunctionConfiguration(%s): %v", ref, err)
			continue
		}
		if aws.ToString(got.FunctionArn) != arn+":live" || aws.ToString(got.Version) != "1" {
			t.Errorf("GetFunctionConfiguration(%s) = %s version %s, want %s:live version 1", ref, aws.ToString(got.FunctionArn), aws.ToString(got.Version), arn)
		}
	}
	// A missing numeric version on an existing function deletes idempotently.
	if _, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("fn"), Qualifier: aws.String("42")}); err != nil {
		t.Errorf("deleting a missing version: %v", err)
	}
}

func TestListVersionsPagination(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{})
	c := lambdaClient(inst, 1)
	createFunction(t, c, "fn", zipOf(t, "v1"))
	const n = 61
	for i := 1; i <= n; i++ {
		if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("fn"), Description: aws.String(strconv.Itoa(i))}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn")}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	pages := 0
	p := lambda.NewListVersionsByFunctionPaginator(c, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String("fn"), MaxItems: aws.Int32(10000)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(out.Versions) > 50 {
			t.Errorf("page %d has %d items; AWS sends at most 50", pages, len(out.Versions))
		}
		for _, v := range out.Versions {
			got = append(got, aws.ToString(v.Version))
		}
	}
	want := []string{"$LATEST"}
	for i := 1; i <= n; i++ {
		want = append(want, strconv.Itoa(i))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("versions across pages (-want +got):\n%s", diff)
	}
	if pages != 2 {
		t.Errorf("pages = %d, want 2", pages)
	}
}

func TestCreateFunctionValidation(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{})
	c := lambdaClient(inst, 1)
	zip := zipOf(t, "v1")
	tests := map[string]struct {
		in      lambda.CreateFunctionInput
		code    string
		message string
	}{
		"bad role": {
			in:   lambda.CreateFunctionInput{FunctionName: aws.String("f"), Role: aws.String("admin"), Runtime: types.RuntimeProvidedal2023, Handler: aws.String("h"), Code: &types.FunctionCode{ZipFile: zip}},
			code: "ValidationException", message: "1 validation error detected: Value 'admin' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+",
		},
		"memory too small": {
			in:   lambda.CreateFunctionInput{FunctionName: aws.String("f"), Role: aws.String(testRole), Runtime: types.RuntimeProvidedal2023, Handler: aws.String("h"), MemorySize: aws.Int32(64), Code: &types.FunctionCode{ZipFile: zip}},
			code: "ValidationException", message: "1 validation error detected: Value '64' at 'memorySize' failed to satisfy constraint: Member must have value greater than or equal to 128",
		},
		"no runtime for a zip": {
			in:   lambda.CreateFunctionInput{FunctionName: aws.String("f"), Role: aws.String(testRole), Code: &types.FunctionCode{ZipFile: zip}},
			code: "InvalidParameterValueException", message: "Runtime and Handler are mandatory parameters for functions created with deployment packages.",
		},
		"not a zip": {
			in:   lambda.CreateFunctionInput{FunctionName: aws.String("f"), Role: aws.String(testRole), Runtime: types.RuntimeProvidedal2023, Handler: aws.String("h"), Code: &types.FunctionCode{ZipFile: []byte("hello")}},
			code: "InvalidParameterValueException", message: "Could not unzip uploaded file. Please check your file, then try to upload again.",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := c.CreateFunction(ctx, &tc.in)
			code, msg := apiError(t, err)
			if code != tc.code || msg != tc.message {
				t.Errorf("error = %s: %q\nwant %s: %q", code, msg, tc.code, tc.message)
			}
		})
	}
	createFunction(t, c, "dup", zip)
	_, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("dup"), Role: aws.String(testRole), Runtime: types.RuntimeProvidedal2023, Handler: aws.String("h"), Code: &types.FunctionCode{ZipFile: zip}})
	var conflict *types.ResourceConflictException
	if !errors.As(err, &conflict) || aws.ToString(conflict.Message) != "Function already exist: dup" {
		t.Errorf("duplicate CreateFunction = %v", err)
	}
}

func TestTagsAndCodeSigning(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{})
	c := lambdaClient(inst, 1)
	out := createFunction(t, c, "fn", zipOf(t, "v1"))
	arn := out.FunctionArn
	if _, err := c.TagResource(ctx, &lambda.TagResourceInput{Resource: arn, Tags: map[string]string{"team": "a", "rollout:override": "pause"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagResource(ctx, &lambda.UntagResourceInput{Resource: arn, TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListTags(ctx, &lambda.ListTagsInput{Resource: arn})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"rollout:override": "pause"}, tags.Tags); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	fn, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("fn")})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"rollout:override": "pause"}, fn.Tags); diff != "" {
		t.Errorf("GetFunction tags (-want +got):\n%s", diff)
	}
	csc, err := c.GetFunctionCodeSigningConfig(ctx, &lambda.GetFunctionCodeSigningConfigInput{FunctionName: aws.String("fn")})
	if err != nil {
		t.Fatal(err)
	}
	if csc.CodeSigningConfigArn != nil {
		t.Errorf("CodeSigningConfigArn = %q, want none", aws.ToString(csc.CodeSigningConfigArn))
	}
}

func TestJournal(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{})
	c := lambdaClient(inst, 1)
	createFunction(t, c, "fn", zipOf(t, "v1"))
	mark := inst.Journal.Mark()
	if _, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("fn"), Qualifier: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	var got []sandbox.Call
	for _, call := range inst.Journal.Since(mark) {
		got = append(got, sandbox.Call{Service: call.Service, Operation: call.Operation, Function: call.Function, Qualifier: call.Qualifier, Status: call.Status, Region: call.Region, AccessKey: call.AccessKey})
	}
	want := []sandbox.Call{
		{Service: "lambda", Operation: "PublishVersion", Function: "fn", Qualifier: "1", Status: 201, Region: "us-east-1", AccessKey: "AKIDSANDBOXTEST"},
		{Service: "lambda", Operation: "GetFunction", Function: "fn", Qualifier: "1", Status: 200, Region: "us-east-1", AccessKey: "AKIDSANDBOXTEST"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("journal (-want +got):\n%s", diff)
	}
	if n := inst.Journal.Count("PublishVersion", "fn"); n != 1 {
		t.Errorf("Count(PublishVersion) = %d, want 1", n)
	}
}
