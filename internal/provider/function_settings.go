package provider

// The versioned settings of rollout_function beyond code, memory and
// environment, with aws_lambda_function's names: vpc_config,
// dead_letter_config, tracing_config, ephemeral_storage, logging_config,
// file_system_config, snap_start, image_config and kms_key_arn. Each is one
// entry of settingBlocks: its schema, how it reads into
// lambdaops.Settings (the digest), and how AWS's value is shown back.

import (
	"context"
	"fmt"
	"reflect"
	"regexp"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/validate"
)

var (
	subnetIDPattern    = regexp.MustCompile(`^subnet-[0-9a-f]{1,17}$`)
	secGroupIDPattern  = regexp.MustCompile(`^sg-[0-9a-f]{1,17}$`)
	queueTopicPattern  = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:(sqs|sns):[a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d{1}:\d{12}:[a-zA-Z0-9_.-]{1,256}$`)
	kmsKeyPattern      = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:kms:[a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d{1}:\d{12}:(key|alias)/[a-zA-Z0-9/_-]+$`)
	accessPointPattern = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:elasticfilesystem:[a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d{1}:\d{12}:access-point/fsap-[a-f0-9]{17}$`)
	mountPathPattern   = regexp.MustCompile(`^/mnt/[a-zA-Z0-9-_.]{1,155}$`)
	logGroupPattern    = regexp.MustCompile(`^[\.\-_/#A-Za-z0-9]{1,512}$`)
)

// settingBlock is one versioned setting of rollout_function.
type settingBlock struct {
	name   string
	attr   schema.Attribute
	typ    attr.Type
	field  func(m *functionModelV0) fieldRef
	read   func(ctx context.Context, v attr.Value, s *lambdaops.Settings)
	show   func(ctx context.Context, s lambdaops.Settings) attr.Value
	pickOf func(s lambdaops.Settings) any // the part of Settings this block sets
}

var (
	vpcType = types.ObjectType{AttrTypes: map[string]attr.Type{"subnet_ids": types.SetType{ElemType: types.StringType},
		"security_group_ids": types.SetType{ElemType: types.StringType}, "ipv6_allowed_for_dual_stack": types.BoolType}}
	dlqType       = types.ObjectType{AttrTypes: map[string]attr.Type{"target_arn": types.StringType}}
	tracingType   = types.ObjectType{AttrTypes: map[string]attr.Type{"mode": types.StringType}}
	storageType   = types.ObjectType{AttrTypes: map[string]attr.Type{"size": types.Int64Type}}
	loggingType   = types.ObjectType{AttrTypes: map[string]attr.Type{"log_format": types.StringType, "application_log_level": types.StringType, "system_log_level": types.StringType, "log_group": types.StringType}}
	fsType        = types.ObjectType{AttrTypes: map[string]attr.Type{"arn": types.StringType, "local_mount_path": types.StringType}}
	snapStartType = types.ObjectType{AttrTypes: map[string]attr.Type{"apply_on": types.StringType}}
	imageCfgType  = types.ObjectType{AttrTypes: map[string]attr.Type{"command": types.ListType{ElemType: types.StringType}, "entry_point": types.ListType{ElemType: types.StringType}, "working_directory": types.StringType}}
)

// objAttrs returns the attributes of a known, non-null object.
func objAttrs(v attr.Value) map[string]attr.Value {
	o, ok := v.(types.Object)
	if !ok || o.IsNull() || o.IsUnknown() {
		return nil
	}
	return o.Attributes()
}

func attrString(a map[string]attr.Value, k string) string {
	s, _ := a[k].(types.String)
	return s.ValueString()
}

func attrStrings(ctx context.Context, a map[string]attr.Value, k string) []string {
	var out []string
	switch l := a[k].(type) {
	case types.Set:
		if !l.IsNull() && !l.IsUnknown() {
			l.ElementsAs(ctx, &out, false)
		}
	case types.List:
		out = stringList(ctx, l)
	}
	return out
}

func strOrNull(s string) types.String { return nullIfEmpty(s) }

func strSet(ctx context.Context, v []string) types.Set {
	if v == nil {
		v = []string{}
	}
	s, _ := types.SetValueFrom(ctx, types.StringType, v)
	return s
}

func strListOrNull(ctx context.Context, v []string) types.List {
	if len(v) == 0 {
		return types.ListNull(types.StringType)
	}
	return listValue(ctx, v)
}

func msg(summary, problem, example string) validate.Msg {
	return validate.Msg{Summary: summary, Problem: problem, Example: example}
}

// settingBlocks are the versioned settings, in schema order.
var settingBlocks = []settingBlock{
	{
		name: "vpc_config",
		attr: schema.SingleNestedAttribute{
			MarkdownDescription: "Subnets and security groups the function's network interfaces are placed in (AWS's `VpcConfig`). Versioned: a change publishes a version. A function in a VPC takes longer to become Active.",
			Optional:            true,
			Attributes: map[string]schema.Attribute{
				"subnet_ids": schema.SetAttribute{
					MarkdownDescription: "Subnet IDs, 1 to 16, for example `[\"subnet-0a1b2c3d\"]`.", Required: true, ElementType: types.StringType,
					Validators: []validator.Set{
						validate.Set(msg("Invalid VPC Subnets", "it must hold 1 to 16 subnet IDs", `vpc_config = { subnet_ids = ["subnet-0a1b2c3d"], security_group_ids = ["sg-0a1b2c3d"] }`), setvalidator.SizeBetween(1, 16)),
						setvalidator.ValueStringsAre(validate.Strings(msg("Invalid Subnet ID", "it must be a subnet ID (subnet- and hex digits)", `subnet_ids = ["subnet-0a1b2c3d"]`), stringvalidator.RegexMatches(subnetIDPattern, ""))),
					},
				},
				"security_group_ids": schema.SetAttribute{
					MarkdownDescription: "Security group IDs, 1 to 5, for example `[\"sg-0a1b2c3d\"]`.", Required: true, ElementType: types.StringType,
					Validators: []validator.Set{
						validate.Set(msg("Invalid VPC Security Groups", "it must hold 1 to 5 security group IDs", `vpc_config = { subnet_ids = ["subnet-0a1b2c3d"], security_group_ids = ["sg-0a1b2c3d"] }`), setvalidator.SizeBetween(1, 5)),
						setvalidator.ValueStringsAre(validate.Strings(msg("Invalid Security Group ID", "it must be a security group ID (sg- and hex digits)", `security_group_ids = ["sg-0a1b2c3d"]`), stringvalidator.RegexMatches(secGroupIDPattern, ""))),
					},
				},
				"ipv6_allowed_for_dual_stack": schema.BoolAttribute{MarkdownDescription: "Allow outbound IPv6 traffic in dual-stack subnets. Defaults to false.", Optional: true},
			},
		},
		typ:   vpcType,
		field: func(m *functionModelV0) fieldRef { return objRef(&m.VPCConfig) },
		read: func(ctx context.Context, v attr.Value, s *lambdaops.Settings) {
			if a := objAttrs(v); a != nil {
				b, _ := a["ipv6_allowed_for_dual_stack"].(types.Bool)
				s.VPC = &lambdaops.VPC{SubnetIDs: attrStrings(ctx, a, "subnet_ids"), SecurityGroupIDs: attrStrings(ctx, a, "security_group_ids"), IPv6DualStack: b.ValueBool()}
			}
		},
		show: func(ctx context.Context, s lambdaops.Settings) attr.Value {
			if s.VPC == nil {
				return types.ObjectNull(vpcType.AttrTypes)
			}
			ipv6 := types.BoolNull()
			if s.VPC.IPv6DualStack {
				ipv6 = types.BoolValue(true)
			}
			return types.ObjectValueMust(vpcType.AttrTypes, map[string]attr.Value{"subnet_ids": strSet(ctx, s.VPC.SubnetIDs),
				"security_group_ids": strSet(ctx, s.VPC.SecurityGroupIDs), "ipv6_allowed_for_dual_stack": ipv6})
		},
		pickOf: func(s lambdaops.Settings) any { return s.VPC },
	},
	{
		name: "dead_letter_config",
		attr: schema.SingleNestedAttribute{
			MarkdownDescription: "Where asynchronous invocations that fail go (AWS's `DeadLetterConfig`). Versioned.",
			Optional:            true,
			Attributes: map[string]schema.Attribute{
				"target_arn": schema.StringAttribute{MarkdownDescription: "ARN of an SQS queue or SNS topic, for example `arn:aws:sqs:us-east-1:123456789012:orders-dlq`.", Required: true,
					Validators: []validator.String{validate.Regex("Invalid Dead-Letter Target", queueTopicPattern, "an SQS queue or SNS topic ARN",
						`dead_letter_config = { target_arn = "arn:aws:sqs:us-east-1:123456789012:orders-dlq" }`)}},
			},
		},
		typ:   dlqType,
		field: func(m *functionModelV0) fieldRef { return objRef(&m.DeadLetterConfig) },
		read: func(_ context.Context, v attr.Value, s *lambdaops.Settings) {
			s.DeadLetterTarget = attrString(objAttrs(v), "target_arn")
		},
		show: func(_ context.Context, s lambdaops.Settings) attr.Value {
			if s.DeadLetterTarget == "" {
				return types.ObjectNull(dlqType.AttrTypes)
			}
			return types.ObjectValueMust(dlqType.AttrTypes, map[string]attr.Value{"target_arn": types.StringValue(s.DeadLetterTarget)})
		},
		pickOf: func(s lambdaops.Settings) any { return s.DeadLetterTarget },
	},
	{
		name: "tracing_config",
		attr: schema.SingleNestedAttribute{
			MarkdownDescription: "X-Ray tracing (AWS's `TracingConfig`). Versioned. Unset is `PassThrough`.",
			Optional:            true,
			Attributes: map[string]schema.Attribute{
				"mode": schema.StringAttribute{MarkdownDescription: "`Active` or `PassThrough`.", Required: true,
					Validators: []validator.String{validate.Strings(msg("Invalid Tracing Mode", `it must be "Active" or "PassThrough"`, `tracing_config = { mode = "Active" }`),
						stringvalidator.OneOf("Active", "PassThrough"))}},
			},
		},
		typ:   tracingType,
		field: func(m *functionModelV0) fieldRef { return objRef(&m.TracingConfig) },
		read: func(_ context.Context, v attr.Value, s *lambdaops.Settings) {
			s.TracingMode = attrString(objAttrs(v), "mode")
		},
		show: func(_ context.Context, s lambdaops.Settings) attr.Value {
			if s.TracingMode == "" {
				return types.ObjectNull(tracingType.AttrTypes)
			}
			return types.ObjectValueMust(tracingType.AttrTypes, map[string]attr.Value{"mode": types.StringValue(s.TracingMode)})
		},
		pickOf: func(s lambdaops.Settings) any { return s.TracingMode },
	},
	{
		name: "ephemeral_storage",
		attr: schema.SingleNestedAttribute{
			MarkdownDescription: "Size of `/tmp` (AWS's `EphemeralStorage`). Versioned. Unset is 512 MB.",
			Optional:            true,
			Attributes: map[string]schema.Attribute{
				"size": schema.Int64Attribute{MarkdownDescription: "Size in MB, 512 to 10240.", Required: true,
					Validators: []validator.Int64{validate.Int64(msg("Invalid Ephemeral Storage", "it must be from 512 to 10240 (MB)", "ephemeral_storage = { size = 2048 }"),
						int64validator.Between(512, 10240))}},
			},
		},
		typ:   storageType,
		field: func(m *functionModelV0) fieldRef { return objRef(&m.EphemeralStorage) },
		read: func(_ context.Context, v attr.Value, s *lambdaops.Settings) {
			if a := objAttrs(v); a != nil {
				n, _ := a["size"].(types.Int64)
				s.EphemeralStorage = n.ValueInt64()
			}
		},
		show: func(_ context.Context, s lambdaops.Settings) attr.Value {
			if s.EphemeralStorage == 0 {
				return types.ObjectNull(storageType.AttrTypes)
			}
			return types.ObjectValueMust(storageType.AttrTypes, map[string]attr.Value{"size": types.Int64Value(s.EphemeralStorage)})
		},
		pickOf: func(s lambdaops.Settings) any { return s.EphemeralStorage },
	},
	{
		name: "logging_config",
		attr: schema.SingleNestedAttribute{
			MarkdownDescription: "Log format, levels and group (AWS's `LoggingConfig`). Versioned. Unset is `Text` into `/aws/lambda/<function_name>`.",
			Optional:            true,
			Attributes: map[string]schema.Attribute{
				"log_format": schema.StringAttribute{MarkdownDescription: "`JSON` or `Text`.", Required: true,
					Validators: []validator.String{validate.Strings(msg("Invalid Log Format", `it must be "JSON" or "Text"`, `logging_config = { log_format = "JSON" }`), stringvalidator.OneOf("JSON", "Text"))}},
				"application_log_level": schema.StringAttribute{MarkdownDescription: "`TRACE`, `DEBUG`, `INFO`, `WARN`, `ERROR` or `FATAL`; JSON format only. AWS's default is `INFO`.", Optional: true,
					Validators: []validator.String{validate.Strings(msg("Invalid Application Log Level", "it must be one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL", `logging_config = { log_format = "JSON", application_log_level = "WARN" }`),
						stringvalidator.OneOf("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"))}},
				"system_log_level": schema.StringAttribute{MarkdownDescription: "`DEBUG`, `INFO` or `WARN`; JSON format only. AWS's default is `INFO`.", Optional: true,
					Validators: []validator.String{validate.Strings(msg("Invalid System Log Level", "it must be one of DEBUG, INFO, WARN", `logging_config = { log_format = "JSON", system_log_level = "WARN" }`),
						stringvalidator.OneOf("DEBUG", "INFO", "WARN"))}},
				"log_group": schema.StringAttribute{MarkdownDescription: "CloudWatch log group, for example `/shared/orders`. AWS's default is `/aws/lambda/<function_name>`.", Optional: true,
					Validators: []validator.String{validate.Regex("Invalid Log Group", logGroupPattern, "1 to 512 letters, digits or . - _ / #", `logging_config = { log_format = "Text", log_group = "/shared/orders" }`)}},
			},
		},
		typ:   loggingType,
		field: func(m *functionModelV0) fieldRef { return objRef(&m.LoggingConfig) },
		read: func(_ context.Context, v attr.Value, s *lambdaops.Settings) {
			if a := objAttrs(v); a != nil {
				s.Logging = &lambdaops.Logging{Format: attrString(a, "log_format"), ApplicationLevel: attrString(a, "application_log_level"),
					SystemLevel: attrString(a, "system_log_level"), Group: attrString(a, "log_group")}
			}
		},
		show: func(_ context.Context, s lambdaops.Settings) attr.Value {
			if s.Logging == nil {
				return types.ObjectNull(loggingType.AttrTypes)
			}
			format := s.Logging.Format
			if format == "" {
				format = "Text"
			}
			return types.ObjectValueMust(loggingType.AttrTypes, map[string]attr.Value{"log_format": types.StringValue(format),
				"application_log_level": strOrNull(s.Logging.ApplicationLevel), "system_log_level": strOrNull(s.Logging.SystemLevel), "log_group": strOrNull(s.Logging.Group)})
		},
		pickOf: func(s lambdaops.Settings) any { return s.Logging },
	},
	{
		name: "file_system_config",
		attr: schema.SingleNestedAttribute{
			MarkdownDescription: "An EFS access point mounted into the function (AWS's `FileSystemConfigs`, at most one). Versioned. Needs `vpc_config`.",
			Optional:            true,
			Attributes: map[string]schema.Attribute{
				"arn": schema.StringAttribute{MarkdownDescription: "ARN of the EFS access point.", Required: true,
					Validators: []validator.String{validate.Regex("Invalid File System ARN", accessPointPattern, "an EFS access point ARN",
						`file_system_config = { arn = "arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-0123456789abcdef0", local_mount_path = "/mnt/data" }`)}},
				"local_mount_path": schema.StringAttribute{MarkdownDescription: "Where it is mounted: `/mnt/` and a name, for example `/mnt/data`.", Required: true,
					Validators: []validator.String{validate.Regex("Invalid Mount Path", mountPathPattern, "/mnt/ followed by letters, digits or - _ .", `local_mount_path = "/mnt/data"`)}},
			},
		},
		typ:   fsType,
		field: func(m *functionModelV0) fieldRef { return objRef(&m.FileSystemConfig) },
		read: func(_ context.Context, v attr.Value, s *lambdaops.Settings) {
			if a := objAttrs(v); a != nil {
				s.FileSystem = &lambdaops.FileSystem{ARN: attrString(a, "arn"), LocalMountPath: attrString(a, "local_mount_path")}
			}
		},
		show: func(_ context.Context, s lambdaops.Settings) attr.Value {
			if s.FileSystem == nil {
				return types.ObjectNull(fsType.AttrTypes)
			}
			return types.ObjectValueMust(fsType.AttrTypes, map[string]attr.Value{"arn": types.StringValue(s.FileSystem.ARN), "local_mount_path": types.StringValue(s.FileSystem.LocalMountPath)})
		},
		pickOf: func(s lambdaops.Settings) any { return s.FileSystem },
	},
	{
		name: "snap_start",
		attr: schema.SingleNestedAttribute{
			MarkdownDescription: "SnapStart (AWS's `SnapStart`): snapshots of initialized published versions. Versioned. Java 11+, Python 3.12+ and .NET 8+ runtimes.",
			Optional:            true,
			Attributes: map[string]schema.Attribute{
				"apply_on": schema.StringAttribute{MarkdownDescription: "`PublishedVersions` or `None`.", Required: true,
					Validators: []validator.String{validate.Strings(msg("Invalid SnapStart Setting", `it must be "PublishedVersions" or "None"`, `snap_start = { apply_on = "PublishedVersions" }`),
						stringvalidator.OneOf("PublishedVersions", "None"))}},
			},
		},
		typ:   snapStartType,
		field: func(m *functionModelV0) fieldRef { return objRef(&m.SnapStart) },
		read: func(_ context.Context, v attr.Value, s *lambdaops.Settings) {
			s.SnapStart = attrString(objAttrs(v), "apply_on")
		},
		show: func(_ context.Context, s lambdaops.Settings) attr.Value {
			if s.SnapStart == "" {
				return types.ObjectNull(snapStartType.AttrTypes)
			}
			return types.ObjectValueMust(snapStartType.AttrTypes, map[string]attr.Value{"apply_on": types.StringValue(s.SnapStart)})
		},
		pickOf: func(s lambdaops.Settings) any { return s.SnapStart },
	},
	{
		name: "image_config",
		attr: schema.SingleNestedAttribute{
			MarkdownDescription: "Overrides of the container image's `CMD`, `ENTRYPOINT` and `WORKDIR` (AWS's `ImageConfig`). Versioned. Only with `image_uri`.",
			Optional:            true,
			Attributes: map[string]schema.Attribute{
				"command": schema.ListAttribute{MarkdownDescription: "The command, for example `[\"app.handler\"]`.", Optional: true, ElementType: types.StringType,
					Validators: []validator.List{validate.List(msg("Invalid Image Command", "it must hold at most 1500 strings", `image_config = { command = ["app.handler"] }`), listvalidator.SizeAtMost(1500))}},
				"entry_point": schema.ListAttribute{MarkdownDescription: "The entry point, for example `[\"/lambda-entrypoint.sh\"]`.", Optional: true, ElementType: types.StringType,
					Validators: []validator.List{validate.List(msg("Invalid Image Entry Point", "it must hold at most 1500 strings", `image_config = { entry_point = ["/lambda-entrypoint.sh"] }`), listvalidator.SizeAtMost(1500))}},
				"working_directory": schema.StringAttribute{MarkdownDescription: "The working directory, at most 1000 characters.", Optional: true,
					Validators: []validator.String{validate.Strings(msg("Invalid Working Directory", "it must be 1 to 1000 characters", `image_config = { working_directory = "/var/task" }`), stringvalidator.LengthBetween(1, 1000))}},
			},
		},
		typ:   imageCfgType,
		field: func(m *functionModelV0) fieldRef { return objRef(&m.ImageConfig) },
		read: func(ctx context.Context, v attr.Value, s *lambdaops.Settings) {
			if a := objAttrs(v); a != nil {
				s.Image = &lambdaops.ImageSetting{Command: attrStrings(ctx, a, "command"), EntryPoint: attrStrings(ctx, a, "entry_point"), WorkingDirectory: attrString(a, "working_directory")}
			}
		},
		show: func(ctx context.Context, s lambdaops.Settings) attr.Value {
			if s.Image == nil {
				return types.ObjectNull(imageCfgType.AttrTypes)
			}
			return types.ObjectValueMust(imageCfgType.AttrTypes, map[string]attr.Value{"command": strListOrNull(ctx, s.Image.Command),
				"entry_point": strListOrNull(ctx, s.Image.EntryPoint), "working_directory": strOrNull(s.Image.WorkingDirectory)})
		},
		pickOf: func(s lambdaops.Settings) any { return s.Image },
	},
	{
		name: "kms_key_arn",
		attr: schema.StringAttribute{
			MarkdownDescription: "ARN of the KMS key that encrypts the environment variables (AWS's `KMSKeyArn`). Versioned. Unset is AWS's own key.",
			Optional:            true,
			Validators: []validator.String{validate.Regex("Invalid KMS Key ARN", kmsKeyPattern, "a KMS key or alias ARN",
				`kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"`)},
		},
		typ:   types.StringType,
		field: func(m *functionModelV0) fieldRef { return strRef(&m.KMSKeyARN) },
		read: func(_ context.Context, v attr.Value, s *lambdaops.Settings) {
			k, _ := v.(types.String)
			s.KMSKeyARN = k.ValueString()
		},
		show:   func(_ context.Context, s lambdaops.Settings) attr.Value { return strOrNull(s.KMSKeyARN) },
		pickOf: func(s lambdaops.Settings) any { return s.KMSKeyARN },
	},
}

// settingsAttributes adds the schema of each setting to attrs.
func settingsAttributes(attrs map[string]schema.Attribute) map[string]schema.Attribute {
	for _, b := range settingBlocks {
		attrs[b.name] = b.attr
	}
	return attrs
}

// fullyKnown reports whether v and everything in it is known.
func fullyKnown(ctx context.Context, v attr.Value) bool {
	tv, err := v.ToTerraformValue(ctx)
	return err == nil && tv.IsFullyKnown()
}

// settings reads the versioned settings of the model, canonical for its
// function name; ok is false when one is not known yet.
func (m *functionModelV0) settings(ctx context.Context) (lambdaops.Settings, bool) {
	var s lambdaops.Settings
	for _, b := range settingBlocks {
		v := b.field(m).get()
		if !fullyKnown(ctx, v) {
			return lambdaops.Settings{}, false
		}
		b.read(ctx, v, &s)
	}
	return s.Canonical(m.FunctionName.ValueString()), true
}

// refreshSettings shows AWS's settings in the model: a setting whose
// meaning is unchanged keeps its configured form (a default written out
// or left to AWS), one that differs shows AWS's value (drift).
func (m *functionModelV0) refreshSettings(ctx context.Context, live lambdaops.Settings) {
	prior, _ := m.settings(ctx)
	live = live.Canonical(m.FunctionName.ValueString())
	for _, b := range settingBlocks {
		if reflect.DeepEqual(b.pickOf(prior), b.pickOf(live)) {
			continue
		}
		b.field(m).set(b.show(ctx, live))
	}
}

// settingsFromConfig reads the versioned settings AWS reports for a
// version or $LATEST.
func settingsFromConfig(v lambdatypes.FunctionConfiguration) lambdaops.Settings {
	var s lambdaops.Settings
	if c := v.VpcConfig; c != nil && len(c.SubnetIds) > 0 {
		s.VPC = &lambdaops.VPC{SubnetIDs: c.SubnetIds, SecurityGroupIDs: c.SecurityGroupIds, IPv6DualStack: aws.ToBool(c.Ipv6AllowedForDualStack)}
	}
	if c := v.DeadLetterConfig; c != nil {
		s.DeadLetterTarget = aws.ToString(c.TargetArn)
	}
	if c := v.TracingConfig; c != nil {
		s.TracingMode = string(c.Mode)
	}
	if c := v.EphemeralStorage; c != nil {
		s.EphemeralStorage = int64(aws.ToInt32(c.Size))
	}
	if c := v.LoggingConfig; c != nil {
		s.Logging = &lambdaops.Logging{Format: string(c.LogFormat), ApplicationLevel: string(c.ApplicationLogLevel), SystemLevel: string(c.SystemLogLevel), Group: aws.ToString(c.LogGroup)}
	}
	if len(v.FileSystemConfigs) > 0 {
		c := v.FileSystemConfigs[0]
		s.FileSystem = &lambdaops.FileSystem{ARN: aws.ToString(c.Arn), LocalMountPath: aws.ToString(c.LocalMountPath)}
	}
	if c := v.SnapStart; c != nil {
		s.SnapStart = string(c.ApplyOn)
	}
	if c := v.ImageConfigResponse; c != nil && c.ImageConfig != nil {
		s.Image = &lambdaops.ImageSetting{Command: c.ImageConfig.Command, EntryPoint: c.ImageConfig.EntryPoint, WorkingDirectory: aws.ToString(c.ImageConfig.WorkingDirectory)}
	}
	s.KMSKeyARN = aws.ToString(v.KMSKeyArn)
	return s.Canonical(aws.ToString(v.FunctionName))
}

// createSettings sets on in the settings that differ from AWS's defaults.
func createSettings(in *lambda.CreateFunctionInput, s lambdaops.Settings) {
	u := &lambda.UpdateFunctionConfigurationInput{}
	updateSettings(u, s, in.PackageType == lambdatypes.PackageTypeImage)
	if s.VPC != nil {
		in.VpcConfig = u.VpcConfig
	}
	if s.DeadLetterTarget != "" {
		in.DeadLetterConfig = u.DeadLetterConfig
	}
	if s.TracingMode != "" {
		in.TracingConfig = u.TracingConfig
	}
	if s.EphemeralStorage != 0 {
		in.EphemeralStorage = u.EphemeralStorage
	}
	if s.Logging != nil {
		in.LoggingConfig = u.LoggingConfig
	}
	if s.FileSystem != nil {
		in.FileSystemConfigs = u.FileSystemConfigs
	}
	if s.SnapStart != "" {
		in.SnapStart = u.SnapStart
	}
	if s.Image != nil {
		in.ImageConfig = u.ImageConfig
	}
	if s.KMSKeyARN != "" {
		in.KMSKeyArn = u.KMSKeyArn
	}
}

// updateSettings sets every setting on in, each default written out, so
// that an update also removes what the configuration no longer sets.
func updateSettings(in *lambda.UpdateFunctionConfigurationInput, s lambdaops.Settings, image bool) {
	in.VpcConfig = &lambdatypes.VpcConfig{SubnetIds: []string{}, SecurityGroupIds: []string{}}
	if s.VPC != nil {
		in.VpcConfig = &lambdatypes.VpcConfig{SubnetIds: s.VPC.SubnetIDs, SecurityGroupIds: s.VPC.SecurityGroupIDs}
		if s.VPC.IPv6DualStack {
			in.VpcConfig.Ipv6AllowedForDualStack = aws.Bool(true)
		}
	}
	in.DeadLetterConfig = &lambdatypes.DeadLetterConfig{TargetArn: aws.String(s.DeadLetterTarget)}
	in.TracingConfig = &lambdatypes.TracingConfig{Mode: lambdatypes.TracingModePassThrough}
	if s.TracingMode != "" {
		in.TracingConfig.Mode = lambdatypes.TracingMode(s.TracingMode)
	}
	in.EphemeralStorage = &lambdatypes.EphemeralStorage{Size: aws.Int32(512)}
	if s.EphemeralStorage != 0 {
		in.EphemeralStorage.Size = aws.Int32(int32(s.EphemeralStorage))
	}
	in.LoggingConfig = &lambdatypes.LoggingConfig{LogFormat: lambdatypes.LogFormatText}
	if l := s.Logging; l != nil {
		if l.Format != "" {
			in.LoggingConfig.LogFormat = lambdatypes.LogFormat(l.Format)
		}
		in.LoggingConfig.ApplicationLogLevel = lambdatypes.ApplicationLogLevel(l.ApplicationLevel)
		in.LoggingConfig.SystemLogLevel = lambdatypes.SystemLogLevel(l.SystemLevel)
		if l.Group != "" {
			in.LoggingConfig.LogGroup = aws.String(l.Group)
		}
	}
	in.FileSystemConfigs = []lambdatypes.FileSystemConfig{}
	if f := s.FileSystem; f != nil {
		in.FileSystemConfigs = []lambdatypes.FileSystemConfig{{Arn: aws.String(f.ARN), LocalMountPath: aws.String(f.LocalMountPath)}}
	}
	in.SnapStart = &lambdatypes.SnapStart{ApplyOn: lambdatypes.SnapStartApplyOnNone}
	if s.SnapStart != "" {
		in.SnapStart.ApplyOn = lambdatypes.SnapStartApplyOn(s.SnapStart)
	}
	if image {
		in.ImageConfig = &lambdatypes.ImageConfig{Command: []string{}, EntryPoint: []string{}}
		if i := s.Image; i != nil {
			in.ImageConfig = &lambdatypes.ImageConfig{Command: i.Command, EntryPoint: i.EntryPoint}
			if i.WorkingDirectory != "" {
				in.ImageConfig.WorkingDirectory = aws.String(i.WorkingDirectory)
			}
		}
	}
	in.KMSKeyArn = aws.String(s.KMSKeyARN)
}

// fieldRef reads and writes one attribute of a model.
type fieldRef struct {
	get func() attr.Value
	set func(attr.Value)
}

func objRef(p *types.Object) fieldRef {
	return fieldRef{func() attr.Value { return *p }, func(v attr.Value) { *p, _ = v.(types.Object) }}
}

func strRef(p *types.String) fieldRef {
	return fieldRef{func() attr.Value { return *p }, func(v attr.Value) { *p, _ = v.(types.String) }}
}

// applyConcurrency brings the function's reserved concurrency from prior
// to planned (null: none); it reports false after adding an error.
func (r *functionResource) applyConcurrency(ctx context.Context, c *lambda.Client, name string, prior, planned types.Int64, diags *diag.Diagnostics) bool {
	if prior.Equal(planned) || planned.IsUnknown() {
		return true
	}
	if planned.IsNull() {
		if _, err := c.DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: aws.String(name)}); err != nil && !lambdaops.IsNotFound(err) {
			diags.AddError("Reserved Concurrency Error", apiErrorDetail(fmt.Sprintf("DeleteFunctionConcurrency %s failed.", name), "Apply again.", err))
			return false
		}
		tflog.Info(ctx, "reserved concurrency removed", map[string]any{"tf_rollout.function": name})
		return true
	}
	n := planned.ValueInt64()
	if _, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String(name), ReservedConcurrentExecutions: aws.Int32(int32(n))}); err != nil {
		diags.AddAttributeError(path.Root("reserved_concurrent_executions"), "Reserved Concurrency Error", apiErrorDetail(
			fmt.Sprintf("PutFunctionConcurrency %s with %d failed.", name, n),
			"AWS keeps at least 100 of the account's concurrency unreserved: lower reserved_concurrent_executions (or the other functions' reservations, or ask for a higher quota), then apply again.", err))
		return false
	}
	tflog.Info(ctx, "reserved concurrency set", map[string]any{"tf_rollout.function": name, "tf_rollout.reserved": n})
	return true
}

