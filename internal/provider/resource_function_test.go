package provider_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"os"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/rollout-tf/terraform-provider-rollout/internal/acctest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

const (
	fnAddr   = "rollout_function.test"
	testRole = "arn:aws:iam::123456789012:role/lambda-exec"
)

// twoZips writes two packages with different code, v1.zip and v2.zip.
func twoZips(t *testing.T) (v1, v2 string) {
	t.Helper()
	dir := t.TempDir()
	return acctest.WriteZip(t, dir, "v1.zip", "one"), acctest.WriteZip(t, dir, "v2.zip", "two")
}

// sdkLambda is an operator's Lambda client beside Terraform.
func sdkLambda(url string) *lambda.Client { return acctest.LambdaClient(url) }

func fileSha(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// rollbackMark records, before a rollback step, what a check afterwards
// compares with.
type rollbackMark struct {
	journal  int
	versions int
}

func markRollback(t *testing.T, be *acctest.Backend, function string, m *rollbackMark) func() {
	return func() {
		if be.Sandbox != nil {
			m.journal = be.Sandbox.Journal.Mark()
		}
		vs, err := lambdaops.ListVersions(context.Background(), sdkLambda(be.URL), function)
		if err != nil {
			t.Fatal(err)
		}
		m.versions = len(vs)
	}
}

// noPublishSince fails when a version was added after the mark, and, on the
// sandbox, when its journal shows any publish or code upload at all.
func noPublishSince(be *acctest.Backend, function string, m *rollbackMark) func(*terraform.State) error {
	return func(*terraform.State) error {
		vs, err := lambdaops.ListVersions(context.Background(), sdkLambda(be.URL), function)
		if err != nil {
			return err
		}
		if len(vs) != m.versions {
			return fmt.Errorf("the rollback apply changed the number of versions from %d to %d", m.versions, len(vs))
		}
		if be.Sandbox == nil {
			return nil
		}
		if calls := be.Sandbox.Journal.Of(m.journal, "PublishVersion", "UpdateFunctionCode", "UpdateFunctionConfiguration", "CreateFunction"); len(calls) > 0 {
			return fmt.Errorf("the rollback apply called %s (status %d); it must adopt the retained version without publishing or uploading", calls[0].Operation, calls[0].Status)
		}
		return nil
	}
}

func TestAccFunction_publishAndRollback(t *testing.T) {
	be := acctest.NewBackend(t)
	dir := t.TempDir()
	v1 := acctest.WriteZip(t, dir, "v1.zip", "release one")
	v2 := acctest.WriteZip(t, dir, "v2.zip", "release two")
	var mark rollbackMark
	tfresource.ParallelTest(t, acctest.Case(t, be.URL, []tfresource.TestStep{
		{
			Config: functionConfig(be.URL, "orders", v1, `release = "v1.0.0"`, `compatible_data_schemas = { min = 1, max = 2 }`),
			ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(fnAddr, plancheck.ResourceActionCreate),
				plancheck.ExpectKnownValue(fnAddr, tfjsonpath.New("code_sha256"), knownvalue.StringExact(fileSha(t, v1))),
			}},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(fnAddr, tfjsonpath.New("version"), knownvalue.StringExact("1")),
				statecheck.ExpectKnownValue(fnAddr, tfjsonpath.New("qualified_arn"), knownvalue.StringExact("arn:aws:lambda:us-east-1:123456789012:function:orders:1")),
				statecheck.ExpectKnownValue(fnAddr, tfjsonpath.New("versions").AtSliceIndex(0).AtMapKey("release"), knownvalue.StringExact("v1.0.0")),
				statecheck.ExpectKnownValue(fnAddr, tfjsonpath.New("versions").AtSliceIndex(0).AtMapKey("data_schema_max"), knownvalue.Int64Exact(2)),
			},
		},
		{
			// New code: the plan cannot know the number, and says so.
			Config: functionConfig(be.URL, "orders", v2, `release = "v1.1.0"`),
			ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(fnAddr, plancheck.ResourceActionUpdate),
				plancheck.ExpectUnknownValue(fnAddr, tfjsonpath.New("version")),
			}},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(fnAddr, tfjsonpath.New("version"), knownvalue.StringExact("2")),
				statecheck.ExpectKnownValue(fnAddr, tfjsonpath.New("code_sha256"), knownvalue.StringExact(fileSha(t, v2))),
			},
		},
		{
			// Configuration only.
			Config: functionConfig(be.URL, "orders", v2, `release = "v1.1.1"`, "memory_size = 256"),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(fnAddr, tfjsonpath.New("version"), knownvalue.StringExact("3")),
				statecheck.ExpectKnownValue(fnAddr, tfjsonpath.New("versions"), knownvalue.ListSizeExact(3)),
			},
		},
		{
			// Rollback: the first code and configuration again. The plan names
			// version 1, and the apply publishes and uploads nothing.
			PreConfig: markRollback(t, be, "orders", &mark),
			Config:    functionConfig(be.URL, "orders", v1, `release = "v1.0.0"`, `compatible_data_schemas = { min = 1, max = 2 }`),
			ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(fnAddr, plancheck.ResourceActionUpdate),
				plancheck.ExpectKnownValue(fnAddr, tfjsonpath.New("version"), knownvalue.StringExact("1")),
				plancheck.ExpectKnownValue(fnAddr, tfjsonpath.New("qualified_arn"), knownvalue.StringExact("arn:aws:lambda:us-east-1:123456789012:function:orders:1")),
			}},
			Check: noPublishSince(be, "orders", &mark),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(fnAddr, tfjsonpath.New("version"), knownvalue.StringExact("1")),
				statecheck.ExpectKnownValue(fnAddr, tfjsonpath.New("code_sha256"), knownvalue.StringExact(fileSha(t, v1))),
			},
		},
		{
			// Nothing left to do.
			Config: functionConfig(be.URL, "orders", v1, `release = "v1.0.0"`, `compatible_data_schemas = { min = 1, max = 2 }`),
			ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectEmptyPlan(),
			}},
		},
		{
			ResourceName:            fnAddr,
			ImportState:             true,
			ImportStateId:           "orders:1",
			ImportStateVerify:       true,
			ImportStateVerifyIgnore: []string{"filename", "compatible_data_schemas"},
		},
		{
			ResourceName:            fnAddr,
			ImportState:             true,
			ImportStateId:           "arn:aws:lambda:us-east-1:123456789012:function:orders:1",
			ImportStateVerify:       true,
			ImportStateVerifyIgnore: []string{"filename", "compatible_data_schemas"},
		},
	}))
	// The release label and schema range live in AWS too.
	out, err := sdkLambda(be.URL).GetFunctionConfiguration(context.Background(), &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("orders"), Qualifier: aws.String("1")})
	if err == nil {
		// The function was destroyed at the end of the test; reaching here means it was not.
		t.Errorf("function still exists after destroy: %s", aws.ToString(out.Description))
	}
	if be.Sandbox == nil {
		return
	}
	if n := be.Sandbox.Journal.Count("PublishVersion", "orders"); n != 3 {
		t.Errorf("PublishVersion calls = %d, want 3 (create, code change, configuration change; none for the rollback)", n)
	}
}

