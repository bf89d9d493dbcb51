package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/rollout-tf/terraform-provider-rollout/internal/rollout"
	"github.com/rollout-tf/terraform-provider-rollout/internal/validate"
)

// checkInlineSteps refuses a canary_policy written inline without steps.
// A rollout_canary_policy's spec always carries its schedule (preset =
// "AllAtOnce" exports steps = [] with schedule = "100%"), so an empty
// schedule without one was written by hand and would mean all traffic at
// once with no gate. Only the schedule that preset exports ("100%") says
// that on purpose: any other text beside empty steps is refused too.
func checkInlineSteps(spec types.Object, diags *diag.Diagnostics) {
	if spec.IsNull() || spec.IsUnknown() {
		return
	}
	a := spec.Attributes()
	if sched, ok := a["schedule"].(types.String); ok && (sched.IsUnknown() || sched.ValueString() == rollout.Describe(nil)) {
		return
	}
	steps, _ := a["steps"].(types.List)
	if steps.IsUnknown() || len(steps.Elements()) > 0 {
		return
	}
	value := "[]"
	if steps.IsNull() {
		value = "null"
	}
	diags.AddAttributeError(path.Root("canary_policy").AtName("steps"), "Empty Canary Steps",
		validate.Detail("canary_policy.steps", value, emptyStepsProblem, `canary_policy = { steps = [{ weight_percent = 10, hold = "5m" }] }`))
}
