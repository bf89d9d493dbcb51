// Package provider implements the rollout Terraform provider.
package provider

import (
	"context"
	"fmt"
	"regexp"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/rollout-tf/terraform-provider-rollout/internal/awsclient"
	"github.com/rollout-tf/terraform-provider-rollout/internal/health"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rollout"
	"github.com/rollout-tf/terraform-provider-rollout/internal/validate"
)

var (
	_ provider.Provider                   = (*rolloutProvider)(nil)
	_ provider.ProviderWithValidateConfig = (*rolloutProvider)(nil)
)

// New returns a constructor for the provider at the given version.
func New(version string) func() provider.Provider {
	return func() provider.Provider { return &rolloutProvider{version: version} }
}

type rolloutProvider struct {
	version string
}

// providerData is what Configure hands to every resource and data source.
type providerData struct {
	client *awsclient.Client
	// clock is the time of resources and the canary's adapters; tests of
	// plan logic inject a fake one.
	clock rollout.Clock
	// cache holds the reads of this configuration's walk (read_cache.go).
	cache *readCache
}

// Clock is the provider's clock: the wall clock unless one was injected,
// and also before the provider is configured (d is nil).
func (d *providerData) Clock() rollout.Clock {
	if d == nil || d.clock == nil {
		return rollout.SystemClock{}
	}
	return d.clock
}

var (
	regionPattern      = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d{1,2}$`)
	roleARNPattern     = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:iam::\d{12}:role/[\w+=,.@/-]+$`)
	sessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	externalIDPattern  = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
)

func (p *rolloutProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "rollout"
	resp.Version = p.version
}

func (p *rolloutProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	endpoint := func(service, sdkEnv string) schema.StringAttribute {
		return schema.StringAttribute{
			MarkdownDescription: fmt.Sprintf("Base URL of the %s API, for example `http://127.0.0.1:4599` for the local sandbox. "+
				"Overrides `%s` and `AWS_ENDPOINT_URL`.", service, sdkEnv),
			Optional: true,
			Validators: []validator.String{validate.String("Invalid Endpoint URL",
				"an http:// or https:// URL",
				`endpoints { `+serviceKey(service)+` = "http://127.0.0.1:4599" }`,
				awsclient.CheckEndpointURL)},
		}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "The `rollout` provider publishes immutable AWS Lambda versions, routes weighted aliases " +
			"and runs canary policies, so that a rollout and a rollback are ordinary `terraform plan` / `terraform apply` " +
			"transitions. Its configuration mirrors the AWS provider's: the AWS SDK's environment variables, " +
			"shared config files and profiles work as they do there.",
		Attributes: map[string]schema.Attribute{
			"region": schema.StringAttribute{
				MarkdownDescription: "AWS region, for example `us-east-1`. Defaults to `AWS_REGION`, `AWS_DEFAULT_REGION` or the profile's region.",
				Optional:            true,
				Validators: []validator.String{validate.String("Invalid AWS Region", "an AWS region name",
					`region = "us-east-1"`, validate.Matches(regionPattern, "an AWS region name such as us-east-1 or eu-central-1"))},
			},
			"profile": schema.StringAttribute{
				MarkdownDescription: "Named profile of the shared config and credentials files. Defaults to `AWS_PROFILE`, then `default`.",
				Optional:            true,
			},
			"shared_config_files": schema.ListAttribute{
				MarkdownDescription: "Paths of shared config files. Defaults to `AWS_CONFIG_FILE`, then `~/.aws/config`.",
				Optional:            true,
				ElementType:         types.StringType,
			},
			"shared_credentials_files": schema.ListAttribute{
				MarkdownDescription: "Paths of shared credentials files. Defaults to `AWS_SHARED_CREDENTIALS_FILE`, then `~/.aws/credentials`.",
				Optional:            true,
				ElementType:         types.StringType,
			},
			"access_key": schema.StringAttribute{
				MarkdownDescription: "Static access key id. Takes precedence over `AWS_ACCESS_KEY_ID` and profiles. Requires `secret_key`.",
				Optional:            true,
				Sensitive:           true,
			},
			"secret_key": schema.StringAttribute{
				MarkdownDescription: "Static secret access key. Requires `access_key`.",
				Optional:            true,
				Sensitive:           true,
			},
			"token": schema.StringAttribute{
				MarkdownDescription: "Session token for temporary static credentials. Requires `access_key` and `secret_key`.",
				Optional:            true,
				Sensitive:           true,
			},
			"max_retries": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("Maximum number of retries of a throttled or failed API call, with the SDK's "+
					"exponential backoff. `0` disables retries. Defaults to %d. A canary's health reads are not retried this way: "+
					"each makes at most %d attempts within a third of the policy's `interval`, with short backoffs that fit it, so unreadable health rolls back in bounded time.",
					awsclient.DefaultMaxRetries, health.ReadAttempts),
				Optional:   true,
				Validators: []validator.Int64{validate.Int64AtLeast("Invalid Retry Count", 0, "max_retries = 5")},
			},
			"skip_credentials_validation": schema.BoolAttribute{
				MarkdownDescription: "Skip the STS `GetCallerIdentity` call that checks the credentials when the provider is configured. Defaults to `false`.",
				Optional:            true,
			},
		},
		Blocks: map[string]schema.Block{
			"assume_role": schema.SingleNestedBlock{
				MarkdownDescription: "Role to assume, with STS `AssumeRole`, after loading the base credentials.",
				Attributes: map[string]schema.Attribute{
					"role_arn": schema.StringAttribute{
						MarkdownDescription: "ARN of the IAM role, for example `arn:aws:iam::123456789012:role/deployer`.",
						Optional:            true,
						Validators: []validator.String{validate.String("Invalid Role ARN", "an IAM role ARN",
							`role_arn = "arn:aws:iam::123456789012:role/deployer"`,
							validate.Matches(roleARNPattern, "an IAM role ARN of the form arn:aws:iam::<12-digit account>:role/<name>"))},
					},
					"session_name": schema.StringAttribute{
						MarkdownDescription: "Session name recorded in CloudTrail; 2 to 64 characters of `[\\w+=,.@-]`.",
						Optional:            true,
						Validators: []validator.String{validate.String("Invalid Session Name", "an STS role session name",
							`session_name = "terraform-rollout"`,
							validate.Matches(sessionNamePattern, "2 to 64 letters, digits or +=,.@_-"))},
					},
					"external_id": schema.StringAttribute{
						MarkdownDescription: "External id the role's trust policy requires.",
						Optional:            true,
						Validators: []validator.String{validate.String("Invalid External ID", "an STS external id",
							`external_id = "rollout-ci"`,
							func(v string) error {
								if len(v) < 2 || len(v) > 1224 {
									return fmt.Errorf("it must be 2 to 1224 characters long, not %d", len(v))
								}
								return validate.Matches(externalIDPattern, "letters, digits or +=,.@:/_- only")(v)
							})},
					},
				},
			},
			"endpoints": schema.SingleNestedBlock{
				MarkdownDescription: "Custom service endpoints, for the local `rollout-sandbox` or any AWS-compatible server.",
				Attributes: map[string]schema.Attribute{
					"lambda":     endpoint("Lambda", "AWS_ENDPOINT_URL_LAMBDA"),
					"cloudwatch": endpoint("CloudWatch", "AWS_ENDPOINT_URL_CLOUDWATCH"),
					"s3":         endpoint("S3", "AWS_ENDPOINT_URL_S3"),
					"sts":        endpoint("STS", "AWS_ENDPOINT_URL_STS"),
					"sns":        endpoint("SNS", "AWS_ENDPOINT_URL_SNS"),
				},
			},
		},
	}
}

