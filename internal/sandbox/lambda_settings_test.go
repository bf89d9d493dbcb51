package sandbox_test

import (
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

// TestFunctionSettingsShapes: the versioned settings come back in the
// shapes of the GetFunctionConfiguration reference (VpcConfig with VpcId,
// LoggingConfig with the levels only for JSON, defaulted to INFO,
// DeadLetterConfig and KMSKeyArn only when set), a published version
// keeps them, and an update that removes them restores AWS's defaults.
func TestFunctionSettingsShapes(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{})
	c := lambdaClient(inst, 1)
	_, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("net"), Role: aws.String(testRole), Runtime: types.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Code: &types.FunctionCode{ZipFile: zipOf(t, "v1")},
		VpcConfig:        &types.VpcConfig{SubnetIds: []string{"subnet-0a1b"}, SecurityGroupIds: []string{"sg-0c1d"}},
		DeadLetterConfig: &types.DeadLetterConfig{TargetArn: aws.String("arn:aws:sqs:us-east-1:123456789012:dlq")},
		TracingConfig:    &types.TracingConfig{Mode: types.TracingModeActive},
		EphemeralStorage: &types.EphemeralStorage{Size: aws.Int32(2048)},
		LoggingConfig:    &types.LoggingConfig{LogFormat: types.LogFormatJson, ApplicationLogLevel: types.ApplicationLogLevelDebug},
		KMSKeyArn:        aws.String("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
	})
	if err != nil {
		t.Fatal(err)
	}
	waitActive(t, c, "net")
	if _, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("net")}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"$LATEST", "1"} {
		got, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("net"), Qualifier: aws.String(q)})
		if err != nil {
			t.Fatal(err)
		}
		want := []any{[]string{"subnet-0a1b"}, []string{"sg-0c1d"}, "vpc-0a1b", "arn:aws:sqs:us-east-1:123456789012:dlq", types.TracingModeActive, int32(2048),
			types.LogFormatJson, types.ApplicationLogLevelDebug, types.SystemLogLevelInfo, "/aws/lambda/net", "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"}
		have := []any{got.VpcConfig.SubnetIds, got.VpcConfig.SecurityGroupIds, aws.ToString(got.VpcConfig.VpcId), aws.ToString(got.DeadLetterConfig.TargetArn),
			got.TracingConfig.Mode, aws.ToInt32(got.EphemeralStorage.Size), got.LoggingConfig.LogFormat, got.LoggingConfig.ApplicationLogLevel,
			got.LoggingConfig.SystemLogLevel, aws.ToString(got.LoggingConfig.LogGroup), aws.ToString(got.KMSKeyArn)}
		if diff := cmp.Diff(want, have); diff != "" {
			t.Errorf("settings of %s (-want +got):\n%s", q, diff)
		}
	}
	// Terraform's way to remove them (api_fidelity.md: an empty TargetArn
	// removes the DLQ; empty lists leave the VPC).
	if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("net"),
		VpcConfig:        &types.VpcConfig{SubnetIds: []string{}, SecurityGroupIds: []string{}},
		DeadLetterConfig: &types.DeadLetterConfig{TargetArn: aws.String("")}, TracingConfig: &types.TracingConfig{Mode: types.TracingModePassThrough},
		EphemeralStorage: &types.EphemeralStorage{Size: aws.Int32(512)}, LoggingConfig: &types.LoggingConfig{LogFormat: types.LogFormatText},
		KMSKeyArn: aws.String("")}); err != nil {
		t.Fatal(err)
	}
	waitUpdated(t, c, "net")
	got, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("net")})
	if err != nil {
		t.Fatal(err)
	}
	have := []any{got.VpcConfig == nil, got.DeadLetterConfig == nil, got.KMSKeyArn == nil, got.TracingConfig.Mode, aws.ToInt32(got.EphemeralStorage.Size),
		got.LoggingConfig.LogFormat, got.LoggingConfig.ApplicationLogLevel}
	if diff := cmp.Diff([]any{true, true, true, types.TracingModePassThrough, int32(512), types.LogFormatText, types.ApplicationLogLevel("")}, have); diff != "" {
		t.Errorf("settings after removal (-want +got):\n%s", diff)
	}
}

