package provider

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/terraform-plugin-framework-validators/float64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/rollout-tf/terraform-provider-rollout/internal/health"
	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rollout"
	"github.com/rollout-tf/terraform-provider-rollout/internal/validate"
)

var (
	_ resource.Resource                   = (*aliasResource)(nil)
	_ resource.ResourceWithConfigure      = (*aliasResource)(nil)
	_ resource.ResourceWithValidateConfig = (*aliasResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*aliasResource)(nil)
	_ resource.ResourceWithImportState    = (*aliasResource)(nil)
)

func newAliasResource() resource.Resource { return &aliasResource{} }

// aliasResource is a Lambda alias: a primary version and an optional
// weighted second one, guarded against versions that cannot serve the
// current data schema.
type aliasResource struct {
	data *providerData
}

var (
	aliasNamePattern = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,128}$`)
	digitsPattern    = regexp.MustCompile(`^[0-9]+$`)
)

const aliasSettleTimeout = 2 * time.Minute

func (r *aliasResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_alias"
}

func (r *aliasResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A Lambda alias that routes traffic to a published version, optionally splitting a share of it to a " +
			"second version (`routing`). The plan shows the exact versions and weights that will serve traffic. Every update " +
			"carries the alias's last-read RevisionId, so a change made outside Terraform since the last refresh fails the " +
			"apply instead of being overwritten; the next plan shows it as drift.\n\n" +
			"With `data_schema_version` set, a plan that would send any traffic to a version whose recorded " +
			"`compatible_data_schemas` (see `rollout_function`) excludes that schema fails at plan time; for a version the same " +
			"apply publishes, set `version_data_schemas = rollout_function.<name>.version_data_schemas`.\n\n" +
			"`$LATEST` follows the traffic: when an update moves all traffic off the code `$LATEST` holds (a rollback that adopts a " +
			"retained version, or a canary that rolls back), the alias then copies the version now serving into `$LATEST`, so " +
			"unqualified invocations stop running the rolled-back code. This happens after the traffic moved (the rollback's " +
			"critical path stays one UpdateAlias); any other `$LATEST` is left alone, and a failed copy is a warning.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "`<function_name>/<name>`.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"function_name": schema.StringAttribute{
				MarkdownDescription: "Name of the function. Changing it replaces the alias.",
				Required:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators: []validator.String{validate.Regex("Invalid Function Name", functionNamePattern,
					"1 to 64 letters, digits, hyphens or underscores", `function_name = "orders-api"`)},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Name of the alias, for example `live`: 1 to 128 letters, digits, hyphens or underscores, not only digits. Changing it replaces the alias.",
				Required:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:          []validator.String{validate.String("Invalid Alias Name", "a Lambda alias name", `name = "live"`, checkAliasName)},
			},
			"description": schema.StringAttribute{
				MarkdownDescription: "Description of the alias, at most 256 characters.",
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(""),
				Validators: []validator.String{validate.String("Invalid Description", "a description", `description = "production traffic"`, func(v string) error {
					if len(v) > 256 {
						return fmt.Errorf("it must be at most 256 characters, not %d", len(v))
					}
					return nil
				})},
			},
			"provisioned_concurrent_executions": provisionedAttribute,
			"function_version": schema.StringAttribute{
				MarkdownDescription: "The primary version: a published version number (usually `rollout_function.<name>.version`), or `$LATEST` without routing.",
				Required:            true,
				Validators: []validator.String{validate.Strings(validate.Msg{Summary: "Invalid Function Version",
					Problem: `it must be a published version number such as "7", or "$LATEST"`, Example: `function_version = rollout_function.orders.version`},
					stringvalidator.Any(stringvalidator.RegexMatches(digitsPattern, ""), stringvalidator.OneOf("$LATEST")))},
			},
			"routing": schema.SingleNestedAttribute{
				MarkdownDescription: "A static split: `weight` of the traffic goes to `version`, the rest to `function_version`.",
				Optional:            true,
				Attributes: map[string]schema.Attribute{
					"version": schema.StringAttribute{
						MarkdownDescription: "The second published version (a number, never `$LATEST`).",
						Required:            true,
						Validators: []validator.String{validate.Regex("Invalid Routing Version", digitsPattern,
							`a published version number such as "8" ($LATEST cannot take weighted traffic)`, `routing = { version = "8", weight = 0.1 }`)},
					},
					"weight": schema.Float64Attribute{
						MarkdownDescription: "Share of the traffic for `version`, greater than 0 and less than 1 (`0.1` is 10%).",
						Required:            true,
						Validators: []validator.Float64{validate.Float64(validate.Msg{Summary: "Invalid Routing Weight",
							Problem: "it must be greater than 0 and less than 1 (a share of the traffic; remove routing to send all traffic to function_version)",
							Example: `routing = { version = "8", weight = 0.1 }`}, float64validator.Between(0, 1), float64validator.NoneOf(0, 1))},
					},
				},
			},
			"data_schema_version": schema.Int64Attribute{
				MarkdownDescription: "The data-schema version your data stores are at. When set, the plan fails if any version that would " +
					"receive traffic records a `compatible_data_schemas` range that excludes it. Versions without a recorded range pass with a warning. " +
					"A version the same apply publishes is checked from `version_data_schemas`, which the plan then requires.",
				Optional:   true,
				Validators: []validator.Int64{validate.Int64AtLeast("Invalid Data Schema Version", 0, "data_schema_version = 7")},
			},
			"version_data_schemas": versionDataSchemasAttribute(),
			"canary_policy": schema.SingleNestedAttribute{
				MarkdownDescription: "A canary policy, usually `rollout_canary_policy.<name>.spec`. With it, a change of `function_version` " +
					"from A to B is a rollout: B's share grows step by step while its error rate, p99 and alarms are watched; a breach " +
					"moves all traffic back to A at once and the apply fails saying why, with the state recording A and `deployment`.",
				Optional:   true,
				Attributes: specAttributes(specSettable),
			},
			"retry_rolled_back": schema.StringAttribute{
				MarkdownDescription: "Retries, on purpose, a release that was rolled back. A plan that would send traffic to a rolled-back release " +
					"(the same code and configuration digest, whatever its version number) stops before anything moves, saying when, on which alias and by " +
					"which gate it was rolled back, with the measured value, and prints the value to set here: `<digest>@<time of the rollback>`, for example " +
					"`\"9f2c4e1a7b3d5c60@20261126T131502Z\"`. With it the plan shows the retry and the canary runs once more with its gates. It names one " +
					"rollback: if the retry is rolled back too, the next plan stops again with a new value; once the release is promoted the value has no " +
					"effect (a warning says it can be removed). The memory of rollbacks lives in AWS, in the function's tags `rollout:rolled-back:<digest>`, " +
					"so re-runs, retried jobs, a `terraform state push` of an older state and fresh working directories all see it.",
				Optional: true,
				Validators: []validator.String{validate.String("Invalid Retry Value", "a rollback to retry", `retry_rolled_back = "9f2c4e1a7b3d5c60@20261126T131502Z"`, func(v string) error {
					if !lambdaops.TokenRE.MatchString(v) {
						return errors.New("it must be <16-hex digest>@<time of the rollback>, exactly as the plan that stopped on the rolled-back release prints it")
					}
					return nil
				})},
			},
			"event_source_interlock": interlockAttribute(),
			"deployment":             deploymentSchema(),
			"promotions":             promotionsSchema(),
			"arn": schema.StringAttribute{
				MarkdownDescription: "ARN of the alias.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"revision_id": schema.StringAttribute{
				MarkdownDescription: "RevisionId of the alias as last read; every update is conditional on it.",
				Computed:            true,
			},
		},
		Blocks: map[string]schema.Block{"timeouts": aliasTimeoutsBlock()},
	}
	for k, a := range interlockComputedAttributes() {
		resp.Schema.Attributes[k] = a
	}
}

