package provider

// Moving state from the AWS provider (Terraform >= 1.8, `moved` across
// providers): aws_lambda_function -> rollout_function and aws_lambda_alias
// -> rollout_alias. The move reads only the source state (the resource is
// not configured during a move, so it cannot call AWS, and writes nothing);
// the refresh that follows reads the function and alias as they are.

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
)

var (
	_ resource.ResourceWithMoveState = (*functionResource)(nil)
	_ resource.ResourceWithMoveState = (*aliasResource)(nil)
)

// movedFromAWS reports whether a move request comes from typeName of the
// AWS provider.
func movedFromAWS(req resource.MoveStateRequest, typeName string) bool {
	return req.SourceTypeName == typeName && isAWSProvider(req.SourceProviderAddress) && req.SourceRawState != nil
}

// isAWSProvider reports whether addr, a move request's source provider, is
// the AWS provider. Terraform sends its full address (host/hashicorp/aws:
// registry.terraform.io, or another registry's); OpenTofu 1.10 sends only the
// provider type the source resource type implies ("aws"; its
// moveResourceStateTransform passes Resource.ImpliedProvider()).
func isAWSProvider(addr string) bool {
	if addr == "aws" {
		return true
	}
	parts := strings.Split(addr, "/")
	return len(parts) == 3 && parts[1] == "hashicorp" && parts[2] == "aws"
}

// awsFunctionState is the part of aws_lambda_function's state the move
// reads (blocks are lists of at most one element there).
type awsFunctionState struct {
	FunctionName         string            `json:"function_name"`
	ARN                  string            `json:"arn"`
	Role                 string            `json:"role"`
	Runtime              string            `json:"runtime"`
	Handler              string            `json:"handler"`
	Description          string            `json:"description"`
	MemorySize           int32             `json:"memory_size"`
	Timeout              int32             `json:"timeout"`
	Architectures        []string          `json:"architectures"`
	Layers               []string          `json:"layers"`
	PackageType          string            `json:"package_type"`
	Filename             *string           `json:"filename"`
	S3Bucket             *string           `json:"s3_bucket"`
	S3Key                *string           `json:"s3_key"`
	S3ObjectVersion      *string           `json:"s3_object_version"`
	ImageURI             *string           `json:"image_uri"`
	CodeSha256           string            `json:"code_sha256"`
	Version              string            `json:"version"`
	QualifiedARN         string            `json:"qualified_arn"`
	LastModified         string            `json:"last_modified"`
	Tags                 map[string]string `json:"tags"`
	KMSKeyARN            string            `json:"kms_key_arn"`
	ReservedConcurrency  *int64            `json:"reserved_concurrent_executions"`
	CodeSigningConfigARN string            `json:"code_signing_config_arn"`
	Environment          []struct {
		Variables map[string]string `json:"variables"`
	} `json:"environment"`
	VPCConfig []struct {
		SubnetIDs        []string `json:"subnet_ids"`
		SecurityGroupIDs []string `json:"security_group_ids"`
		IPv6             bool     `json:"ipv6_allowed_for_dual_stack"`
	} `json:"vpc_config"`
	DeadLetterConfig []struct {
		TargetARN string `json:"target_arn"`
	} `json:"dead_letter_config"`
	TracingConfig []struct {
		Mode string `json:"mode"`
	} `json:"tracing_config"`
	EphemeralStorage []struct {
		Size int32 `json:"size"`
	} `json:"ephemeral_storage"`
	LoggingConfig []struct {
		LogFormat           string `json:"log_format"`
		ApplicationLogLevel string `json:"application_log_level"`
		SystemLogLevel      string `json:"system_log_level"`
		LogGroup            string `json:"log_group"`
	} `json:"logging_config"`
	FileSystemConfig []struct {
		ARN            string `json:"arn"`
		LocalMountPath string `json:"local_mount_path"`
	} `json:"file_system_config"`
	SnapStart []struct {
		ApplyOn string `json:"apply_on"`
	} `json:"snap_start"`
	ImageConfig []struct {
		Command          []string `json:"command"`
		EntryPoint       []string `json:"entry_point"`
		WorkingDirectory string   `json:"working_directory"`
	} `json:"image_config"`
}

