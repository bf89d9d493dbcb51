package provider

// What the plan shows for version, qualified_arn, code_sha256, versions
// and version_data_schemas: the current version when nothing versioned
// changes, a retained version when the configuration equals it (a
// rollback), unknown when a new version will be published.

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// ModifyPlan decides what the plan shows for version: the current one when
// code and configuration are unchanged, an existing retained version when
// they equal it (a rollback), unknown when a new version will be published.
func (r *functionResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	var plan functionModelV0
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var state *functionModelV0
	if !req.State.Raw.IsNull() {
		state = &functionModelV0{}
		resp.Diagnostics.Append(req.State.Get(ctx, state)...)
		if resp.Diagnostics.HasError() {
			return
		}
	}
	unknownVersion := func(codeSha string) {
		plan.VersionDataSchemas = plannedDataSchemas(ctx, plan)
		plan.Version = types.StringUnknown()
		plan.QualifiedARN = types.StringUnknown()
		plan.Versions = types.ListUnknown(versionEntryType)
		plan.CodeSha256 = types.StringUnknown()
		if codeSha != "" {
			plan.CodeSha256 = types.StringValue(codeSha)
		}
	}
	code, codeSha, known, diags := r.planCode(ctx, plan, state)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	if state == nil || !known {
		unknownVersion(codeSha)
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
		return
	}
	spec, ok := plan.spec(ctx, code)
	if !ok {
		unknownVersion(codeSha)
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
		return
	}
	digest := spec.Digest()
	entries := entriesFromList(ctx, state.Versions)
	current := findEntry(entries, state.Version.ValueString())
	switch {
	case current != nil && current.Digest == digest:
		plan.Version, plan.QualifiedARN, plan.CodeSha256 = state.Version, state.QualifiedARN, state.CodeSha256
		plan.VersionDataSchemas = dataSchemasValue(current.SchemaMin, current.SchemaMax)
		plan.Versions = relabelled(ctx, state.Versions, current.Number, plan.Release)
		if plan.RetainVersions.ValueInt64() != state.RetainVersions.ValueInt64() {
			plan.Versions = types.ListUnknown(versionEntryType)
		}
	default:
		match, versions := findDigest(entries, digest), state.Versions
		if match == nil || !r.versionStillMatches(ctx, plan.FunctionName.ValueString(), match.Number, digest) {
			// A publish would be planned: first look for the digest among
			// the versions AWS retains (the state may be older than AWS).
			listed, all := r.adoptFromAWS(ctx, plan.FunctionName.ValueString(), digest, entries)
			if listed == nil {
				unknownVersion(codeSha)
				break
			}
			match, versions = listed, entriesValue(all)
		}
		tflog.Info(ctx, "plan adopts a retained version", map[string]any{"tf_rollout.function": plan.FunctionName.ValueString(), "tf_rollout.version": match.Number})
		plan.Version = types.StringValue(match.Number)
		plan.QualifiedARN = types.StringValue(state.ARN.ValueString() + ":" + match.Number)
		plan.CodeSha256 = types.StringValue(match.CodeSha256)
		plan.VersionDataSchemas = dataSchemasValue(match.SchemaMin, match.SchemaMax)
		plan.Versions = relabelled(ctx, versions, match.Number, plan.Release)
		if plan.RetainVersions.ValueInt64() != state.RetainVersions.ValueInt64() {
			plan.Versions = types.ListUnknown(versionEntryType)
		}
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

// versionStillMatches checks with one API call that a version the plan
// wants to adopt still exists with the expected code and configuration; a
// walk reads the version once (the plan's check and the apply's share it).
func (r *functionResource) versionStillMatches(ctx context.Context, name, number, digest string) bool {
	if r.data == nil {
		return false
	}
	c, err := r.data.client.Lambda(ctx)
	if err != nil {
		return false
	}
	v, err := r.data.reads().version(ctx, c, name, number)
	if err != nil {
		tflog.Debug(ctx, "retained version not adoptable", map[string]any{"tf_rollout.version": number, "tf_rollout.error": err.Error()})
		return false
	}
	return entryFromConfig(v).Digest == digest
}