func checkLogLevels(_ context.Context, m functionModelV0, diags *diag.Diagnostics) {
	a := objAttrs(m.LoggingConfig)
	format, _ := a["log_format"].(types.String)
	if a == nil || format.IsUnknown() || format.ValueString() == "JSON" {
		return
	}
	for _, k := range []string{"application_log_level", "system_log_level"} {
		if v, _ := a[k].(types.String); configured(v) {
			diags.AddAttributeError(path.Root("logging_config").AtName(k), "Log Level Needs JSON",
				validate.Detail("logging_config."+k, fmt.Sprintf("%q", v.ValueString()), fmt.Sprintf("log levels apply to the JSON log format only, and log_format is %q", format.ValueString()),
					`logging_config = { log_format = "JSON", `+k+` = "WARN" }`))
		}
	}
}

func checkFileSystemVPC(_ context.Context, m functionModelV0, diags *diag.Diagnostics) {
	if !m.FileSystemConfig.IsNull() && m.VPCConfig.IsNull() {
		diags.AddAttributeError(path.Root("file_system_config"), "File System Needs A VPC",
			validate.Detail("vpc_config", "null", "a function mounts an EFS access point through its VPC: file_system_config needs vpc_config",
				`vpc_config = { subnet_ids = ["subnet-0a1b2c3d"], security_group_ids = ["sg-0a1b2c3d"] }`))
	}
}