func serviceKey(service string) string {
	switch service {
	case "Lambda":
		return "lambda"
	case "CloudWatch":
		return "cloudwatch"
	case "S3":
		return "s3"
	case "SNS":
		return "sns"
	default:
		return "sts"
	}
}

func (p *rolloutProvider) ValidateConfig(ctx context.Context, req provider.ValidateConfigRequest, resp *provider.ValidateConfigResponse) {
	var cfg providerModelV0
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	set := func(v types.String) bool { return !v.IsNull() && (v.IsUnknown() || v.ValueString() != "") }
	if set(cfg.AccessKey) != set(cfg.SecretKey) {
		missing := "secret_key"
		if !set(cfg.AccessKey) {
			missing = "access_key"
		}
		resp.Diagnostics.AddAttributeError(path.Root(missing), "Incomplete Static Credentials",
			validate.Detail("access_key/secret_key", "(only one set)", missing+" is missing: static credentials need both",
				`access_key = "AKIAIOSFODNN7EXAMPLE"`+"\n  secret_key = var.aws_secret_key"))
	}
	if set(cfg.Token) && !set(cfg.AccessKey) {
		resp.Diagnostics.AddAttributeError(path.Root("token"), "Incomplete Static Credentials",
			validate.Detail("token", "(set)", "a session token needs access_key and secret_key",
				`access_key = "ASIA..."`+"\n  secret_key = var.aws_secret_key\n  token = var.aws_session_token"))
	}
	if cfg.AssumeRole != nil && cfg.AssumeRole.RoleARN.IsNull() {
		resp.Diagnostics.AddAttributeError(path.Root("assume_role").AtName("role_arn"), "Missing Role ARN",
			validate.Detail("assume_role.role_arn", "null", "an assume_role block needs the role to assume",
				`assume_role { role_arn = "arn:aws:iam::123456789012:role/deployer" }`))
	}
}

