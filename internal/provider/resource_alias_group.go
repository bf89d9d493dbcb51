package provider

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/validate"
)

var (
	_ resource.Resource                   = (*aliasGroupResource)(nil)
	_ resource.ResourceWithConfigure      = (*aliasGroupResource)(nil)
	_ resource.ResourceWithValidateConfig = (*aliasGroupResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*aliasGroupResource)(nil)
	_ resource.ResourceWithImportState    = (*aliasGroupResource)(nil)
)

func newAliasGroupResource() resource.Resource { return &aliasGroupResource{} }

// aliasGroupResource owns the aliases of several functions and moves
// them as one release: the members whose version changes go through one
// canary in lockstep and roll back together (DESIGN.md, rollout_alias_group).
type aliasGroupResource struct {
	data *providerData
}

var (
	groupNamePattern      = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)
	groupMemberKeyPattern = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)
)

func (r *aliasGroupResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_alias_group"
}

func (r *aliasGroupResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The aliases of several functions released together: an API and its worker, a producer and its consumer. " +
			"The members whose `function_version` changes shift in lockstep through the one `canary_policy`; each member's gates are " +
			"read on its own new version, and a breach in any member moves every changed member back at once (one UpdateAlias per " +
			"member, issued in parallel, each conditional on that alias's RevisionId). Unchanged members are not touched. The apply's " +
			"error names the member, the gate, the measured value and the threshold.\n\n" +
			"If a member's write fails mid-release, the others are brought back too, and the state records what each member's alias " +
			"holds: the next plan shows any member left split (`routing`), and one apply converges.\n\n" +
			"A group takes one of Terraform's parallel slots for the whole release, so a group of 20 members takes about one canary's " +
			"duration, where 20 separate `rollout_alias` canaries queue behind `-parallelism` (10 by default).",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The group's `name`.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Name of the release group, for example `checkout`: 1 to 64 letters, digits, hyphens or underscores. Changing it replaces the group.",
				Required:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators: []validator.String{validate.Regex("Invalid Group Name", groupNamePattern,
					"1 to 64 letters, digits, hyphens or underscores", `name = "checkout"`)},
			},
			"canary_policy": schema.SingleNestedAttribute{
				MarkdownDescription: "A canary policy, usually `rollout_canary_policy.<name>.spec`. With it, a change " +
					"of members' `function_version` is one rollout: every changed member's new version gets the same share at each step; " +
					"a breach in any member rolls every changed member back. With `wait = true` (the default) the apply runs the whole " +
					"release; with `wait = false` each apply makes one transition of the whole group and each plan shows the next one " +
					"(`deployment.next_action`). The policy's `notifications` are sent for the group's release, naming the group and its members. " +
					"Without a policy, changed members move at once (in parallel), and a failed write brings the others back.",
				Optional:   true,
				Attributes: specAttributes(specSettable),
			},
			"members": schema.MapNestedAttribute{
				MarkdownDescription: "The aliases of the group, by a key of your choosing (`api`, `worker`), named in plans and errors. " +
					"Removing a member deletes its alias; adding one creates it.",
				Required: true,
				Validators: []validator.Map{
					mapvalidator.SizeAtLeast(1),
					mapvalidator.KeysAre(validate.Strings(validate.Msg{Summary: "Invalid Member Key",
						Problem: "it must be 1 to 64 letters, digits, hyphens or underscores", Example: `members = { api = { ... } }`},
						stringvalidator.RegexMatches(groupMemberKeyPattern, ""))),
				},
				NestedObject: schema.NestedAttributeObject{Attributes: groupMemberAttributes()},
			},
			"deployment": groupDeploymentSchema(),
		},
		Blocks: map[string]schema.Block{"timeouts": aliasTimeoutsBlock()},
	}
	for k, a := range groupInterlockComputedAttributes() {
		resp.Schema.Attributes[k] = a
	}
}

func groupMemberAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"function_name": schema.StringAttribute{
			MarkdownDescription: "Name of the function, usually `rollout_function.<name>.function_name`.",
			Required:            true,
			Validators: []validator.String{validate.Regex("Invalid Function Name", functionNamePattern,
				"1 to 64 letters, digits, hyphens or underscores", `function_name = "orders-api"`)},
		},
		"alias": schema.StringAttribute{
			MarkdownDescription: "Name of the member's alias, for example `live`: 1 to 128 letters, digits, hyphens or underscores, not only digits.",
			Required:            true,
			Validators:          []validator.String{validate.String("Invalid Alias Name", "a Lambda alias name", `alias = "live"`, checkAliasName)},
		},
		"function_version": schema.StringAttribute{
			MarkdownDescription: "The version the alias serves: a published version number, usually `rollout_function.<name>.version`.",
			Required:            true,
			Validators: []validator.String{validate.Regex("Invalid Function Version", digitsPattern,
				`a published version number such as "7" (a group moves published versions only)`, `function_version = rollout_function.api.version`)},
		},
		"data_schema_version": schema.Int64Attribute{
			MarkdownDescription: "As `rollout_alias.data_schema_version`, for this member: the plan fails if the version this member would serve records a " +
				"`compatible_data_schemas` range that excludes it.",
			Optional:   true,
			Validators: []validator.Int64{validate.Int64AtLeast("Invalid Data Schema Version", 0, "data_schema_version = 7")},
		},
		"version_data_schemas":   versionDataSchemasAttribute(),
		"event_source_interlock": interlockAttribute(),
		"retry_rolled_back": schema.StringAttribute{
			MarkdownDescription: "As `rollout_alias.retry_rolled_back`, for this member: retries on purpose a release of this member that was rolled back, " +
				"with the value the plan that stopped on it prints (`<digest>@<time of the rollback>`).",
			Optional: true,
			Validators: []validator.String{validate.String("Invalid Retry Value", "a rollback to retry", `retry_rolled_back = "9f2c4e1a7b3d5c60@20261126T131502Z"`, func(v string) error {
				if !lambdaops.TokenRE.MatchString(v) {
					return errors.New("it must be <16-hex digest>@<time of the rollback>, exactly as the plan that stopped on the rolled-back release prints it")
				}
				return nil
			})},
		},
		"routing": schema.SingleNestedAttribute{
			MarkdownDescription: "What the alias splits off to a second version, as last read: null when all its traffic is on `function_version`. " +
				"Set only when a release was interrupted in a way that left the member split; the next plan shows it going back to null.",
			Computed: true,
			Attributes: map[string]schema.Attribute{
				"version": schema.StringAttribute{MarkdownDescription: "The second version.", Computed: true},
				"weight":  schema.Float64Attribute{MarkdownDescription: "Its share of the traffic (0..1).", Computed: true},
			},
		},
		"arn":        schema.StringAttribute{MarkdownDescription: "ARN of the alias.", Computed: true},
		"promotions": promotionsSchema(),
		"revision_id": schema.StringAttribute{
			MarkdownDescription: "RevisionId of the alias as last read; every write of the member is conditional on it.",
			Computed:            true,
		},
	}
}

func (r *aliasGroupResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = configureData(req.ProviderData, &resp.Diagnostics)
}