func TestAccFunction_retention(t *testing.T) {
	be := acctest.NewBackend(t)
	dir := t.TempDir()
	zip := acctest.WriteZip(t, dir, "fn.zip", "code")
	c := sdkLambda(be.URL)
	step := func(desc string, versions []string) tfresource.TestStep {
		return tfresource.TestStep{
			Config: functionConfig(be.URL, "retained", zip, "retain_versions = 2", fmt.Sprintf("description = %q", desc)),
			Check: func(*terraform.State) error {
				got, err := lambdaops.ListVersions(context.Background(), c, "retained")
				if err != nil {
					return err
				}
				var nums []string
				for _, v := range got {
					nums = append(nums, aws.ToString(v.Version))
				}
				if diff := cmp.Diff(versions, nums); diff != "" {
					return fmt.Errorf("retained versions (-want +got):\n%s", diff)
				}
				return nil
			},
		}
	}
	s2 := step("two", []string{"1", "2"})
	// An alias made outside Terraform keeps version 1 alive.
	s2.PreConfig = func() {
		if _, err := c.CreateAlias(context.Background(), &lambda.CreateAliasInput{FunctionName: aws.String("retained"), Name: aws.String("pinned"), FunctionVersion: aws.String("1")}); err != nil {
			t.Fatal(err)
		}
	}
	s4 := step("four", []string{"1", "3", "4"})
	s4.ConfigStateChecks = []statecheck.StateCheck{
		statecheck.ExpectKnownValue(fnAddr, tfjsonpath.New("versions"), knownvalue.ListExact([]knownvalue.Check{
			knownvalue.ObjectPartial(map[string]knownvalue.Check{"number": knownvalue.StringExact("4")}),
			knownvalue.ObjectPartial(map[string]knownvalue.Check{"number": knownvalue.StringExact("3")}),
			knownvalue.ObjectPartial(map[string]knownvalue.Check{"number": knownvalue.StringExact("1")}),
		})),
	}
	tfresource.ParallelTest(t, acctest.Case(t, be.URL, []tfresource.TestStep{step("one", []string{"1"}), s2, step("three", []string{"1", "2", "3"}), s4}))
}