// configuration is the FunctionConfiguration the AWS provider's state
// describes: the published version it records (or $LATEST).
func (s awsFunctionState) configuration() lambdatypes.FunctionConfiguration {
	c := lambdatypes.FunctionConfiguration{
		FunctionName: aws.String(s.FunctionName), FunctionArn: aws.String(s.QualifiedARN), Role: aws.String(s.Role), Runtime: lambdatypes.Runtime(s.Runtime),
		Handler: aws.String(s.Handler), Description: aws.String(s.Description), MemorySize: aws.Int32(s.MemorySize), Timeout: aws.Int32(s.Timeout),
		CodeSha256: aws.String(s.CodeSha256), Version: aws.String(s.Version), LastModified: aws.String(s.LastModified),
		PackageType: lambdatypes.PackageType(s.PackageType), KMSKeyArn: aws.String(s.KMSKeyARN),
	}
	for _, a := range s.Architectures {
		c.Architectures = append(c.Architectures, lambdatypes.Architecture(a))
	}
	for _, l := range s.Layers {
		c.Layers = append(c.Layers, lambdatypes.Layer{Arn: aws.String(l)})
	}
	if len(s.Environment) > 0 && len(s.Environment[0].Variables) > 0 {
		c.Environment = &lambdatypes.EnvironmentResponse{Variables: s.Environment[0].Variables}
	}
	if len(s.VPCConfig) > 0 {
		v := s.VPCConfig[0]
		c.VpcConfig = &lambdatypes.VpcConfigResponse{SubnetIds: v.SubnetIDs, SecurityGroupIds: v.SecurityGroupIDs, Ipv6AllowedForDualStack: aws.Bool(v.IPv6)}
	}
	if len(s.DeadLetterConfig) > 0 {
		c.DeadLetterConfig = &lambdatypes.DeadLetterConfig{TargetArn: aws.String(s.DeadLetterConfig[0].TargetARN)}
	}
	if len(s.TracingConfig) > 0 {
		c.TracingConfig = &lambdatypes.TracingConfigResponse{Mode: lambdatypes.TracingMode(s.TracingConfig[0].Mode)}
	}
	if len(s.EphemeralStorage) > 0 {
		c.EphemeralStorage = &lambdatypes.EphemeralStorage{Size: aws.Int32(s.EphemeralStorage[0].Size)}
	}
	if len(s.LoggingConfig) > 0 {
		l := s.LoggingConfig[0]
		c.LoggingConfig = &lambdatypes.LoggingConfig{LogFormat: lambdatypes.LogFormat(l.LogFormat), ApplicationLogLevel: lambdatypes.ApplicationLogLevel(l.ApplicationLogLevel),
			SystemLogLevel: lambdatypes.SystemLogLevel(l.SystemLogLevel), LogGroup: aws.String(l.LogGroup)}
	}
	if len(s.FileSystemConfig) > 0 {
		f := s.FileSystemConfig[0]
		c.FileSystemConfigs = []lambdatypes.FileSystemConfig{{Arn: aws.String(f.ARN), LocalMountPath: aws.String(f.LocalMountPath)}}
	}
	if len(s.SnapStart) > 0 {
		c.SnapStart = &lambdatypes.SnapStartResponse{ApplyOn: lambdatypes.SnapStartApplyOn(s.SnapStart[0].ApplyOn)}
	}
	if len(s.ImageConfig) > 0 {
		i := s.ImageConfig[0]
		c.ImageConfigResponse = &lambdatypes.ImageConfigResponse{ImageConfig: &lambdatypes.ImageConfig{Command: i.Command, EntryPoint: i.EntryPoint, WorkingDirectory: aws.String(i.WorkingDirectory)}}
	}
	return c
}

func strPtrOrNull(p *string) types.String {
	if p == nil || *p == "" {
		return types.StringNull()
	}
	return types.StringValue(*p)
}

