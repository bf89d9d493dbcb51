package provider

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
)

// The data-schema guard for a version that is not known at plan time.
//
// checkVersion reads a known version's recorded range from AWS. A version
// this apply publishes has no number yet, and the apply publishes it
// before the alias is applied, so the alias checks it at plan time from
// rollout_function's version_data_schemas (the range the planned version
// will record), passed in its own version_data_schemas. Without it, the
// plan refuses: it cannot show that the release is safe for the data.

func versionDataSchemasAttribute() schema.SingleNestedAttribute {
	return schema.SingleNestedAttribute{
		MarkdownDescription: "The `compatible_data_schemas` of the version `function_version` (or `routing.version`) resolves to, for the " +
			"data-schema guard when that version is not known at plan time (a version the same apply publishes). Set it to " +
			"`rollout_function.<name>.version_data_schemas`. With `data_schema_version` set and a version number not known at plan " +
			"time, the plan fails without it, because the apply would publish the version before it could be checked.",
		Optional: true,
		Attributes: map[string]schema.Attribute{
			"min": schema.Int64Attribute{MarkdownDescription: "Lowest compatible schema version (inclusive), null for none.", Optional: true},
			"max": schema.Int64Attribute{MarkdownDescription: "Highest compatible schema version (inclusive), null for none.", Optional: true},
		},
	}
}

// checkPlannedVersion runs the data-schema guard at plan time for each
// target whose version is not known yet.
func (m aliasModelV0) checkPlannedVersion(ctx context.Context, diags *diag.Diagnostics) {
	if m.DataSchemaVersion.IsNull() || m.DataSchemaVersion.IsUnknown() {
		return
	}
	schemaVersion := m.DataSchemaVersion.ValueInt64()
	var unknown []path.Path
	if m.FunctionVersion.IsUnknown() {
		unknown = append(unknown, path.Root("function_version"))
	}
	if !m.Routing.IsNull() {
		var rt routingModelV0
		if m.Routing.IsUnknown() {
			unknown = append(unknown, path.Root("routing"))
		} else if m.Routing.As(ctx, &rt, basetypes.ObjectAsOptions{}); rt.Version.IsUnknown() {
			unknown = append(unknown, path.Root("routing").AtName("version"))
		}
	}
	fn := m.FunctionName.ValueString()
	if m.FunctionName.IsUnknown() {
		fn = "the function"
	}
	for _, p := range unknown {
		switch {
		case m.VersionDataSchemas.IsNull():
			diags.AddAttributeError(p, "Unchecked Data Compatibility",
				fmt.Sprintf("%s is not known until apply (a version the same apply publishes), so the plan cannot check it against "+
					"data_schema_version = %d, and the apply would publish it before the check. Nothing was changed.\n\n"+
					"Pass the planned version's range so that the plan checks it before anything is published, for example:\n\n"+
					"  version_data_schemas = rollout_function.orders.version_data_schemas", p, schemaVersion))
		case m.VersionDataSchemas.IsUnknown():
			diags.AddAttributeError(path.Root("version_data_schemas"), "Unchecked Data Compatibility",
				fmt.Sprintf("version_data_schemas is not known at plan time, so the plan cannot check %s against data_schema_version = %d. "+
					"Set rollout_function's compatible_data_schemas to values known at plan time.", p, schemaVersion))
		default:
			var ds dataSchemasModelV0
			diags.Append(m.VersionDataSchemas.As(ctx, &ds, basetypes.ObjectAsOptions{})...)
			lo, hi := ds.Min.ValueInt64Pointer(), ds.Max.ValueInt64Pointer()
			if lo == nil && hi == nil {
				diags.AddAttributeWarning(p, "Unchecked Data Compatibility",
					fmt.Sprintf("The version %s resolves to records no compatible_data_schemas, so the guard cannot tell whether it runs against data schema %d. "+
						"Set rollout_function's compatible_data_schemas to have it checked.", p, schemaVersion))
				continue
			}
			if (lo != nil && schemaVersion < *lo) || (hi != nil && schemaVersion > *hi) {
				diags.AddAttributeError(p, "Incompatible Data Schema",
					fmt.Sprintf("%s (known after apply) would send traffic to the version this apply publishes for %s, which records compatible_data_schemas %s; "+
						"the data stores are at schema %d (data_schema_version). That version cannot run against the current data. Nothing was published.\n\n"+
						"Release code whose compatible_data_schemas include %d, or migrate the data and change data_schema_version.",
						p, fn, formatRange(lo, hi), schemaVersion, schemaVersion))
			}
		}
	}
}

