package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/rollout-tf/terraform-provider-rollout/internal/awsclient"
)

var (
	_ datasource.DataSource              = (*callerIdentityDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*callerIdentityDataSource)(nil)
)

func newCallerIdentityDataSource() datasource.DataSource { return &callerIdentityDataSource{} }

// callerIdentityDataSource tells which account, region and endpoints the
// provider is really talking to: the quickest way to see whether a
// configuration points at the local sandbox or at AWS.
type callerIdentityDataSource struct {
	data *providerData
}

func (d *callerIdentityDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_caller_identity"
}

func (d *callerIdentityDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The identity, region and service endpoints the provider uses, as STS `GetCallerIdentity` " +
			"and the endpoint resolution report them. Use it to check that a configuration targets the account (or the local sandbox) you expect.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The account id.",
				Computed:            true,
			},
			"account_id": schema.StringAttribute{
				MarkdownDescription: "The 12-digit AWS account id of the credentials.",
				Computed:            true,
			},
			"arn": schema.StringAttribute{
				MarkdownDescription: "ARN of the caller, for example `arn:aws:iam::123456789012:user/deployer`.",
				Computed:            true,
			},
			"user_id": schema.StringAttribute{
				MarkdownDescription: "Unique id of the caller.",
				Computed:            true,
			},
			"region": schema.StringAttribute{
				MarkdownDescription: "The region the provider resolved.",
				Computed:            true,
			},
			"endpoints": schema.MapAttribute{
				MarkdownDescription: "Custom endpoint in use per service (`lambda`, `cloudwatch`, `s3`, `sts`); services on the default AWS endpoint are absent.",
				Computed:            true,
				ElementType:         types.StringType,
			},
		},
	}
}

func (d *callerIdentityDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configureData(req.ProviderData, &resp.Diagnostics)
}

func (d *callerIdentityDataSource) Read(ctx context.Context, _ datasource.ReadRequest, resp *datasource.ReadResponse) {
	if d.data == nil {
		resp.Diagnostics.AddError("Provider Not Configured", "The provider was not configured before the data source was read. Please report this issue to the provider developers.")
		return
	}
	client := d.data.client
	id, err := client.CallerIdentity(ctx)
	if err != nil {
		resp.Diagnostics.AddError("Caller Identity Read Error",
			apiErrorDetail("STS GetCallerIdentity failed.", "Check the credentials and endpoints.sts.", err))
		return
	}
	region, err := client.Region(ctx)
	if err != nil {
		resp.Diagnostics.AddError("Caller Identity Read Error",
			apiErrorDetail("The AWS configuration could not be loaded.", "Set region in the provider block or AWS_REGION.", err))
		return
	}
	endpoints := map[string]string{}
	for _, s := range awsclient.Services {
		if e, ok := client.Endpoints()[s]; ok {
			endpoints[string(s)] = e.URL
		}
	}
	endpointValue, diags := types.MapValueFrom(ctx, types.StringType, endpoints)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	model := callerIdentityModelV0{
		ID:        types.StringValue(id.AccountID),
		AccountID: types.StringValue(id.AccountID),
		ARN:       types.StringValue(id.ARN),
		UserID:    types.StringValue(id.UserID),
		Region:    types.StringValue(region),
		Endpoints: endpointValue,
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &model)...)
}

type callerIdentityModelV0 struct {
	ID        types.String `tfsdk:"id"`
	AccountID types.String `tfsdk:"account_id"`
	ARN       types.String `tfsdk:"arn"`
	UserID    types.String `tfsdk:"user_id"`
	Region    types.String `tfsdk:"region"`
	Endpoints types.Map    `tfsdk:"endpoints"`
}
