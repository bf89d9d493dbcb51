package provider

import (
	"context"
	"fmt"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/validate"
)

var (
	_ datasource.DataSource              = (*functionVersionsDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*functionVersionsDataSource)(nil)
)

func newFunctionVersionsDataSource() datasource.DataSource { return &functionVersionsDataSource{} }

// functionVersionsDataSource lists the published versions of a function
// with what rollout_function recorded about each, read from AWS.
type functionVersionsDataSource struct {
	data *providerData
}

func (d *functionVersionsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_function_versions"
}

func (d *functionVersionsDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The published versions of a Lambda function, newest first, with the code hash, release label, " +
			"data-schema range and digest that `rollout_function` recorded in each version's description. Read from AWS, " +
			"so it works without the Terraform state that published them.",
		Attributes: map[string]schema.Attribute{
			"function_name": schema.StringAttribute{
				MarkdownDescription: "Name of the function.",
				Required:            true,
				Validators: []validator.String{validate.Regex("Invalid Function Name", functionNamePattern,
					"1 to 64 letters, digits, hyphens or underscores", `function_name = "orders-api"`)},
			},
			"id": schema.StringAttribute{MarkdownDescription: "The function name.", Computed: true},
			"versions": schema.ListNestedAttribute{
				MarkdownDescription: "Published versions, newest first.",
				Computed:            true,
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"number":          schema.StringAttribute{MarkdownDescription: "Version number.", Computed: true},
					"code_sha256":     schema.StringAttribute{MarkdownDescription: "Base64 SHA-256 of the version's code.", Computed: true},
					"digest":          schema.StringAttribute{MarkdownDescription: "Digest of the version's code and configuration.", Computed: true},
					"release":         schema.StringAttribute{MarkdownDescription: "Release label recorded with the version, if any.", Computed: true},
					"data_schema_min": schema.Int64Attribute{MarkdownDescription: "Lowest compatible data schema recorded, if any.", Computed: true},
					"data_schema_max": schema.Int64Attribute{MarkdownDescription: "Highest compatible data schema recorded, if any.", Computed: true},
					"published_at":    schema.StringAttribute{MarkdownDescription: "When the version was published (RFC 3339).", Computed: true},
				}},
			},
		},
	}
}

func (d *functionVersionsDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configureData(req.ProviderData, &resp.Diagnostics)
}

func (d *functionVersionsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m functionVersionsModelV0
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	r := &functionResource{data: d.data}
	c, ok := r.lambda(ctx, &resp.Diagnostics)
	if !ok {
		return
	}
	name := m.FunctionName.ValueString()
	versions, err := lambdaops.ListVersions(ctx, c, name)
	if err != nil {
		resp.Diagnostics.AddError("Function Versions Read Error", apiErrorDetail(fmt.Sprintf("Listing the versions of %s failed.", name), "Check the function name.", err))
		return
	}
	entries := make([]versionEntry, 0, len(versions))
	for i := len(versions) - 1; i >= 0; i-- {
		entries = append(entries, entryFromConfig(versions[i]))
	}
	if len(versions) > 0 {
		// Labels changed after publish live in rollout:release:<N> tags (function_release.go).
		if tags, err := c.ListTags(ctx, &lambda.ListTagsInput{Resource: unqualifiedARN(versions[0])}); err == nil {
			entries = applyReleaseTags(entries, tags.Tags)
		}
	}
	m.ID = types.StringValue(name)
	m.Versions = entriesValue(entries)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

type functionVersionsModelV0 struct {
	FunctionName types.String `tfsdk:"function_name"`
	ID           types.String `tfsdk:"id"`
	Versions     types.List   `tfsdk:"versions"`
}