func TestAccFunction_concurrentWriter(t *testing.T) {
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "a concurrent writer at an exact point of the apply")
	inst := be.Sandbox
	dir := t.TempDir()
	v1 := acctest.WriteZip(t, dir, "v1.zip", "one")
	v2 := acctest.WriteZip(t, dir, "v2.zip", "two")
	intruder, _ := os.ReadFile(acctest.WriteZip(t, dir, "intruder.zip", "someone else's code"))
	c := sdkLambda(be.URL)
	tfresource.ParallelTest(t, acctest.Case(t, be.URL, []tfresource.TestStep{
		{Config: functionConfig(be.URL, "raced", v1)},
		{
			// Right after this apply uploads its code, another writer replaces it.
			PreConfig: func() {
				be.OnceAfterProvider("UpdateFunctionCode", 200, func() {
					if _, err := c.UpdateFunctionCode(context.Background(), &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("raced"), ZipFile: intruder}); err != nil {
						t.Errorf("intruder update: %v", err)
					}
				})
			},
			Config:      functionConfig(be.URL, "raced", v2),
			ExpectError: regexp.MustCompile(`Concurrent Change Of \$LATEST`),
		},
	}))
	versions, err := lambdaops.ListVersions(context.Background(), c, "raced")
	if err == nil && len(versions) != 1 {
		t.Errorf("versions after the race = %d, want 1: nothing may be published", len(versions))
	}
	if n := inst.Journal.Count("PublishVersion", "raced"); n != 1 {
		t.Errorf("PublishVersion calls = %d, want 1 (the create only)", n)
	}
}

func TestAccFunction_disappears(t *testing.T) {
	be := acctest.NewBackend(t)
	zip := acctest.WriteZip(t, t.TempDir(), "fn.zip", "code")
	tfresource.ParallelTest(t, acctest.Case(t, be.URL, []tfresource.TestStep{
		{Config: functionConfig(be.URL, "gone", zip)},
		{
			PreConfig: func() {
				if _, err := sdkLambda(be.URL).DeleteFunction(context.Background(), &lambda.DeleteFunctionInput{FunctionName: aws.String("gone")}); err != nil {
					t.Fatal(err)
				}
			},
			Config: functionConfig(be.URL, "gone", zip),
			ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(fnAddr, plancheck.ResourceActionCreate),
			}},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(fnAddr, tfjsonpath.New("version"), knownvalue.StringExact("1")),
			},
		},
	}))
	if be.Sandbox == nil {
		return
	}
	if n := be.Sandbox.Journal.Count("CreateFunction", "gone"); n != 2 {
		t.Errorf("CreateFunction calls = %d, want 2", n)
	}
}

