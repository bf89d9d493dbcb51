package runtime

import (
	"context"
	"testing"
	"time"

	"github.com/rollout-tf/terraform-provider-rollout/internal/testfn"
)

// TestSlowDeliveryKeepsTheEnvironment: the invoke's goroutine may be
// descheduled right after it hands the event over (a loaded machine),
// while the runtime answers and comes back to /next. That return is the
// environment's readiness for the next invoke, and must not be taken for
// the readiness that led to this one: the environment goes back to idle at
// once and the next invoke finds it warm (before, Release waited out
// ReadyWait, 2 s by default, and replaced it: a cold start and a stall).
func TestSlowDeliveryKeepsTheEnvironment(t *testing.T) {
	t.Parallel()
	zip, err := testfn.Zip()
	if err != nil {
		t.Fatal(err)
	}
	p := NewPool(t.TempDir(), 4, 4)
	p.ReadyWait = 3 * time.Second
	// Held until the runtime has answered and come back to /next.
	p.afterSend = func(env *Env) {
		for deadline := time.Now().Add(5 * time.Second); len(env.ready) == 0 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
	}
	dir, err := p.Unpack("blob", zip)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.CloseAll)
	key := Key{Function: "f", Version: "1", Code: "blob"}
	for i := range 3 {
		env, err := p.Acquire(key)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case env == nil && i > 0:
			t.Fatalf("invoke %d started cold: the environment of the previous one was replaced", i+1)
		case env == nil:
			if env, err = p.Start(key, dir, []string{"AWS_LAMBDA_FUNCTION_VERSION=1"}); err != nil {
				t.Fatal(err)
			}
		}
		if res := env.Run(context.Background(), &Invocation{ID: "req", Payload: []byte(`{}`), Timeout: 10 * time.Second}); res.FunctionError {
			t.Fatalf("invoke %d: %s", i+1, res.Payload)
		}
		start := time.Now()
		p.Release(env)
		if took := time.Since(start); took > time.Second {
			t.Errorf("invoke %d: Release waited %s for a runtime that was already back at /next", i+1, took.Round(time.Millisecond))
		}
	}
}
