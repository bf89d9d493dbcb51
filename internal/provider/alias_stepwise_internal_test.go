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
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/rollout-tf/terraform-provider-rollout/internal/rollout"
)

// fakeClock is a clock tests move by hand; Sleep advances it at once.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.now = c.now.Add(d)
	return nil
}

// scriptedSources answer every read with the same sample, or fail.
type scriptedSources struct {
	sample rollout.Sample
	err    error
}

func (s scriptedSources) Canary(context.Context, time.Time) (rollout.Sample, error) {
	return s.sample, s.err
}

func (s scriptedSources) AlarmStates(context.Context, []string) (map[string]string, error) {
	return map[string]string{}, s.err
}

func (s scriptedSources) Override(context.Context) (string, error) { return "", s.err }

// refreshStep is one refresh of a plan-driven rollout: the clock moves by
// after, the gates are read, and the plan made from that state shows a
// transition (or none).
type refreshStep struct {
	after      time.Duration
	wantAction string // the decision recorded at the refresh
	wantGate   string
	wantStatus string  // the planned deployment's status
	wantStep   int64   // the planned deployment's step
	wantWeight float64 // the planned deployment's weight
}

// TestPlanStepwise_fakeClock drives the refresh decisions and the plans of
// a plan-driven rollout (wait = false) with the clock injected through the
// provider's data: the step holds, the advance, the roll back after the
// health stays unreadable for two intervals and the deadline are reached by
// moving a fake clock, with no real sleep.
func TestPlanStepwise_fakeClock(t *testing.T) {
	t.Parallel()
	maxErr := 0.1
	policy := func(minInvocations int, deadline time.Duration) rollout.Policy {
		return rollout.Policy{Steps: []rollout.Step{{WeightPercent: 10, Hold: time.Minute}, {WeightPercent: 50, Hold: time.Minute}},
			Interval: 10 * time.Second, Deadline: deadline, RollbackWindow: 3,
			Health: rollout.Health{MaxErrorRate: &maxErr, MinInvocations: minInvocations, OnInsufficientData: rollout.InsufficientHold, PreexistingAlarms: "fail"}}
	}
	healthy := scriptedSources{sample: rollout.Sample{Invocations: 200, Errors: 1}}
	tests := map[string]struct {
		policy rollout.Policy
		src    rollout.Sources
		steps  []refreshStep
	}{
		"a step holds, then advances": {
			policy: policy(0, time.Hour), src: healthy,
			steps: []refreshStep{
				{after: 30 * time.Second, wantAction: "hold", wantStatus: rollout.StatusInProgress, wantStep: 1, wantWeight: 10},
				{after: 31 * time.Second, wantAction: "advance", wantStatus: rollout.StatusInProgress, wantStep: 2, wantWeight: 50},
			},
		},
		"unreadable health rolls back two intervals after the first failed read": {
			policy: policy(0, time.Hour), src: scriptedSources{err: errors.New("throttled")},
			steps: []refreshStep{
				{after: 10 * time.Second, wantAction: "hold", wantGate: "health_unreadable", wantStatus: rollout.StatusInProgress, wantStep: 1, wantWeight: 10},
				{after: 10 * time.Second, wantAction: "hold", wantGate: "health_unreadable", wantStatus: rollout.StatusInProgress, wantStep: 1, wantWeight: 10},
				{after: 10 * time.Second, wantAction: "roll_back", wantGate: "health_unreadable", wantStatus: rollout.StatusRolledBack, wantStep: 1, wantWeight: 10},
			},
		},
		"the deadline ends a wait for data": {
			policy: policy(100, 3*time.Minute), src: scriptedSources{sample: rollout.Sample{Invocations: 5}},
			steps: []refreshStep{
				{after: 90 * time.Second, wantAction: "hold", wantStatus: rollout.StatusInProgress, wantStep: 1, wantWeight: 10},
				{after: 89 * time.Second, wantAction: "hold", wantStatus: rollout.StatusInProgress, wantStep: 1, wantWeight: 10},
				{after: time.Second, wantAction: "roll_back", wantGate: "deadline", wantStatus: rollout.StatusRolledBack, wantStep: 1, wantWeight: 10},
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			started := time.Date(2026, 11, 26, 14, 0, 0, 0, time.UTC)
			clk := &fakeClock{now: started}
			r := &aliasResource{data: &providerData{clock: clk}}
			cur := deploymentView{Status: rollout.StatusInProgress, From: "1", To: "2", Step: 1, Weight: 10,
				StartedAt: started.Format(time.RFC3339), StepStartedRaw: started.Format(time.RFC3339Nano), StepStarted: started, Reason: "rollout started"}
			for i, step := range tc.steps {
				clk.now = clk.now.Add(step.after)
				cur = r.decideAtRefresh(context.Background(), tc.policy, tc.src, cur)
				state := aliasModelV0{FunctionVersion: types.StringValue("2"), Promotions: types.ListNull(types.ObjectType{AttrTypes: promotionAttrTypes}),
					Deployment: cur.value(nullIfEmpty(cur.StepStartedRaw), types.StringNull(), nil)}
				plan := state
				r.planStepwise(tc.policy, &plan, state)
				planned, _ := parseDeployment(plan.Deployment)
				got := refreshStep{after: step.after, wantAction: cur.NextAction, wantGate: cur.NextGate,
					wantStatus: planned.Status, wantStep: planned.Step, wantWeight: planned.Weight}
				if diff := cmp.Diff(step, got, cmp.AllowUnexported(refreshStep{})); diff != "" {
					t.Errorf("refresh %d at +%s (-want +got):\n%s\nreason: %s", i+1, clk.now.Sub(started), diff, cur.NextReason)
				}
			}
		})
	}
}

// TestLiveWeight: the share of traffic on the new version, and the
// sentence, from what the alias reports after a failed rollback.
func TestLiveWeight(t *testing.T) {
	t.Parallel()
	alias := func(primary string, extra map[string]float64) *lambda.GetAliasOutput {
		out := &lambda.GetAliasOutput{FunctionVersion: aws.String(primary)}
		if extra != nil {
			out.RoutingConfig = &lambdatypes.AliasRoutingConfiguration{AdditionalVersionWeights: extra}
		}
		return out
	}
	type result struct {
		Weight float64
		Live   string
	}
	tests := map[string]struct {
		alias *lambda.GetAliasOutput
		want  result
	}{
		"promoted":           {alias("2", nil), result{100, "version 2 serves 100% of the traffic"}},
		"at a step":          {alias("1", map[string]float64{"2": 0.2}), result{20, "version 2 serves 20% of the traffic and version 1 the rest"}},
		"primary new, split": {alias("2", map[string]float64{"1": 0.25}), result{75, "version 2 serves 75% of the traffic and version 1 the rest"}},
		"back on the old":    {alias("1", nil), result{0, "all traffic is on version 1"}},
		"elsewhere":          {alias("5", map[string]float64{"6": 0.5}), result{0, "the alias serves version 5 and version 6"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w, live := liveWeight(tc.alias, "1", "2")
			if diff := cmp.Diff(tc.want, result{w, live}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