func TestAccFunction_image(t *testing.T) {
	be := acctest.NewBackend(t)
	cfg := func(tag string) string {
		return acctest.ConfigCompose(acctest.SandboxConfig(be.URL), fmt.Sprintf(`resource "rollout_function" "test" {
  function_name = "img"
  role          = %q
  image_uri     = "123456789012.dkr.ecr.us-east-1.amazonaws.com/orders:%s"
}`, testRole, tag))
	}
	tfresource.ParallelTest(t, acctest.Case(t, be.URL, []tfresource.TestStep{
		{Config: cfg("v1"), ConfigStateChecks: []statecheck.StateCheck{statecheck.ExpectKnownValue(fnAddr, tfjsonpath.New("version"), knownvalue.StringExact("1"))}},
		{Config: cfg("v2"), ConfigStateChecks: []statecheck.StateCheck{statecheck.ExpectKnownValue(fnAddr, tfjsonpath.New("version"), knownvalue.StringExact("2"))}},
		{
			Config: cfg("v1"),
			ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectKnownValue(fnAddr, tfjsonpath.New("version"), knownvalue.StringExact("1")),
			}},
		},
	}))
}

func TestAccFunction_sensitiveEnvironment(t *testing.T) {
	be := acctest.NewBackend(t)
	zip := acctest.WriteZip(t, t.TempDir(), "fn.zip", "code")
	tfresource.ParallelTest(t, acctest.Case(t, be.URL, []tfresource.TestStep{{
		Config: functionConfig(be.URL, "secretive", zip, `environment = { DB_PASSWORD = "planted-secret-4417" }`),
		ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
			expectSensitive(fnAddr, "environment"),
		}},
	}}))
}

// expectSensitive checks that the plan marks an attribute sensitive, which
// is what makes Terraform print (sensitive value) instead of it.
type sensitiveCheck struct{ addr, attr string }

func expectSensitive(addr, attr string) plancheck.PlanCheck { return sensitiveCheck{addr, attr} }

func (c sensitiveCheck) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	for _, rc := range req.Plan.ResourceChanges {
		if rc.Address != c.addr {
			continue
		}
		m, ok := rc.Change.AfterSensitive.(map[string]any)
		if !ok || m[c.attr] != true {
			resp.Error = fmt.Errorf("%s.%s is not marked sensitive in the plan (after_sensitive = %v)", c.addr, c.attr, rc.Change.AfterSensitive)
		}
		return
	}
	resp.Error = fmt.Errorf("%s not in the plan", c.addr)
}

