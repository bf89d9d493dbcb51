package provider

// Plan-time checks of rollout_function's configuration, each naming the
// attribute, the value and a valid example. One-attribute checks are
// validators from terraform-plugin-framework-validators, wrapped with our
// messages, on the attribute in Schema (resource_function.go); the
// cross-field rules below are the resource's ConfigValidators; tags'
// reserved keys are refused by reservedTagsValidator and image_uri's
// mutable tags warned about by imageTagValidator, both here.

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/validate"
)

var (
	_ resource.ConfigValidator = functionRule{}
	_ validator.Map            = reservedTagsValidator{}
	_ validator.String         = imageTagValidator{}
)

var (
	functionNamePattern = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)
	lambdaRolePattern   = regexp.MustCompile(`^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$`)
	layerARNPattern     = regexp.MustCompile(`^arn:[a-zA-Z0-9-]+:lambda:[a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d{1}:\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+$`)
	envKeyPattern       = regexp.MustCompile(`^[a-zA-Z]([a-zA-Z0-9_])+$`)
)

// functionRules are the cross-field rules of rollout_function.
var functionRules = []resource.ConfigValidator{
	functionRule{"exactly one code source: filename, s3_bucket with s3_key, or image_uri", checkOneCodeSource},
	functionRule{"s3_bucket and s3_key go together; s3_object_version needs them", checkS3Location},
	functionRule{"runtime and handler are required with code from a zip", checkZipRuntime},
	functionRule{"compatible_data_schemas sets min, max or both, with min not above max", checkDataSchemaRange},
	functionRule{"logging_config's levels need log_format JSON", checkLogLevels},
	functionRule{"file_system_config needs vpc_config", checkFileSystemVPC},
	functionRule{"image_config goes with image_uri", checkImageConfig},
	functionRule{"snap_start applies to Java 11+, Python 3.12+ and .NET 8+ runtimes", checkSnapStartRuntime},
}

// functionRule is one cross-field rule: check reads the configuration and
// reports what breaks the rule.
type functionRule struct {
	description string
	check       func(context.Context, functionModelV0, *diag.Diagnostics)
}

func (v functionRule) Description(context.Context) string { return v.description }

func (v functionRule) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v functionRule) ValidateResource(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m functionModelV0
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	v.check(ctx, m, &resp.Diagnostics)
}

// configured is true for a value that is set (or will be, once known);
// an empty string counts as unset.
func configured(v types.String) bool { return v.IsUnknown() || (!v.IsNull() && v.ValueString() != "") }

func checkOneCodeSource(_ context.Context, m functionModelV0, diags *diag.Diagnostics) {
	sources := []string{}
	if configured(m.Filename) {
		sources = append(sources, "filename")
	}
	if configured(m.S3Bucket) || configured(m.S3Key) {
		sources = append(sources, "s3_bucket")
	}
	if configured(m.ImageURI) {
		sources = append(sources, "image_uri")
	}
	switch len(sources) {
	case 0:
		diags.AddAttributeError(path.Root("filename"), "Missing Function Code",
			validate.Detail("filename / s3_bucket / image_uri", "(none set)", "set exactly one code source", `filename = "build/orders-api.zip"`))
	case 1:
	default:
		diags.AddAttributeError(path.Root(sources[1]), "Conflicting Function Code",
			validate.Detail(strings.Join(sources, " and "), "(all set)", "set exactly one code source", `filename = "build/orders-api.zip"`))
	}
}

func checkS3Location(_ context.Context, m functionModelV0, diags *diag.Diagnostics) {
	if configured(m.S3Bucket) != configured(m.S3Key) {
		missing := "s3_key"
		if !configured(m.S3Bucket) {
			missing = "s3_bucket"
		}
		diags.AddAttributeError(path.Root(missing), "Incomplete S3 Code Location",
			validate.Detail(missing, "null", "s3_bucket and s3_key go together", `s3_bucket = "artifacts"`+"\n  s3_key    = \"orders-api/v1.2.0.zip\""))
	}
	if configured(m.S3ObjectVersion) && !configured(m.S3Key) {
		diags.AddAttributeError(path.Root("s3_object_version"), "Incomplete S3 Code Location",
			validate.Detail("s3_object_version", fmt.Sprintf("%q", m.S3ObjectVersion.ValueString()), "it needs s3_bucket and s3_key", `s3_key = "orders-api/v1.2.0.zip"`))
	}
}

func checkZipRuntime(_ context.Context, m functionModelV0, diags *diag.Diagnostics) {
	if !configured(m.Filename) && !configured(m.S3Bucket) && !configured(m.S3Key) {
		return
	}
	for _, a := range []struct {
		name, summary, example string
		value                  types.String
	}{
		{"runtime", "Missing Runtime", `runtime = "provided.al2023"`, m.Runtime},
		{"handler", "Missing Handler", `handler = "bootstrap"`, m.Handler},
	} {
		if !configured(a.value) {
			diags.AddAttributeError(path.Root(a.name), a.summary,
				validate.Detail(a.name, "null", a.name+" is required for code from a zip (filename or s3_bucket)", a.example))
		}
	}
}