// The guard for versioned events: a mapping of event_source_interlock may
// declare the event schema version its messages carry, and no version
// that would receive them may record a compatible_data_schemas range that
// excludes it: the versions routed to, and, for a canary, the version a
// rollback returns to (the version serving now). Checked at plan time
// (and again at apply for versions that were unknown then).
func (r *aliasResource) checkEventSchemas(ctx context.Context, c *lambda.Client, m aliasModelV0, prior *aliasModelV0, diags *diag.Diagnostics) {
	ilc := m.interlock(ctx)
	if ilc == nil || len(ilc.Versions) == 0 {
		return
	}
	fn := m.FunctionName.ValueString()
	type routed struct {
		version, why string
	}
	var targets []routed
	for _, t := range m.targets(ctx) {
		if t.version != "" && t.version != "$LATEST" {
			targets = append(targets, routed{t.version, fmt.Sprintf("%s = %q would send them to version %s", t.label, t.version, t.version)})
		}
	}
	if prior != nil && !m.CanaryPolicy.IsNull() && !prior.FunctionVersion.IsNull() && !prior.FunctionVersion.Equal(m.FunctionVersion) &&
		prior.FunctionVersion.ValueString() != "$LATEST" {
		v := prior.FunctionVersion.ValueString()
		targets = append(targets, routed{v, fmt.Sprintf("a rollback of this canary would send them back to version %s (serving now)", v)})
	}
	check := func(why string, lo, hi *int64) {
		for _, ev := range ilc.Versions {
			if (lo == nil || ev.version >= *lo) && (hi == nil || ev.version <= *hi) {
				continue
			}
			p := path.Root("event_source_interlock").AtName("mappings").AtListIndex(ev.index).AtName("event_schema_version")
			diags.AddAttributeError(p, "Incompatible Event Schema",
				fmt.Sprintf("event_source_interlock.mappings[%d].event_schema_version = %d: the messages of event source mapping %s carry event schema %d, "+
					"but %s of %s, which records compatible_data_schemas %s. That version could not read them. Nothing was changed.\n\n"+
					"Route to a version whose compatible_data_schemas include %d, or declare the schema the messages really carry, for example:\n\n"+
					"  mappings = [{ uuid = %q, event_schema_version = %s }]",
					ev.index, ev.version, ev.uuid, ev.version, why, fn, formatRange(lo, hi), ev.version, ev.uuid, exampleVersion(lo, hi)))
		}
	}
	for _, t := range targets {
		cfg, err := lambdaops.FindVersion(ctx, c, fn, t.version)
		if err != nil {
			continue // a missing version is checkVersion's to report; a function created by this apply has none yet
		}
		_, meta, ok := lambdaops.ParseDescription(aws.ToString(cfg.Description))
		if !ok || (meta.SchemaMin == nil && meta.SchemaMax == nil) {
			diags.AddAttributeWarning(path.Root("event_source_interlock"), "Unchecked Event Compatibility",
				fmt.Sprintf("Version %s of %s records no compatible_data_schemas, so the guard cannot tell whether it reads the event schemas the mappings declare. "+
					"Publish it with rollout_function's compatible_data_schemas to have it checked.", t.version, fn))
			continue
		}
		check(t.why, meta.SchemaMin, meta.SchemaMax)
	}
	if m.FunctionVersion.IsUnknown() {
		if m.VersionDataSchemas.IsNull() || m.VersionDataSchemas.IsUnknown() {
			diags.AddAttributeError(path.Root("version_data_schemas"), "Unchecked Event Compatibility",
				"function_version is not known until apply (a version the same apply publishes), so the plan cannot check it against the event "+
					"schema versions event_source_interlock.mappings declare. Nothing was changed.\n\nPass the planned version's range, for example:\n\n"+
					"  version_data_schemas = rollout_function.orders.version_data_schemas")
			return
		}
		var ds dataSchemasModelV0
		diags.Append(m.VersionDataSchemas.As(ctx, &ds, basetypes.ObjectAsOptions{})...)
		if lo, hi := ds.Min.ValueInt64Pointer(), ds.Max.ValueInt64Pointer(); lo != nil || hi != nil {
			check("function_version (known after apply) would send them to the version this apply publishes", lo, hi)
		}
	}
}

// exampleVersion is a version inside a range, for an example.
func exampleVersion(lo, hi *int64) string {
	switch {
	case hi != nil:
		return fmt.Sprint(*hi)
	case lo != nil:
		return fmt.Sprint(*lo)
	}
	return "1"
}