func TestAccFunction_s3CodeAndVersionsDataSource(t *testing.T) {
	be := acctest.NewBackend(t)
	// moto ignores S3ObjectVersion and deploys the newest object; the provider
	// notices and refuses to publish (internal/sandbox/testdata/moto_differences.tsv).
	be.SandboxOnly(t, "code from a pinned S3 object version")
	dir := t.TempDir()
	s3c := acctest.S3Client(be.URL)
	ctx := context.Background()
	sandboxtest.VersionedBucket(t, s3c, "artifacts")
	var objectVersions []string
	for _, content := range []string{"from s3 one", "from s3 two"} {
		b, _ := os.ReadFile(acctest.WriteZip(t, dir, "x.zip", content))
		out, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("artifacts"), Key: aws.String("orders.zip"), Body: bytes.NewReader(b)})
		if err != nil {
			t.Fatal(err)
		}
		objectVersions = append(objectVersions, aws.ToString(out.VersionId))
	}
	cfg := func(objectVersion, release string) string {
		return acctest.ConfigCompose(acctest.SandboxConfig(be.URL), fmt.Sprintf(`resource "rollout_function" "test" {
  function_name     = "s3fn"
  role              = %q
  runtime           = "provided.al2023"
  handler           = "bootstrap"
  s3_bucket         = "artifacts"
  s3_key            = "orders.zip"
  s3_object_version = %q
  release           = %q
}

data "rollout_function_versions" "all" {
  function_name = rollout_function.test.function_name
  depends_on    = [rollout_function.test]
}`, testRole, objectVersion, release))
	}
	var mark rollbackMark
	tfresource.ParallelTest(t, acctest.Case(t, be.URL, []tfresource.TestStep{
		{Config: cfg(objectVersions[0], "v1")},
		{Config: cfg(objectVersions[1], "v2"), ConfigStateChecks: []statecheck.StateCheck{
			statecheck.ExpectKnownValue(fnAddr, tfjsonpath.New("version"), knownvalue.StringExact("2")),
		}},
		{
			// Back to the first object version: the plan reads and hashes it, and adopts version 1.
			PreConfig: markRollback(t, be, "s3fn", &mark),
			Config:    cfg(objectVersions[0], "v1"),
			ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectKnownValue(fnAddr, tfjsonpath.New("version"), knownvalue.StringExact("1")),
			}},
			Check: noPublishSince(be, "s3fn", &mark),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.rollout_function_versions.all", tfjsonpath.New("versions"), knownvalue.ListExact([]knownvalue.Check{
					knownvalue.ObjectPartial(map[string]knownvalue.Check{"number": knownvalue.StringExact("2"), "release": knownvalue.StringExact("v2")}),
					knownvalue.ObjectPartial(map[string]knownvalue.Check{"number": knownvalue.StringExact("1"), "release": knownvalue.StringExact("v1")}),
				})),
			},
		},
	}))
}

