package provider

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
)

// version_data_schemas: the range the planned version records, known at
// plan time, so that rollout_alias can run its data-schema guard on a
// version whose number is not known until apply.

// dataSchemasValue is a recorded range; min and max are null when none is
// recorded, the object itself never is (null means "not passed" to the alias).
func dataSchemasValue(lo, hi *int64) types.Object {
	return types.ObjectValueMust(dataSchemasAttrTypes, map[string]attr.Value{
		"min": types.Int64PointerValue(lo), "max": types.Int64PointerValue(hi),
	})
}

// plannedDataSchemas is the range a version published from the plan will
// record: the configured compatible_data_schemas.
func plannedDataSchemas(ctx context.Context, m functionModelV0) types.Object {
	if m.CompatibleDataSchemas.IsUnknown() {
		return types.ObjectUnknown(dataSchemasAttrTypes)
	}
	if m.CompatibleDataSchemas.IsNull() {
		return dataSchemasValue(nil, nil)
	}
	var ds dataSchemasModelV0
	m.CompatibleDataSchemas.As(ctx, &ds, basetypes.ObjectAsOptions{})
	if ds.Min.IsUnknown() || ds.Max.IsUnknown() {
		return types.ObjectUnknown(dataSchemasAttrTypes)
	}
	return dataSchemasValue(ds.Min.ValueInt64Pointer(), ds.Max.ValueInt64Pointer())
}

// recordedDataSchemas is the range a published version recorded.
func recordedDataSchemas(v lambdatypes.FunctionConfiguration) types.Object {
	_, meta, ok := lambdaops.ParseDescription(aws.ToString(v.Description))
	if !ok {
		return dataSchemasValue(nil, nil)
	}
	return dataSchemasValue(meta.SchemaMin, meta.SchemaMax)
}
