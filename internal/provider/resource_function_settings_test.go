package provider_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/rollout-tf/terraform-provider-rollout/internal/acctest"
)

// settingLines are the versioned settings the test turns on, in HCL.
var settingLines = []string{
	`vpc_config = { subnet_ids = ["subnet-0a1b", "subnet-0c2d"], security_group_ids = ["sg-0e3f"], ipv6_allowed_for_dual_stack = true }`,
	`dead_letter_config = { target_arn = "arn:aws:sqs:us-east-1:123456789012:orders-dlq" }`,
	`tracing_config = { mode = "Active" }`,
	`ephemeral_storage = { size = 2048 }`,
	`logging_config = { log_format = "JSON", application_log_level = "DEBUG", system_log_level = "WARN" }`,
	`kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"`,
}

// TestAccFunction_settings: turning the versioned settings on publishes a
// version that carries them; AWS's defaults written out plan nothing; a
// revert adopts the version without them and a second revert the one with
// them, publishing and uploading nothing; an import reads them back from
// the version (drift: what AWS has is what the state shows).
func TestAccFunction_settings(t *testing.T) {
	be := acctest.NewBackend(t)
	// moto 5.2.1 drops TracingConfig, EphemeralStorage, LoggingConfig,
	// DeadLetterConfig and KMSKeyArn from UpdateFunctionConfiguration
	// (seen with the AWS CLI against moto_server), so the publish check
	// finds $LATEST without the planned settings there.
	be.SandboxOnly(t, "versioned settings that moto does not store on update")
	zip := acctest.WriteZip(t, t.TempDir(), "fn.zip", "code")
	var plainMark, setMark rollbackMark
	plain := functionConfig(be.URL, "settings", zip)
	withSettings := functionConfig(be.URL, "settings", zip, settingLines...)
	// The same meaning as plain, AWS's defaults written out.
	defaults := functionConfig(be.URL, "settings", zip, `tracing_config = { mode = "PassThrough" }`, `ephemeral_storage = { size = 512 }`,
		`logging_config = { log_format = "Text", log_group = "/aws/lambda/settings" }`, `snap_start = { apply_on = "None" }`)
	tfresource.ParallelTest(t, tfresource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckDestroy(be.URL),
		Steps: []tfresource.TestStep{
			{
				Config:            plain,
				ConfigStateChecks: []statecheck.StateCheck{statecheck.ExpectKnownValue(fnAddr, tfjsonpath.New("version"), knownvalue.StringExact("1"))},
			},
			{
				// AWS's defaults written out: the same version, nothing to do.
				Config:           defaults,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectKnownValue(fnAddr, tfjsonpath.New("version"), knownvalue.StringExact("1"))}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(fnAddr, tfjsonpath.New("version"), knownvalue.StringExact("1")),
					statecheck.ExpectKnownValue(fnAddr, tfjsonpath.New("tracing_config").AtMapKey("mode"), knownvalue.StringExact("PassThrough")),
				},
			},
			{
				Config: withSettings,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(fnAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectUnknownValue(fnAddr, tfjsonpath.New("version")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(fnAddr, tfjsonpath.New("version"), knownvalue.StringExact("2")),
					statecheck.ExpectKnownValue(fnAddr, tfjsonpath.New("ephemeral_storage").AtMapKey("size"), knownvalue.Int64Exact(2048)),
				},
				Check: versionSettings(be.URL, "settings", "2", []any{[]string{"subnet-0a1b", "subnet-0c2d"}, []string{"sg-0e3f"}, true, "arn:aws:sqs:us-east-1:123456789012:orders-dlq",
					lambdatypes.TracingModeActive, int32(2048), lambdatypes.LogFormatJson, lambdatypes.ApplicationLogLevelDebug, lambdatypes.SystemLogLevelWarn,
					"arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"}),
			},
			{
				Config:           withSettings,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				// Revert: the version without the settings, adopted.
				PreConfig: markRollback(t, be, "settings", &plainMark),
				Config:    plain,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue(fnAddr, tfjsonpath.New("version"), knownvalue.StringExact("1")),
				}},
				Check: noPublishSince(be, "settings", &plainMark),
			},
			{
				// And back: the version with them, adopted.
				PreConfig: markRollback(t, be, "settings", &setMark),
				Config:    withSettings,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue(fnAddr, tfjsonpath.New("version"), knownvalue.StringExact("2")),
				}},
				Check: noPublishSince(be, "settings", &setMark),
			},
			{
				// One setting changed: a new version.
				Config: functionConfig(be.URL, "settings", zip, append(append([]string{}, settingLines[:3]...), `ephemeral_storage = { size = 4096 }`, settingLines[4], settingLines[5])...),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectUnknownValue(fnAddr, tfjsonpath.New("version")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{statecheck.ExpectKnownValue(fnAddr, tfjsonpath.New("version"), knownvalue.StringExact("3"))},
			},
			{
				// An import reads the settings of the version from AWS.
				ResourceName:            fnAddr,
				ImportState:             true,
				ImportStateId:           "settings:3",
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"filename"},
			},
		},
	})
}

