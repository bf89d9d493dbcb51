package provider

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
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
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/validate"
)

var (
	_ resource.Resource                   = (*functionResource)(nil)
	_ resource.ResourceWithConfigure      = (*functionResource)(nil)
	_ resource.ResourceWithValidateConfig = (*functionResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*functionResource)(nil)
	_ resource.ResourceWithImportState    = (*functionResource)(nil)
)

func newFunctionResource() resource.Resource { return &functionResource{} }

// functionResource is a Lambda function whose every change of code or
// configuration is an immutable published version, and whose reverts adopt
// the version that already exists.
type functionResource struct {
	data *providerData
}

const waitTimeout = 10 * time.Minute

var (
	functionNamePattern = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)
	lambdaRolePattern   = regexp.MustCompile(`^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$`)
	layerARNPattern     = regexp.MustCompile(`^arn:[a-zA-Z0-9-]+:lambda:[a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d{1}:\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+$`)
	envKeyPattern       = regexp.MustCompile(`^[a-zA-Z]([a-zA-Z0-9_])+$`)
)

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
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The function name.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"function_name": schema.StringAttribute{
				MarkdownDescription: "Name of the function, 1 to 64 letters, digits, hyphens or underscores. Changing it replaces the function.",
				Required:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators: []validator.String{validate.String("Invalid Function Name", "a Lambda function name",
					`function_name = "orders-api"`, validate.Matches(functionNamePattern, "1 to 64 letters, digits, hyphens or underscores"))},
			},
			"role": schema.StringAttribute{
				MarkdownDescription: "ARN of the execution role, for example `arn:aws:iam::123456789012:role/orders-api`.",
				Required:            true,
				Validators: []validator.String{validate.String("Invalid Role ARN", "an IAM role ARN",
					`role = "arn:aws:iam::123456789012:role/orders-api"`, validate.Matches(lambdaRolePattern, "an IAM role ARN of the form arn:aws:iam::<12-digit account>:role/<name>"))},
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
			},
			"memory_size": schema.Int64Attribute{
				MarkdownDescription: "Memory in MB, 128 to 10240. Defaults to 128.",
				Optional:            true,
				Computed:            true,
				Default:             int64default.StaticInt64(128),
			},
			"timeout": schema.Int64Attribute{
				MarkdownDescription: "Timeout in seconds, 1 to 900. Defaults to 3.",
				Optional:            true,
				Computed:            true,
				Default:             int64default.StaticInt64(3),
			},
			"environment": schema.MapAttribute{
				MarkdownDescription: "Environment variables of the function. Sensitive: values never appear in plan output.",
				Optional:            true,
				Sensitive:           true,
				ElementType:         types.StringType,
			},
			"layers": schema.ListAttribute{
				MarkdownDescription: "Layer version ARNs, at most 5, for example `arn:aws:lambda:us-east-1:123456789012:layer:deps:3`.",
				Optional:            true,
				ElementType:         types.StringType,
			},
			"description": schema.StringAttribute{
				MarkdownDescription: "Description of the function, at most 256 characters. Published versions carry it after the rollout metadata, shortened to fit.",
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(""),
			},
			"tags": schema.MapAttribute{
				MarkdownDescription: "Tags of the function. Tags are not versioned: changing them publishes nothing. Keys starting with " +
					"`rollout:` are reserved for the provider's operational tags (`rollout:override`, set by `rolloutctl override` to steer " +
					"one running canary, `rollout:rolled-back:<digest>`, the memory of rolled-back releases, and `rollout:release:<version>`, a label changed after publish, see `release`): they cannot be set here " +
					"(a plan-time error), and are never shown as drift or removed.",
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
				Validators: []validator.String{validate.String("Invalid Release Label", "a release label",
					`release = "v1.2.0"`, validate.Matches(lambdaops.ReleaseRE, "1 to 64 letters, digits or ._/+@:=- (no spaces or brackets)"))},
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
		},
	}
}

func (r *functionResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = configureData(req.ProviderData, &resp.Diagnostics)
}

