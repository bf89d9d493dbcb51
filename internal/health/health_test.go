package health

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rollout-tf/terraform-provider-rollout/internal/rollout"
)

// stuckSources never answer: each read waits for its context to end.
type stuckSources struct{}

func (stuckSources) Canary(ctx context.Context, _ time.Time) (rollout.Sample, error) {
	<-ctx.Done()
	return rollout.Sample{}, ctx.Err()
}

func (stuckSources) AlarmStates(ctx context.Context, _ []string) (map[string]string, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func (stuckSources) Override(ctx context.Context) (string, error) {
	<-ctx.Done()
	return "", ctx.Err()
}

// TestBound checks that each read of a rollout's gates ends within its
// share of the interval, so one evaluation never outlasts the interval.
func TestBound(t *testing.T) {
	t.Parallel()
	const interval = 300 * time.Millisecond
	src := Bound(stuckSources{}, interval)
	reads := map[string]func(context.Context) error{
		"metrics": func(ctx context.Context) error { _, err := src.Canary(ctx, time.Time{}); return err },
		"alarms":  func(ctx context.Context) error { _, err := src.AlarmStates(ctx, []string{"a"}); return err },
		"override": func(ctx context.Context) error {
			_, err := src.Override(ctx)
			return err
		},
	}
	for name, read := range reads {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			start := time.Now()
			err := read(ctx)
			took := time.Since(start)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("err = %v, want context.DeadlineExceeded", err)
			}
			if budget := interval / readsPerEvaluation; took > budget+time.Second/2 {
				t.Errorf("a stuck read took %s, want about its budget %s", took, budget)
			}
		})
	}
}

func TestNoRolloutError(t *testing.T) {
	t.Parallel()
	err := NoRolloutError{Function: "api", Alias: "live", Version: "3", Action: "pause"}
	want := "no rollout is running on api:live (all traffic is on version 3): an override steers exactly one running rollout, so there is nothing to pause"
	if diff := cmp.Diff(want, err.Error()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
