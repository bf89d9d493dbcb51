package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/validate"
)

var (
	_ resource.Resource                     = (*functionResource)(nil)
	_ resource.ResourceWithConfigure        = (*functionResource)(nil)
	_ resource.ResourceWithConfigValidators = (*functionResource)(nil)
	_ resource.ResourceWithModifyPlan       = (*functionResource)(nil)
	_ resource.ResourceWithImportState      = (*functionResource)(nil)
)

func newFunctionResource() resource.Resource { return &functionResource{} }

// functionResource is a Lambda function whose every change of code or
// configuration is an immutable published version, and whose reverts adopt
// the version that already exists.
type functionResource struct {
	data *providerData
}

const waitTimeout = 10 * time.Minute

func (r *functionResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_function"
}

func (r *functionResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A Lambda function whose every change of code or configuration is published as an immutable version. " +
			"When the planned code and configuration equal a version that is still retained, the plan shows that exact version " +
			"(`\"7\" -> \"5\"`) and the apply adopts it: no new version, no code upload. That is how a rollback works: revert the " +
			"configuration (check out the older module version) and apply.\n\n" +
			"The `release` label and the `compatible_data_schemas` range are also written into each published version's own " +
			"description, in the form `[rollout release=v1.2.0 schemas=3..5 digest=0123456789abcdef] <description>`, so they " +
			"survive the loss of Terraform state and can be read from AWS.\n\n" +
			"Destroying the resource deletes the function with all its versions and aliases.",
		Attributes: settingsAttributes(map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The function name.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"function_name": schema.StringAttribute{
				MarkdownDescription: "Name of the function, 1 to 64 letters, digits, hyphens or underscores. Changing it replaces the function.",
				Required:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators: []validator.String{validate.Regex("Invalid Function Name", functionNamePattern,
					"1 to 64 letters, digits, hyphens or underscores", `function_name = "orders-api"`)},
			},
			"role": schema.StringAttribute{
				MarkdownDescription: "ARN of the execution role, for example `arn:aws:iam::123456789012:role/orders-api`.",
				Required:            true,
				Validators: []validator.String{validate.Regex("Invalid Role ARN", lambdaRolePattern,
					"an IAM role ARN of the form arn:aws:iam::<12-digit account>:role/<name>", `role = "arn:aws:iam::123456789012:role/orders-api"`)},
			},
			"runtime": schema.StringAttribute{
				MarkdownDescription: "Runtime identifier, for example `provided.al2023`. Required with `filename` or `s3_bucket`; not used with `image_uri`.",
				Optional:            true,
			},
			"handler": schema.StringAttribute{
				MarkdownDescription: "Function entry point, for example `bootstrap`. Required with `filename` or `s3_bucket`; not used with `image_uri`.",
				Optional:            true,
			},
			"architectures": schema.ListAttribute{
				MarkdownDescription: "Instruction set: `[\"x86_64\"]` (default) or `[\"arm64\"]`.",
				Optional:            true,
				Computed:            true,
				ElementType:         types.StringType,
				Default:             listdefault.StaticValue(types.ListValueMust(types.StringType, []attr.Value{types.StringValue("x86_64")})),
				Validators: []validator.List{validate.List(validate.Msg{Summary: "Invalid Architectures",
					Problem: `it must hold exactly one of "x86_64" or "arm64"`, Example: `architectures = ["arm64"]`},
					listvalidator.SizeBetween(1, 1), listvalidator.ValueStringsAre(stringvalidator.OneOf("x86_64", "arm64")))},
			},
			"memory_size": schema.Int64Attribute{
				MarkdownDescription: "Memory in MB, 128 to 10240. Defaults to 128.",
				Optional:            true,
				Computed:            true,
				Default:             int64default.StaticInt64(128),
				Validators: []validator.Int64{validate.Int64(validate.Msg{Summary: "Invalid Memory Size",
					Problem: "it must be from 128 to 10240 (MB)", Example: "memory_size = 512"}, int64validator.Between(128, 10240))},
			},
			"timeout": schema.Int64Attribute{
				MarkdownDescription: "Timeout in seconds, 1 to 900. Defaults to 3.",
				Optional:            true,
				Computed:            true,
				Default:             int64default.StaticInt64(3),
				Validators: []validator.Int64{validate.Int64(validate.Msg{Summary: "Invalid Timeout",
					Problem: "it must be from 1 to 900 (seconds)", Example: "timeout = 30"}, int64validator.Between(1, 900))},
			},
			"environment": schema.MapAttribute{
				MarkdownDescription: "Environment variables of the function. Sensitive: values never appear in plan output.",
				Optional:            true,
				Sensitive:           true,
				ElementType:         types.StringType,
				Validators: []validator.Map{mapvalidator.KeysAre(validate.Strings(validate.Msg{Summary: "Invalid Environment Variable Name", Attr: "environment key",
					Problem: "it must start with a letter and hold only letters, digits and underscores, at least 2 characters", Example: `environment = { LOG_LEVEL = "info" }`},
					stringvalidator.RegexMatches(envKeyPattern, "")))},
			},
			"layers": schema.ListAttribute{
				MarkdownDescription: "Layer version ARNs, at most 5, for example `arn:aws:lambda:us-east-1:123456789012:layer:deps:3`.",
				Optional:            true,
				ElementType:         types.StringType,
				Validators: []validator.List{
					validate.List(validate.Msg{Summary: "Too Many Layers", Problem: "a function can use at most 5 layers",
						Example: `layers = ["arn:aws:lambda:us-east-1:123456789012:layer:deps:3"]`,
						Value: func(v attr.Value) string {
							l, _ := v.(types.List)
							return fmt.Sprintf("(%d layers)", len(l.Elements()))
						}},
						listvalidator.SizeAtMost(5)),
					listvalidator.ValueStringsAre(validate.Strings(validate.Msg{Summary: "Invalid Layer ARN", Problem: "it must be a layer version ARN",
						Example: `layers = ["arn:aws:lambda:us-east-1:123456789012:layer:deps:3"]`}, stringvalidator.RegexMatches(layerARNPattern, ""))),
				},
			},
			"description": schema.StringAttribute{
				MarkdownDescription: "Description of the function, at most 256 characters. Published versions carry it after the rollout metadata, shortened to fit.",
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(""),
				Validators: []validator.String{validate.Strings(validate.Msg{Summary: "Invalid Description", Problem: "it must be at most 256 characters",
					Example: `description = "Orders API"`, Value: func(v attr.Value) string {
						d, _ := v.(types.String)
						return fmt.Sprintf("(%d characters)", len(d.ValueString()))
					}},
					stringvalidator.LengthAtMost(256))},
			},
			"tags": schema.MapAttribute{
				MarkdownDescription: "Tags of the function. Tags are not versioned: changing them publishes nothing. Keys starting with " +
					"`rollout:` are reserved for the provider's operational tags (`rollout:override`, set by `rolloutctl override` to steer " +
					"one running canary, `rollout:rolled-back:<digest>`, the memory of rolled-back releases, and `rollout:release:<version>`, a label changed after publish, see `release`): they cannot be set here " +
					"(a plan-time error), and are never shown as drift or removed. " + fmt.Sprintf("At most %d tags: AWS allows %d per function and the provider reserves %d "+
					"(the override, the newest %d rollback records, one release label; a plan-time error beyond), so that a rollback is always remembered.",
					lambdaops.MaxUserTags, lambdaops.MaxFunctionTags, lambdaops.ReservedTagSlots, lambdaops.MinRollbackRecords),
				Optional:    true,
				ElementType: types.StringType,
				Validators:  []validator.Map{reservedTagsValidator{}},
			},
			"filename": schema.StringAttribute{
				MarkdownDescription: "Path of a local zip file with the code. The provider hashes the file at plan time, so a changed file " +
					"plans a new version and a reverted file plans the version that already has that code. Exactly one of `filename`, `s3_bucket` or `image_uri`.",
				Optional: true,
			},
			"s3_bucket": schema.StringAttribute{
				MarkdownDescription: "S3 bucket of the code zip; with `s3_key`.",
				Optional:            true,
			},
			"s3_key": schema.StringAttribute{
				MarkdownDescription: "S3 key of the code zip; with `s3_bucket`.",
				Optional:            true,
			},
			"s3_object_version": schema.StringAttribute{
				MarkdownDescription: "Version id of the S3 object; pin it so that a release always means the same code.",
				Optional:            true,
			},
			"image_uri": schema.StringAttribute{
				MarkdownDescription: "Container image URI. Use an immutable tag or a digest (`...@sha256:...`): the plan warns about `latest` or a missing tag.",
				Optional:            true,
				Validators:          []validator.String{imageTagValidator{}},
			},
			"source_code_hash": schema.StringAttribute{
				MarkdownDescription: "Base64 SHA-256 of the S3 zip (`filebase64sha256(\"build.zip\")`). With it, the plan knows the code without " +
					"reading the object; without it, a change of the S3 location makes the plan read the object once to hash it. Ignored with `filename`, which is hashed directly.",
				Optional: true,
			},
			"release": schema.StringAttribute{
				MarkdownDescription: "Free label of what this code is: a semver (`v1.2.0`), a git ref, a module version. Recorded in state and in " +
					"each version published from now on; `rolloutctl` uses it to say what to check out. Up to 64 characters without spaces or brackets. " +
					"A version's description cannot change, so changing only `release` publishes nothing and records the new label of the same " +
					"version in the function tag `rollout:release:<version>`, which overrides the description's label in `versions`, in the " +
					"`rollout_function_versions` data source and in `rolloutctl` (history, pick, status).",
				Optional: true,
				Validators: []validator.String{validate.Regex("Invalid Release Label", lambdaops.ReleaseRE,
					"1 to 64 letters, digits or ._/+@:=- (no spaces or brackets)", `release = "v1.2.0"`)},
			},
			"compatible_data_schemas": schema.SingleNestedAttribute{
				MarkdownDescription: "The data-schema versions this code can read and write, recorded in each version published from now on. " +
					"`rollout_alias` with `data_schema_version` refuses to route traffic to a version whose range excludes it.",
				Optional: true,
				Attributes: map[string]schema.Attribute{
					"min": schema.Int64Attribute{
						MarkdownDescription: "Lowest compatible schema version (inclusive).",
						Optional:            true,
						Validators:          []validator.Int64{validate.Int64AtLeast("Invalid Data Schema Range", 0, "compatible_data_schemas = { min = 3, max = 5 }")},
					},
					"max": schema.Int64Attribute{
						MarkdownDescription: "Highest compatible schema version (inclusive).",
						Optional:            true,
						Validators:          []validator.Int64{validate.Int64AtLeast("Invalid Data Schema Range", 0, "compatible_data_schemas = { min = 3, max = 5 }")},
					},
				},
			},
			"retain_versions": schema.Int64Attribute{
				MarkdownDescription: "How many published versions to keep; older ones are deleted after a publish, oldest first, never the current " +
					"one and never one an alias routes to. `0` keeps all. Defaults to 10.",
				Optional:   true,
				Computed:   true,
				Default:    int64default.StaticInt64(10),
				Validators: []validator.Int64{validate.Int64AtLeast("Invalid Retention", 0, "retain_versions = 10")},
			},
			"arn": schema.StringAttribute{
				MarkdownDescription: "Unqualified ARN of the function.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"version": schema.StringAttribute{
				MarkdownDescription: "The published version this configuration runs as. Known at plan time when nothing changes or when the plan adopts a retained version.",
				Computed:            true,
			},
			"qualified_arn": schema.StringAttribute{
				MarkdownDescription: "ARN of the published version.",
				Computed:            true,
			},
			"code_sha256": schema.StringAttribute{
				MarkdownDescription: "Base64 SHA-256 of the code of the published version.",
				Computed:            true,
			},
			"version_data_schemas": schema.SingleNestedAttribute{
				MarkdownDescription: "The `compatible_data_schemas` that `version` records, known at plan time: for a version this apply " +
					"publishes, the configured range; for an adopted or unchanged version, the range it recorded when it was published. " +
					"`min` and `max` are null when none is recorded. Pass it to `rollout_alias.version_data_schemas` so that the alias's " +
					"data-schema guard checks a version whose number is not known yet, at plan time, before anything is published.",
				Computed: true,
				Attributes: map[string]schema.Attribute{
					"min": schema.Int64Attribute{MarkdownDescription: "Lowest compatible schema version recorded (inclusive), if any.", Computed: true},
					"max": schema.Int64Attribute{MarkdownDescription: "Highest compatible schema version recorded (inclusive), if any.", Computed: true},
				},
			},
			"versions": schema.ListNestedAttribute{
				MarkdownDescription: "The retained published versions, newest first. Kept as the last apply recorded them, so a refresh " +
					"costs the same whatever their number, except when AWS shows the state does not know the history: when `$LATEST` " +
					"differs from the current version (after an older state was pushed back, say), the refresh lists them from AWS " +
					"(`terraform apply -refresh-only` corrects them). A plan that would publish lists them first in any case and adopts a " +
					"retained version with the same code and configuration instead of publishing a duplicate.",
				Computed: true,
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"number":          schema.StringAttribute{MarkdownDescription: "Version number.", Computed: true},
					"code_sha256":     schema.StringAttribute{MarkdownDescription: "Base64 SHA-256 of the version's code.", Computed: true},
					"digest":          schema.StringAttribute{MarkdownDescription: "Digest of the version's code and configuration; equal digests mean interchangeable versions.", Computed: true},
					"release":         schema.StringAttribute{MarkdownDescription: "Release label recorded with the version, if any.", Computed: true},
					"data_schema_min": schema.Int64Attribute{MarkdownDescription: "Lowest compatible data schema recorded with the version, if any.", Computed: true},
					"data_schema_max": schema.Int64Attribute{MarkdownDescription: "Highest compatible data schema recorded with the version, if any.", Computed: true},
					"published_at":    schema.StringAttribute{MarkdownDescription: "When the version was published (RFC 3339).", Computed: true},
				}},
			},
			"code_signing_config_arn": schema.StringAttribute{
				MarkdownDescription: "ARN of a code signing configuration (AWS's `PutFunctionCodeSigningConfig`), for example " +
					"`arn:aws:lambda:us-east-1:123456789012:code-signing-config:csc-0123456789abcdef0`: AWS then checks the signature of code uploads. " +
					"Not versioned: changing it publishes nothing.",
				Optional: true,
				Validators: []validator.String{validate.Regex("Invalid Code Signing Config ARN", codeSigningPattern, "a code signing configuration ARN",
					`code_signing_config_arn = "arn:aws:lambda:us-east-1:123456789012:code-signing-config:csc-0123456789abcdef0"`)},
			},
			"reserved_concurrent_executions": schema.Int64Attribute{
				MarkdownDescription: "Concurrency reserved for the function (AWS's `PutFunctionConcurrency`): at most this many invocations run at once, " +
					"the rest are throttled, and this many are kept for it out of the account's quota. `0` stops all invocations. Unset leaves the function " +
					"on the account's unreserved pool. Not versioned: changing it publishes nothing. AWS refuses a reservation that leaves the account fewer than 100 unreserved.",
				Optional: true,
				Validators: []validator.Int64{validate.Int64(validate.Msg{Summary: "Invalid Reserved Concurrency", Problem: "it must be at least 0 (0 stops all invocations)",
					Example: "reserved_concurrent_executions = 50"}, int64validator.AtLeast(0))},
			},
		}),
	}
}