func (r *functionResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m functionModelV0
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	set := func(v types.String) bool { return v.IsUnknown() || (!v.IsNull() && v.ValueString() != "") }
	sources := []string{}
	if set(m.Filename) {
		sources = append(sources, "filename")
	}
	if set(m.S3Bucket) || set(m.S3Key) {
		sources = append(sources, "s3_bucket")
	}
	if set(m.ImageURI) {
		sources = append(sources, "image_uri")
	}
	switch len(sources) {
	case 0:
		resp.Diagnostics.AddAttributeError(path.Root("filename"), "Missing Function Code",
			validate.Detail("filename / s3_bucket / image_uri", "(none set)", "set exactly one code source", `filename = "build/orders-api.zip"`))
	case 1:
	default:
		resp.Diagnostics.AddAttributeError(path.Root(sources[1]), "Conflicting Function Code",
			validate.Detail(strings.Join(sources, " and "), "(all set)", "set exactly one code source", `filename = "build/orders-api.zip"`))
	}
	if set(m.S3Bucket) != set(m.S3Key) {
		missing := "s3_key"
		if !set(m.S3Bucket) {
			missing = "s3_bucket"
		}
		resp.Diagnostics.AddAttributeError(path.Root(missing), "Incomplete S3 Code Location",
			validate.Detail(missing, "null", "s3_bucket and s3_key go together", `s3_bucket = "artifacts"`+"\n  s3_key    = \"orders-api/v1.2.0.zip\""))
	}
	if set(m.S3ObjectVersion) && !set(m.S3Key) {
		resp.Diagnostics.AddAttributeError(path.Root("s3_object_version"), "Incomplete S3 Code Location",
			validate.Detail("s3_object_version", fmt.Sprintf("%q", m.S3ObjectVersion.ValueString()), "it needs s3_bucket and s3_key", `s3_key = "orders-api/v1.2.0.zip"`))
	}
	zip := set(m.Filename) || set(m.S3Bucket) || set(m.S3Key)
	if zip {
		for name, v := range map[string]types.String{"runtime": m.Runtime, "handler": m.Handler} {
			if !set(v) {
				example := `runtime = "provided.al2023"`
				if name == "handler" {
					example = `handler = "bootstrap"`
				}
				resp.Diagnostics.AddAttributeError(path.Root(name), "Missing "+strings.ToUpper(name[:1])+name[1:],
					validate.Detail(name, "null", name+" is required for code from a zip (filename or s3_bucket)", example))
			}
		}
	}
	if set(m.ImageURI) && !m.ImageURI.IsUnknown() {
		if w := mutableImageWarning(m.ImageURI.ValueString()); w != "" {
			resp.Diagnostics.AddAttributeWarning(path.Root("image_uri"), "Mutable Image Tag", w)
		}
	}
	if !m.MemorySize.IsNull() && !m.MemorySize.IsUnknown() {
		if v := m.MemorySize.ValueInt64(); v < 128 || v > 10240 {
			resp.Diagnostics.AddAttributeError(path.Root("memory_size"), "Invalid Memory Size",
				validate.Detail("memory_size", fmt.Sprint(v), "it must be from 128 to 10240 (MB)", "memory_size = 512"))
		}
	}
	if !m.Timeout.IsNull() && !m.Timeout.IsUnknown() {
		if v := m.Timeout.ValueInt64(); v < 1 || v > 900 {
			resp.Diagnostics.AddAttributeError(path.Root("timeout"), "Invalid Timeout",
				validate.Detail("timeout", fmt.Sprint(v), "it must be from 1 to 900 (seconds)", "timeout = 30"))
		}
	}
	if !m.Architectures.IsNull() && !m.Architectures.IsUnknown() {
		var archs []string
		resp.Diagnostics.Append(m.Architectures.ElementsAs(ctx, &archs, false)...)
		if len(archs) != 1 || (archs[0] != "x86_64" && archs[0] != "arm64") {
			resp.Diagnostics.AddAttributeError(path.Root("architectures"), "Invalid Architectures",
				validate.Detail("architectures", fmt.Sprintf("%q", archs), `it must hold exactly one of "x86_64" or "arm64"`, `architectures = ["arm64"]`))
		}
	}
	if !m.Layers.IsNull() && !m.Layers.IsUnknown() {
		var layers []types.String
		resp.Diagnostics.Append(m.Layers.ElementsAs(ctx, &layers, false)...)
		if len(layers) > 5 {
			resp.Diagnostics.AddAttributeError(path.Root("layers"), "Too Many Layers",
				validate.Detail("layers", fmt.Sprintf("(%d layers)", len(layers)), "a function can use at most 5 layers", `layers = ["arm:aws:lambda:us-east-1:123456789012:layer:deps:3"]`))
		}
		for i, l := range layers {
			if !l.IsUnknown() && !l.IsNull() && !layerARNPattern.MatchString(l.ValueString()) {
				resp.Diagnostics.AddAttributeError(path.Root("layers").AtListIndex(i), "Invalid Layer ARN",
					validate.Detail(fmt.Sprintf("layers[%d]", i), fmt.Sprintf("%q", l.ValueString()), "it must be a layer version ARN",
						`layers = ["arn:aws:lambda:us-east-1:123456789012:layer:deps:3"]`))
			}
		}
	}
	if !m.Environment.IsNull() && !m.Environment.IsUnknown() {
		for k := range m.Environment.Elements() {
			if !envKeyPattern.MatchString(k) {
				resp.Diagnostics.AddAttributeError(path.Root("environment").AtMapKey(k), "Invalid Environment Variable Name",
					validate.Detail("environment key", fmt.Sprintf("%q", k), "it must start with a letter and hold only letters, digits and underscores, at least 2 characters", `environment = { LOG_LEVEL = "info" }`))
			}
		}
	}
	if !m.Description.IsNull() && !m.Description.IsUnknown() && len(m.Description.ValueString()) > 256 {
		resp.Diagnostics.AddAttributeError(path.Root("description"), "Invalid Description",
			validate.Detail("description", fmt.Sprintf("(%d characters)", len(m.Description.ValueString())), "it must be at most 256 characters", `description = "Orders API"`))
	}
	if !m.CompatibleDataSchemas.IsNull() && !m.CompatibleDataSchemas.IsUnknown() {
		var ds dataSchemasModelV0
		resp.Diagnostics.Append(m.CompatibleDataSchemas.As(ctx, &ds, basetypes.ObjectAsOptions{})...)
		if ds.Min.IsNull() && ds.Max.IsNull() {
			resp.Diagnostics.AddAttributeError(path.Root("compatible_data_schemas"), "Invalid Data Schema Range",
				validate.Detail("compatible_data_schemas", "{}", "set min, max or both", "compatible_data_schemas = { min = 3, max = 5 }"))
		}
		if !ds.Min.IsNull() && !ds.Max.IsNull() && !ds.Min.IsUnknown() && !ds.Max.IsUnknown() && ds.Min.ValueInt64() > ds.Max.ValueInt64() {
			resp.Diagnostics.AddAttributeError(path.Root("compatible_data_schemas"), "Invalid Data Schema Range",
				validate.Detail("compatible_data_schemas", fmt.Sprintf("{ min = %d, max = %d }", ds.Min.ValueInt64(), ds.Max.ValueInt64()),
					"min must not be greater than max", "compatible_data_schemas = { min = 3, max = 5 }"))
		}
	}
}