// TestFunctionSettingsValidation: each setting's constraint, as a
// ValidationException quoting the member, or AWS's
// InvalidParameterValueException for the rules between settings.
func TestFunctionSettingsValidation(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{})
	c := lambdaClient(inst, 1)
	createFunction(t, c, "fn", zipOf(t, "v1"))
	waitActive(t, c, "fn")
	tests := map[string]struct {
		in   lambda.UpdateFunctionConfigurationInput
		code string
		msg  string
	}{
		"storage too small": {in: lambda.UpdateFunctionConfigurationInput{EphemeralStorage: &types.EphemeralStorage{Size: aws.Int32(100)}}, code: "ValidationException",
			msg: "1 validation error detected: Value '100' at 'ephemeralStorage.size' failed to satisfy constraint: Member must have value greater than or equal to 512"},
		"storage too large": {in: lambda.UpdateFunctionConfigurationInput{EphemeralStorage: &types.EphemeralStorage{Size: aws.Int32(20000)}}, code: "ValidationException",
			msg: "1 validation error detected: Value '20000' at 'ephemeralStorage.size' failed to satisfy constraint: Member must have value less than or equal to 10240"},
		"tracing mode": {in: lambda.UpdateFunctionConfigurationInput{TracingConfig: &types.TracingConfig{Mode: "On"}}, code: "ValidationException",
			msg: "1 validation error detected: Value 'On' at 'tracingConfig.mode' failed to satisfy constraint: Member must satisfy enum value set: [Active, PassThrough]"},
		"subnets without groups": {in: lambda.UpdateFunctionConfigurationInput{VpcConfig: &types.VpcConfig{SubnetIds: []string{"subnet-1"}}}, code: "InvalidParameterValueException",
			msg: "SecurityGroupIds are required when SubnetIds are specified."},
		"dlq not sqs or sns": {in: lambda.UpdateFunctionConfigurationInput{DeadLetterConfig: &types.DeadLetterConfig{TargetArn: aws.String("arn:aws:s3:::bucket")}}, code: "InvalidParameterValueException",
			msg: "The provided target arn is invalid. Only SQS and SNS are allowed as targets."},
		"levels with text": {in: lambda.UpdateFunctionConfigurationInput{LoggingConfig: &types.LoggingConfig{LogFormat: types.LogFormatText, ApplicationLogLevel: types.ApplicationLogLevelDebug}}, code: "InvalidParameterValueException",
			msg: "To set ApplicationLogLevel or SystemLogLevel, LogFormat must be JSON."},
		"efs without vpc": {in: lambda.UpdateFunctionConfigurationInput{FileSystemConfigs: []types.FileSystemConfig{{Arn: aws.String("arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-0123456789abcdef0"), LocalMountPath: aws.String("/mnt/data")}}},
			code: "InvalidParameterValueException", msg: "When specifying FileSystemConfigs, the function must be configured with a VPC (VpcConfig)."},
		"snapstart on provided": {in: lambda.UpdateFunctionConfigurationInput{SnapStart: &types.SnapStart{ApplyOn: types.SnapStartApplyOnPublishedVersions}}, code: "InvalidParameterValueException",
			msg: "provided.al2023 is not supported for SnapStart enabled functions."},
		"image config on zip": {in: lambda.UpdateFunctionConfigurationInput{ImageConfig: &types.ImageConfig{Command: []string{"app"}}}, code: "InvalidParameterValueException",
			msg: "ImageConfig is not supported for functions with a Zip package type."},
	}
	for name, tc := range tests {
		in := tc.in
		in.FunctionName = aws.String("fn")
		_, err := c.UpdateFunctionConfiguration(ctx, &in)
		code, msg := apiError(t, err)
		if diff := cmp.Diff([]string{tc.code, tc.msg}, []string{code, msg}); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
}

// TestVPCFunctionSettlesLater: a function created in a VPC stays Pending
// longer than one without (its network interfaces come first), and is
// refused for invocation until Active.
func TestVPCFunctionSettlesLater(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	inst := sandboxtest.Start(t, sandbox.Options{Clock: clock.Now, SettleDelay: 10 * time.Second})
	c := lambdaClient(inst, 1)
	createFunction(t, c, "plain", zipOf(t, "v1"))
	if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("vpc"), Role: aws.String(testRole), Runtime: types.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Code: &types.FunctionCode{ZipFile: zipOf(t, "v1")},
		VpcConfig: &types.VpcConfig{SubnetIds: []string{"subnet-0a"}, SecurityGroupIds: []string{"sg-0b"}}}); err != nil {
		t.Fatal(err)
	}
	state := func(name string) types.State {
		out, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		return out.State
	}
	clock.Advance(11 * time.Second)
	if diff := cmp.Diff([]types.State{types.StateActive, types.StatePending}, []types.State{state("plain"), state("vpc")}); diff != "" {
		t.Errorf("states after one settle delay (-want +got):\n%s", diff)
	}
	clock.Advance(20 * time.Second)
	if got := state("vpc"); got != types.StateActive {
		t.Errorf("VPC function after three settle delays: %s, want Active", got)
	}
}