func (r *functionResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = configureData(req.ProviderData, &resp.Diagnostics)
}

// ConfigValidators are the cross-field rules (function_validate.go).
func (r *functionResource) ConfigValidators(context.Context) []resource.ConfigValidator {
	return functionRules
}

func (r *functionResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan functionModelV0
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	c, ok := r.lambda(ctx, &resp.Diagnostics)
	if !ok {
		return
	}
	name := plan.FunctionName.ValueString()
	code, diags := r.codeInput(ctx, plan)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	in := &lambda.CreateFunctionInput{
		FunctionName: aws.String(name), Role: aws.String(plan.Role.ValueString()),
		Description: aws.String(plan.Description.ValueString()), Timeout: aws.Int32(int32(plan.Timeout.ValueInt64())),
		MemorySize: aws.Int32(int32(plan.MemorySize.ValueInt64())), Code: code.create(),
		Architectures: toArchitectures(stringList(ctx, plan.Architectures)), Layers: stringList(ctx, plan.Layers),
		Environment: &lambdatypes.Environment{Variables: stringMap(ctx, plan.Environment)}, Tags: stringMap(ctx, plan.Tags),
	}
	if code.image != "" {
		in.PackageType = lambdatypes.PackageTypeImage
	} else {
		in.Runtime, in.Handler = lambdatypes.Runtime(plan.Runtime.ValueString()), aws.String(plan.Handler.ValueString())
	}
	settings, _ := plan.settings(ctx)
	createSettings(in, settings)
	out, err := c.CreateFunction(ctx, in)
	if err != nil {
		var conflict *lambdatypes.ResourceConflictException
		if errors.As(err, &conflict) {
			resp.Diagnostics.AddAttributeError(path.Root("function_name"), "Function Already Exists",
				apiErrorDetail(fmt.Sprintf("A function named %q already exists in this account and region.", name),
					fmt.Sprintf("Import it to manage it here: terraform import <address> %s", name), err))
			return
		}
		resp.Diagnostics.AddError("Function Create Error", apiErrorDetail(fmt.Sprintf("CreateFunction %s failed.", name), "Check the role and code, then apply again.", err))
		return
	}
	// The function exists from here on: save what is true even if a later step fails.
	plan.ID, plan.ARN = types.StringValue(name), types.StringValue(aws.ToString(out.FunctionArn))
	if err := lambdaops.WaitActive(ctx, c, name, waitTimeout); err != nil {
		r.saveUnpublished(ctx, &plan, resp.State.Set, &resp.Diagnostics)
		resp.Diagnostics.AddError("Function Create Error", apiErrorDetail(fmt.Sprintf("Function %s did not become Active.", name), "Check the function's StateReason in AWS, then apply again.", err))
		return
	}
	none := functionModelV0{ReservedConcurrentExecutions: types.Int64Null(), CodeSigningConfigARN: types.StringNull()}
	if !r.functionLevel(ctx, c, name, &none, &plan, &resp.Diagnostics) {
		r.saveUnpublished(ctx, &plan, resp.State.Set, &resp.Diagnostics)
		return
	}
	r.publishAndSave(ctx, c, code, nil, &plan, nil, resp.State.Set, &resp.Diagnostics)
}