// ModifyPlan decides what the plan shows for version: the current one when
// code and configuration are unchanged, an existing retained version when
// they equal it (a rollback), unknown when a new version will be published.
func (r *functionResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	var plan functionModelV0
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var state *functionModelV0
	if !req.State.Raw.IsNull() {
		state = &functionModelV0{}
		resp.Diagnostics.Append(req.State.Get(ctx, state)...)
		if resp.Diagnostics.HasError() {
			return
		}
	}
	unknownVersion := func(codeSha string) {
		plan.VersionDataSchemas = plannedDataSchemas(ctx, plan)
		plan.Version = types.StringUnknown()
		plan.QualifiedARN = types.StringUnknown()
		plan.Versions = types.ListUnknown(versionEntryType)
		plan.CodeSha256 = types.StringUnknown()
		if codeSha != "" {
			plan.CodeSha256 = types.StringValue(codeSha)
		}
	}
	code, codeSha, known, diags := r.planCode(ctx, plan, state)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	if state == nil || !known {
		unknownVersion(codeSha)
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
		return
	}
	spec, ok := plan.spec(ctx, code)
	if !ok {
		unknownVersion(codeSha)
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
		return
	}
	digest := spec.Digest()
	entries := entriesFromList(ctx, state.Versions)
	current := findEntry(entries, state.Version.ValueString())
	switch {
	case current != nil && current.Digest == digest:
		plan.Version, plan.QualifiedARN, plan.CodeSha256 = state.Version, state.QualifiedARN, state.CodeSha256
		plan.VersionDataSchemas = dataSchemasValue(current.SchemaMin, current.SchemaMax)
		plan.Versions = relabelled(ctx, state.Versions, current.Number, plan.Release)
		if plan.RetainVersions.ValueInt64() != state.RetainVersions.ValueInt64() {
			plan.Versions = types.ListUnknown(versionEntryType)
		}
	default:
		match, versions := findDigest(entries, digest), state.Versions
		if match == nil || !r.versionStillMatches(ctx, plan.FunctionName.ValueString(), match.Number, digest) {
			// A publish would be planned: first look for the digest among
			// the versions AWS retains (the state may be older than AWS).
			listed, all := r.adoptFromAWS(ctx, plan.FunctionName.ValueString(), digest, entries)
			if listed == nil {
				unknownVersion(codeSha)
				break
			}
			match, versions = listed, entriesValue(all)
		}
		tflog.Info(ctx, "plan adopts a retained version", map[string]any{"tf_rollout.function": plan.FunctionName.ValueString(), "tf_rollout.version": match.Number})
		plan.Version = types.StringValue(match.Number)
		plan.QualifiedARN = types.StringValue(state.ARN.ValueString() + ":" + match.Number)
		plan.CodeSha256 = types.StringValue(match.CodeSha256)
		plan.VersionDataSchemas = dataSchemasValue(match.SchemaMin, match.SchemaMax)
		plan.Versions = relabelled(ctx, versions, match.Number, plan.Release)
		if plan.RetainVersions.ValueInt64() != state.RetainVersions.ValueInt64() {
			plan.Versions = types.ListUnknown(versionEntryType)
		}
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

// versionStillMatches checks with one API call that a version the plan
// wants to adopt still exists with the expected code and configuration.
func (r *functionResource) versionStillMatches(ctx context.Context, name, number, digest string) bool {
	if r.data == nil {
		return false
	}
	c, err := r.data.client.Lambda(ctx)
	if err != nil {
		return false
	}
	v, err := lambdaops.FindVersion(ctx, c, name, number)
	if err != nil {
		tflog.Debug(ctx, "retained version not adoptable", map[string]any{"tf_rollout.version": number, "tf_rollout.error": err.Error()})
		return false
	}
	return entryFromConfig(versionConfig(v)).Digest == digest
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
	r.publishAndSave(ctx, c, code, &plan, nil, resp.State.Set, &resp.Diagnostics)
}

// Read makes two API calls whatever the number of versions (GetFunction for
// existence, ARN and tags; GetFunctionConfiguration of the current version
// for its configuration). It edits the top level of the raw state and
// leaves the versions list as it is, so its cost does not grow with the
// retained history either.
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
	}
	c, ok := r.lambda(ctx, &resp.Diagnostics)
	if !ok {
		return
	}
	name := prior.FunctionName.ValueString()
	fn, err := lambdaops.FindFunction(ctx, c, name)
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
	if v := prior.Version.ValueString(); v != "" {
		cfg, err := lambdaops.FindVersion(ctx, c, name, v)
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
				r.relabel(ctx, c, state.ARN.ValueString(), name, prev.Number, plan.Release.ValueString(), entriesFromList(ctx, retained), &resp.Diagnostics)
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
	fn, err := lambdaops.FindFunction(ctx, c, name)
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
		if err := lambdaops.WaitUpdated(ctx, c, name, waitTimeout); err != nil {
			resp.Diagnostics.AddError("Function Code Update Error", apiErrorDetail(fmt.Sprintf("The code update of %s did not finish.", name), "Check LastUpdateStatusReason in AWS, then apply again.", err))
			return
		}
		if fn, err = lambdaops.FindFunction(ctx, c, name); err != nil {
			resp.Diagnostics.AddError("Function Update Error", apiErrorDetail(fmt.Sprintf("GetFunction %s failed.", name), "Apply again.", err))
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
		if err := lambdaops.WaitUpdated(ctx, c, name, waitTimeout); err != nil {
			resp.Diagnostics.AddError("Function Configuration Update Error", apiErrorDetail(fmt.Sprintf("The configuration update of %s did not finish.", name), "Check LastUpdateStatusReason in AWS, then apply again.", err))
			return
		}
	}
	r.publishAndSave(ctx, c, code, &plan, &state, resp.State.Set, &resp.Diagnostics)
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
	parts := strings.Split(req.ID, ":")
	switch {
	case strings.HasPrefix(req.ID, "arn:") && len(parts) == 7:
		name = parts[6]
	case strings.HasPrefix(req.ID, "arn:") && len(parts) == 8:
		name, version = parts[6], parts[7]
	case len(parts) == 2:
		name, version = parts[0], parts[1]
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
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("versions"), entriesValue(entries))...)
	if current != nil {
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("version"), current.Number)...)
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("release"), nullIfEmpty(current.Release))...)
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("version_data_schemas"), dataSchemasValue(current.SchemaMin, current.SchemaMax))...)
	}
}

type functionModelV0 struct {
	ID                    types.String `tfsdk:"id"`
	FunctionName          types.String `tfsdk:"function_name"`
	Role                  types.String `tfsdk:"role"`
	Runtime               types.String `tfsdk:"runtime"`
	Handler               types.String `tfsdk:"handler"`
	Architectures         types.List   `tfsdk:"architectures"`
	MemorySize            types.Int64  `tfsdk:"memory_size"`
	Timeout               types.Int64  `tfsdk:"timeout"`
	Environment           types.Map    `tfsdk:"environment"`
	Layers                types.List   `tfsdk:"layers"`
	Description           types.String `tfsdk:"description"`
	Tags                  types.Map    `tfsdk:"tags"`
	Filename              types.String `tfsdk:"filename"`
	S3Bucket              types.String `tfsdk:"s3_bucket"`
	S3Key                 types.String `tfsdk:"s3_key"`
	S3ObjectVersion       types.String `tfsdk:"s3_object_version"`
	ImageURI              types.String `tfsdk:"image_uri"`
	SourceCodeHash        types.String `tfsdk:"source_code_hash"`
	Release               types.String `tfsdk:"release"`
	CompatibleDataSchemas types.Object `tfsdk:"compatible_data_schemas"`
	RetainVersions        types.Int64  `tfsdk:"retain_versions"`
	ARN                   types.String `tfsdk:"arn"`
	Version               types.String `tfsdk:"version"`
	QualifiedARN          types.String `tfsdk:"qualified_arn"`
	CodeSha256            types.String `tfsdk:"code_sha256"`
	VersionDataSchemas    types.Object `tfsdk:"version_data_schemas"`
	Versions              types.List   `tfsdk:"versions"`
}

type dataSchemasModelV0 struct {
	Min types.Int64 `tfsdk:"min"`
	Max types.Int64 `tfsdk:"max"`
}

// versionEntry is one element of versions.
type versionEntry struct {
	Number      string
	CodeSha256  string
	Digest      string
	Release     string
	SchemaMin   *int64
	SchemaMax   *int64
	PublishedAt string
}