func checkAliasName(v string) error {
	switch {
	case digitsPattern.MatchString(v):
		return errors.New("it must not be only digits (that would read as a version number)")
	case !aliasNamePattern.MatchString(v):
		return errors.New("it must be 1 to 128 letters, digits, hyphens or underscores")
	}
	return nil
}

func (r *aliasResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = configureData(req.ProviderData, &resp.Diagnostics)
}

func (r *aliasResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m aliasModelV0
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	warnShortUpdateLimit(ctx, m, &resp.Diagnostics)
	if !m.CanaryPolicy.IsNull() && !m.CanaryPolicy.IsUnknown() {
		if !m.Routing.IsNull() {
			resp.Diagnostics.AddAttributeError(path.Root("routing"), "Routing With A Canary Policy",
				validate.Detail("routing", "(set)", "a canary policy moves the weights itself; a static split and a policy cannot both drive the alias",
					"canary_policy = rollout_canary_policy.standard.spec   (and no routing)"))
		}
		checkInlineSteps(m.CanaryPolicy, &resp.Diagnostics)
		p, err := policyFromSpec(ctx, m.CanaryPolicy)
		if err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("canary_policy"), "Invalid Canary Policy", err.Error()+
				"\n\nA valid example: canary_policy = rollout_canary_policy.standard.spec")
		}
		_ = p
	}
	if m.Routing.IsNull() || m.Routing.IsUnknown() {
		return
	}
	var rt routingModelV0
	resp.Diagnostics.Append(m.Routing.As(ctx, &rt, basetypes.ObjectAsOptions{})...)
	if resp.Diagnostics.HasError() {
		return
	}
	example := `routing = { version = "8", weight = 0.1 }`
	if m.FunctionVersion.ValueString() == "$LATEST" && !m.FunctionVersion.IsUnknown() {
		resp.Diagnostics.AddAttributeError(path.Root("function_version"), "Routing With $LATEST",
			validate.Detail("function_version", `"$LATEST"`, "an alias that splits traffic must point at published versions, as AWS requires", `function_version = "7"`+"\n  "+example))
	}
	if !rt.Version.IsUnknown() && !m.FunctionVersion.IsUnknown() && rt.Version.ValueString() == m.FunctionVersion.ValueString() {
		resp.Diagnostics.AddAttributeError(path.Root("routing").AtName("version"), "Routing To The Primary Version",
			validate.Detail("routing.version", fmt.Sprintf("%q", rt.Version.ValueString()), "it is already function_version; the split needs a second version", example))
	}
}

