package provider_test

// A stand-in for the AWS provider, registered as "aws" in a test's
// provider factories: aws_lambda_function and aws_lambda_alias with the
// schemas of hashicorp/terraform-provider-aws (internal/service/lambda
// function.go and alias.go: the same attribute names, types, blocks and
// defaults, written for terraform-plugin-framework), creating and deleting
// through the Lambda API of the sandbox. It exists so that `moved` from
// those types can be tested without the real provider; it implements only
// what the tests do with it (create, read back as stored, delete).

import (
	"context"
	"math/big"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	pschema "github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/rollout-tf/terraform-provider-rollout/internal/acctest"
)

// withAWSStandIn is the provider factories with the stand-in as "aws".
func withAWSStandIn() map[string]func() (tfprotov6.ProviderServer, error) {
	f := map[string]func() (tfprotov6.ProviderServer, error){}
	for k, v := range acctest.ProtoV6ProviderFactories {
		f[k] = v
	}
	f["aws"] = providerserver.NewProtocol6WithError(&awsStandIn{})
	return f
}

type awsStandIn struct{ client *lambda.Client }

func (p *awsStandIn) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "aws"
}

// Schema is the subset of the AWS provider's configuration the tests set.
func (p *awsStandIn) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = pschema.Schema{
		Attributes: map[string]pschema.Attribute{
			"region": pschema.StringAttribute{Optional: true}, "access_key": pschema.StringAttribute{Optional: true},
			"secret_key": pschema.StringAttribute{Optional: true}, "skip_credentials_validation": pschema.BoolAttribute{Optional: true},
			"skip_requesting_account_id": pschema.BoolAttribute{Optional: true},
		},
		Blocks: map[string]pschema.Block{
			"endpoints": pschema.ListNestedBlock{NestedObject: pschema.NestedBlockObject{Attributes: map[string]pschema.Attribute{
				"lambda": pschema.StringAttribute{Optional: true},
			}}},
		},
	}
}

func (p *awsStandIn) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var endpoints []struct {
		Lambda types.String `tfsdk:"lambda"`
	}
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("endpoints"), &endpoints)...)
	if len(endpoints) == 0 {
		resp.Diagnostics.AddError("Stand-In Needs An Endpoint", "endpoints { lambda = <sandbox URL> } is required")
		return
	}
	url := endpoints[0].Lambda.ValueString()
	p.client = lambda.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDAWSSTANDIN", "s", "")},
		func(o *lambda.Options) { o.BaseEndpoint = aws.String(url) })
	resp.ResourceData = p
}

func (p *awsStandIn) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		func() resource.Resource { return &standInFunction{} },
		func() resource.Resource { return &standInAlias{} },
	}
}

func (p *awsStandIn) DataSources(context.Context) []func() datasource.DataSource { return nil }

// ---- aws_lambda_function ----

type standInFunction struct{ p *awsStandIn }

func (r *standInFunction) Metadata(_ context.Context, _ resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = "aws_lambda_function"
}

func str(opt, comp bool) schema.StringAttribute {
	return schema.StringAttribute{Optional: opt, Computed: comp}
}

func oneBlock(attrs map[string]schema.Attribute) schema.ListNestedBlock {
	return schema.ListNestedBlock{NestedObject: schema.NestedBlockObject{Attributes: attrs}, Validators: []validator.List{listvalidator.SizeAtMost(1)}}
}