// TestAccFunction_invalidConfig holds the plan-time errors of
// rollout_function: each names the attribute, the value and a valid example.
func TestAccFunction_invalidConfig(t *testing.T) {
	t.Parallel()
	zip := acctest.WriteZip(t, t.TempDir(), "fn.zip", "code")
	base := func(lines ...string) string {
		body := ""
		for _, l := range lines {
			body += "  " + l + "\n"
		}
		return acctest.ConfigCompose(acctest.ProviderConfig("us-east-1", nil, "skip_credentials_validation = true"),
			"resource \"rollout_function\" \"test\" {\n"+body+"}\n")
	}
	std := []string{`function_name = "fn"`, `role = "` + testRole + `"`, `runtime = "provided.al2023"`, `handler = "bootstrap"`}
	with := func(extra ...string) string { return base(append(append([]string{}, std...), extra...)...) }
	tests := map[string]struct {
		config string
		want   string
	}{
		"no code": {config: with(), want: `filename / s3_bucket / image_uri = (none set) is not valid: set exactly one code source. A valid example: filename = "build/orders-api.zip"`},
		"two code sources": {config: with(`filename = "`+zip+`"`, `image_uri = "repo/orders:v1"`),
			want: `filename and image_uri = (all set) is not valid: set exactly one code source.`},
		"bucket without key": {config: with(`s3_bucket = "artifacts"`), want: `s3_key = null is not valid: s3_bucket and s3_key go together.`},
		"bad name": {config: base(`function_name = "orders api"`, `role = "`+testRole+`"`, `filename = "`+zip+`"`, `runtime = "provided.al2023"`, `handler = "bootstrap"`),
			want: `function_name = "orders api" is not valid: it must be 1 to 64 letters, digits, hyphens or underscores. A valid example: function_name = "orders-api"`},
		"bad role": {config: base(`function_name = "fn"`, `role = "admin"`, `filename = "`+zip+`"`, `runtime = "provided.al2023"`, `handler = "bootstrap"`),
			want: `role = "admin" is not valid: it must be an IAM role ARN of the form arn:aws:iam::<12-digit account>:role/<name>.`},
		"zip without runtime": {config: base(`function_name = "fn"`, `role = "`+testRole+`"`, `filename = "`+zip+`"`, `handler = "bootstrap"`),
			want: `runtime = null is not valid: runtime is required for code from a zip (filename or s3_bucket). A valid example: runtime = "provided.al2023"`},
		"memory too small": {config: with(`filename = "`+zip+`"`, `memory_size = 64`), want: `memory_size = 64 is not valid: it must be from 128 to 10240 (MB). A valid example: memory_size = 512`},
		"timeout too long": {config: with(`filename = "`+zip+`"`, `timeout = 901`), want: `timeout = 901 is not valid: it must be from 1 to 900 (seconds). A valid example: timeout = 30`},
		"override tag in HCL": {config: with(`filename = "`+zip+`"`, `tags = { team = "orders", "rollout:override" = "promote" }`),
			want: `tags["rollout:override"] = "promote" is not valid: keys starting with "rollout:" are reserved for the provider's operational tags; an override steers exactly one running rollout and is set with ` + "`rolloutctl override --function NAME --alias NAME promote|pause|abort`" + `, which names that rollout, while a tag in the configuration would steer every rollout of every release. A valid example: tags = { team = "orders" }`},
		"rollback record in HCL": {config: with(`filename = "`+zip+`"`, `tags = { "rollout:rolled-back:0123456789abcdef" = "x" }`),
			want: `tags["rollout:rolled-back:0123456789abcdef"] = "x" is not valid: keys starting with "rollout:" are reserved`},
		"two architectures": {config: with(`filename = "`+zip+`"`, `architectures = ["x86_64", "arm64"]`), want: `it must hold exactly one of "x86_64" or "arm64". A valid example: architectures = ["arm64"]`},
		"bad layer":         {config: with(`filename = "`+zip+`"`, `layers = ["deps"]`), want: `layers[0] = "deps" is not valid: it must be a layer version ARN.`},
		"bad env name":      {config: with(`filename = "`+zip+`"`, `environment = { "1X" = "y" }`), want: `environment key = "1X" is not valid: it must start with a letter`},
		"release with space": {config: with(`filename = "`+zip+`"`, `release = "v1 beta"`),
			want: `release = "v1 beta" is not valid: it must be 1 to 64 letters, digits or ._/+@:=- (no spaces or brackets). A valid example: release = "v1.2.0"`},
		"schema range reversed": {config: with(`filename = "`+zip+`"`, `compatible_data_schemas = { min = 5, max = 3 }`),
			want: `compatible_data_schemas = { min = 5, max = 3 } is not valid: min must not be greater than max. A valid example: compatible_data_schemas = { min = 3, max = 5 }`},
		"negative retention": {config: with(`filename = "`+zip+`"`, `retain_versions = -1`), want: `retain_versions = -1 is not valid: it must be at least 0. A valid example: retain_versions = 10`},
		"storage too small": {config: with(`filename = "`+zip+`"`, `ephemeral_storage = { size = 256 }`),
			want: `ephemeral_storage.size = 256 is not valid: it must be from 512 to 10240 (MB). A valid example: ephemeral_storage = { size = 2048 }`},
		"tracing mode": {config: with(`filename = "`+zip+`"`, `tracing_config = { mode = "On" }`),
			want: `tracing_config.mode = "On" is not valid: it must be "Active" or "PassThrough". A valid example: tracing_config = { mode = "Active" }`},
		"subnet id": {config: with(`filename = "`+zip+`"`, `vpc_config = { subnet_ids = ["net-1"], security_group_ids = ["sg-0a"] }`),
			want: `is not valid: it must be a subnet ID (subnet- and hex digits). A valid example: subnet_ids = ["subnet-0a1b2c3d"]`},
		"too many security groups": {config: with(`filename = "`+zip+`"`, `vpc_config = { subnet_ids = ["subnet-0a"], security_group_ids = ["sg-1", "sg-2", "sg-3", "sg-4", "sg-5", "sg-6"] }`),
			want: `vpc_config.security_group_ids = ["sg-1" "sg-2" "sg-3" "sg-4" "sg-5" "sg-6"] is not valid: it must hold 1 to 5 security group IDs.`},
		"dlq not a queue": {config: with(`filename = "`+zip+`"`, `dead_letter_config = { target_arn = "arn:aws:s3:::bucket" }`),
			want: `dead_letter_config.target_arn = "arn:aws:s3:::bucket" is not valid: it must be an SQS queue or SNS topic ARN. A valid example: dead_letter_config = { target_arn = "arn:aws:sqs:us-east-1:123456789012:orders-dlq" }`},
		"log level with text": {config: with(`filename = "`+zip+`"`, `logging_config = { log_format = "Text", application_log_level = "DEBUG" }`),
			want: `logging_config.application_log_level = "DEBUG" is not valid: log levels apply to the JSON log format only, and log_format is "Text". A valid example: logging_config = { log_format = "JSON", application_log_level = "WARN" }`},
		"log format": {config: with(`filename = "`+zip+`"`, `logging_config = { log_format = "XML" }`),
			want: `logging_config.log_format = "XML" is not valid: it must be "JSON" or "Text".`},
		"efs without vpc": {config: with(`filename = "`+zip+`"`, `file_system_config = { arn = "arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-0123456789abcdef0", local_mount_path = "/mnt/data" }`),
			want: `vpc_config = null is not valid: a function mounts an EFS access point through its VPC: file_system_config needs vpc_config.`},
		"mount path": {config: with(`filename = "`+zip+`"`, `file_system_config = { arn = "arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-0123456789abcdef0", local_mount_path = "/data" }`),
			want: `file_system_config.local_mount_path = "/data" is not valid: it must be /mnt/ followed by letters, digits or - _ .. A valid example: local_mount_path = "/mnt/data"`},
		"snapstart on provided": {config: with(`filename = "`+zip+`"`, `snap_start = { apply_on = "PublishedVersions" }`),
			want: `runtime = "provided.al2023" is not valid: snap_start = { apply_on = "PublishedVersions" } works with Java 11+, Python 3.12+ and .NET 8+ runtimes. A valid example: runtime = "java21"`},
		"image config on zip": {config: with(`filename = "`+zip+`"`, `image_config = { command = ["app.handler"] }`),
			want: `needs image_uri; a zip function has none`},
		"kms key": {config: with(`filename = "`+zip+`"`, `kms_key_arn = "my-key"`),
			want: `kms_key_arn = "my-key" is not valid: it must be a KMS key or alias ARN. A valid example: kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"`},
		"code signing arn": {config: with(`filename = "`+zip+`"`, `code_signing_config_arn = "csc-1"`),
			want: `code_signing_config_arn = "csc-1" is not valid: it must be a code signing configuration ARN. A valid example: code_signing_config_arn = "arn:aws:lambda:us-east-1:123456789012:code-signing-config:csc-0123456789abcdef0"`},
		"negative reserved concurrency": {config: with(`filename = "`+zip+`"`, `reserved_concurrent_executions = -1`),
			want: `reserved_concurrent_executions = -1 is not valid: it must be at least 0 (0 stops all invocations). A valid example: reserved_concurrent_executions = 50`},
		"missing file": {config: with(`filename = "/nonexistent/fn.zip"`),
			want: `filename = "/nonexistent/fn.zip" is not valid: the file cannot be read`},
	}
	var refused acctest.Subtests
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			refused.Record(t)
			tfresource.ParallelTest(t, acctest.Case(t, "", []tfresource.TestStep{{Config: tc.config, PlanOnly: true, ExpectError: acctest.ExpectErrorText(tc.want)}}))
		})
	}
	t.Cleanup(func() {
		if ran, failed := refused.Counts(); ran > 0 {
			fmt.Printf("reliability/bad-input: rollout_function: %d invalid configurations, %d refused at plan time with its expected message, failures found: %d\n", len(tests), ran-failed, failed)
		}
	})
}

func readFile(p string) ([]byte, error) { return os.ReadFile(p) }
