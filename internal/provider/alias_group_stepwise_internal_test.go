package provider

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/rollout-tf/terraform-provider-rollout/internal/rollout"
)

// groupRefresh is one refresh of a plan-driven group: the clock moves by
// after, every member's gates are read, and the plan made from that state
// shows the group's transition (or none).
type groupRefresh struct {
	after      time.Duration
	wantAction string // the decision recorded at the refresh
	wantMember string
	wantGate   string
	wantStatus string  // the planned deployment's status
	wantStep   int64   // the planned deployment's step
	wantWeight float64 // the planned deployment's weight
}

// TestPlanGroupStepwise_fakeClock drives the refresh decisions and the
// plans of a plan-driven group (wait = false) with a fake clock: the group
// holds until every member passed the step's hold, advances and promotes
// together, and a breach (or unreadable health, or the deadline) in any
// member is planned as the rollback of every member, naming the member.
func TestPlanGroupStepwise_fakeClock(t *testing.T) {
	t.Parallel()
	maxErr := 0.1
	policy := func(minInvocations int, deadline time.Duration) rollout.Policy {
		return rollout.Policy{Steps: []rollout.Step{{WeightPercent: 10, Hold: time.Minute}, {WeightPercent: 50, Hold: time.Minute}},
			Interval: 10 * time.Second, Deadline: deadline, RollbackWindow: 3,
			Health: rollout.Health{MaxErrorRate: &maxErr, MinInvocations: minInvocations, OnInsufficientData: rollout.InsufficientHold, PreexistingAlarms: "fail"}}
	}
	healthy := scriptedSources{sample: rollout.Sample{Invocations: 200, Errors: 1}}
	bad := scriptedSources{sample: rollout.Sample{Invocations: 200, Errors: 100}}
	tests := map[string]struct {
		policy   rollout.Policy
		api, wkr rollout.Sources
		steps    []groupRefresh
	}{
		"holds, advances, promotes together": {
			policy: policy(0, time.Hour), api: healthy, wkr: healthy,
			steps: []groupRefresh{
				{after: 30 * time.Second, wantAction: "hold", wantStatus: rollout.StatusInProgress, wantStep: 1, wantWeight: 10},
				{after: 31 * time.Second, wantAction: "advance", wantStatus: rollout.StatusInProgress, wantStep: 2, wantWeight: 50},
				{after: 61 * time.Second, wantAction: "promote", wantStatus: rollout.StatusPromoted, wantStep: 2, wantWeight: 100},
			},
		},
		"one bad member rolls the group back": {
			policy: policy(0, time.Hour), api: healthy, wkr: bad,
			steps: []groupRefresh{
				{after: 10 * time.Second, wantAction: "roll_back", wantMember: "worker", wantGate: "error_rate", wantStatus: rollout.StatusRolledBack, wantStep: 1, wantWeight: 10},
			},
		},
		"a member's unreadable health rolls back two intervals after the first failed read": {
			policy: policy(0, time.Hour), api: scriptedSources{err: errors.New("throttled")}, wkr: healthy,
			steps: []groupRefresh{
				{after: 10 * time.Second, wantAction: "hold", wantMember: "api", wantGate: "health_unreadable", wantStatus: rollout.StatusInProgress, wantStep: 1, wantWeight: 10},
				{after: 10 * time.Second, wantAction: "hold", wantMember: "api", wantGate: "health_unreadable", wantStatus: rollout.StatusInProgress, wantStep: 1, wantWeight: 10},
				{after: 10 * time.Second, wantAction: "roll_back", wantMember: "api", wantGate: "health_unreadable", wantStatus: rollout.StatusRolledBack, wantStep: 1, wantWeight: 10},
			},
		},
		"the deadline ends a wait for data": {
			policy: policy(100, 3*time.Minute), api: healthy, wkr: scriptedSources{sample: rollout.Sample{Invocations: 5}},
			steps: []groupRefresh{
				{after: 90 * time.Second, wantAction: "hold", wantStatus: rollout.StatusInProgress, wantStep: 1, wantWeight: 10},
				{after: 89 * time.Second, wantAction: "hold", wantStatus: rollout.StatusInProgress, wantStep: 1, wantWeight: 10},
				{after: time.Second, wantAction: "roll_back", wantMember: "worker", wantGate: "deadline", wantStatus: rollout.StatusRolledBack, wantStep: 1, wantWeight: 10},
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			started := time.Date(2026, 11, 26, 14, 0, 0, 0, time.UTC)
			clk := &fakeClock{now: started}
			r := &aliasGroupResource{data: &providerData{clock: clk}}
			cur := groupView{Status: rollout.StatusInProgress, Step: 1, Weight: 10, Reason: "rollout started",
				StartedAt: types.StringValue(started.Format(time.RFC3339)), StepStarted: types.StringValue(started.Format(time.RFC3339Nano)),
				FinishedAt: types.StringNull(), Moves: map[string]fromTo{"api": {"1", "2"}, "worker": {"4", "5"}}}
			engine := []rollout.Member{{Name: "api", Sources: tc.api}, {Name: "worker", Sources: tc.wkr}}
			for i, step := range tc.steps {
				clk.now = clk.now.Add(step.after)
				var diags diag.Diagnostics
				cur = r.decideGroup(context.Background(), tc.policy, "checkout", cur, engine, nil, &diags)
				state := groupMembersFor("2", "5")
				plan := aliasGroupModelV0{Deployment: cur.value()}
				members := groupMembersFor("2", "5")
				r.planStepwise(tc.policy, &plan, members, state, cur)
				planned, _ := parseGroupDeployment(plan.Deployment)
				if cur.NextAction != "hold" && cur.NextAction != "" {
					// Every changed member's write is in the plan.
					for k, m := range members {
						if !m.RevisionID.IsUnknown() {
							t.Errorf("refresh %d: member %s's revision_id is known in a plan that moves it", i+1, k)
						}
					}
				}
				got := groupRefresh{after: step.after, wantAction: cur.NextAction, wantMember: cur.NextMember, wantGate: cur.NextGate,
					wantStatus: planned.Status, wantStep: planned.Step, wantWeight: planned.Weight}
				if diff := cmp.Diff(step, got, cmp.AllowUnexported(groupRefresh{})); diff != "" {
					t.Errorf("refresh %d at +%s (-want +got):\n%s\nreason: %s", i+1, clk.now.Sub(started), diff, cur.NextReason)
				}
				if planned.Status == rollout.StatusInProgress && planned.Step != cur.Step {
					// The apply of an advance: the step starts now.
					planned.StepStarted = types.StringValue(clk.now.Format(time.RFC3339Nano))
					cur = planned
				}
			}
		})
	}
}