// versionSettings checks the settings AWS holds for one version.
func versionSettings(url, function, version string, want []any) func(*terraform.State) error {
	return func(*terraform.State) error {
		got, err := sdkLambda(url).GetFunctionConfiguration(context.Background(), &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(function), Qualifier: aws.String(version)})
		if err != nil {
			return err
		}
		if got.VpcConfig == nil || got.DeadLetterConfig == nil || got.LoggingConfig == nil || got.TracingConfig == nil || got.EphemeralStorage == nil {
			return fmt.Errorf("version %s lacks settings: %+v", version, got)
		}
		have := []any{got.VpcConfig.SubnetIds, got.VpcConfig.SecurityGroupIds, aws.ToBool(got.VpcConfig.Ipv6AllowedForDualStack), aws.ToString(got.DeadLetterConfig.TargetArn), got.TracingConfig.Mode,
			aws.ToInt32(got.EphemeralStorage.Size), got.LoggingConfig.LogFormat, got.LoggingConfig.ApplicationLogLevel, got.LoggingConfig.SystemLogLevel, aws.ToString(got.KMSKeyArn)}
		if diff := cmp.Diff(want, have); diff != "" {
			return fmt.Errorf("settings of version %s (-want +got):\n%s", version, diff)
		}
		return nil
	}
}