func (p *rolloutProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var cfg providerModelV0
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	opts, unknown := cfg.options(ctx)
	client := awsclient.New(opts)

	for _, s := range awsclient.Services {
		if e, ok := client.Endpoints()[s]; ok {
			tflog.Info(ctx, "using custom AWS endpoint", map[string]any{"tf_rollout.service": string(s), "tf_rollout.endpoint": e.URL, "tf_rollout.source": e.Source})
		}
	}
	if unknown {
		// Values known only after apply (a region from another resource, say):
		// Terraform configures the provider again during apply with them.
		tflog.Debug(ctx, "provider configuration has unknown values; deferring AWS checks to apply")
	} else {
		if _, err := client.Config(ctx); err != nil {
			resp.Diagnostics.AddError("Invalid AWS Configuration",
				"The provider could not load an AWS configuration from its block, the environment and the shared config files.\n\n"+
					"Set region (for example region = \"us-east-1\"), check profile and the shared files, then run again.\n\n"+
					"Original Error: "+err.Error())
			return
		}
		if !opts.SkipCredentialsValidation {
			if _, err := client.CallerIdentity(ctx); err != nil {
				resp.Diagnostics.AddError("Invalid AWS Credentials",
					"The provider could not confirm its credentials with STS GetCallerIdentity.\n\n"+
						"Check the credentials and, for a local sandbox, endpoints.sts; or set skip_credentials_validation = true.\n\n"+
						"Original Error: "+err.Error())
				return
			}
		}
	}
	data := &providerData{client: client, clock: rollout.SystemClock{}, cache: &readCache{}}
	resp.ResourceData = data
	resp.DataSourceData = data
}

func (p *rolloutProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		newFunctionResource,
		newAliasResource,
		newCanaryPolicyResource,
		newAliasGroupResource,
	}
}

func (p *rolloutProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		newCallerIdentityDataSource,
		newFunctionVersionsDataSource,
		newAliasDataSource,
	}
}

// options converts the configuration; unknown reports whether any value was
// unknown (and so left out).
func (m providerModelV0) options(ctx context.Context) (awsclient.Options, bool) {
	unknown := false
	str := func(v types.String) string {
		if v.IsUnknown() {
			unknown = true
		}
		return v.ValueString()
	}
	list := func(v types.List) []string {
		if v.IsUnknown() {
			unknown = true
			return nil
		}
		var out []string
		for _, e := range v.Elements() {
			if s, ok := e.(types.String); ok && !s.IsNull() {
				if s.IsUnknown() {
					unknown = true
					continue
				}
				out = append(out, s.ValueString())
			}
		}
		return out
	}
	opts := awsclient.Options{
		Region:                    str(m.Region),
		Profile:                   str(m.Profile),
		SharedConfigFiles:         list(m.SharedConfigFiles),
		SharedCredentialsFiles:    list(m.SharedCredentialsFiles),
		AccessKey:                 str(m.AccessKey),
		SecretKey:                 str(m.SecretKey),
		Token:                     str(m.Token),
		SkipCredentialsValidation: m.SkipCredentialsValidation.ValueBool(),
		Endpoints:                 map[awsclient.Service]string{},
	}
	if m.MaxRetries.IsUnknown() {
		unknown = true
	} else if !m.MaxRetries.IsNull() {
		n := int(m.MaxRetries.ValueInt64())
		opts.MaxRetries = &n
	}
	if m.AssumeRole != nil {
		opts.AssumeRole = &awsclient.AssumeRole{
			RoleARN:     str(m.AssumeRole.RoleARN),
			SessionName: str(m.AssumeRole.SessionName),
			ExternalID:  str(m.AssumeRole.ExternalID),
		}
	}
	if e := m.Endpoints; e != nil {
		for s, v := range map[awsclient.Service]types.String{
			awsclient.Lambda: e.Lambda, awsclient.CloudWatch: e.CloudWatch, awsclient.S3: e.S3, awsclient.STS: e.STS, awsclient.SNS: e.SNS,
		} {
			if u := str(v); u != "" {
				opts.Endpoints[s] = u
			}
		}
	}
	if unknown {
		tflog.Debug(ctx, "unknown provider configuration values left out")
	}
	return opts, unknown
}

type providerModelV0 struct {
	Region                    types.String       `tfsdk:"region"`
	Profile                   types.String       `tfsdk:"profile"`
	SharedConfigFiles         types.List         `tfsdk:"shared_config_files"`
	SharedCredentialsFiles    types.List         `tfsdk:"shared_credentials_files"`
	AccessKey                 types.String       `tfsdk:"access_key"`
	SecretKey                 types.String       `tfsdk:"secret_key"`
	Token                     types.String       `tfsdk:"token"`
	MaxRetries                types.Int64        `tfsdk:"max_retries"`
	SkipCredentialsValidation types.Bool         `tfsdk:"skip_credentials_validation"`
	AssumeRole                *assumeRoleModelV0 `tfsdk:"assume_role"`
	Endpoints                 *endpointsModelV0  `tfsdk:"endpoints"`
}

type assumeRoleModelV0 struct {
	RoleARN     types.String `tfsdk:"role_arn"`
	SessionName types.String `tfsdk:"session_name"`
	ExternalID  types.String `tfsdk:"external_id"`
}

type endpointsModelV0 struct {
	Lambda     types.String `tfsdk:"lambda"`
	CloudWatch types.String `tfsdk:"cloudwatch"`
	S3         types.String `tfsdk:"s3"`
	STS        types.String `tfsdk:"sts"`
	SNS        types.String `tfsdk:"sns"`
}