// Read makes two API calls whatever the number of versions (GetFunction
// for existence, ARN, tags and reserved concurrency; GetFunctionConfiguration
// of the current version for its configuration), and a third,
// GetFunctionCodeSigningConfig, only when the state records a code signing
// configuration (the configuration sets one: a removal outside Terraform
// shows as drift; ImportState reads it once, so an imported function's is
// recorded too). It edits the top level of the raw state and leaves the
// versions list as it is, so its cost does not grow with the retained
// history either. Its reads are remembered for the walk (read_cache.go).
func (r *functionResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	st, err := openRawState(req.State.Raw)
	if err != nil {
		resp.Diagnostics.AddError("Function State Error", "The state could not be decoded. Please report this issue to the provider developers.\n\nOriginal Error: "+err.Error())
		return
	}
	prior := functionModelV0{
		FunctionName: st.str(ctx, "function_name"), Version: st.str(ctx, "version"), Tags: st.strMap(ctx, "tags"),
		Runtime: st.str(ctx, "runtime"), Handler: st.str(ctx, "handler"), Layers: st.strList(ctx, "layers"),
		Environment: st.strMap(ctx, "environment"), Description: st.str(ctx, "description"),
		CodeSigningConfigARN: st.str(ctx, "code_signing_config_arn"),
	}
	for _, b := range settingBlocks {
		b.field(&prior).set(rawGet[attr.Value](ctx, st, b.name, b.typ, nil))
	}
	c, ok := r.lambda(ctx, &resp.Diagnostics)
	if !ok {
		return
	}
	name := prior.FunctionName.ValueString()
	fn, err := r.data.reads().functionFresh(ctx, c, name)
	if lambdaops.IsNotFound(err) {
		resp.Diagnostics.AddWarning("Function Not Found", fmt.Sprintf("Function %s no longer exists; it is removed from state and the next plan creates it.", name))
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Function Read Error", apiErrorDetail(fmt.Sprintf("GetFunction %s failed.", name), "Check credentials and connectivity, then run again.", err))
		return
	}
	st.set(ctx, "id", types.StringValue(name))
	st.set(ctx, "arn", types.StringValue(aws.ToString(fn.Configuration.FunctionArn)))
	st.set(ctx, "tags", mapOrNull(withoutOperationalTags(fn.Tags), prior.Tags))
	reserved := types.Int64Null()
	if fn.Concurrency != nil && fn.Concurrency.ReservedConcurrentExecutions != nil {
		reserved = types.Int64Value(int64(*fn.Concurrency.ReservedConcurrentExecutions))
	}
	st.set(ctx, "reserved_concurrent_executions", reserved)
	if !prior.CodeSigningConfigARN.IsNull() && !prior.CodeSigningConfigARN.IsUnknown() {
		csc, err := readCodeSigning(ctx, c, name)
		if err != nil {
			resp.Diagnostics.AddError("Function Read Error", apiErrorDetail(fmt.Sprintf("GetFunctionCodeSigningConfig %s failed.", name), "Check credentials and connectivity, then run again.", err))
			return
		}
		st.set(ctx, "code_signing_config_arn", csc)
	}
	if v := prior.Version.ValueString(); v != "" {
		cfg, err := lambdaops.FindVersion(ctx, c, name, v)
		if err == nil {
			r.data.reads().storeVersion(name, versionConfig(cfg))
		}
		switch {
		case lambdaops.IsNotFound(err):
			resp.Diagnostics.AddWarning("Published Version Deleted",
				fmt.Sprintf("Version %s of %s was deleted outside Terraform; the next plan publishes the configuration again or adopts a retained version.", v, name))
			var versions types.List
			resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("versions"), &versions)...)
			st.set(ctx, "version", types.StringNull())
			st.set(ctx, "qualified_arn", types.StringNull())
			st.set(ctx, "versions", entriesValue(dropEntry(entriesFromList(ctx, versions), v)))
		case err != nil:
			resp.Diagnostics.AddError("Function Read Error", apiErrorDetail(fmt.Sprintf("GetFunctionConfiguration %s:%s failed.", name, v), "Check credentials and connectivity, then run again.", err))
			return
		default:
			live := prior
			live.refreshFrom(ctx, versionConfig(cfg))
			for attr, val := range map[string]attr.Value{
				"role": live.Role, "runtime": live.Runtime, "handler": live.Handler, "memory_size": live.MemorySize,
				"timeout": live.Timeout, "architectures": live.Architectures, "layers": live.Layers, "environment": live.Environment,
				"description": live.Description, "code_sha256": live.CodeSha256, "qualified_arn": live.QualifiedARN,
				"version_data_schemas": recordedDataSchemas(versionConfig(cfg)),
			} {
				st.set(ctx, attr, val)
			}
			for _, b := range settingBlocks {
				st.set(ctx, b.name, b.field(&live).get())
			}
			r.refreshStaleVersions(ctx, c, name, fn, versionConfig(cfg), req.State, st, &resp.Diagnostics)
		}
	}
	if st.err != nil {
		resp.Diagnostics.AddError("Function State Error", "The state could not be encoded. Please report this issue to the provider developers.\n\nOriginal Error: "+st.err.Error())
		return
	}
	resp.State.Raw = st.value()
}

