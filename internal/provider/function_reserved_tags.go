package provider

import (
	"context"
	"fmt"
	"sort"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/validate"
)

var _ validator.Map = reservedTagsValidator{}

// reservedTagsValidator refuses tag keys in the provider's reserved
// namespace: an override written in HCL would steer every rollout, and a
// rollback record written in HCL would forge the memory of a rollback.
type reservedTagsValidator struct{}

func (reservedTagsValidator) Description(context.Context) string {
	return "tag keys must not start with " + lambdaops.ReservedTagPrefix
}

func (v reservedTagsValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (reservedTagsValidator) ValidateMap(_ context.Context, req validator.MapRequest, resp *validator.MapResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	elems := req.ConfigValue.Elements()
	keys := make([]string, 0, len(elems))
	for k := range elems {
		if lambdaops.IsReservedTag(k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		value := "(unknown)"
		if s, ok := elems[k].(types.String); ok && !s.IsUnknown() {
			value = fmt.Sprintf("%q", s.ValueString())
		}
		why := fmt.Sprintf("keys starting with %q are reserved for the provider's operational tags", lambdaops.ReservedTagPrefix)
		if k == lambdaops.OverrideTag {
			why += "; an override steers exactly one running rollout and is set with `rolloutctl override --function NAME --alias NAME promote|pause|abort`, " +
				"which names that rollout, while a tag in the configuration would steer every rollout of every release"
		} else {
			why += " (" + lambdaops.RolledBackTagPrefix + "<digest> is the provider's memory of a rolled-back release; retry one on purpose with rollout_alias.retry_rolled_back)"
		}
		resp.Diagnostics.AddAttributeError(req.Path.AtMapKey(k), "Reserved Tag Key",
			validate.Detail(fmt.Sprintf("tags[%q]", k), value, why, `tags = { team = "orders" }`))
	}
}