// Schema follows aws_lambda_function (AWS provider v6): top-level
// attributes, and its MaxItems 1 lists as blocks.
func (r *standInFunction) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Attributes: map[string]schema.Attribute{
			"id":                                 str(false, true),
			"architectures":                      schema.ListAttribute{ElementType: types.StringType, Optional: true, Computed: true},
			"arn":                                str(false, true),
			"code_sha256":                        str(true, true),
			"code_signing_config_arn":            str(true, false),
			"description":                        str(true, false),
			"filename":                           str(true, false),
			"function_name":                      schema.StringAttribute{Required: true},
			"handler":                            str(true, false),
			"image_uri":                          str(true, false),
			"invoke_arn":                         str(false, true),
			"kms_key_arn":                        str(true, false),
			"last_modified":                      str(false, true),
			"layers":                             schema.ListAttribute{ElementType: types.StringType, Optional: true},
			"memory_size":                        schema.Int64Attribute{Optional: true, Computed: true, Default: int64default.StaticInt64(128)},
			"package_type":                       schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString("Zip")},
			"publish":                            schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(false)},
			"publish_to":                         str(true, false),
			"qualified_arn":                      str(false, true),
			"qualified_invoke_arn":               str(false, true),
			"region":                             str(true, true),
			"replace_security_groups_on_destroy": schema.BoolAttribute{Optional: true},
			"replacement_security_group_ids":     schema.SetAttribute{ElementType: types.StringType, Optional: true},
			"reserved_concurrent_executions":     schema.Int64Attribute{Optional: true, Computed: true, Default: int64default.StaticInt64(-1)},
			"response_streaming_invoke_arn":      str(false, true),
			"role":                               schema.StringAttribute{Required: true},
			"runtime":                            str(true, false),
			"s3_bucket":                          str(true, false),
			"s3_key":                             str(true, false),
			"s3_object_version":                  str(true, false),
			"signing_job_arn":                    str(false, true),
			"signing_profile_version_arn":        str(false, true),
			"skip_destroy":                       schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(false)},
			"source_code_hash":                   str(true, true),
			"source_code_size":                   schema.Int64Attribute{Computed: true},
			"source_kms_key_arn":                 str(true, false),
			"tags":                               schema.MapAttribute{ElementType: types.StringType, Optional: true},
			"tags_all":                           schema.MapAttribute{ElementType: types.StringType, Optional: true, Computed: true},
			"timeout":                            schema.Int64Attribute{Optional: true, Computed: true, Default: int64default.StaticInt64(3)},
			"version":                            str(false, true),
		},
		Blocks: map[string]schema.Block{
			"capacity_provider_config": oneBlock(map[string]schema.Attribute{}),
			"dead_letter_config":       oneBlock(map[string]schema.Attribute{"target_arn": schema.StringAttribute{Required: true}}),
			"durable_config": oneBlock(map[string]schema.Attribute{"execution_timeout": schema.Int64Attribute{Required: true},
				"retention_period": schema.Int64Attribute{Optional: true}}),
			"environment":       oneBlock(map[string]schema.Attribute{"variables": schema.MapAttribute{ElementType: types.StringType, Optional: true}}),
			"ephemeral_storage": oneBlock(map[string]schema.Attribute{"size": schema.Int64Attribute{Optional: true, Computed: true}}),
			"file_system_config": oneBlock(map[string]schema.Attribute{"arn": schema.StringAttribute{Required: true},
				"local_mount_path": schema.StringAttribute{Required: true}}),
			"image_config": oneBlock(map[string]schema.Attribute{"command": schema.ListAttribute{ElementType: types.StringType, Optional: true},
				"entry_point": schema.ListAttribute{ElementType: types.StringType, Optional: true}, "working_directory": str(true, false)}),
			"logging_config": oneBlock(map[string]schema.Attribute{"application_log_level": str(true, false), "log_format": schema.StringAttribute{Required: true},
				"log_group": str(true, true), "system_log_level": str(true, false)}),
			"snap_start":     oneBlock(map[string]schema.Attribute{"apply_on": schema.StringAttribute{Required: true}, "optimization_status": str(false, true)}),
			"tenancy_config": oneBlock(map[string]schema.Attribute{"tenant_isolation_mode": schema.StringAttribute{Required: true}}),
			"tracing_config": oneBlock(map[string]schema.Attribute{"mode": schema.StringAttribute{Required: true}}),
			"vpc_config": oneBlock(map[string]schema.Attribute{"ipv6_allowed_for_dual_stack": schema.BoolAttribute{Optional: true},
				"security_group_ids": schema.SetAttribute{ElementType: types.StringType, Required: true},
				"subnet_ids":         schema.SetAttribute{ElementType: types.StringType, Required: true}, "vpc_id": str(false, true)}),
		},
	}
}

func (r *standInFunction) Configure(_ context.Context, req resource.ConfigureRequest, _ *resource.ConfigureResponse) {
	r.p, _ = req.ProviderData.(*awsStandIn)
}