// MoveState accepts aws_lambda_function's state: the published version it
// records becomes the current (and only known) version, with the digest of
// its code and configuration, so a configuration that says the same plans
// no change.
func (r *functionResource) MoveState(context.Context) []resource.StateMover {
	return []resource.StateMover{{StateMover: func(ctx context.Context, req resource.MoveStateRequest, resp *resource.MoveStateResponse) {
		if !movedFromAWS(req, "aws_lambda_function") {
			return
		}
		var src awsFunctionState
		if err := json.Unmarshal(req.SourceRawState.JSON, &src); err != nil {
			resp.Diagnostics.AddError("Unable To Move aws_lambda_function", fmt.Sprintf("The state of aws_lambda_function could not be read: %v. "+
				"Import the function instead: terraform import rollout_function.<name> <function name>.", err))
			return
		}
		cfg := src.configuration()
		code := "zip:" + src.CodeSha256
		if src.ImageURI != nil && *src.ImageURI != "" {
			code = "image:" + *src.ImageURI
		}
		live := specFromConfig(cfg, code)
		m := functionModelV0{
			ID: types.StringValue(src.FunctionName), FunctionName: types.StringValue(src.FunctionName), Role: types.StringValue(src.Role),
			Runtime: nullIfEmpty(src.Runtime), Handler: nullIfEmpty(src.Handler), Architectures: listValue(ctx, live.Architectures),
			MemorySize: types.Int64Value(live.MemorySize), Timeout: types.Int64Value(live.Timeout), Environment: mapOrNull(live.Environment, types.MapNull(types.StringType)),
			Layers: types.ListNull(types.StringType), Description: types.StringValue(src.Description), Tags: mapOrNull(src.Tags, types.MapNull(types.StringType)),
			Filename: strPtrOrNull(src.Filename), S3Bucket: strPtrOrNull(src.S3Bucket), S3Key: strPtrOrNull(src.S3Key), S3ObjectVersion: strPtrOrNull(src.S3ObjectVersion),
			ImageURI: strPtrOrNull(src.ImageURI), SourceCodeHash: types.StringNull(), Release: types.StringNull(),
			CompatibleDataSchemas: types.ObjectNull(dataSchemasAttrTypes), RetainVersions: types.Int64Value(10), ARN: types.StringValue(src.ARN),
			VersionDataSchemas: dataSchemasValue(nil, nil), ReservedConcurrentExecutions: types.Int64Null(), CodeSigningConfigARN: nullIfEmpty(src.CodeSigningConfigARN),
			Version: types.StringNull(), QualifiedARN: types.StringNull(), CodeSha256: nullIfEmpty(src.CodeSha256), Versions: entriesValue(nil),
		}
		if len(live.Architectures) == 0 {
			m.Architectures = listValue(ctx, []string{"x86_64"})
		}
		if len(live.Layers) > 0 {
			m.Layers = listValue(ctx, live.Layers)
		}
		if src.ReservedConcurrency != nil && *src.ReservedConcurrency >= 0 {
			m.ReservedConcurrentExecutions = types.Int64Value(*src.ReservedConcurrency)
		}
		for _, b := range settingBlocks {
			b.field(&m).set(b.show(ctx, live.Settings))
		}
		if publishedNumber(src.Version) {
			// The published version the AWS provider recorded: adopted as is.
			m.Version, m.QualifiedARN = types.StringValue(src.Version), types.StringValue(src.QualifiedARN)
			e := entryFromConfig(cfg)
			e.Digest = live.Digest()
			m.Versions = entriesValue([]versionEntry{e})
		}
		resp.Diagnostics.Append(resp.TargetState.Set(ctx, &m)...)
	}}}
}

// lambdaopsVersion reports whether v is a published version number (not
// $LATEST, which the AWS provider records without publish = true).
func publishedNumber(v string) bool {
	if v == "" || v == "$LATEST" {
		return false
	}
	for _, r := range v {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// awsAliasState is the part of aws_lambda_alias's state the move reads.
type awsAliasState struct {
	ARN             string `json:"arn"`
	Description     string `json:"description"`
	FunctionName    string `json:"function_name"`
	FunctionVersion string `json:"function_version"`
	Name            string `json:"name"`
	RoutingConfig   []struct {
		AdditionalVersionWeights map[string]float64 `json:"additional_version_weights"`
	} `json:"routing_config"`
}

// MoveState accepts aws_lambda_alias's state. A function_name given as an
// ARN there is kept as the name it holds.
func (r *aliasResource) MoveState(context.Context) []resource.StateMover {
	return []resource.StateMover{{StateMover: func(ctx context.Context, req resource.MoveStateRequest, resp *resource.MoveStateResponse) {
		if !movedFromAWS(req, "aws_lambda_alias") {
			return
		}
		var src awsAliasState
		if err := json.Unmarshal(req.SourceRawState.JSON, &src); err != nil {
			resp.Diagnostics.AddError("Unable To Move aws_lambda_alias", fmt.Sprintf("The state of aws_lambda_alias could not be read: %v. "+
				"Import the alias instead: terraform import rollout_alias.<name> <function name>/<alias>.", err))
			return
		}
		fn := src.FunctionName
		if name, _, ok := lambdaops.ParseFunctionARN(fn); ok {
			fn = name
		}
		routing := types.ObjectNull(routingAttrTypes)
		if len(src.RoutingConfig) > 0 {
			for v, w := range src.RoutingConfig[0].AdditionalVersionWeights {
				routing = types.ObjectValueMust(routingAttrTypes, map[string]attr.Value{"version": types.StringValue(v), "weight": types.Float64Value(w)})
			}
		}
		// The other attributes stay null: no canary policy, deployment or
		// promotions yet; the refresh reads revision_id.
		for name, v := range map[string]attr.Value{
			"id": types.StringValue(fn + "/" + src.Name), "function_name": types.StringValue(fn), "name": types.StringValue(src.Name),
			"description": types.StringValue(src.Description), "function_version": types.StringValue(src.FunctionVersion),
			"routing": routing, "arn": types.StringValue(src.ARN),
		} {
			resp.Diagnostics.Append(resp.TargetState.SetAttribute(ctx, path.Root(name), v)...)
		}
	}}}
}