func checkDataSchemaRange(ctx context.Context, m functionModelV0, diags *diag.Diagnostics) {
	if m.CompatibleDataSchemas.IsNull() || m.CompatibleDataSchemas.IsUnknown() {
		return
	}
	var ds dataSchemasModelV0
	diags.Append(m.CompatibleDataSchemas.As(ctx, &ds, basetypes.ObjectAsOptions{})...)
	const example = "compatible_data_schemas = { min = 3, max = 5 }"
	if ds.Min.IsNull() && ds.Max.IsNull() {
		diags.AddAttributeError(path.Root("compatible_data_schemas"), "Invalid Data Schema Range",
			validate.Detail("compatible_data_schemas", "{}", "set min, max or both", example))
	}
	if !ds.Min.IsNull() && !ds.Max.IsNull() && !ds.Min.IsUnknown() && !ds.Max.IsUnknown() && ds.Min.ValueInt64() > ds.Max.ValueInt64() {
		diags.AddAttributeError(path.Root("compatible_data_schemas"), "Invalid Data Schema Range",
			validate.Detail("compatible_data_schemas", fmt.Sprintf("{ min = %d, max = %d }", ds.Min.ValueInt64(), ds.Max.ValueInt64()),
				"min must not be greater than max", example))
	}
}

// imageTagValidator warns about an image_uri that is not a release: no
// tag, or the tag latest.
type imageTagValidator struct{}

func (imageTagValidator) Description(context.Context) string {
	return "an image tag other than latest, or a digest"
}

func (v imageTagValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (imageTagValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() || req.ConfigValue.ValueString() == "" {
		return
	}
	if w := mutableImageWarning(req.ConfigValue.ValueString()); w != "" {
		resp.Diagnostics.AddAttributeWarning(req.Path, "Mutable Image Tag", w)
	}
}

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

// reservedTagsValidator refuses tag keys in the provider's reserved
// namespace: an override written in HCL would steer every rollout, and a
// rollback record written in HCL would forge the memory of a rollback.
type reservedTagsValidator struct{}

func (reservedTagsValidator) Description(context.Context) string {
	return fmt.Sprintf("at most %d tags, whose keys must not start with %s", lambdaops.MaxUserTags, lambdaops.ReservedTagPrefix)
}

func (v reservedTagsValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (reservedTagsValidator) ValidateMap(_ context.Context, req validator.MapRequest, resp *validator.MapResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	elems := req.ConfigValue.Elements()
	if len(elems) > lambdaops.MaxUserTags {
		resp.Diagnostics.AddAttributeError(req.Path, "Too Many Tags", validate.Detail("tags", fmt.Sprintf("{ ... } (%d tags)", len(elems)),
			fmt.Sprintf("a function may carry at most %d tags of its own: AWS allows %d tags per function and the provider reserves %d "+
				"(rollout:override, the newest %d rollback records rollout:rolled-back:<digest>, one release label rollout:release:<version>), "+
				"so that a rollback is always remembered and rolloutctl override always fits. Remove %d tags",
				lambdaops.MaxUserTags, lambdaops.MaxFunctionTags, lambdaops.ReservedTagSlots, lambdaops.MinRollbackRecords, len(elems)-lambdaops.MaxUserTags),
			`tags = { team = "orders", cost_center = "1234" }`))
	}
	keys := make([]string, 0, len(elems))
	for k := range elems {
		if lambdaops.IsReservedTag(k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		value := "(unknown)"
		if s, ok := elems[k].(types.String); ok && !s.IsUnknown() {
			value = fmt.Sprintf("%q", s.ValueString())
		}
		why := fmt.Sprintf("keys starting with %q are reserved for the provider's operational tags", lambdaops.ReservedTagPrefix)
		if k == lambdaops.OverrideTag {
			why += "; an override steers exactly one running rollout and is set with `rolloutctl override --function NAME --alias NAME promote|pause|abort`, " +
				"which names that rollout, while a tag in the configuration would steer every rollout of every release"
		} else {
			why += " (" + lambdaops.RolledBackTagPrefix + "<digest> is the provider's memory of a rolled-back release; retry one on purpose with rollout_alias.retry_rolled_back)"
		}
		resp.Diagnostics.AddAttributeError(req.Path.AtMapKey(k), "Reserved Tag Key",
			validate.Detail(fmt.Sprintf("tags[%q]", k), value, why, `tags = { team = "orders" }`))
	}
}