// ModifyPlan checks, against AWS, that the versions the plan routes to
// exist and (with data_schema_version) can serve the data schema, and
// marks revision_id unknown when the alias will change.
func (r *aliasResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	var plan aliasModelV0
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	plan.checkPlannedVersion(ctx, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	var prior *aliasModelV0
	if !req.State.Raw.IsNull() {
		var state aliasModelV0
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
		if resp.Diagnostics.HasError() {
			return
		}
		prior = &state
		if plan.FunctionVersion.Equal(state.FunctionVersion) && plan.Routing.Equal(state.Routing) && plan.Description.Equal(state.Description) {
			plan.RevisionID = state.RevisionID
			plan.Deployment, plan.Promotions = state.Deployment, state.Promotions
		} else {
			plan.RevisionID = types.StringUnknown()
			plan.Deployment, plan.Promotions = state.Deployment, state.Promotions
			if !plan.FunctionVersion.Equal(state.FunctionVersion) {
				plan.Promotions = types.ListUnknown(types.ObjectType{AttrTypes: promotionAttrTypes})
				if !plan.CanaryPolicy.IsNull() {
					plan.Deployment = types.ObjectUnknown(deploymentAttrTypes)
				}
			}
		}
		cur, _ := parseDeployment(state.Deployment)
		if p, err := policyFromSpec(ctx, plan.CanaryPolicy); err == nil && p != nil && (!p.Wait || cur.rollbackPending()) && plan.Routing.IsNull() && !plan.FunctionVersion.IsUnknown() {
			r.planStepwise(*p, &plan, state)
		}
		if summary, detail, ok := provisionedPlanNotice(plan.FunctionName.ValueString(), plan.Name.ValueString(), plan.ProvisionedConcurrentExecutions,
			!plan.CanaryPolicy.IsNull() && plan.Routing.IsNull(), !plan.FunctionVersion.Equal(state.FunctionVersion)); ok {
			resp.Diagnostics.AddAttributeWarning(path.Root("provisioned_concurrent_executions"), summary, detail)
		}
		modifyPlanInterlock(ctx, &plan, state, &resp.Diagnostics)
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
	}
	if r.data == nil || plan.FunctionName.IsUnknown() {
		return
	}
	c, err := r.data.client.Lambda(ctx)
	if err != nil {
		return
	}
	// The versions were checked when they went live; published versions are
	// immutable and AWS refuses to delete one an alias routes to, so an
	// alias whose versions and data-schema inputs are as in the state needs
	// no read (a no-op plan stays at 2 calls per resource, issue 22).
	unmoved := prior != nil && plan.FunctionVersion.Equal(prior.FunctionVersion) && plan.Routing.Equal(prior.Routing) &&
		plan.DataSchemaVersion.Equal(prior.DataSchemaVersion) && plan.VersionDataSchemas.Equal(prior.VersionDataSchemas) &&
		plan.EventSourceInterlock.Equal(prior.EventSourceInterlock)
	for _, t := range plan.targets(ctx) {
		if unmoved || t.version == "" || t.version == "$LATEST" {
			continue
		}
		r.checkVersion(ctx, c, plan, t, &resp.Diagnostics, true)
	}
	if !unmoved {
		r.checkEventSchemas(ctx, c, plan, prior, &resp.Diagnostics)
	}
	r.refuseRolledBack(ctx, c, plan, prior, &resp.Diagnostics, true)
	if prior != nil && !resp.Diagnostics.HasError() && plan.FunctionVersion.Equal(prior.FunctionVersion) && !plan.RevisionID.IsUnknown() &&
		planLatestRestore(ctx, c, &plan, *prior, &resp.Diagnostics) {
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
	}
}

// target is one version that would receive traffic.
type target struct {
	version string
	attr    path.Path
	label   string
}

func (m aliasModelV0) targets(ctx context.Context) []target {
	var out []target
	if !m.FunctionVersion.IsUnknown() {
		out = append(out, target{m.FunctionVersion.ValueString(), path.Root("function_version"), "function_version"})
	}
	if !m.Routing.IsNull() && !m.Routing.IsUnknown() {
		var rt routingModelV0
		m.Routing.As(ctx, &rt, basetypes.ObjectAsOptions{})
		if !rt.Version.IsUnknown() {
			out = append(out, target{rt.Version.ValueString(), path.Root("routing").AtName("version"), "routing.version"})
		}
	}
	return out
}

// checkVersion verifies that a version exists and passes the data guard.
// At plan time a function that does not exist yet is not an error (it is
// created by the same apply). A walk reads each version once: the apply's
// guard uses the read of the ModifyPlan just before it (versions are
// immutable; AWS refuses to route to one deleted since).
func (r *aliasResource) checkVersion(ctx context.Context, c *lambda.Client, m aliasModelV0, t target, diags *diag.Diagnostics, planning bool) {
	fn := m.FunctionName.ValueString()
	cfg, err := r.data.reads().version(ctx, c, fn, t.version)
	if lambdaops.IsNotFound(err) {
		if planning {
			if _, ferr := lambdaops.FindFunction(ctx, c, fn); lambdaops.IsNotFound(ferr) {
				return
			}
		}
		diags.AddAttributeError(t.attr, "Version Not Found",
			validate.Detail(t.label, fmt.Sprintf("%q", t.version), fmt.Sprintf("function %s has no published version %s", fn, t.version),
				t.label+" = rollout_function."+"<name>.version"))
		return
	}
	if err != nil {
		tflog.Warn(ctx, "could not check a routed version", map[string]any{"tf_rollout.version": t.version, "tf_rollout.error": err.Error()})
		return
	}
	if m.DataSchemaVersion.IsNull() || m.DataSchemaVersion.IsUnknown() {
		return
	}
	schemaVersion := m.DataSchemaVersion.ValueInt64()
	_, meta, ok := lambdaops.ParseDescription(aws.ToString(cfg.Description))
	if !ok || (meta.SchemaMin == nil && meta.SchemaMax == nil) {
		diags.AddAttributeWarning(t.attr, "Unchecked Data Compatibility",
			fmt.Sprintf("Version %s of %s records no compatible_data_schemas, so the guard cannot tell whether it runs against data schema %d. "+
				"Publish it with rollout_function's compatible_data_schemas to have it checked.", t.version, fn, schemaVersion))
		return
	}
	if (meta.SchemaMin != nil && schemaVersion < *meta.SchemaMin) || (meta.SchemaMax != nil && schemaVersion > *meta.SchemaMax) {
		release := ""
		if meta.Release != "" {
			release = " (release " + meta.Release + ")"
		}
		diags.AddAttributeError(t.attr, "Incompatible Data Schema",
			fmt.Sprintf("%s = %q would send traffic to version %s%s of %s, which records compatible_data_schemas %s; the data stores are at schema %d "+
				"(data_schema_version). That version cannot run against the current data.\n\n"+
				"Route to a version whose range includes %d, or migrate the data and change data_schema_version.",
				t.label, t.version, t.version, release, fn, formatRange(meta.SchemaMin, meta.SchemaMax), schemaVersion, schemaVersion))
	}
}

func formatRange(lo, hi *int64) string {
	s := ""
	if lo != nil {
		s += fmt.Sprint(*lo)
	}
	s += ".."
	if hi != nil {
		s += fmt.Sprint(*hi)
	}
	return s
}

func (r *aliasResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan aliasModelV0
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	c, ok := r.lambda(ctx, &resp.Diagnostics)
	if !ok {
		return
	}
	r.guard(ctx, c, plan, &resp.Diagnostics)
	r.checkEventSchemas(ctx, c, plan, nil, &resp.Diagnostics)
	r.refuseRolledBack(ctx, c, plan, nil, &resp.Diagnostics, false)
	if resp.Diagnostics.HasError() {
		return
	}
	fn, name := plan.FunctionName.ValueString(), plan.Name.ValueString()
	extra, weight := plan.routing(ctx)
	_, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{
		FunctionName: aws.String(fn), Name: aws.String(name), FunctionVersion: aws.String(plan.FunctionVersion.ValueString()),
		Description: aws.String(plan.Description.ValueString()), RoutingConfig: routingConfig(extra, weight),
	})
	if err != nil {
		var conflict *lambdatypes.ResourceConflictException
		if errors.As(err, &conflict) {
			resp.Diagnostics.AddAttributeError(path.Root("name"), "Alias Already Exists",
				apiErrorDetail(fmt.Sprintf("Alias %s of %s already exists.", name, fn), fmt.Sprintf("Import it: terraform import <address> %s/%s", fn, name), err))
			return
		}
		resp.Diagnostics.AddError("Alias Create Error", apiErrorDetail(fmt.Sprintf("CreateAlias %s:%s failed.", fn, name), "Check the versions, then apply again.", err))
		return
	}
	plan.Deployment = types.ObjectNull(deploymentAttrTypes)
	plan.EventSourcePauses, plan.PausedEventSources = types.ListNull(types.StringType), types.ListNull(types.StringType)
	plan.Promotions = promotionsWith(types.ListNull(types.ObjectType{AttrTypes: promotionAttrTypes}), plan.FunctionVersion.ValueString(), r.data.Clock().Now())
	requested := plan.ProvisionedConcurrentExecutions
	if !applyProvisioned(ctx, c, fn, name, types.Int64Null(), requested, &resp.Diagnostics) {
		plan.ProvisionedConcurrentExecutions = types.Int64Null() // the alias exists; record it without
	}
	r.settleAndSave(ctx, c, &plan, resp.State.Set, &resp.Diagnostics)
}