// TestAccFunction_reservedConcurrency: reserved_concurrent_executions and
// code_signing_config_arn are set, changed and removed without
// publishing; a reservation set out of band shows on refresh and the next
// apply restores the configured value.
func TestAccFunction_reservedConcurrency(t *testing.T) {
	be := acctest.NewBackend(t)
	// moto 5.2.1 leaves GetFunction's Concurrency out for a reservation of
	// 0 (seen with the AWS CLI against moto_server).
	be.SandboxOnly(t, "a reservation of 0, which moto does not report")
	zip := acctest.WriteZip(t, t.TempDir(), "fn.zip", "code")
	c := sdkLambda(be.URL)
	var mark rollbackMark
	reserved := func(want int32, set bool) func(*terraform.State) error {
		return func(*terraform.State) error {
			out, err := c.GetFunctionConcurrency(context.Background(), &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String("capped")})
			if err != nil {
				return err
			}
			if got := out.ReservedConcurrentExecutions; (got != nil) != set || (set && *got != want) {
				return fmt.Errorf("reserved concurrency in AWS = %v, want %d (set %v)", got, want, set)
			}
			return nil
		}
	}
	const csc = "arn:aws:lambda:us-east-1:123456789012:code-signing-config:csc-0123456789abcdef0"
	codeSigning := func(want string) func(*terraform.State) error {
		return func(*terraform.State) error {
			out, err := c.GetFunctionCodeSigningConfig(context.Background(), &lambda.GetFunctionCodeSigningConfigInput{FunctionName: aws.String("capped")})
			if err != nil {
				return err
			}
			if got := aws.ToString(out.CodeSigningConfigArn); got != want {
				return fmt.Errorf("code signing config in AWS = %q, want %q", got, want)
			}
			return nil
		}
	}
	tfresource.ParallelTest(t, tfresource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckDestroy(be.URL),
		Steps: []tfresource.TestStep{
			{
				Config: functionConfig(be.URL, "capped", zip, "reserved_concurrent_executions = 5", `code_signing_config_arn = "`+csc+`"`),
				Check:  tfresource.ComposeTestCheckFunc(reserved(5, true), codeSigning(csc)),
			},
			{
				PreConfig: markRollback(t, be, "capped", &mark),
				Config:    functionConfig(be.URL, "capped", zip, "reserved_concurrent_executions = 0"),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(fnAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(fnAddr, tfjsonpath.New("version"), knownvalue.StringExact("1")),
				}},
				Check: tfresource.ComposeTestCheckFunc(reserved(0, true), noPublishSince(be, "capped", &mark)),
			},
			{
				// Set out of band: the refresh shows it.
				PreConfig: func() {
					if _, err := c.PutFunctionConcurrency(context.Background(), &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("capped"), ReservedConcurrentExecutions: aws.Int32(7)}); err != nil {
						t.Fatal(err)
					}
				},
				RefreshState:       true,
				ExpectNonEmptyPlan: true,
				Check:              tfresource.TestCheckResourceAttr(fnAddr, "reserved_concurrent_executions", "7"),
			},
			{
				Config: functionConfig(be.URL, "capped", zip, "reserved_concurrent_executions = 0"),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue(fnAddr, tfjsonpath.New("reserved_concurrent_executions"), knownvalue.Int64Exact(0)),
				}},
				Check: reserved(0, true),
			},
			{
				PreConfig: markRollback(t, be, "capped", &mark),
				Config:    functionConfig(be.URL, "capped", zip),
				Check:     tfresource.ComposeTestCheckFunc(reserved(0, false), codeSigning(""), noPublishSince(be, "capped", &mark)),
			},
		},
	})
}

// TestAccFunction_settingsPerRuntime covers the settings that need a kind
// of function: image_config (a container image), snap_start (a Java
// runtime) and file_system_config (a function in a VPC). For each, a
// change publishes, a revert adopts the earlier version and publishes
// nothing, and an import reads the setting back from the version.
func TestAccFunction_settingsPerRuntime(t *testing.T) {
	t.Parallel()
	zip := acctest.WriteZip(t, t.TempDir(), "fn.zip", "code")
	image := func(url string, lines ...string) string {
		body := fmt.Sprintf("  function_name = \"img\"\n  role = %q\n  image_uri = \"123456789012.dkr.ecr.us-east-1.amazonaws.com/orders:v1\"\n", testRole)
		for _, l := range lines {
			body += "  " + l + "\n"
		}
		return acctest.ConfigCompose(acctest.SandboxConfig(url), "resource \"rollout_function\" \"test\" {\n"+body+"}\n")
	}
	java := func(url string, lines ...string) string {
		body := fmt.Sprintf("  function_name = \"jvm\"\n  role = %q\n  runtime = \"java21\"\n  handler = \"orders.Handler\"\n  filename = %q\n", testRole, zip)
		body += `  vpc_config = { subnet_ids = ["subnet-0a1b"], security_group_ids = ["sg-0e3f"] }` + "\n"
		for _, l := range lines {
			body += "  " + l + "\n"
		}
		return acctest.ConfigCompose(acctest.SandboxConfig(url), "resource \"rollout_function\" \"test\" {\n"+body+"}\n")
	}
	const efs = `file_system_config = { arn = "arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-0123456789abcdef0", local_mount_path = "/mnt/data" }`
	version := func(v string) []statecheck.StateCheck {
		return []statecheck.StateCheck{statecheck.ExpectKnownValue(fnAddr, tfjsonpath.New("version"), knownvalue.StringExact(v))}
	}
	planned := func(v string) tfresource.ConfigPlanChecks {
		return tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectKnownValue(fnAddr, tfjsonpath.New("version"), knownvalue.StringExact(v))}}
	}
	publishes := tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectUnknownValue(fnAddr, tfjsonpath.New("version"))}}
	cases := map[string]struct {
		function       string
		config         func(string, ...string) string
		before, after  []string
		importIgnoring []string
	}{
		"image_config": {function: "img", config: image, before: []string{`image_config = { command = ["app.handler"] }`},
			after: []string{`image_config = { command = ["app.other"], entry_point = ["/lambda-entrypoint.sh"], working_directory = "/srv" }`}, importIgnoring: []string{"image_uri"}},
		"snap_start": {function: "jvm", config: java, before: []string{`snap_start = { apply_on = "PublishedVersions" }`}, after: nil,
			importIgnoring: []string{"filename"}},
		"file_system_config": {function: "jvm", config: java, before: []string{efs}, after: nil, importIgnoring: []string{"filename"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			be := acctest.NewBackend(t)
			be.SandboxOnly(t, "settings that moto does not store on update")
			var mark rollbackMark
			tfresource.ParallelTest(t, tfresource.TestCase{
				PreCheck:                 func() { acctest.PreCheck(t) },
				ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
				CheckDestroy:             acctest.CheckDestroy(be.URL),
				Steps: []tfresource.TestStep{
					{Config: tc.config(be.URL, tc.before...), ConfigStateChecks: version("1")},
					{Config: tc.config(be.URL, tc.after...), ConfigPlanChecks: publishes, ConfigStateChecks: version("2")},
					{PreConfig: markRollback(t, be, tc.function, &mark), Config: tc.config(be.URL, tc.before...), ConfigPlanChecks: planned("1"),
						Check: noPublishSince(be, tc.function, &mark)},
					{ResourceName: fnAddr, ImportState: true, ImportStateId: tc.function + ":1", ImportStateVerify: true, ImportStateVerifyIgnore: tc.importIgnoring},
				},
			})
		})
	}
}