func (r *functionResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state functionModelV0
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	c, ok := r.lambda(ctx, &resp.Diagnostics)
	if !ok {
		return
	}
	name := plan.FunctionName.ValueString()
	if err := r.updateTags(ctx, c, state.ARN.ValueString(), stringMap(ctx, state.Tags), stringMap(ctx, plan.Tags)); err != nil {
		resp.Diagnostics.AddError("Function Tags Error", apiErrorDetail(fmt.Sprintf("Updating the tags of %s failed.", name), "Apply again.", err))
		return
	}
	if !r.functionLevel(ctx, c, name, &state, &plan, &resp.Diagnostics) {
		return
	}
	if !plan.Version.IsUnknown() {
		// Unchanged, or a rollback to a retained version: nothing is published or uploaded.
		if plan.Version.ValueString() != state.Version.ValueString() {
			want := adoptedEntry(ctx, plan, state)
			if want == nil || !r.versionStillMatches(ctx, name, want.Number, want.Digest) {
				resp.Diagnostics.AddError("Retained Version Changed",
					fmt.Sprintf("The plan adopted version %s of %s, but that version no longer exists with the planned code and configuration. "+
						"Nothing was changed. Run terraform plan again: it will publish a new version.", plan.Version.ValueString(), name))
				return
			}
			tflog.Info(ctx, "adopted a retained version; nothing published", map[string]any{"tf_rollout.function": name, "tf_rollout.version": want.Number})
		}
		if prev := adoptedEntry(ctx, plan, state); prev != nil {
			if e := findEntry(entriesFromList(ctx, state.Versions), prev.Number); e == nil || e.Release != plan.Release.ValueString() {
				retained := plan.Versions
				if retained.IsUnknown() {
					retained = state.Versions
				}
				r.relabel(ctx, c, state.ARN.ValueString(), name, prev.Number, plan.Release.ValueString(), entriesFromList(ctx, retained), true, &resp.Diagnostics)
				if resp.Diagnostics.HasError() {
					return
				}
			}
		}
		if plan.Versions.IsUnknown() {
			known := entriesFromList(ctx, state.Versions)
			if e := findEntry(known, plan.Version.ValueString()); e != nil {
				e.Release = plan.Release.ValueString()
			}
			entries, err := r.prune(ctx, c, name, plan.Version.ValueString(), plan.RetainVersions.ValueInt64(), known)
			if err != nil {
				resp.Diagnostics.AddError("Version Retention Error", apiErrorDetail(fmt.Sprintf("Pruning versions of %s failed.", name), "Apply again.", err))
				plan.Versions = state.Versions
			} else {
				plan.Versions = entriesValue(entries)
			}
		}
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		return
	}
	// A new version: bring $LATEST to the planned code and configuration, then publish it.
	fn, err := r.data.reads().functionFresh(ctx, c, name)
	if err != nil {
		resp.Diagnostics.AddError("Function Update Error", apiErrorDetail(fmt.Sprintf("GetFunction %s failed.", name), "Apply again.", err))
		return
	}
	code, diags := r.codeInput(ctx, plan)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	latest := fn.Configuration
	if code.differsFrom(fn) {
		out, err := c.UpdateFunctionCode(ctx, code.update(name, latest.RevisionId, toArchitectures(stringList(ctx, plan.Architectures))))
		if err != nil {
			concurrentOr(&resp.Diagnostics, err, name, "UpdateFunctionCode")
			return
		}
		tflog.Info(ctx, "uploaded new code", map[string]any{"tf_rollout.function": name, "tf_rollout.code_sha256": aws.ToString(out.CodeSha256)})
		if fn, err = lambdaops.WaitUpdatedRead(ctx, c, name, waitTimeout); err != nil {
			resp.Diagnostics.AddError("Function Code Update Error", apiErrorDetail(fmt.Sprintf("The code update of %s did not finish.", name), "Check LastUpdateStatusReason in AWS, then apply again.", err))
			return
		}
		latest = fn.Configuration
	}
	want, _ := plan.spec(ctx, "")
	if configDiffers(want, specFromConfig(*latest, "")) {
		in := plan.configurationInput(ctx, name, latest.RevisionId, code.image != "")
		if _, err := c.UpdateFunctionConfiguration(ctx, in); err != nil {
			concurrentOr(&resp.Diagnostics, err, name, "UpdateFunctionConfiguration")
			return
		}
		if fn, err = lambdaops.WaitUpdatedRead(ctx, c, name, waitTimeout); err != nil {
			resp.Diagnostics.AddError("Function Configuration Update Error", apiErrorDetail(fmt.Sprintf("The configuration update of %s did not finish.", name), "Check LastUpdateStatusReason in AWS, then apply again.", err))
			return
		}
	}
	// fn is $LATEST as the last wait (or the first read) left it: the publish
	// checks it and sends its RevisionId, so it is not read a third time.
	r.data.reads().storeFunction(name, fn)
	r.publishAndSave(ctx, c, code, fn, &plan, &state, resp.State.Set, &resp.Diagnostics)
}

