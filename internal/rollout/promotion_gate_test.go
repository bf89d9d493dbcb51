package rollout

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// gatedScript is a script whose sources also hold promotions back (a
// queue backlog, say).
type gatedScript struct {
	*script
	hold *PromotionHold
	err  error
}

func (g gatedScript) HoldPromotion(context.Context) (*PromotionHold, error) { return g.hold, g.err }

// TestPromotionGate: a source that implements PromotionGate holds a
// promotion (never an advance) while it says so; an unreadable gate is
// unreadable health; from the deadline on, the hold rolls back.
func TestPromotionGate(t *testing.T) {
	t.Parallel()
	steps := []Step{{10, 2 * time.Second}, {50, 2 * time.Second}}
	p := Policy{Steps: steps, Interval: time.Second, Deadline: 20 * time.Second, Health: Health{MinInvocations: 10}}
	backlog := &PromotionHold{Gate: "queue_oldest_age", Value: 600, Threshold: 300, Reason: "the oldest message in orders is 600s old, above max_oldest_message_age 300s"}
	tests := map[string]struct {
		step    int
		at      time.Duration
		hold    *PromotionHold
		err     error
		wantAct Action
		wantErr bool
		gate    string
	}{
		"no backlog: promote":                   {step: 1, at: 5 * time.Second, wantAct: Promote},
		"backlog holds the promotion":           {step: 1, at: 5 * time.Second, hold: backlog, wantAct: Hold, gate: "queue_oldest_age"},
		"backlog does not hold an advance":      {step: 0, at: 5 * time.Second, hold: backlog, wantAct: Advance},
		"unreadable gate is unreadable health":  {step: 1, at: 5 * time.Second, err: errors.New("throttled"), wantErr: true},
		"backlog past the deadline rolls back":  {step: 1, at: 21 * time.Second, hold: backlog, wantAct: RollBack, gate: "deadline"},
		"no backlog past the deadline promotes": {step: 1, at: 21 * time.Second, wantAct: Promote},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			clk := &fakeClock{now: t0.Add(tc.at)}
			src := gatedScript{script: &script{clock: clk, sample: good}, hold: tc.hold, err: tc.err}
			d, err := Evaluate(context.Background(), p, src, Progress{Step: tc.step, StepStarted: t0, Started: t0}, clk.now)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("decision %s, want an error", d.Action)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.Action != tc.wantAct || d.Gate != tc.gate {
				t.Errorf("decision = %s gate %q (%s), want %s gate %q", d.Action, d.Gate, d.Reason, tc.wantAct, tc.gate)
			}
			if tc.hold != nil && d.Action == Hold && !strings.Contains(d.Reason, "oldest message") {
				t.Errorf("reason %q does not say why", d.Reason)
			}
		})
	}
}