func (r *standInFunction) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	obj := map[string]tftypes.Value{}
	if err := req.Plan.Raw.As(&obj); err != nil {
		resp.Diagnostics.AddError("Stand-In Error", err.Error())
		return
	}
	get := func(k string) string {
		var s *string
		_ = obj[k].As(&s)
		if s == nil {
			return ""
		}
		return *s
	}
	name := get("function_name")
	zip, err := os.ReadFile(get("filename"))
	if err != nil {
		resp.Diagnostics.AddError("Stand-In Error", err.Error())
		return
	}
	var memory, timeout *big.Float
	_ = obj["memory_size"].As(&memory)
	_ = obj["timeout"].As(&timeout)
	var publish *bool
	_ = obj["publish"].As(&publish)
	in := &lambda.CreateFunctionInput{FunctionName: aws.String(name), Role: aws.String(get("role")), Runtime: lambdatypes.Runtime(get("runtime")),
		Handler: aws.String(get("handler")), Description: aws.String(get("description")), Code: &lambdatypes.FunctionCode{ZipFile: zip},
		MemorySize: aws.Int32(int32(bigInt(memory))), Timeout: aws.Int32(int32(bigInt(timeout))), Publish: publish != nil && *publish}
	if env := block(obj["environment"]); env != nil {
		vars := map[string]tftypes.Value{}
		_ = env["variables"].As(&vars)
		in.Environment = &lambdatypes.Environment{Variables: map[string]string{}}
		for k, v := range vars {
			var s string
			_ = v.As(&s)
			in.Environment.Variables[k] = s
		}
	}
	if tracing := block(obj["tracing_config"]); tracing != nil {
		var mode string
		_ = tracing["mode"].As(&mode)
		in.TracingConfig = &lambdatypes.TracingConfig{Mode: lambdatypes.TracingMode(mode)}
	}
	out, err := r.p.client.CreateFunction(ctx, in)
	if err != nil {
		resp.Diagnostics.AddError("Stand-In CreateFunction Error", err.Error())
		return
	}
	if err := lambda.NewFunctionActiveV2Waiter(r.p.client).Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)}, time.Minute); err != nil {
		resp.Diagnostics.AddError("Stand-In Error", err.Error())
		return
	}
	version, qualified := "$LATEST", aws.ToString(out.FunctionArn)+":$LATEST"
	if in.Publish {
		version, qualified = aws.ToString(out.Version), aws.ToString(out.FunctionArn)+":"+aws.ToString(out.Version)
	}
	arn := aws.ToString(out.FunctionArn)
	computed := map[string]tftypes.Value{
		"id": tftypes.NewValue(tftypes.String, name), "arn": tftypes.NewValue(tftypes.String, arn),
		"architectures": tftypes.NewValue(tftypes.List{ElementType: tftypes.String}, []tftypes.Value{tftypes.NewValue(tftypes.String, "x86_64")}),
		"code_sha256":   tftypes.NewValue(tftypes.String, aws.ToString(out.CodeSha256)), "source_code_hash": tftypes.NewValue(tftypes.String, aws.ToString(out.CodeSha256)),
		"invoke_arn":    tftypes.NewValue(tftypes.String, "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"+arn+"/invocations"),
		"last_modified": tftypes.NewValue(tftypes.String, aws.ToString(out.LastModified)), "version": tftypes.NewValue(tftypes.String, version),
		"qualified_arn":                 tftypes.NewValue(tftypes.String, qualified),
		"qualified_invoke_arn":          tftypes.NewValue(tftypes.String, "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"+qualified+"/invocations"),
		"region":                        tftypes.NewValue(tftypes.String, "us-east-1"),
		"response_streaming_invoke_arn": tftypes.NewValue(tftypes.String, "arn:aws:apigateway:us-east-1:lambda:path/2021-11-15/functions/"+arn+"/response-streaming-invocations"),
		"signing_job_arn":               tftypes.NewValue(tftypes.String, ""), "signing_profile_version_arn": tftypes.NewValue(tftypes.String, ""),
		"source_code_size": tftypes.NewValue(tftypes.Number, out.CodeSize), "tags_all": tftypes.NewValue(tftypes.Map{ElementType: tftypes.String}, map[string]tftypes.Value{}),
	}
	// Blocks cannot be Optional and Computed in the framework (they can
	// in the AWS provider's SDKv2), so unset ones stay empty here.
	resp.State.Raw = fillUnknown(req.Plan.Raw, computed)
}

func (r *standInFunction) Read(context.Context, resource.ReadRequest, *resource.ReadResponse) {}