var versionEntryAttrTypes = map[string]attr.Type{
	"number": types.StringType, "code_sha256": types.StringType, "digest": types.StringType, "release": types.StringType,
	"data_schema_min": types.Int64Type, "data_schema_max": types.Int64Type, "published_at": types.StringType,
}

var versionEntryType = types.ObjectType{AttrTypes: versionEntryAttrTypes}

var dataSchemasAttrTypes = map[string]attr.Type{"min": types.Int64Type, "max": types.Int64Type}

// ---- helpers ----

// concurrentOr reports a failed update of $LATEST: as a concurrent change
// when AWS refused it on the RevisionId (another writer got there first),
// otherwise as the API error it is.
func concurrentOr(diags *diag.Diagnostics, err error, name, op string) {
	var pre *lambdatypes.PreconditionFailedException
	var conflict *lambdatypes.ResourceConflictException
	if errors.As(err, &pre) || errors.As(err, &conflict) {
		diags.AddError("Concurrent Change Of $LATEST", apiErrorDetail(
			fmt.Sprintf("%s of %s was refused: another writer changed the function since this apply read it. Nothing was published and no alias moved.", op, name),
			"Run terraform plan again to see the function as it is now, then apply. (A tag write also changes the RevisionId, so an operator's tag can cause this too.)", err))
		return
	}
	diags.AddError("Function Update Error", apiErrorDetail(fmt.Sprintf("%s %s failed.", op, name), "Apply again.", err))
}

// withoutOperationalTags drops the provider's operational tags (keys
// starting with rollout:, such as the override an operator sets and the
// memory of rolled-back releases): they are not configuration, and
// Terraform must neither show them as drift nor remove them.
func withoutOperationalTags(tags map[string]string) map[string]string {
	out := make(map[string]string, len(tags))
	for k, v := range tags {
		if !lambdaops.IsReservedTag(k) {
			out[k] = v
		}
	}
	if len(out) == len(tags) {
		return tags
	}
	return out
}

// rawState edits the top-level attributes of a state object without
// converting the others (the versions list can be long).
type rawState struct {
	typ   tftypes.Type
	attrs map[string]tftypes.Value
	err   error
}

func openRawState(v tftypes.Value) (*rawState, error) {
	s := &rawState{typ: v.Type(), attrs: map[string]tftypes.Value{}}
	return s, v.As(&s.attrs)
}

func (s *rawState) str(ctx context.Context, name string) types.String {
	v, err := types.StringType.ValueFromTerraform(ctx, s.attrs[name])
	if err != nil {
		s.err = err
		return types.StringNull()
	}
	out, _ := v.(types.String)
	return out
}

func (s *rawState) strMap(ctx context.Context, name string) types.Map {
	v, err := types.MapType{ElemType: types.StringType}.ValueFromTerraform(ctx, s.attrs[name])
	if err != nil {
		s.err = err
		return types.MapNull(types.StringType)
	}
	out, _ := v.(types.Map)
	return out
}

func (s *rawState) strList(ctx context.Context, name string) types.List {
	v, err := types.ListType{ElemType: types.StringType}.ValueFromTerraform(ctx, s.attrs[name])
	if err != nil {
		s.err = err
		return types.ListNull(types.StringType)
	}
	out, _ := v.(types.List)
	return out
}

func (s *rawState) set(ctx context.Context, name string, v attr.Value) {
	tv, err := v.ToTerraformValue(ctx)
	if err != nil {
		s.err = err
		return
	}
	s.attrs[name] = tv
}

func (s *rawState) value() tftypes.Value { return tftypes.NewValue(s.typ, s.attrs) }

