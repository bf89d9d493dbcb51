package provider

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/rollout-tf/terraform-provider-rollout/internal/rollout"
)

// TestPlanPauses: event_source_pauses names the moments this apply pauses
// the mappings at, for each kind of move, and only those in pause_on.
func TestPlanPauses(t *testing.T) {
	t.Parallel()
	all := &interlockConfig{On: allMoments, Drain: time.Minute}
	rollbackOnly := &interlockConfig{On: []string{"rollback"}, Drain: time.Minute}
	blocking := &rollout.Policy{Steps: []rollout.Step{{WeightPercent: 10, Hold: time.Minute}}, Wait: true}
	planDriven := &rollout.Policy{Steps: []rollout.Step{{WeightPercent: 10, Hold: time.Minute}}}
	model := func(version string, deployment types.Object, promoted ...string) aliasModelV0 {
		m := aliasModelV0{FunctionVersion: types.StringValue(version), Routing: types.ObjectNull(routingAttrTypes), Deployment: deployment,
			Promotions: types.ListNull(types.ObjectType{AttrTypes: promotionAttrTypes})}
		for _, v := range promoted {
			m.Promotions = promotionsWith(m.Promotions, v, time.Unix(0, 0))
		}
		return m
	}
	noDeployment := types.ObjectNull(deploymentAttrTypes)
	inProgress := deploymentView{Status: rollout.StatusInProgress, From: "7", To: "8", Step: 1, Weight: 10, StartedAt: "x"}
	rolledBack := inProgress
	rolledBack.Status = rollout.StatusRolledBack
	promoted := inProgress
	promoted.Status, promoted.Weight = rollout.StatusPromoted, 100
	value := func(v deploymentView) types.Object { return v.value(types.StringNull(), types.StringNull(), nil) }
	tests := map[string]struct {
		cfg         *interlockConfig
		plan, state aliasModelV0
		policy      *rollout.Policy
		want        []string
	}{
		"blocking canary, all moments": {cfg: all, plan: model("8", noDeployment), state: model("7", noDeployment), policy: blocking, want: []string{
			"start: pause the event source mappings before the first 10% of the traffic moves to the new version, resume after",
			"promotion: pause the event source mappings before all traffic moves to the new version, resume after",
			"rollback: pause the event source mappings first, if the canary rolls back, before all traffic returns to version 7, resume after"}},
		"blocking canary, rollback only": {cfg: rollbackOnly, plan: model("8", noDeployment), state: model("7", noDeployment), policy: blocking, want: []string{
			"rollback: pause the event source mappings first, if the canary rolls back, before all traffic returns to version 7, resume after"}},
		"direct switch to a new version": {cfg: all, plan: model("8", noDeployment), state: model("7", noDeployment, "7"), want: []string{
			"promotion: pause the event source mappings before all traffic moves to the new function_version, resume after"}},
		"direct switch back to a promoted version": {cfg: all, plan: model("6", noDeployment), state: model("7", noDeployment, "6", "7"), want: []string{
			"rollback: pause the event source mappings before all traffic returns to the version this alias promoted before, resume after"}},
		"plan-driven start": {cfg: all, plan: model("8", value(inProgress)), state: model("7", noDeployment), policy: planDriven, want: []string{
			"start: pause the event source mappings before 10% of the traffic moves to the new version, resume after"}},
		"plan-driven start of a version this apply publishes": {cfg: all, plan: model("8", types.ObjectUnknown(deploymentAttrTypes)), state: model("7", noDeployment), policy: planDriven, want: []string{
			"start: pause the event source mappings before 10% of the traffic moves to the new version, resume after"}},
		"plan-driven rollback": {cfg: all, plan: model("8", value(rolledBack)), state: model("8", value(inProgress)), policy: planDriven, want: []string{
			"rollback: pause the event source mappings first, before all traffic returns to version 7, resume after"}},
		"plan-driven promotion": {cfg: all, plan: model("8", value(promoted)), state: model("8", value(inProgress)), policy: planDriven, want: []string{
			"promotion: pause the event source mappings before all traffic moves to version 8, resume after"}},
		"plan-driven promotion, rollback only": {cfg: rollbackOnly, plan: model("8", value(promoted)), state: model("8", value(inProgress)), policy: planDriven},
		"no interlock":                         {plan: model("8", noDeployment), state: model("7", noDeployment), policy: blocking},
		"canary back to a known-good version (rollback_window)": {cfg: all, plan: model("6", noDeployment), state: model("7", noDeployment, "6", "7"),
			policy: &rollout.Policy{Steps: blocking.Steps, Wait: true, RollbackWindow: 3}, want: []string{
				"rollback: pause the event source mappings before all traffic returns to the version this alias promoted before, resume after"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, planPauses(tc.cfg, tc.plan, tc.state, tc.policy)); diff != "" {
				t.Errorf("event_source_pauses (-want +got):\n%s", diff)
			}
		})
	}
}