func (r *aliasResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state aliasModelV0
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	c, ok := r.lambda(ctx, &resp.Diagnostics)
	if !ok {
		return
	}
	fn, name := state.FunctionName.ValueString(), state.Name.ValueString()
	out, err := lambdaops.FindAlias(ctx, c, fn, name)
	if lambdaops.IsNotFound(err) {
		resp.Diagnostics.AddWarning("Alias Not Found", fmt.Sprintf("Alias %s of %s no longer exists; it is removed from state and the next plan creates it.", name, fn))
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Alias Read Error", apiErrorDetail(fmt.Sprintf("GetAlias %s:%s failed.", fn, name), "Check credentials and connectivity, then run again.", err))
		return
	}
	pausedFromRecord(ctx, c, &state, &resp.Diagnostics)
	if cur, ok := parseDeployment(state.Deployment); ok && cur.Status == rollout.StatusInProgress && state.FunctionVersion.ValueString() == cur.To {
		// A plan-driven rollout in progress: the alias serves from_version
		// with the canary's weight on to_version; function_version keeps
		// the target and deployment says where traffic is.
		if cur.rollbackPending() {
			// A rollback that failed (rollbackFailed): keep it as the next
			// action, with the weight the alias reports, so that the plan
			// shows it.
			cur.Weight, _ = liveWeight(out, cur.From, cur.To)
			state.Deployment = cur.value(nullIfEmpty(cur.StepStartedRaw), types.StringNull(), nil)
			state.RevisionID, state.ARN = types.StringValue(aws.ToString(out.RevisionId)), types.StringValue(aws.ToString(out.AliasArn))
			resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
			return
		}
		v, w, split := lambdaops.Routing(out.RoutingConfig)
		if aws.ToString(out.FunctionVersion) == cur.From && (!split || v == cur.To) {
			cur.Weight = math.Round(w*100000) / 1000
			if p, err := policyFromSpec(ctx, state.CanaryPolicy); err == nil && p != nil && !p.Wait {
				state.Deployment = r.evaluateForRefresh(ctx, c, *p, state, cur, &resp.Diagnostics)
				warnUnreadable(state, &resp.Diagnostics)
			} else {
				state.Deployment = cur.value(nullIfEmpty(cur.StepStartedRaw), types.StringNull(), nil)
			}
			state.RevisionID, state.ARN = types.StringValue(aws.ToString(out.RevisionId)), types.StringValue(aws.ToString(out.AliasArn))
			resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
			return
		}
	}
	state.fill(out)
	pc, err := readProvisioned(ctx, c, fn, name, state.ProvisionedConcurrentExecutions)
	if err != nil {
		resp.Diagnostics.AddError("Alias Read Error", apiErrorDetail(fmt.Sprintf("GetProvisionedConcurrencyConfig %s:%s failed.", fn, name), "Check credentials and connectivity, then run again.", err))
		return
	}
	state.ProvisionedConcurrentExecutions = pc
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *aliasResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state aliasModelV0
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, done := withUpdateTimeout(ctx, plan, &resp.Diagnostics)
	defer done()
	c, ok := r.lambda(ctx, &resp.Diagnostics)
	if !ok {
		return
	}
	// Mappings an interrupted apply left paused are resumed before anything else.
	if !r.resumeLeftPaused(ctx, c, plan, state, &resp.Diagnostics) {
		return
	}
	// Provisioned concurrency first, so a canary in this apply waits for it.
	if !applyProvisioned(ctx, c, plan.FunctionName.ValueString(), plan.Name.ValueString(), state.ProvisionedConcurrentExecutions, plan.ProvisionedConcurrentExecutions, &resp.Diagnostics) {
		return
	}
	if !plan.RevisionID.IsUnknown() {
		// Only data_schema_version changed: nothing to send to AWS.
		plan.ID, plan.ARN, plan.RevisionID = state.ID, state.ARN, state.RevisionID
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		return
	}
	r.guard(ctx, c, plan, &resp.Diagnostics)
	r.checkEventSchemas(ctx, c, plan, &state, &resp.Diagnostics)
	r.refuseRolledBack(ctx, c, plan, &state, &resp.Diagnostics, false)
	if resp.Diagnostics.HasError() {
		return
	}
	plannedDeployment := plan.Deployment
	plan.Deployment, plan.Promotions = state.Deployment, state.Promotions
	moving := !plan.FunctionVersion.Equal(state.FunctionVersion)
	if moving {
		plan.Promotions = promotionsWith(state.Promotions, plan.FunctionVersion.ValueString(), r.data.Clock().Now())
	}
	if !plan.CanaryPolicy.IsNull() && plan.Routing.IsNull() {
		cur, _ := parseDeployment(state.Deployment)
		if policy, err := policyFromSpec(ctx, plan.CanaryPolicy); err == nil && policy != nil && (!policy.Wait || cur.rollbackPending()) {
			plan.Deployment = plannedDeployment
			next, planned := parseDeployment(plan.Deployment)
			inWin := moving && inWindow(state.Promotions, plan.FunctionVersion.ValueString(), policy.RollbackWindow)
			if !planned && moving && !inWin && len(policy.Steps) > 0 && !state.FunctionVersion.IsNull() {
				// The target was not known at plan time (published by this
				// apply): the rollout starts now, at its first step.
				start := deploymentView{Status: rollout.StatusInProgress, From: stableVersion(state), To: plan.FunctionVersion.ValueString(),
					Step: 1, Weight: policy.Steps[0].WeightPercent, Reason: "rollout started: " + rollout.Describe(policy.Steps)}
				plan.Deployment, next, planned = start.value(types.StringUnknown(), types.StringNull(), nil), start, true
			}
			if planned && (next.Status != cur.Status || next.Step != cur.Step || next.To != cur.To) && (!inWin || next.Gate == gateSuperseded) {
				r.applyStepwise(ctx, c, *policy, plan, state, resp)
				return
			}
			plan.Deployment = state.Deployment
		}
	}
	if moving && !plan.CanaryPolicy.IsNull() && plan.Routing.IsNull() && !state.FunctionVersion.IsNull() {
		policy, err := policyFromSpec(ctx, plan.CanaryPolicy)
		if err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("canary_policy"), "Invalid Canary Policy", err.Error())
			return
		}
		if !inWindow(state.Promotions, plan.FunctionVersion.ValueString(), policy.RollbackWindow) {
			r.runRollout(ctx, c, *policy, plan, state, resp)
			return
		}
		now := r.data.Clock().Now()
		plan.Deployment = deploymentValue(state.FunctionVersion.ValueString(), plan.FunctionVersion.ValueString(), now, now, rollout.Outcome{
			Status: rollout.StatusPromoted, Final: rollout.Decision{Action: rollout.Promote, Step: -1, Weight: 100,
				Reason: fmt.Sprintf("version %s is among the last %d promotions (rollback_window): a known-good version, steps skipped", plan.FunctionVersion.ValueString(), policy.RollbackWindow)}})
	}
	fn, name := plan.FunctionName.ValueString(), plan.Name.ValueString()
	if !moving && plan.Routing.Equal(state.Routing) && plan.Description.Equal(state.Description) {
		// Nothing to move: the plan showed the restore of $LATEST
		// (planLatestRestore).
		if rec, ok := latestRolledBack(ctx, c, plan, state); ok {
			r.restoreLatest(context.WithoutCancel(ctx), c, fn, rec.Version, plan.FunctionVersion.ValueString(), &resp.Diagnostics)
		}
		plan.ID, plan.ARN, plan.RevisionID = state.ID, state.ARN, state.RevisionID
		plan.Deployment, plan.Promotions = state.Deployment, state.Promotions
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		return
	}
	extra, weight := plan.routing(ctx)
	rc := routingConfig(extra, weight)
	if rc == nil {
		rc = &lambdatypes.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{}}
	}
	ilc := plan.interlock(ctx)
	lock := ilc.lock(c, state.ARN.ValueString(), r.data.Clock())
	moment := health.MomentStart
	if moving {
		moment = directMoment(state, plan.FunctionVersion.ValueString())
	}
	err := ilc.around(ctx, lock, moment, &resp.Diagnostics, func(ctx context.Context) error {
		_, err := c.UpdateAlias(ctx, &lambda.UpdateAliasInput{
			FunctionName: aws.String(fn), Name: aws.String(name), FunctionVersion: aws.String(plan.FunctionVersion.ValueString()),
			Description: aws.String(plan.Description.ValueString()), RoutingConfig: rc, RevisionId: aws.String(state.RevisionID.ValueString()),
		})
		return err
	})
	plan.recordPaused(lock)
	if err != nil {
		if lock != nil && len(lock.Paused()) > 0 {
			state.PausedEventSources = plan.PausedEventSources
			resp.Diagnostics.Append(resp.State.Set(context.WithoutCancel(ctx), &state)...)
		}
		var pre *lambdatypes.PreconditionFailedException
		if errors.As(err, &pre) {
			resp.Diagnostics.AddError("Alias Changed Outside Terraform",
				apiErrorDetail(fmt.Sprintf("Alias %s of %s changed since Terraform last read it (revision %s). Its traffic was not touched.", name, fn, state.RevisionID.ValueString()),
					"Run terraform plan again: it shows the change made outside Terraform, and applying it then overrides it knowingly.", err))
			return
		}
		resp.Diagnostics.AddError("Alias Update Error", apiErrorDetail(fmt.Sprintf("UpdateAlias %s:%s failed.", fn, name), "Apply again.", err))
		return
	}
	r.settleAndSave(ctx, c, &plan, resp.State.Set, &resp.Diagnostics)
	if moving && extra == "" && !resp.Diagnostics.HasError() {
		r.restoreLatest(ctx, c, fn, state.FunctionVersion.ValueString(), plan.FunctionVersion.ValueString(), &resp.Diagnostics)
	}
}