// mutableImageWarning explains why an image reference is not a release,
// or returns "" for an immutable tag or a digest.
func mutableImageWarning(uri string) string {
	if strings.Contains(uri, "@sha256:") {
		return ""
	}
	tag := ""
	if i := strings.LastIndex(uri, ":"); i > strings.LastIndex(uri, "/") {
		tag = uri[i+1:]
	}
	what := "no tag (that is latest)"
	switch tag {
	case "latest":
		what = "the tag latest"
	case "":
	default:
		return ""
	}
	return fmt.Sprintf("image_uri = %q uses %s. A release must always mean the same code: use an immutable tag or a digest, "+
		"for example image_uri = \"123456789012.dkr.ecr.us-east-1.amazonaws.com/orders@sha256:<digest>\".", uri, what)
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

func b64sha256(b []byte) string {
	sum := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// planCode returns the code identity of the plan ("zip:<sha>" or
// "image:<uri>") and the zip's sha when known at plan time.
func (r *functionResource) planCode(ctx context.Context, plan functionModelV0, state *functionModelV0) (string, string, bool, diag.Diagnostics) {
	var diags diag.Diagnostics
	switch {
	case plan.Filename.IsUnknown() || plan.ImageURI.IsUnknown() || plan.S3Bucket.IsUnknown() || plan.S3Key.IsUnknown() ||
		plan.S3ObjectVersion.IsUnknown() || plan.SourceCodeHash.IsUnknown():
		return "", "", false, diags
	case plan.Filename.ValueString() != "":
		b, err := os.ReadFile(plan.Filename.ValueString())
		if err != nil {
			diags.AddAttributeError(path.Root("filename"), "Unreadable Code File",
				validate.Detail("filename", fmt.Sprintf("%q", plan.Filename.ValueString()), "the file cannot be read: "+err.Error(), `filename = "build/orders-api.zip"`))
			return "", "", false, diags
		}
		sha := b64sha256(b)
		return "zip:" + sha, sha, true, diags
	case plan.ImageURI.ValueString() != "":
		return "image:" + plan.ImageURI.ValueString(), "", true, diags
	case plan.S3Bucket.ValueString() != "":
		if h := plan.SourceCodeHash.ValueString(); h != "" {
			return "zip:" + h, h, true, diags
		}
		if state != nil && state.S3Bucket.Equal(plan.S3Bucket) && state.S3Key.Equal(plan.S3Key) &&
			state.S3ObjectVersion.Equal(plan.S3ObjectVersion) && state.CodeSha256.ValueString() != "" {
			return "zip:" + state.CodeSha256.ValueString(), state.CodeSha256.ValueString(), true, diags
		}
		if r.data == nil {
			return "", "", false, diags
		}
		sha, err := r.hashS3Object(ctx, plan)
		if err != nil {
			diags.AddAttributeError(path.Root("s3_key"), "Unreadable Code Object",
				validate.Detail("s3_bucket/s3_key", fmt.Sprintf("%q/%q", plan.S3Bucket.ValueString(), plan.S3Key.ValueString()),
					"the object cannot be read to hash it: "+err.Error()+"; set source_code_hash to skip reading it", `source_code_hash = filebase64sha256("build/orders-api.zip")`))
			return "", "", false, diags
		}
		return "zip:" + sha, sha, true, diags
	}
	return "", "", false, diags
}

func (r *functionResource) hashS3Object(ctx context.Context, m functionModelV0) (string, error) {
	c, err := r.data.client.S3(ctx)
	if err != nil {
		return "", err
	}
	in := &s3.GetObjectInput{Bucket: aws.String(m.S3Bucket.ValueString()), Key: aws.String(m.S3Key.ValueString())}
	if v := m.S3ObjectVersion.ValueString(); v != "" {
		in.VersionId = aws.String(v)
	}
	out, err := c.GetObject(ctx, in)
	if err != nil {
		return "", err
	}
	defer func() { _ = out.Body.Close() }()
	h := sha256.New()
	if _, err := io.Copy(h, out.Body); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(h.Sum(nil)), nil
}

// spec builds the versioned code and configuration of the model; ok is
// false when a value is not known yet.
func (m functionModelV0) spec(ctx context.Context, code string) (lambdaops.Spec, bool) {
	for _, v := range []attr.Value{m.Role, m.Runtime, m.Handler, m.Description, m.MemorySize, m.Timeout, m.Architectures, m.Layers, m.Environment} {
		if v.IsUnknown() {
			return lambdaops.Spec{}, false
		}
	}
	if !m.Layers.IsNull() {
		for _, e := range m.Layers.Elements() {
			if e.IsUnknown() {
				return lambdaops.Spec{}, false
			}
		}
	}
	if !m.Environment.IsNull() {
		for _, e := range m.Environment.Elements() {
			if e.IsUnknown() {
				return lambdaops.Spec{}, false
			}
		}
	}
	return lambdaops.Spec{
		Code: code, Runtime: m.Runtime.ValueString(), Handler: m.Handler.ValueString(), Role: m.Role.ValueString(),
		Description: m.Description.ValueString(), MemorySize: m.MemorySize.ValueInt64(), Timeout: m.Timeout.ValueInt64(),
		Architectures: stringList(ctx, m.Architectures), Layers: stringList(ctx, m.Layers), Environment: stringMap(ctx, m.Environment),
	}, true
}

func (m functionModelV0) meta(ctx context.Context, digest string) lambdaops.VersionMeta {
	meta := lambdaops.VersionMeta{Release: m.Release.ValueString(), Digest: digest}
	if !m.CompatibleDataSchemas.IsNull() && !m.CompatibleDataSchemas.IsUnknown() {
		var ds dataSchemasModelV0
		m.CompatibleDataSchemas.As(ctx, &ds, basetypes.ObjectAsOptions{})
		if !ds.Min.IsNull() {
			v := ds.Min.ValueInt64()
			meta.SchemaMin = &v
		}
		if !ds.Max.IsNull() {
			v := ds.Max.ValueInt64()
			meta.SchemaMax = &v
		}
	}
	return meta
}

func (m functionModelV0) configurationInput(ctx context.Context, name string, revision *string, image bool) *lambda.UpdateFunctionConfigurationInput {
	layers := stringList(ctx, m.Layers)
	if layers == nil {
		layers = []string{}
	}
	env := stringMap(ctx, m.Environment)
	if env == nil {
		env = map[string]string{}
	}
	in := &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String(name), RevisionId: revision, Role: aws.String(m.Role.ValueString()),
		Description: aws.String(m.Description.ValueString()), Timeout: aws.Int32(int32(m.Timeout.ValueInt64())),
		MemorySize: aws.Int32(int32(m.MemorySize.ValueInt64())), Layers: layers,
		Environment: &lambdatypes.Environment{Variables: env},
	}
	if !image {
		in.Runtime, in.Handler = lambdatypes.Runtime(m.Runtime.ValueString()), aws.String(m.Handler.ValueString())
	}
	return in
}

// refreshFrom copies what a published version says into the model,
// keeping null where AWS reports an empty value the configuration left unset.
func (m *functionModelV0) refreshFrom(ctx context.Context, v lambdatypes.FunctionConfiguration) {
	spec := specFromConfig(v, "")
	m.Role = types.StringValue(spec.Role)
	m.Runtime = stringOrNull(spec.Runtime, m.Runtime)
	m.Handler = stringOrNull(spec.Handler, m.Handler)
	m.MemorySize, m.Timeout = types.Int64Value(spec.MemorySize), types.Int64Value(spec.Timeout)
	m.Architectures = listValue(ctx, spec.Architectures)
	if len(spec.Layers) > 0 || !m.Layers.IsNull() {
		m.Layers = listValue(ctx, spec.Layers)
	}
	m.Environment = mapOrNull(spec.Environment, m.Environment)
	if !strings.HasPrefix(m.Description.ValueString(), spec.Description) || m.Description.IsNull() {
		m.Description = types.StringValue(spec.Description)
	}
	m.CodeSha256 = types.StringValue(aws.ToString(v.CodeSha256))
	m.QualifiedARN = types.StringValue(aws.ToString(v.FunctionArn))
}

// codeSource is the code of a create or update.
type codeSource struct {
	zip                        []byte
	sha                        string
	s3Bucket, s3Key, s3Version string
	image                      string
}

func (r *functionResource) codeInput(ctx context.Context, m functionModelV0) (codeSource, diag.Diagnostics) {
	var diags diag.Diagnostics
	switch {
	case m.Filename.ValueString() != "":
		b, err := os.ReadFile(m.Filename.ValueString())
		if err != nil {
			diags.AddAttributeError(path.Root("filename"), "Unreadable Code File",
				validate.Detail("filename", fmt.Sprintf("%q", m.Filename.ValueString()), "the file cannot be read: "+err.Error(), `filename = "build/orders-api.zip"`))
			return codeSource{}, diags
		}
		if sha := b64sha256(b); !m.CodeSha256.IsUnknown() && m.CodeSha256.ValueString() != "" && sha != m.CodeSha256.ValueString() {
			diags.AddAttributeError(path.Root("filename"), "Code File Changed Since Plan",
				fmt.Sprintf("%s hashed to %s at plan time and to %s now. Nothing was changed. Run terraform plan again.", m.Filename.ValueString(), m.CodeSha256.ValueString(), sha))
			return codeSource{}, diags
		}
		return codeSource{zip: b, sha: b64sha256(b)}, diags
	case m.ImageURI.ValueString() != "":
		return codeSource{image: m.ImageURI.ValueString()}, diags
	default:
		c := codeSource{s3Bucket: m.S3Bucket.ValueString(), s3Key: m.S3Key.ValueString(), s3Version: m.S3ObjectVersion.ValueString()}
		if h := m.SourceCodeHash.ValueString(); h != "" {
			c.sha = h
		} else if !m.CodeSha256.IsUnknown() {
			c.sha = m.CodeSha256.ValueString()
		}
		_ = ctx
		return c, diags
	}
}

func (c codeSource) create() *lambdatypes.FunctionCode {
	switch {
	case c.image != "":
		return &lambdatypes.FunctionCode{ImageUri: aws.String(c.image)}
	case c.zip != nil:
		return &lambdatypes.FunctionCode{ZipFile: c.zip}
	}
	fc := &lambdatypes.FunctionCode{S3Bucket: aws.String(c.s3Bucket), S3Key: aws.String(c.s3Key)}
	if c.s3Version != "" {
		fc.S3ObjectVersion = aws.String(c.s3Version)
	}
	return fc
}

func (c codeSource) update(name string, revision *string, archs []lambdatypes.Architecture) *lambda.UpdateFunctionCodeInput {
	fc := c.create()
	return &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(name), RevisionId: revision, Architectures: archs,
		ZipFile: fc.ZipFile, S3Bucket: fc.S3Bucket, S3Key: fc.S3Key, S3ObjectVersion: fc.S3ObjectVersion, ImageUri: fc.ImageUri}
}