func (r *aliasGroupResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m aliasGroupModelV0
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	warnShortUpdateLimit(ctx, aliasModelV0{CanaryPolicy: m.CanaryPolicy, Timeouts: m.Timeouts}, &resp.Diagnostics)
	if !m.CanaryPolicy.IsNull() && !m.CanaryPolicy.IsUnknown() {
		checkInlineSteps(m.CanaryPolicy, &resp.Diagnostics)
		if _, err := policyFromSpec(ctx, m.CanaryPolicy); err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("canary_policy"), "Invalid Canary Policy", err.Error()+
				"\n\nA valid example: canary_policy = rollout_canary_policy.standard.spec")
		}
	}
	members, ok := m.members(ctx, &resp.Diagnostics)
	if !ok {
		return
	}
	seen := map[string]string{}
	for _, k := range sortedKeys(members) {
		mem := members[k]
		if mem.FunctionName.IsUnknown() || mem.Alias.IsUnknown() {
			continue
		}
		id := mem.FunctionName.ValueString() + ":" + mem.Alias.ValueString()
		if other, dup := seen[id]; dup {
			resp.Diagnostics.AddAttributeError(path.Root("members").AtMapKey(k), "Duplicate Group Member",
				validate.Detail(fmt.Sprintf("members[%q]", k), id, fmt.Sprintf("member %q already owns alias %s; two members cannot move the same alias", other, id),
					`members = { api = { function_name = "orders-api", alias = "live", ... }, worker = { function_name = "orders-worker", alias = "live", ... } }`))
		}
		seen[id] = k
	}
}

func (r *aliasGroupResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan aliasGroupModelV0
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	c, ok := r.lambda(ctx, &resp.Diagnostics)
	if !ok {
		return
	}
	members, ok := plan.members(ctx, &resp.Diagnostics)
	if !ok {
		return
	}
	r.guardMembers(ctx, c, members, nil, plan.CanaryPolicy, &resp.Diagnostics, false)
	if resp.Diagnostics.HasError() {
		return
	}
	created := r.createMembers(ctx, c, members, sortedKeys(members), &resp.Diagnostics)
	plan.ID = plan.Name
	plan.Deployment = types.ObjectNull(groupDeploymentAttrTypes)
	plan.EventSourcePauses, plan.PausedEventSources = types.ListNull(types.StringType), types.ListNull(types.StringType)
	plan.setMembers(ctx, created, &resp.Diagnostics)
	if len(created) > 0 || !resp.Diagnostics.HasError() {
		resp.Diagnostics.Append(resp.State.Set(context.WithoutCancel(ctx), &plan)...)
	}
}