func (r *aliasResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state aliasModelV0
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	c, ok := r.lambda(ctx, &resp.Diagnostics)
	if !ok {
		return
	}
	_, err := c.DeleteAlias(ctx, &lambda.DeleteAliasInput{FunctionName: aws.String(state.FunctionName.ValueString()), Name: aws.String(state.Name.ValueString())})
	if err != nil && !lambdaops.IsNotFound(err) {
		resp.Diagnostics.AddError("Alias Delete Error", apiErrorDetail(fmt.Sprintf("DeleteAlias %s failed.", state.ID.ValueString()), "Apply again.", err))
	}
}

// ImportState accepts function_name/alias or an alias ARN.
func (r *aliasResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	fn, name, ok := strings.Cut(req.ID, "/")
	if f, qualifier, isARN := lambdaops.ParseFunctionARN(req.ID); isARN {
		fn, name, ok = f, qualifier, true
	}
	if !ok || !functionNamePattern.MatchString(fn) || checkAliasName(name) != nil {
		resp.Diagnostics.AddError("Invalid Import ID",
			validate.Detail("import id", fmt.Sprintf("%q", req.ID), "it must be <function_name>/<alias> or an alias ARN",
				"terraform import rollout_alias.live orders-api/live"))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("function_name"), fn)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("name"), name)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), fn+"/"+name)...)
}