func (r *functionResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state functionModelV0
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	c, ok := r.lambda(ctx, &resp.Diagnostics)
	if !ok {
		return
	}
	name := state.FunctionName.ValueString()
	_, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(name)})
	if err != nil && !lambdaops.IsNotFound(err) {
		resp.Diagnostics.AddError("Function Delete Error", apiErrorDetail(fmt.Sprintf("DeleteFunction %s failed.", name), "Apply again.", err))
	}
}

// ImportState accepts a function name or ARN, optionally qualified with
// the version this configuration runs as (orders-api:5, or a qualified
// ARN); without one the newest published version is adopted.
func (r *functionResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	name, version := req.ID, ""
	if fn, qualifier, ok := lambdaops.ParseFunctionARN(req.ID); ok {
		name, version = fn, qualifier
	} else if fn, qualifier, ok := strings.Cut(req.ID, ":"); ok {
		name, version = fn, qualifier
	}
	if !functionNamePattern.MatchString(name) || (version != "" && lambdaops.VersionNumber(aws.String(version)) == 0) {
		resp.Diagnostics.AddError("Invalid Import ID",
			validate.Detail("import id", fmt.Sprintf("%q", req.ID), "it must be a function name or ARN, optionally with :<version>",
				"terraform import rollout_function.api orders-api   (or orders-api:5)"))
		return
	}
	c, ok := r.lambda(ctx, &resp.Diagnostics)
	if !ok {
		return
	}
	versions, err := lambdaops.ListVersions(ctx, c, name)
	if err != nil {
		resp.Diagnostics.AddError("Function Import Error", apiErrorDetail(fmt.Sprintf("Listing the versions of %s failed.", name), "Check the name, then import again.", err))
		return
	}
	entries := make([]versionEntry, 0, len(versions))
	for i := len(versions) - 1; i >= 0; i-- {
		entries = append(entries, entryFromConfig(versions[i]))
	}
	if len(versions) > 0 {
		if tags, err := c.ListTags(ctx, &lambda.ListTagsInput{Resource: unqualifiedARN(versions[0])}); err == nil {
			entries = applyReleaseTags(entries, tags.Tags) // labels changed after publish
		}
	}
	current := (*versionEntry)(nil)
	if version != "" {
		if current = findEntry(entries, version); current == nil {
			resp.Diagnostics.AddError("Function Import Error", fmt.Sprintf("Function %s has no published version %s.", name, version))
			return
		}
	} else if len(entries) > 0 {
		current = &entries[0]
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("function_name"), name)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), name)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("retain_versions"), int64(10))...)
	// Read reads the code signing configuration only when the state has
	// one: record it here, once, so an imported function's is not missed.
	csc, err := readCodeSigning(ctx, c, name)
	if err != nil {
		resp.Diagnostics.AddError("Function Import Error", apiErrorDetail(fmt.Sprintf("GetFunctionCodeSigningConfig %s failed.", name), "Check credentials and connectivity, then import again.", err))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("code_signing_config_arn"), csc)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("versions"), entriesValue(entries))...)
	if current != nil {
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("version"), current.Number)...)
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("release"), nullIfEmpty(current.Release))...)
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("version_data_schemas"), dataSchemasValue(current.SchemaMin, current.SchemaMax))...)
	}
}

// readCodeSigning reads the function's code signing configuration ARN
// (null when it has none).
func readCodeSigning(ctx context.Context, c *lambda.Client, name string) (types.String, error) {
	csc, err := c.GetFunctionCodeSigningConfig(ctx, &lambda.GetFunctionCodeSigningConfigInput{FunctionName: aws.String(name)})
	if err != nil {
		return types.StringNull(), err
	}
	return nullIfEmpty(aws.ToString(csc.CodeSigningConfigArn)), nil
}

func (r *functionResource) lambda(ctx context.Context, diags *diag.Diagnostics) (*lambda.Client, bool) {
	if r.data == nil {
		diags.AddError("Provider Not Configured", "The provider was not configured before the resource was used. Please report this issue to the provider developers.")
		return nil, false
	}
	c, err := r.data.client.Lambda(ctx)
	if err != nil {
		diags.AddError("AWS Configuration Error", apiErrorDetail("The Lambda client could not be built.", "Check the provider configuration.", err))
		return nil, false
	}
	return c, true
}