func (r *aliasGroupResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state aliasGroupModelV0
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	c, ok := r.lambda(ctx, &resp.Diagnostics)
	if !ok {
		return
	}
	members, ok := state.members(ctx, &resp.Diagnostics)
	if !ok {
		return
	}
	keys := sortedKeys(members)
	outs, errs := readMembers(ctx, c, members, keys)
	before, read := map[string]groupMemberModelV0{}, map[string]*lambda.GetAliasOutput{}
	for i, k := range keys {
		before[k] = members[k]
		if errs[i] == nil {
			read[k] = outs[i]
		}
	}
	for i, k := range keys {
		mem := members[k]
		switch {
		case lambdaops.IsNotFound(errs[i]):
			resp.Diagnostics.AddWarning("Group Member Not Found", fmt.Sprintf("Alias %s of %s (member %q of group %s) no longer exists; it is removed from state and the next plan creates it.",
				mem.Alias.ValueString(), mem.FunctionName.ValueString(), k, state.Name.ValueString()))
			delete(members, k)
		case errs[i] != nil:
			resp.Diagnostics.AddError("Group Member Read Error", apiErrorDetail(fmt.Sprintf("GetAlias %s:%s (member %q) failed.", mem.FunctionName.ValueString(), mem.Alias.ValueString(), k),
				"Check credentials and connectivity, then run again.", errs[i]))
			return
		default:
			mem.fill(outs[i])
			members[k] = mem
		}
	}
	if cur, ok := parseGroupDeployment(state.Deployment); ok && cur.inProgress() {
		// A plan-driven release in progress (alias_group_stepwise.go).
		for k := range members {
			if _, moving := cur.Moves[k]; moving {
				members[k] = before[k]
			}
		}
		r.readInProgress(ctx, c, &state, cur, members, read, &resp.Diagnostics)
	}
	groupPausedFromRecord(ctx, c, &state, members, &resp.Diagnostics)
	state.setMembers(ctx, members, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *aliasGroupResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state aliasGroupModelV0
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, done := withUpdateTimeout(ctx, aliasModelV0{CanaryPolicy: plan.CanaryPolicy, Timeouts: plan.Timeouts}, &resp.Diagnostics)
	defer done()
	c, ok := r.lambda(ctx, &resp.Diagnostics)
	if !ok {
		return
	}
	r.release(ctx, c, plan, state, resp)
}

func (r *aliasGroupResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state aliasGroupModelV0
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	c, ok := r.lambda(ctx, &resp.Diagnostics)
	if !ok {
		return
	}
	members, ok := state.members(ctx, &resp.Diagnostics)
	if !ok {
		return
	}
	left := deleteMembers(ctx, c, members, sortedKeys(members), &resp.Diagnostics)
	if len(left) > 0 {
		// Keep what could not be deleted, so that destroy can be run again.
		state.setMembers(ctx, left, &resp.Diagnostics)
		resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
	}
}

// ImportState accepts <name>:<key>=<function>/<alias>,<key>=<function>/<alias>...
func (r *aliasGroupResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	const example = "terraform import rollout_alias_group.checkout 'checkout:api=orders-api/live,worker=orders-worker/live'"
	bad := func(why string) {
		resp.Diagnostics.AddError("Invalid Import ID", validate.Detail("import id", fmt.Sprintf("%q", req.ID), why, example))
	}
	name, list, ok := strings.Cut(req.ID, ":")
	if !ok || !groupNamePattern.MatchString(name) || list == "" {
		bad("it must be <group name>:<key>=<function_name>/<alias>,... naming every member")
		return
	}
	members := map[string]groupMemberModelV0{}
	for _, item := range strings.Split(list, ",") {
		key, target, ok := strings.Cut(strings.TrimSpace(item), "=")
		fn, alias, ok2 := strings.Cut(target, "/")
		if !ok || !ok2 || !groupMemberKeyPattern.MatchString(key) || !functionNamePattern.MatchString(fn) || checkAliasName(alias) != nil {
			bad(fmt.Sprintf("member %q must be <key>=<function_name>/<alias>", item))
			return
		}
		if _, dup := members[key]; dup {
			bad(fmt.Sprintf("member key %q appears twice", key))
			return
		}
		members[key] = newGroupMember(fn, alias)
	}
	var m aliasGroupModelV0
	m.setMembers(ctx, members, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), name)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("name"), name)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("members"), m.Members)...)
}

// ---- members ----

func (r *aliasGroupResource) lambda(ctx context.Context, diags *diag.Diagnostics) (*lambda.Client, bool) {
	return (&functionResource{data: r.data}).lambda(ctx, diags)
}

// parallel runs f for each of keys at once and waits.
func parallel(keys []string, f func(i int, k string)) {
	var wg sync.WaitGroup
	for i, k := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(i, k)
		}()
	}
	wg.Wait()
}

func readMembers(ctx context.Context, c *lambda.Client, members map[string]groupMemberModelV0, keys []string) ([]*lambda.GetAliasOutput, []error) {
	outs, errs := make([]*lambda.GetAliasOutput, len(keys)), make([]error, len(keys))
	parallel(keys, func(i int, k string) {
		outs[i], errs[i] = lambdaops.FindAlias(ctx, c, members[k].FunctionName.ValueString(), members[k].Alias.ValueString())
	})
	return outs, errs
}