// ---- helpers ----

// runRollout drives a canary from the current primary A to the planned B
// and saves what is true afterwards: B promoted, or A with the reason.
func (r *aliasResource) runRollout(ctx context.Context, c *lambda.Client, p rollout.Policy, plan, state aliasModelV0, resp *resource.UpdateResponse) {
	fn, name := plan.FunctionName.ValueString(), plan.Name.ValueString()
	from, to := stableVersion(state), plan.FunctionVersion.ValueString()
	cw, err := r.data.client.CloudWatch(ctx)
	if err != nil {
		resp.Diagnostics.AddError("AWS Configuration Error", apiErrorDetail("The CloudWatch client could not be built.", "Check the provider configuration.", err))
		return
	}
	fnOut, err := lambdaops.FindFunction(ctx, c, fn)
	if err != nil {
		resp.Diagnostics.AddError("Rollout Error", apiErrorDetail(fmt.Sprintf("GetFunction %s failed; no traffic was moved.", fn), "Apply again.", err))
		return
	}
	clock := r.data.Clock()
	traffic := &health.Traffic{Lambda: c, Function: fn, Name: name, From: from, To: to, Revision: state.RevisionID.ValueString()}
	src := &health.Sources{CloudWatch: cw, Lambda: c, Function: fn, Alias: name, To: to, FunctionARN: aws.ToString(fnOut.Configuration.FunctionArn), Clock: clock.Now}
	hooks := &health.Hooks{Lambda: c, Function: fn, Alias: name, From: from, To: to}
	started := clock.Now()
	r.warmShifts(traffic, c, p, plan.ProvisionedConcurrentExecutions, started)
	tflog.Info(ctx, "canary rollout starting", map[string]any{"tf_rollout.alias": name, "tf_rollout.from": from, "tf_rollout.to": to, "tf_rollout.schedule": rollout.Describe(p.Steps)})
	ov := health.NewScopedOverride(src, c, src.FunctionARN, name, from, to, true)
	ov.Start(ctx, fnOut.Tags)
	events := r.startEvents(ctx, c, p, src.FunctionARN, fn, name, from, to)
	ilc := plan.interlock(ctx)
	lock := ilc.lock(c, state.ARN.ValueString(), clock)
	out := rollout.DriveObserved(ctx, p, ilc.gate(health.Bound(ov, p.Interval), r, ctx, lock, p.Interval), ilc.traffic(traffic, lock, false, &resp.Diagnostics),
		hooks, clock, events.observer)
	plan.recordPaused(lock)
	finished := clock.Now()
	defer events.finish(ctx, &resp.Diagnostics)
	ov.Finish(ctx)
	addOverrideWarnings(ov, &resp.Diagnostics)
	primary := from
	if out.Status == rollout.StatusPromoted {
		primary = to
		// promoted_at is when all traffic moved, as with wait = false.
		plan.Promotions = promotionsWith(state.Promotions, to, finished)
	} else {
		plan.Promotions = state.Promotions
	}
	settleCtx := context.WithoutCancel(ctx)
	if out.Err != nil && out.Status == rollout.StatusInProgress {
		// The rollback's UpdateAlias failed: nothing moved back. Record
		// what the alias reports, the rollback as the next action, and
		// remember nothing (rollbackFailed); no wait for a routing that
		// was never set.
		f := out.Final
		view := deploymentView{From: from, To: to, Step: int64(f.Step + 1), Weight: f.Weight, StartedAt: started.UTC().Format(time.RFC3339)}
		for _, d := range out.Decisions[:len(out.Decisions)-1] {
			view.Gates = append(view.Gates, types.ObjectValueMust(deploymentGateAttrTypes, map[string]attr.Value{
				"step": types.Int64Value(int64(d.Step + 1)), "weight_percent": types.Float64Value(d.Weight),
				"action": types.StringValue(string(d.Action)), "reason": types.StringValue(d.Reason)}))
		}
		save := func(primary string, deployment types.Object) {
			plan.Deployment, plan.FunctionVersion = deployment, types.StringValue(primary)
			if a, err := lambdaops.FindAlias(settleCtx, c, fn, name); err == nil {
				plan.RevisionID, plan.ARN = types.StringValue(aws.ToString(a.RevisionId)), types.StringValue(aws.ToString(a.AliasArn))
			}
			plan.ID = types.StringValue(fn + "/" + name)
			resp.Diagnostics.Append(resp.State.Set(settleCtx, &plan)...)
		}
		r.rollbackFailed(settleCtx, c, fn, name, view, f, out.Err, save, resp)
		return
	}
	plan.FunctionVersion = types.StringValue(primary)
	plan.Deployment = deploymentValue(from, to, started, finished, out)
	alias, serr := lambdaops.WaitAliasSettled(settleCtx, c, fn, name, primary, "", 0, aliasSettleTimeout)
	if alias != nil {
		// Record what AWS says, even when it is not what was intended.
		plan.fill(alias)
	}
	plan.ID = types.StringValue(fn + "/" + name)
	resp.Diagnostics.Append(resp.State.Set(settleCtx, &plan)...)
	if out.Err == nil && serr == nil && out.Status != rollout.StatusPromoted {
		r.restoreLatest(settleCtx, c, fn, to, from, &resp.Diagnostics) // the rolled-back code leaves $LATEST too
	}
	f := out.Final
	end := rolloutEnd{function: fn, alias: name, from: from, to: to, status: out.Status, step: int64(f.Step + 1), weight: f.Weight, reason: f.Reason, gate: f.Gate}
	if hasMeasure(f.Gate) {
		v, th := f.Value, f.Threshold
		end.value, end.threshold = &v, &th
	}
	switch {
	case out.Err != nil || serr != nil:
		err := out.Err
		if err == nil {
			err = serr
		}
		resp.Diagnostics.AddError("Rollout Traffic Error", apiErrorDetail(
			fmt.Sprintf("The rollout of %s:%s from version %s to %s ended %s, but the alias could not be set as decided. The state records what the alias reports.", fn, name, from, to, out.Status),
			"Run terraform plan to see the alias as it is, then apply again.", err))
	case out.Status == rollout.StatusRolledBack || out.Status == rollout.StatusAborted:
		if remembersRollback(out.Status, f) {
			end.remembered = rememberRollback(ctx, c, fn, name, to, f, finished, &resp.Diagnostics)
		}
		end.addError(&resp.Diagnostics)
	case out.Status == rollout.StatusPromoted && plan.RetryRolledBack.ValueString() != "":
		forgetRollback(ctx, c, fn, to)
	}
}