// TestReservedConcurrency: Put/Get/DeleteFunctionConcurrency, GetFunction's
// Concurrency member, the account's unreserved minimum, and invocations
// beyond the reservation throttled with
// ReservedFunctionConcurrentInvocationLimitExceeded.
func TestReservedConcurrency(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{MaxConcurrency: 8})
	c := lambdaClient(inst, 1)
	deployTestFunction(t, c, "capped", 5, nil)
	if _, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("capped"), ReservedConcurrentExecutions: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String("capped")})
	if err != nil {
		t.Fatal(err)
	}
	fn, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("capped")})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int32{2, 2}, []int32{aws.ToInt32(got.ReservedConcurrentExecutions), aws.ToInt32(fn.Concurrency.ReservedConcurrentExecutions)}); diff != "" {
		t.Errorf("reserved concurrency read back (-want +got):\n%s", diff)
	}
	_, err = c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("capped"), ReservedConcurrentExecutions: aws.Int32(901)})
	if code, msg := apiError(t, err); code != "InvalidParameterValueException" || msg != "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [100]." {
		t.Errorf("reserving 901 of 1000 = %s %q, want InvalidParameterValueException", code, msg)
	}

	var wg sync.WaitGroup
	var mu sync.Mutex
	ran, reasons := 0, map[string]int{}
	for i := 0; i < 5; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("capped"), Payload: []byte(`{"action":"sleep","ms":400}`)})
			mu.Lock()
			defer mu.Unlock()
			var tm *types.TooManyRequestsException
			switch {
			case err == nil:
				ran++
			case asTooMany(err, &tm):
				reasons[string(tm.Reason)]++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if diff := cmp.Diff([]any{2, map[string]int{"ReservedFunctionConcurrentInvocationLimitExceeded": 3}}, []any{ran, reasons}); diff != "" {
		t.Errorf("5 concurrent invokes with 2 reserved: ran and throttle reasons (-want +got):\n%s", diff)
	}

	if _, err := c.DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: aws.String("capped")}); err != nil {
		t.Fatal(err)
	}
	got, err = c.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String("capped")})
	if err != nil || got.ReservedConcurrentExecutions != nil {
		t.Errorf("after DeleteFunctionConcurrency: %v, %v; want no reservation", got.ReservedConcurrentExecutions, err)
	}
}

// TestProvisionedConcurrency: a configuration on an alias is IN_PROGRESS
// until the provisioned settle time has passed, then READY with the
// requested concurrency available; moving the alias's traffic makes it
// IN_PROGRESS again; $LATEST is refused; a deleted one is not found.
func TestProvisionedConcurrency(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	inst := sandboxtest.Start(t, sandbox.Options{Clock: clock.Now, ProvisionedDelay: time.Minute})
	c := lambdaClient(inst, 1)
	createFunction(t, c, "warm", zipOf(t, "v1"))
	waitActive(t, c, "warm")
	for i := 0; i < 2; i++ {
		if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("warm"), Description: aws.String(string(rune('a' + i)))}); err != nil {
			t.Fatal(err)
		}
		waitUpdated(t, c, "warm")
		if _, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("warm")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("warm"), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	put, err := c.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{FunctionName: aws.String("warm"), Qualifier: aws.String("live"), ProvisionedConcurrentExecutions: aws.Int32(4)})
	if err != nil {
		t.Fatal(err)
	}
	status := func() []any {
		out, err := c.GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: aws.String("warm"), Qualifier: aws.String("live")})
		if err != nil {
			t.Fatal(err)
		}
		return []any{out.Status, aws.ToInt32(out.RequestedProvisionedConcurrentExecutions), aws.ToInt32(out.AvailableProvisionedConcurrentExecutions)}
	}
	var seen [][]any
	seen = append(seen, []any{put.Status, aws.ToInt32(put.RequestedProvisionedConcurrentExecutions), aws.ToInt32(put.AvailableProvisionedConcurrentExecutions)})
	seen = append(seen, status())
	clock.Advance(time.Minute)
	seen = append(seen, status())
	if _, err := c.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("warm"), Name: aws.String("live"),
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 0.1}}}); err != nil {
		t.Fatal(err)
	}
	seen = append(seen, status())
	clock.Advance(time.Minute)
	seen = append(seen, status())
	in, ready := types.ProvisionedConcurrencyStatusEnumInProgress, types.ProvisionedConcurrencyStatusEnumReady
	want := [][]any{{in, int32(4), int32(0)}, {in, int32(4), int32(0)}, {ready, int32(4), int32(4)}, {in, int32(4), int32(0)}, {ready, int32(4), int32(4)}}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("provisioned concurrency status over time (-want +got):\n%s", diff)
	}
	_, err = c.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{FunctionName: aws.String("warm"), Qualifier: aws.String("$LATEST"), ProvisionedConcurrentExecutions: aws.Int32(1)})
	if code, msg := apiError(t, err); code != "InvalidParameterValueException" || msg != "Provisioned Concurrency Configs cannot be applied to unpublished function versions." {
		t.Errorf("provisioned concurrency on $LATEST = %s %q", code, msg)
	}
	if _, err := c.DeleteProvisionedConcurrencyConfig(ctx, &lambda.DeleteProvisionedConcurrencyConfigInput{FunctionName: aws.String("warm"), Qualifier: aws.String("live")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: aws.String("warm"), Qualifier: aws.String("live")})
	if code, _ := apiError(t, err); code != "ProvisionedConcurrencyConfigNotFoundException" {
		t.Errorf("after delete: %s, want ProvisionedConcurrencyConfigNotFoundException", code)
	}
}