// differsFrom reports whether $LATEST holds other code than c.
func (c codeSource) differsFrom(fn *lambda.GetFunctionOutput) bool {
	if c.image != "" {
		return fn.Code == nil || aws.ToString(fn.Code.ImageUri) != c.image
	}
	if c.sha == "" {
		return true
	}
	return aws.ToString(fn.Configuration.CodeSha256) != c.sha
}

// identity is the code identity to expect in $LATEST after the upload.
func (c codeSource) identity(latest *lambda.GetFunctionOutput) string {
	if c.image != "" {
		return "image:" + c.image
	}
	if c.sha != "" {
		return "zip:" + c.sha
	}
	return "zip:" + aws.ToString(latest.Configuration.CodeSha256)
}

// publishAttempts bounds the publishes refused with 412 on a $LATEST whose
// code and configuration are still the planned ones (a tag write changes
// the RevisionId too).
const publishAttempts = 3

// publishAndSave publishes $LATEST, after checking that it holds exactly
// the planned code and configuration, with the CodeSha256 and RevisionId
// just read, so that a concurrent writer makes the publish fail instead of
// releasing someone else's code. A 412 on a $LATEST that still holds the
// planned code and configuration (an operator's tag write, which changes
// the RevisionId on AWS) is retried after reading and checking it again.
// AWS answers a publish of a $LATEST unchanged since the newest version
// with that version (a re-apply after a crash between publish and state
// save): it is adopted with the release and digest it carries, or refused
// when it is not the planned code and configuration. Then it prunes and
// saves the state.
func (r *functionResource) publishAndSave(ctx context.Context, c *lambda.Client, code codeSource, plan *functionModelV0, prior *functionModelV0,
	set func(context.Context, any) diag.Diagnostics, diags *diag.Diagnostics) {
	name := plan.FunctionName.ValueString()
	var fn *lambda.GetFunctionOutput
	var out *lambda.PublishVersionOutput
	var digest, sent string
	for attempt := 1; ; attempt++ {
		var err error
		fn, err = lambdaops.FindFunction(ctx, c, name)
		if err != nil {
			diags.AddError("Function Publish Error", apiErrorDetail(fmt.Sprintf("GetFunction %s failed.", name), "Apply again.", err))
			return
		}
		want, _ := plan.spec(ctx, code.identity(fn))
		latestCode := "zip:" + aws.ToString(fn.Configuration.CodeSha256)
		if fn.Configuration.PackageType == lambdatypes.PackageTypeImage && fn.Code != nil {
			latestCode = "image:" + aws.ToString(fn.Code.ImageUri)
		}
		got := specFromConfig(*fn.Configuration, latestCode)
		if got.Digest() != want.Digest() {
			if prior == nil {
				r.saveUnpublished(ctx, plan, set, diags)
			}
			diags.AddError("Concurrent Change Of $LATEST",
				fmt.Sprintf("$LATEST of %s no longer holds the code and configuration this apply put there (code %s, expected %s). "+
					"Another writer changed the function while this apply ran. Nothing was published. Run terraform plan and apply again.",
					name, strings.TrimPrefix(got.Code, "zip:"), strings.TrimPrefix(want.Code, "zip:")))
			return
		}
		digest = want.Digest()
		sent = lambdaops.FormatDescription(plan.Description.ValueString(), plan.meta(ctx, digest))
		out, err = c.PublishVersion(ctx, &lambda.PublishVersionInput{
			FunctionName: aws.String(name), CodeSha256: fn.Configuration.CodeSha256, RevisionId: fn.Configuration.RevisionId,
			Description: aws.String(sent),
		})
		if err == nil {
			break
		}
		var pre *lambdatypes.PreconditionFailedException
		var inv *lambdatypes.InvalidParameterValueException
		if errors.As(err, &pre) && attempt < publishAttempts {
			tflog.Info(ctx, "PublishVersion refused on the RevisionId; reading $LATEST again", map[string]any{"tf_rollout.function": name, "tf_rollout.attempt": attempt})
			continue
		}
		if prior == nil {
			r.saveUnpublished(ctx, plan, set, diags)
		}
		if errors.As(err, &pre) || (errors.As(err, &inv) && strings.Contains(aws.ToString(inv.Message), "CodeSHA256")) {
			diags.AddError("Concurrent Change Of $LATEST", apiErrorDetail(
				fmt.Sprintf("$LATEST of %s changed between the check and PublishVersion: another writer is updating the function. Nothing was published.", name),
				"Run terraform plan and apply again.", err))
			return
		}
		diags.AddError("Function Publish Error", apiErrorDetail(fmt.Sprintf("PublishVersion %s failed.", name), "Apply again.", err))
		return
	}
	published := entryFromConfig(publishedConfig(out))
	if aws.ToString(out.Description) == sent {
		published.Digest = digest
	} else if !r.adoptExisting(ctx, name, published, digest, plan, prior, set, diags) {
		return
	}
	tflog.Info(ctx, "published a version", map[string]any{"tf_rollout.function": name, "tf_rollout.version": published.Number})
	var known []versionEntry
	if prior != nil {
		known = entriesFromList(ctx, prior.Versions)
	}
	known = append(dropEntry(known, published.Number), published)
	entries, err := r.prune(ctx, c, name, published.Number, plan.RetainVersions.ValueInt64(), known)
	if err != nil {
		diags.AddWarning("Version Retention Incomplete", apiErrorDetail(fmt.Sprintf("Pruning old versions of %s failed; they are kept.", name), "The next publish retries.", err))
		entries = known
	}
	plan.ID, plan.ARN = types.StringValue(name), types.StringValue(aws.ToString(fn.Configuration.FunctionArn))
	plan.Version = types.StringValue(published.Number)
	plan.QualifiedARN = types.StringValue(aws.ToString(out.FunctionArn))
	plan.CodeSha256 = types.StringValue(published.CodeSha256)
	plan.Versions = entriesValue(entries)
	diags.Append(set(ctx, plan)...)
}