func (r *standInFunction) Update(_ context.Context, _ resource.UpdateRequest, resp *resource.UpdateResponse) {
	resp.Diagnostics.AddError("Stand-In Cannot Update", "The AWS provider stand-in only creates and deletes.")
}

func (r *standInFunction) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var name types.String
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("function_name"), &name)...)
	if _, err := r.p.client.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(name.ValueString())}); err != nil {
		resp.Diagnostics.AddError("Stand-In DeleteFunction Error", err.Error())
	}
}

// ---- aws_lambda_alias ----

type standInAlias struct{ p *awsStandIn }

func (r *standInAlias) Metadata(_ context.Context, _ resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = "aws_lambda_alias"
}

// Schema follows aws_lambda_alias.
func (r *standInAlias) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Attributes: map[string]schema.Attribute{
			"id": str(false, true), "arn": str(false, true), "description": str(true, false),
			"function_name": schema.StringAttribute{Required: true}, "function_version": schema.StringAttribute{Required: true},
			"invoke_arn": str(false, true), "name": schema.StringAttribute{Required: true}, "region": str(true, true),
		},
		Blocks: map[string]schema.Block{
			"routing_config": oneBlock(map[string]schema.Attribute{"additional_version_weights": schema.MapAttribute{ElementType: types.Float64Type, Optional: true}}),
		},
	}
}

func (r *standInAlias) Configure(_ context.Context, req resource.ConfigureRequest, _ *resource.ConfigureResponse) {
	r.p, _ = req.ProviderData.(*awsStandIn)
}

func (r *standInAlias) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var fn, name, version, desc types.String
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("function_name"), &fn)...)
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("name"), &name)...)
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("function_version"), &version)...)
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("description"), &desc)...)
	out, err := r.p.client.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(fn.ValueString()), Name: aws.String(name.ValueString()),
		FunctionVersion: aws.String(version.ValueString()), Description: aws.String(desc.ValueString())})
	if err != nil {
		resp.Diagnostics.AddError("Stand-In CreateAlias Error", err.Error())
		return
	}
	arn := aws.ToString(out.AliasArn)
	resp.State.Raw = fillUnknown(req.Plan.Raw, map[string]tftypes.Value{
		"id": tftypes.NewValue(tftypes.String, arn), "arn": tftypes.NewValue(tftypes.String, arn), "region": tftypes.NewValue(tftypes.String, "us-east-1"),
		"invoke_arn": tftypes.NewValue(tftypes.String, "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"+arn+"/invocations"),
	})
}

func (r *standInAlias) Read(context.Context, resource.ReadRequest, *resource.ReadResponse) {}

func (r *standInAlias) Update(_ context.Context, _ resource.UpdateRequest, resp *resource.UpdateResponse) {
	resp.Diagnostics.AddError("Stand-In Cannot Update", "The AWS provider stand-in only creates and deletes.")
}

func (r *standInAlias) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var fn, name types.String
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("function_name"), &fn)...)
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("name"), &name)...)
	if _, err := r.p.client.DeleteAlias(ctx, &lambda.DeleteAliasInput{FunctionName: aws.String(fn.ValueString()), Name: aws.String(name.ValueString())}); err != nil {
		resp.Diagnostics.AddError("Stand-In DeleteAlias Error", err.Error())
	}
}

// ---- raw state helpers ----

// fillUnknown returns plan with each unknown top-level attribute set from
// values, or null.
func fillUnknown(plan tftypes.Value, values map[string]tftypes.Value) tftypes.Value {
	obj := map[string]tftypes.Value{}
	_ = plan.As(&obj)
	typ, _ := plan.Type().(tftypes.Object)
	for k, v := range obj {
		if v.IsKnown() {
			continue
		}
		if x, ok := values[k]; ok {
			obj[k] = x
		} else {
			obj[k] = tftypes.NewValue(typ.AttributeTypes[k], nil)
		}
	}
	return tftypes.NewValue(typ, obj)
}

// block is the attributes of a MaxItems 1 block, nil when it is empty.
func block(v tftypes.Value) map[string]tftypes.Value {
	var l []tftypes.Value
	if err := v.As(&l); err != nil || len(l) != 1 {
		return nil
	}
	m := map[string]tftypes.Value{}
	if err := l[0].As(&m); err != nil {
		return nil
	}
	return m
}

func bigInt(f *big.Float) int64 {
	if f == nil {
		return 0
	}
	i, _ := f.Int64()
	return i
}
