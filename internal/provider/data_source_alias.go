package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/validate"
)

var (
	_ datasource.DataSource              = (*aliasDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*aliasDataSource)(nil)
)

func newAliasDataSource() datasource.DataSource { return &aliasDataSource{} }

// aliasDataSource reads what an alias routes to right now.
type aliasDataSource struct {
	data *providerData
}

func (d *aliasDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_alias"
}

func (d *aliasDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The live routing of a Lambda alias: its primary version, the weighted second version if any, and its RevisionId.",
		Attributes: map[string]schema.Attribute{
			"function_name": schema.StringAttribute{
				MarkdownDescription: "Name of the function.",
				Required:            true,
				Validators: []validator.String{validate.Regex("Invalid Function Name", functionNamePattern,
					"1 to 64 letters, digits, hyphens or underscores", `function_name = "orders-api"`)},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Name of the alias.",
				Required:            true,
				Validators:          []validator.String{validate.String("Invalid Alias Name", "a Lambda alias name", `name = "live"`, checkAliasName)},
			},
			"id":               schema.StringAttribute{MarkdownDescription: "`<function_name>/<name>`.", Computed: true},
			"arn":              schema.StringAttribute{MarkdownDescription: "ARN of the alias.", Computed: true},
			"description":      schema.StringAttribute{MarkdownDescription: "Description of the alias.", Computed: true},
			"function_version": schema.StringAttribute{MarkdownDescription: "The primary version.", Computed: true},
			"revision_id":      schema.StringAttribute{MarkdownDescription: "RevisionId of the alias.", Computed: true},
			"routing": schema.SingleNestedAttribute{
				MarkdownDescription: "The weighted second version, when the alias splits traffic.",
				Computed:            true,
				Attributes: map[string]schema.Attribute{
					"version": schema.StringAttribute{MarkdownDescription: "The second version.", Computed: true},
					"weight":  schema.Float64Attribute{MarkdownDescription: "Its share of the traffic.", Computed: true},
				},
			},
		},
	}
}

func (d *aliasDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configureData(req.ProviderData, &resp.Diagnostics)
}

func (d *aliasDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m aliasDataModelV0
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	c, ok := (&functionResource{data: d.data}).lambda(ctx, &resp.Diagnostics)
	if !ok {
		return
	}
	fn, name := m.FunctionName.ValueString(), m.Name.ValueString()
	out, err := lambdaops.FindAlias(ctx, c, fn, name)
	if err != nil {
		resp.Diagnostics.AddError("Alias Read Error", apiErrorDetail(fmt.Sprintf("GetAlias %s:%s failed.", fn, name), "Check the function and alias names.", err))
		return
	}
	var a aliasModelV0
	a.FunctionName, a.Name = m.FunctionName, m.Name
	a.fill(out)
	m.ID, m.ARN, m.Description, m.FunctionVersion, m.RevisionID, m.Routing = a.ID, a.ARN, a.Description, a.FunctionVersion, a.RevisionID, a.Routing
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

type aliasDataModelV0 struct {
	FunctionName    types.String `tfsdk:"function_name"`
	Name            types.String `tfsdk:"name"`
	ID              types.String `tfsdk:"id"`
	ARN             types.String `tfsdk:"arn"`
	Description     types.String `tfsdk:"description"`
	FunctionVersion types.String `tfsdk:"function_version"`
	RevisionID      types.String `tfsdk:"revision_id"`
	Routing         types.Object `tfsdk:"routing"`
}
