package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
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
