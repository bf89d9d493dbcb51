package provider

// The state model of rollout_function and its conversions to and from the
// Lambda API's versioned code and configuration.

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
)

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
	// The versioned settings (function_settings.go).
	VPCConfig        types.Object `tfsdk:"vpc_config"`
	DeadLetterConfig types.Object `tfsdk:"dead_letter_config"`
	TracingConfig    types.Object `tfsdk:"tracing_config"`
	EphemeralStorage types.Object `tfsdk:"ephemeral_storage"`
	LoggingConfig    types.Object `tfsdk:"logging_config"`
	FileSystemConfig types.Object `tfsdk:"file_system_config"`
	SnapStart        types.Object `tfsdk:"snap_start"`
	ImageConfig      types.Object `tfsdk:"image_config"`
	KMSKeyARN        types.String `tfsdk:"kms_key_arn"`
	// The function-level settings, never published.
	ReservedConcurrentExecutions types.Int64  `tfsdk:"reserved_concurrent_executions"`
	CodeSigningConfigARN         types.String `tfsdk:"code_signing_config_arn"`
}

type dataSchemasModelV0 struct {
	Min types.Int64 `tfsdk:"min"`
	Max types.Int64 `tfsdk:"max"`
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
	settings, ok := m.settings(ctx)
	if !ok {
		return lambdaops.Spec{}, false
	}
	return lambdaops.Spec{
		Settings: settings,
		Code:     code, Runtime: m.Runtime.ValueString(), Handler: m.Handler.ValueString(), Role: m.Role.ValueString(),
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
	settings, _ := m.settings(ctx)
	updateSettings(in, settings, image)
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
	m.refreshSettings(ctx, spec.Settings)
	m.CodeSha256 = types.StringValue(aws.ToString(v.CodeSha256))
	m.QualifiedARN = types.StringValue(aws.ToString(v.FunctionArn))
}