// createMembers creates the aliases of keys, in parallel, and returns the
// members created, filled from AWS.
func (r *aliasGroupResource) createMembers(ctx context.Context, c *lambda.Client, members map[string]groupMemberModelV0, keys []string, diags *diag.Diagnostics) map[string]groupMemberModelV0 {
	errs := make([]error, len(keys))
	parallel(keys, func(i int, k string) {
		m := members[k]
		_, errs[i] = c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(m.FunctionName.ValueString()), Name: aws.String(m.Alias.ValueString()),
			FunctionVersion: aws.String(m.FunctionVersion.ValueString())})
	})
	out := map[string]groupMemberModelV0{}
	for i, k := range keys {
		m := members[k]
		fn, name := m.FunctionName.ValueString(), m.Alias.ValueString()
		var conflict *lambdatypes.ResourceConflictException
		switch {
		case errors.As(errs[i], &conflict):
			diags.AddAttributeError(path.Root("members").AtMapKey(k), "Alias Already Exists",
				apiErrorDetail(fmt.Sprintf("Alias %s of %s (member %q) already exists.", name, fn, k),
					"Import the group with every member: terraform import rollout_alias_group.<name> '<name>:<key>=<function>/<alias>,...'", errs[i]))
			continue
		case errs[i] != nil:
			diags.AddError("Alias Create Error", apiErrorDetail(fmt.Sprintf("CreateAlias %s:%s (member %q) failed.", fn, name, k), "Check the versions, then apply again.", errs[i]))
			continue
		}
		m.Promotions = promotionsWith(types.ListNull(types.ObjectType{AttrTypes: promotionAttrTypes}), m.FunctionVersion.ValueString(), r.data.Clock().Now())
		a, err := lambdaops.WaitAliasSettled(context.WithoutCancel(ctx), c, fn, name, m.FunctionVersion.ValueString(), "", 0, aliasSettleTimeout)
		if a != nil {
			m.fill(a)
		}
		if err != nil {
			diags.AddError("Alias Did Not Settle", apiErrorDetail(fmt.Sprintf("Alias %s of %s (member %q) did not report its version; the state records what it reported.", name, fn, k),
				"Run terraform plan to see the difference, then apply again.", err))
		}
		out[k] = m
	}
	return out
}