// adoptExisting decides about a version PublishVersion returned with
// another description than the one sent: AWS publishes nothing when
// $LATEST is unchanged since the newest version and answers with that
// version as it is. It is adopted when its digest (recorded in its
// description, or computed from its configuration) is the planned one,
// with the release it carries; otherwise nothing is recorded as current
// and the error says how to get a version of one's own.
func (r *functionResource) adoptExisting(ctx context.Context, name string, existing versionEntry, digest string, plan *functionModelV0, prior *functionModelV0,
	set func(context.Context, any) diag.Diagnostics, diags *diag.Diagnostics) bool {
	if existing.Digest != digest {
		if prior == nil {
			r.saveUnpublished(ctx, plan, set, diags)
		}
		diags.AddError("Existing Version Differs",
			fmt.Sprintf("PublishVersion of %s answered with version %s, which already exists: AWS publishes no new version while $LATEST is unchanged since the newest one. "+
				"Version %s is not the planned code and configuration (its digest is %s, the plan's is %s; it was probably published by hand or by another tool). "+
				"Nothing was recorded. Delete that version (aws lambda delete-function --function-name %s --qualifier %s) or change the configuration, then apply again.",
				name, existing.Number, existing.Number, existing.Digest, digest, name, existing.Number))
		return false
	}
	tflog.Info(ctx, "PublishVersion returned an existing version; adopted", map[string]any{"tf_rollout.function": name, "tf_rollout.version": existing.Number, "tf_rollout.release": existing.Release})
	if want := plan.Release.ValueString(); existing.Release != want {
		diags.AddWarning("Existing Version Adopted",
			fmt.Sprintf("$LATEST of %s was already published as version %s (an earlier apply probably stopped before saving its state), and AWS does not publish it again. "+
				"Version %s is adopted with the release it carries, %q, not %q: the release label is recorded only in versions published from now on.",
				name, existing.Number, existing.Number, existing.Release, want))
	}
	return true
}

// saveUnpublished records a created function that has no published
// version yet, so that it is never orphaned outside the state.
func (r *functionResource) saveUnpublished(ctx context.Context, plan *functionModelV0, set func(context.Context, any) diag.Diagnostics, diags *diag.Diagnostics) {
	plan.Version, plan.QualifiedARN = types.StringNull(), types.StringNull()
	if plan.CodeSha256.IsUnknown() {
		plan.CodeSha256 = types.StringNull()
	}
	plan.Versions = entriesValue(nil)
	diags.Append(set(ctx, plan)...)
}

// prune keeps the newest retain versions, the current one and every version
// an alias routes to (as primary or weighted), deletes the others oldest
// first, and returns the retained ones newest first.
func (r *functionResource) prune(ctx context.Context, c *lambda.Client, name, current string, retain int64, known []versionEntry) ([]versionEntry, error) {
	versions, err := lambdaops.ListVersions(ctx, c, name)
	if err != nil {
		return nil, err
	}
	if retain > 0 && int64(len(versions)) > retain {
		aliases, err := lambdaops.ListAliases(ctx, c, name)
		if err != nil {
			return nil, err
		}
		protected := map[string]bool{current: true}
		for _, a := range aliases {
			protected[aws.ToString(a.FunctionVersion)] = true
			if a.RoutingConfig != nil {
				for v := range a.RoutingConfig.AdditionalVersionWeights {
					protected[v] = true
				}
			}
		}
		newest := len(versions) - int(retain) // versions[newest:] are the newest retain ones
		kept := make([]lambdatypes.FunctionConfiguration, 0, len(versions))
		for i, v := range versions {
			num := aws.ToString(v.Version)
			if i >= newest || protected[num] {
				kept = append(kept, v)
				continue
			}
			_, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(name), Qualifier: aws.String(num)})
			var conflict *lambdatypes.ResourceConflictException
			switch {
			case err == nil || lambdaops.IsNotFound(err):
				tflog.Info(ctx, "pruned a version", map[string]any{"tf_rollout.function": name, "tf_rollout.version": num})
			case errors.As(err, &conflict):
				tflog.Warn(ctx, "version became referenced by an alias; kept", map[string]any{"tf_rollout.version": num})
				kept = append(kept, v)
			default:
				return nil, err
			}
		}
		versions = kept
	}
	entries := make([]versionEntry, 0, len(versions))
	for i := len(versions) - 1; i >= 0; i-- {
		e := entryFromConfig(versions[i])
		if k := findEntry(known, e.Number); k != nil && k.Digest != "" {
			e.Digest = k.Digest
		}
		if k := findEntry(known, e.Number); k != nil && k.Release != "" {
			e.Release = k.Release // a relabel (see function_release.go)
		}
		entries = append(entries, e)
	}
	return entries, nil
}

func (r *functionResource) updateTags(ctx context.Context, c *lambda.Client, arn string, old, want map[string]string) error {
	var remove []string
	for k := range old {
		if _, ok := want[k]; !ok && !lambdaops.IsReservedTag(k) {
			remove = append(remove, k)
		}
	}
	sort.Strings(remove)
	if len(remove) > 0 {
		if _, err := c.UntagResource(ctx, &lambda.UntagResourceInput{Resource: aws.String(arn), TagKeys: remove}); err != nil {
			return err
		}
	}
	add := map[string]string{}
	for k, v := range want {
		if ov, ok := old[k]; !ok || ov != v {
			add[k] = v
		}
	}
	if len(add) > 0 {
		if _, err := c.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(arn), Tags: add}); err != nil {
			return err
		}
	}
	return nil
}

// specFromConfig reads the versioned code and configuration of a version
// or of $LATEST; code is the code identity to put in it.
func specFromConfig(v lambdatypes.FunctionConfiguration, code string) lambdaops.Spec {
	user, _, _ := lambdaops.ParseDescription(aws.ToString(v.Description))
	s := lambdaops.Spec{
		Code: code, Runtime: string(v.Runtime), Handler: aws.ToString(v.Handler), Role: aws.ToString(v.Role),
		Description: user, MemorySize: int64(aws.ToInt32(v.MemorySize)), Timeout: int64(aws.ToInt32(v.Timeout)),
	}
	for _, a := range v.Architectures {
		s.Architectures = append(s.Architectures, string(a))
	}
	for _, l := range v.Layers {
		s.Layers = append(s.Layers, aws.ToString(l.Arn))
	}
	if v.Environment != nil && len(v.Environment.Variables) > 0 {
		s.Environment = v.Environment.Variables
	}
	return s
}