func checkImageConfig(_ context.Context, m functionModelV0, diags *diag.Diagnostics) {
	if !m.ImageConfig.IsNull() && !configured(m.ImageURI) {
		diags.AddAttributeError(path.Root("image_config"), "Image Config Without Image",
			validate.Detail("image_config", validate.Show(m.ImageConfig), "it overrides a container image's settings and needs image_uri; a zip function has none",
				`image_uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/orders@sha256:..."`))
	}
}

// snapStartRuntimes are the runtime families SnapStart supports.
var snapStartRuntimes = regexp.MustCompile(`^(java(11|17|21|25)|python3\.1[2-9]|dotnet(8|10))$`)

func checkSnapStartRuntime(_ context.Context, m functionModelV0, diags *diag.Diagnostics) {
	a := objAttrs(m.SnapStart)
	on, _ := a["apply_on"].(types.String)
	if on.ValueString() != "PublishedVersions" || m.Runtime.IsUnknown() || m.Runtime.IsNull() || snapStartRuntimes.MatchString(m.Runtime.ValueString()) {
		return
	}
	diags.AddAttributeError(path.Root("snap_start"), "SnapStart Not Supported",
		validate.Detail("runtime", fmt.Sprintf("%q", m.Runtime.ValueString()), "snap_start = { apply_on = \"PublishedVersions\" } works with Java 11+, Python 3.12+ and .NET 8+ runtimes",
			`runtime = "java21"`))
}

