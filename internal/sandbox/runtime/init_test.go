package runtime

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rollout-tf/terraform-provider-rollout/internal/testfn"
)

// TestInitPastItsLimit: an init that outlasts the init limit goes on
// within the function's timeout, counted from the limit (Lambda retries
// the init then "with the configured function timeout"): it is served
// when the timeout leaves it room, and times out with the function's
// timeout when not.
func TestInitPastItsLimit(t *testing.T) {
	t.Parallel()
	zip, err := testfn.Zip()
	if err != nil {
		t.Fatal(err)
	}
	p := NewPool(t.TempDir(), 4, 4)
	p.InitLimit = 200 * time.Millisecond
	dir, err := p.Unpack("blob", zip)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.CloseAll)
	run := func(timeout time.Duration) Result {
		env, err := p.Start(Key{Function: "f", Version: "1", Code: "blob"}, dir, []string{"INIT_SLEEP_MS=800", "AWS_LAMBDA_FUNCTION_VERSION=1"})
		if err != nil {
			t.Fatal(err)
		}
		return env.Run(context.Background(), &Invocation{ID: "req", Payload: []byte(`{}`), Timeout: timeout})
	}
	// 0.2 s of init limit + 2 s of timeout covers the 0.8 s init.
	if res := run(2 * time.Second); res.FunctionError || res.InitDuration < 800*time.Millisecond {
		t.Errorf("an init past its limit, within the timeout: error %v, init %s: %s", res.FunctionError, res.InitDuration, res.Payload)
	}
	// 0.2 s + 0.3 s does not.
	if res := run(300 * time.Millisecond); !res.FunctionError || !strings.Contains(string(res.Payload), "Task timed out after 0.30 seconds") {
		t.Errorf("an init past its limit and the timeout: error %v: %s", res.FunctionError, res.Payload)
	}
}