func configDiffers(a, b lambdaops.Spec) bool {
	a.Code, b.Code = "", ""
	return a.Digest() != b.Digest()
}

// entryFromConfig describes a published version, with the metadata
// rollout_function wrote into its description, or, for a version another
// tool published, a digest computed from its configuration.
func entryFromConfig(v lambdatypes.FunctionConfiguration) versionEntry {
	e := versionEntry{Number: aws.ToString(v.Version), CodeSha256: aws.ToString(v.CodeSha256), PublishedAt: aws.ToString(v.LastModified)}
	if t, err := time.Parse("2006-01-02T15:04:05.000-0700", e.PublishedAt); err == nil {
		e.PublishedAt = t.UTC().Format(time.RFC3339)
	}
	_, meta, ok := lambdaops.ParseDescription(aws.ToString(v.Description))
	if ok {
		e.Release, e.SchemaMin, e.SchemaMax, e.Digest = meta.Release, meta.SchemaMin, meta.SchemaMax, meta.Digest
	}
	if e.Digest == "" && v.PackageType != lambdatypes.PackageTypeImage {
		e.Digest = specFromConfig(v, "zip:"+e.CodeSha256).Digest()
	}
	return e
}

func versionConfig(o *lambda.GetFunctionConfigurationOutput) lambdatypes.FunctionConfiguration {
	return lambdatypes.FunctionConfiguration{
		Version: o.Version, CodeSha256: o.CodeSha256, Description: o.Description, LastModified: o.LastModified,
		Runtime: o.Runtime, Handler: o.Handler, Role: o.Role, MemorySize: o.MemorySize, Timeout: o.Timeout,
		Architectures: o.Architectures, Layers: o.Layers, Environment: o.Environment, PackageType: o.PackageType, FunctionArn: o.FunctionArn,
	}
}

func publishedConfig(o *lambda.PublishVersionOutput) lambdatypes.FunctionConfiguration {
	return lambdatypes.FunctionConfiguration{
		Version: o.Version, CodeSha256: o.CodeSha256, Description: o.Description, LastModified: o.LastModified,
		Runtime: o.Runtime, Handler: o.Handler, Role: o.Role, MemorySize: o.MemorySize, Timeout: o.Timeout,
		Architectures: o.Architectures, Layers: o.Layers, Environment: o.Environment, PackageType: o.PackageType, FunctionArn: o.FunctionArn,
	}
}

func findEntry(entries []versionEntry, number string) *versionEntry {
	for i := range entries {
		if entries[i].Number == number {
			return &entries[i]
		}
	}
	return nil
}

// findDigest returns the newest retained version with the digest.
func findDigest(entries []versionEntry, digest string) *versionEntry {
	var best *versionEntry
	for i := range entries {
		if entries[i].Digest == digest && (best == nil || lambdaops.VersionNumber(aws.String(entries[i].Number)) > lambdaops.VersionNumber(aws.String(best.Number))) {
			best = &entries[i]
		}
	}
	return best
}

func dropEntry(entries []versionEntry, number string) []versionEntry {
	out := make([]versionEntry, 0, len(entries))
	for _, e := range entries {
		if e.Number != number {
			out = append(out, e)
		}
	}
	return out
}

func entriesFromList(ctx context.Context, l types.List) []versionEntry {
	if l.IsNull() || l.IsUnknown() {
		return nil
	}
	var out []versionEntry
	for _, el := range l.Elements() {
		o, ok := el.(types.Object)
		if !ok {
			continue
		}
		a := o.Attributes()
		str := func(k string) string {
			if s, ok := a[k].(types.String); ok {
				return s.ValueString()
			}
			return ""
		}
		num := func(k string) *int64 {
			if n, ok := a[k].(types.Int64); ok && !n.IsNull() && !n.IsUnknown() {
				v := n.ValueInt64()
				return &v
			}
			return nil
		}
		out = append(out, versionEntry{Number: str("number"), CodeSha256: str("code_sha256"), Digest: str("digest"), Release: str("release"),
			SchemaMin: num("data_schema_min"), SchemaMax: num("data_schema_max"), PublishedAt: str("published_at")})
	}
	_ = ctx
	return out
}

func entriesValue(entries []versionEntry) types.List {
	elems := make([]attr.Value, 0, len(entries))
	for _, e := range entries {
		elems = append(elems, types.ObjectValueMust(versionEntryAttrTypes, map[string]attr.Value{
			"number": types.StringValue(e.Number), "code_sha256": types.StringValue(e.CodeSha256), "digest": types.StringValue(e.Digest),
			"release": nullIfEmpty(e.Release), "data_schema_min": types.Int64PointerValue(e.SchemaMin),
			"data_schema_max": types.Int64PointerValue(e.SchemaMax), "published_at": types.StringValue(e.PublishedAt),
		}))
	}
	return types.ListValueMust(versionEntryType, elems)
}

func nullIfEmpty(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}

func stringOrNull(v string, prior types.String) types.String {
	if v == "" && prior.IsNull() {
		return types.StringNull()
	}
	return types.StringValue(v)
}

func stringList(ctx context.Context, l types.List) []string {
	if l.IsNull() || l.IsUnknown() {
		return nil
	}
	var out []string
	l.ElementsAs(ctx, &out, false)
	return out
}

func stringMap(ctx context.Context, m types.Map) map[string]string {
	if m.IsNull() || m.IsUnknown() {
		return nil
	}
	out := map[string]string{}
	m.ElementsAs(ctx, &out, false)
	return out
}

func listValue(ctx context.Context, v []string) types.List {
	if v == nil {
		v = []string{}
	}
	l, _ := types.ListValueFrom(ctx, types.StringType, v)
	return l
}

func mapOrNull(m map[string]string, prior types.Map) types.Map {
	if len(m) == 0 && (prior.IsNull() || prior.IsUnknown()) {
		return types.MapNull(types.StringType)
	}
	if m == nil {
		m = map[string]string{}
	}
	v, _ := types.MapValueFrom(context.Background(), types.StringType, m)
	return v
}

func toArchitectures(v []string) []lambdatypes.Architecture {
	out := make([]lambdatypes.Architecture, 0, len(v))
	for _, a := range v {
		out = append(out, lambdatypes.Architecture(a))
	}
	return out
}