// codeSigningPattern is the form of a code signing configuration ARN.
var codeSigningPattern = regexp.MustCompile(`^arn:(aws[a-zA-Z-]*)?:lambda:[a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d{1}:\d{12}:code-signing-config:csc-[a-z0-9]{17}$`)

// applyCodeSigning attaches or detaches the code signing configuration
// from prior to planned; it reports false after adding an error.
func (r *functionResource) applyCodeSigning(ctx context.Context, c *lambda.Client, name string, prior, planned types.String, diags *diag.Diagnostics) bool {
	if prior.ValueString() == planned.ValueString() || planned.IsUnknown() {
		return true
	}
	if planned.ValueString() == "" {
		if _, err := c.DeleteFunctionCodeSigningConfig(ctx, &lambda.DeleteFunctionCodeSigningConfigInput{FunctionName: aws.String(name)}); err != nil && !lambdaops.IsNotFound(err) {
			diags.AddError("Code Signing Error", apiErrorDetail(fmt.Sprintf("DeleteFunctionCodeSigningConfig %s failed.", name), "Apply again.", err))
			return false
		}
		return true
	}
	if _, err := c.PutFunctionCodeSigningConfig(ctx, &lambda.PutFunctionCodeSigningConfigInput{FunctionName: aws.String(name), CodeSigningConfigArn: aws.String(planned.ValueString())}); err != nil {
		diags.AddAttributeError(path.Root("code_signing_config_arn"), "Code Signing Error", apiErrorDetail(
			fmt.Sprintf("PutFunctionCodeSigningConfig %s with %s failed.", name, planned.ValueString()), "Check that the code signing configuration exists in this account and region, then apply again.", err))
		return false
	}
	tflog.Info(ctx, "code signing configuration attached", map[string]any{"tf_rollout.function": name, "tf_rollout.code_signing_config": planned.ValueString()})
	return true
}

// functionLevel applies the settings AWS does not version, from prior to
// planned; it reports false after adding an error.
func (r *functionResource) functionLevel(ctx context.Context, c *lambda.Client, name string, prior, planned *functionModelV0, diags *diag.Diagnostics) bool {
	return r.applyConcurrency(ctx, c, name, prior.ReservedConcurrentExecutions, planned.ReservedConcurrentExecutions, diags) &&
		r.applyCodeSigning(ctx, c, name, prior.CodeSigningConfigARN, planned.CodeSigningConfigARN, diags)
}