// deleteMembers deletes the aliases of keys, in parallel, and returns the
// members that could not be deleted.
func deleteMembers(ctx context.Context, c *lambda.Client, members map[string]groupMemberModelV0, keys []string, diags *diag.Diagnostics) map[string]groupMemberModelV0 {
	errs := make([]error, len(keys))
	parallel(keys, func(i int, k string) {
		m := members[k]
		_, errs[i] = c.DeleteAlias(ctx, &lambda.DeleteAliasInput{FunctionName: aws.String(m.FunctionName.ValueString()), Name: aws.String(m.Alias.ValueString())})
	})
	left := map[string]groupMemberModelV0{}
	for i, k := range keys {
		if errs[i] != nil && !lambdaops.IsNotFound(errs[i]) {
			m := members[k]
			diags.AddError("Alias Delete Error", apiErrorDetail(fmt.Sprintf("DeleteAlias %s:%s (member %q) failed.", m.FunctionName.ValueString(), m.Alias.ValueString(), k), "Apply again.", errs[i]))
			left[k] = m
		}
	}
	return left
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func newGroupMember(fn, alias string) groupMemberModelV0 {
	return groupMemberModelV0{FunctionName: types.StringValue(fn), Alias: types.StringValue(alias), FunctionVersion: types.StringNull(),
		DataSchemaVersion: types.Int64Null(), VersionDataSchemas: types.ObjectNull(dataSchemasAttrTypes), RetryRolledBack: types.StringNull(),
		EventSourceInterlock: types.ObjectNull(interlockAttrTypes),
		Routing:              types.ObjectNull(routingAttrTypes), ARN: types.StringNull(), RevisionID: types.StringNull(),
		Promotions: types.ListNull(types.ObjectType{AttrTypes: promotionAttrTypes})}
}

// fill copies what AWS says about the member's alias into it.
func (m *groupMemberModelV0) fill(out *lambda.GetAliasOutput) {
	m.ARN = types.StringValue(aws.ToString(out.AliasArn))
	m.FunctionVersion = types.StringValue(aws.ToString(out.FunctionVersion))
	m.RevisionID = types.StringValue(aws.ToString(out.RevisionId))
	if v, w, ok := lambdaops.Routing(out.RoutingConfig); ok {
		m.Routing = types.ObjectValueMust(routingAttrTypes, map[string]attr.Value{"version": types.StringValue(v), "weight": types.Float64Value(w)})
	} else {
		m.Routing = types.ObjectNull(routingAttrTypes)
	}
}

// sameAlias says whether two members name the same alias.
func (m groupMemberModelV0) sameAlias(o groupMemberModelV0) bool {
	return m.FunctionName.Equal(o.FunctionName) && m.Alias.Equal(o.Alias)
}

// aliasView is the member as a rollout_alias model, for the checks the
// two resources share (data-schema guard, rollback memory).
func (m groupMemberModelV0) aliasView() aliasModelV0 {
	return aliasModelV0{FunctionName: m.FunctionName, Name: m.Alias, FunctionVersion: m.FunctionVersion, Routing: m.Routing,
		DataSchemaVersion: m.DataSchemaVersion, VersionDataSchemas: m.VersionDataSchemas, RetryRolledBack: m.RetryRolledBack,
		EventSourceInterlock: m.EventSourceInterlock}
}

func (g aliasGroupModelV0) members(ctx context.Context, diags *diag.Diagnostics) (map[string]groupMemberModelV0, bool) {
	out := map[string]groupMemberModelV0{}
	if g.Members.IsNull() || g.Members.IsUnknown() {
		return out, !g.Members.IsUnknown()
	}
	d := g.Members.ElementsAs(ctx, &out, false)
	diags.Append(d...)
	return out, !d.HasError()
}

func (g *aliasGroupModelV0) setMembers(ctx context.Context, members map[string]groupMemberModelV0, diags *diag.Diagnostics) {
	v, d := types.MapValueFrom(ctx, types.ObjectType{AttrTypes: groupMemberAttrTypes}, members)
	diags.Append(d...)
	if !d.HasError() {
		g.Members = v
	}
}

type aliasGroupModelV0 struct {
	ID           types.String `tfsdk:"id"`
	Name         types.String `tfsdk:"name"`
	CanaryPolicy types.Object `tfsdk:"canary_policy"`
	Members      types.Map    `tfsdk:"members"`
	Deployment   types.Object `tfsdk:"deployment"`
	Timeouts     updateLimit  `tfsdk:"timeouts"`
	// alias_group_interlock.go.
	EventSourcePauses  types.List `tfsdk:"event_source_pauses"`
	PausedEventSources types.List `tfsdk:"paused_event_sources"`
}

type groupMemberModelV0 struct {
	FunctionName       types.String `tfsdk:"function_name"`
	Alias              types.String `tfsdk:"alias"`
	FunctionVersion    types.String `tfsdk:"function_version"`
	DataSchemaVersion  types.Int64  `tfsdk:"data_schema_version"`
	VersionDataSchemas types.Object `tfsdk:"version_data_schemas"`
	RetryRolledBack    types.String `tfsdk:"retry_rolled_back"`
	// EventSourceInterlock is rollout_alias's, for this member (alias_group_interlock.go).
	EventSourceInterlock types.Object `tfsdk:"event_source_interlock"`
	Routing              types.Object `tfsdk:"routing"`
	ARN                  types.String `tfsdk:"arn"`
	RevisionID           types.String `tfsdk:"revision_id"`
	Promotions           types.List   `tfsdk:"promotions"`
}

var groupMemberAttrTypes = map[string]attr.Type{
	"function_name": types.StringType, "alias": types.StringType, "function_version": types.StringType,
	"data_schema_version": types.Int64Type, "version_data_schemas": types.ObjectType{AttrTypes: dataSchemasAttrTypes},
	"retry_rolled_back": types.StringType, "event_source_interlock": interlockAttrType, "routing": types.ObjectType{AttrTypes: routingAttrTypes},
	"arn": types.StringType, "revision_id": types.StringType,
	"promotions": types.ListType{ElemType: types.ObjectType{AttrTypes: promotionAttrTypes}},
}