// TestAccFunction_codeSigningRead: Read asks AWS for the code signing
// configuration only when the state records one (issue 22: a no-op plan
// stays at 2 calls per function). A configuration removed outside
// Terraform still shows on refresh and the next apply puts it back; an
// import records the one the function has.
func TestAccFunction_codeSigningRead(t *testing.T) {
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "code signing configurations, which moto does not keep")
	zip := acctest.WriteZip(t, t.TempDir(), "fn.zip", "code")
	c := sdkLambda(be.URL)
	const csc = "arn:aws:lambda:us-east-1:123456789012:code-signing-config:csc-0123456789abcdef0"
	signed := functionConfig(be.URL, "signed", zip, `code_signing_config_arn = "`+csc+`"`)
	tfresource.ParallelTest(t, tfresource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckDestroy(be.URL),
		Steps: []tfresource.TestStep{
			{Config: signed},
			{
				// Removed out of band: the refresh shows it.
				PreConfig: func() {
					if _, err := c.DeleteFunctionCodeSigningConfig(context.Background(), &lambda.DeleteFunctionCodeSigningConfigInput{FunctionName: aws.String("signed")}); err != nil {
						t.Fatal(err)
					}
				},
				RefreshState:       true,
				ExpectNonEmptyPlan: true,
				Check:              tfresource.TestCheckNoResourceAttr(fnAddr, "code_signing_config_arn"),
			},
			{
				Config: signed,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(fnAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(fnAddr, tfjsonpath.New("version"), knownvalue.StringExact("1")),
				}},
				Check: func(*terraform.State) error {
					out, err := c.GetFunctionCodeSigningConfig(context.Background(), &lambda.GetFunctionCodeSigningConfigInput{FunctionName: aws.String("signed")})
					if err != nil {
						return err
					}
					if got := aws.ToString(out.CodeSigningConfigArn); got != csc {
						return fmt.Errorf("code signing config in AWS = %q, want %q (the apply puts it back)", got, csc)
					}
					return nil
				},
			},
			{Config: signed, ResourceName: fnAddr, ImportState: true, ImportStateId: "signed", ImportStateVerify: true, ImportStateVerifyIgnore: []string{"filename"}},
		},
	})
}