func (r *aliasResource) lambda(ctx context.Context, diags *diag.Diagnostics) (*lambda.Client, bool) {
	return (&functionResource{data: r.data}).lambda(ctx, diags)
}

// guard repeats the plan-time checks at apply time, for versions that were
// unknown when planning (published by the same apply): traffic never moves
// to a version that does not exist or cannot serve the data schema.
func (r *aliasResource) guard(ctx context.Context, c *lambda.Client, m aliasModelV0, diags *diag.Diagnostics) {
	for _, t := range m.targets(ctx) {
		if t.version != "$LATEST" {
			r.checkVersion(ctx, c, m, t, diags, false)
		}
	}
}

// settleAndSave waits until the alias reports the routing just set (never
// recording AWS's transitional weights) and saves it.
func (r *aliasResource) settleAndSave(ctx context.Context, c *lambda.Client, plan *aliasModelV0, set func(context.Context, any) diag.Diagnostics, diags *diag.Diagnostics) {
	fn, name := plan.FunctionName.ValueString(), plan.Name.ValueString()
	extra, weight := plan.routing(ctx)
	out, err := lambdaops.WaitAliasSettled(ctx, c, fn, name, plan.FunctionVersion.ValueString(), extra, weight, aliasSettleTimeout)
	if out != nil {
		plan.fill(out)
	}
	plan.ID = types.StringValue(fn + "/" + name)
	diags.Append(set(ctx, plan)...)
	if err != nil {
		diags.AddError("Alias Did Not Settle", apiErrorDetail(fmt.Sprintf("Alias %s of %s did not report the requested routing; the state records what it reported.", name, fn),
			"Run terraform plan to see the difference, then apply again.", err))
	}
}