// groupMembersFor are the members of a release in progress, each on its
// target.
func groupMembersFor(api, worker string) map[string]groupMemberModelV0 {
	out := map[string]groupMemberModelV0{}
	for k, v := range map[string]string{"api": api, "worker": worker} {
		m := newGroupMember("fn-"+k, "live")
		m.FunctionVersion, m.RevisionID = types.StringValue(v), types.StringValue("rev-"+k)
		out[k] = m
	}
	return out
}

// TestLiveShare: where a member's alias is within its release from 1 to 2.
func TestLiveShare(t *testing.T) {
	t.Parallel()
	alias := func(primary string, extra map[string]float64) *lambda.GetAliasOutput {
		out := &lambda.GetAliasOutput{FunctionVersion: aws.String(primary)}
		if extra != nil {
			out.RoutingConfig = &lambdatypes.AliasRoutingConfiguration{AdditionalVersionWeights: extra}
		}
		return out
	}
	type result struct {
		Share float64
		In    bool
	}
	tests := map[string]struct {
		alias *lambda.GetAliasOutput
		want  result
	}{
		"not moved yet":      {alias("1", nil), result{0, true}},
		"at a step":          {alias("1", map[string]float64{"2": 0.1}), result{10, true}},
		"promoted":           {alias("2", nil), result{100, true}},
		"primary new, split": {alias("2", map[string]float64{"1": 0.25}), result{75, true}},
		"moved elsewhere":    {alias("3", nil), result{0, false}},
		"split elsewhere":    {alias("1", map[string]float64{"3": 0.5}), result{0, false}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			share, in := liveShare(tc.alias, "1", "2")
			if diff := cmp.Diff(tc.want, result{share, in}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestGroupRollbackPending: a release whose rollback, or abort, could not
// move the traffic back records it as its next action and last gate, and
// is pending (the next plan shows it, the next apply retries it, left
// paused mappings wait for it); a release holding or advancing is not.
func TestGroupRollbackPending(t *testing.T) {
	t.Parallel()
	gate := func(action string) attr.Value {
		return types.ObjectValueMust(groupGateAttrTypes, map[string]attr.Value{"step": types.Int64Value(1), "weight_percent": types.Float64Value(10),
			"action": types.StringValue(action), "member": types.StringNull(), "reason": types.StringValue(action)})
	}
	view := func(next string, gates ...string) groupView {
		v := groupView{Status: rollout.StatusInProgress, Step: 1, Weight: 10, StartedAt: types.StringValue("2026-11-26T14:00:00Z"),
			StepStarted: types.StringValue("2026-11-26T14:00:00Z"), FinishedAt: types.StringNull(), Moves: map[string]fromTo{"api": {"1", "2"}}, NextAction: next}
		for _, g := range gates {
			v.Gates = append(v.Gates, gate(g))
		}
		return v
	}
	for name, tc := range map[string]struct {
		v    groupView
		want bool
	}{
		"a failed rollback":             {view("roll_back", "advance", "roll_back"), true},
		"a failed abort":                {view("abort", "abort"), true},
		"a rollback decided, not tried": {view("roll_back", "advance"), false},
		"holding":                       {view("hold", "advance"), false},
		"no gate recorded":              {view("roll_back"), false},
	} {
		if got := tc.v.rollbackPending(); got != tc.want {
			t.Errorf("%s: rollbackPending() = %v, want %v", name, got, tc.want)
		}
	}
}