func routingConfig(extra string, weight float64) *lambdatypes.AliasRoutingConfiguration {
	if extra == "" {
		return nil
	}
	return &lambdatypes.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{extra: weight}}
}

func (m aliasModelV0) routing(ctx context.Context) (string, float64) {
	if m.Routing.IsNull() || m.Routing.IsUnknown() {
		return "", 0
	}
	var rt routingModelV0
	m.Routing.As(ctx, &rt, basetypes.ObjectAsOptions{})
	return rt.Version.ValueString(), rt.Weight.ValueFloat64()
}

// fill copies what AWS says about the alias into the model.
func (m *aliasModelV0) fill(out *lambda.GetAliasOutput) {
	m.ARN = types.StringValue(aws.ToString(out.AliasArn))
	m.FunctionVersion = types.StringValue(aws.ToString(out.FunctionVersion))
	m.Description = types.StringValue(aws.ToString(out.Description))
	m.RevisionID = types.StringValue(aws.ToString(out.RevisionId))
	m.ID = types.StringValue(m.FunctionName.ValueString() + "/" + m.Name.ValueString())
	if v, w, ok := lambdaops.Routing(out.RoutingConfig); ok {
		m.Routing = types.ObjectValueMust(routingAttrTypes, map[string]attr.Value{"version": types.StringValue(v), "weight": types.Float64Value(w)})
	} else {
		m.Routing = types.ObjectNull(routingAttrTypes)
	}
}

type aliasModelV0 struct {
	CanaryPolicy      types.Object `tfsdk:"canary_policy"`
	Deployment        types.Object `tfsdk:"deployment"`
	Promotions        types.List   `tfsdk:"promotions"`
	ID                types.String `tfsdk:"id"`
	FunctionName      types.String `tfsdk:"function_name"`
	Name              types.String `tfsdk:"name"`
	Description       types.String `tfsdk:"description"`
	FunctionVersion   types.String `tfsdk:"function_version"`
	Routing           types.Object `tfsdk:"routing"`
	DataSchemaVersion types.Int64  `tfsdk:"data_schema_version"`
	RetryRolledBack   types.String `tfsdk:"retry_rolled_back"`
	ARN               types.String `tfsdk:"arn"`
	RevisionID        types.String `tfsdk:"revision_id"`
	Timeouts          updateLimit  `tfsdk:"timeouts"`
	// VersionDataSchemas: see alias_schema_guard.go.
	VersionDataSchemas types.Object `tfsdk:"version_data_schemas"`
	// ProvisionedConcurrentExecutions: see alias_provisioned.go.
	ProvisionedConcurrentExecutions types.Int64 `tfsdk:"provisioned_concurrent_executions"`
	// EventSourceInterlock, EventSourcePauses, PausedEventSources: see
	// alias_interlock.go.
	EventSourceInterlock types.Object `tfsdk:"event_source_interlock"`
	EventSourcePauses    types.List   `tfsdk:"event_source_pauses"`
	PausedEventSources   types.List   `tfsdk:"paused_event_sources"`
}

type routingModelV0 struct {
	Version types.String  `tfsdk:"version"`
	Weight  types.Float64 `tfsdk:"weight"`
}

var routingAttrTypes = map[string]attr.Type{"version": types.StringType, "weight": types.Float64Type}
