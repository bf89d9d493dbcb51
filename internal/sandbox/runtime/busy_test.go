package runtime

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rollout-tf/terraform-provider-rollout/internal/testfn"
)

// TestStartWaitsOutABusyExecutable: a process forked by this one (another
// environment's start, a test's command) while the sandbox was writing a
// bootstrap holds that file open for writing until its own exec, and an
// exec of the bootstrap meanwhile fails with "text file busy" (ETXTBSY).
// Lambda has no such failure: the start waits it out. The test holds the
// file open for writing for 200 ms, as such a child does.
func TestStartWaitsOutABusyExecutable(t *testing.T) {
	t.Parallel()
	zip, err := testfn.Zip()
	if err != nil {
		t.Fatal(err)
	}
	p := NewPool(t.TempDir(), 4, 4)
	dir, err := p.Unpack("blob", zip)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.CloseAll)
	w, err := os.OpenFile(filepath.Join(dir, "bootstrap"), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(200 * time.Millisecond)
		_ = w.Close()
	}()
	env, err := p.Start(Key{Function: "f", Version: "1", Code: "blob"}, dir, []string{"AWS_LAMBDA_FUNCTION_VERSION=1"})
	if err != nil {
		t.Fatalf("start while the bootstrap was briefly open for writing: %v", err)
	}
	if res := env.Run(context.Background(), &Invocation{ID: "req", Payload: []byte(`{}`), Timeout: 10 * time.Second}); res.FunctionError {
		t.Fatalf("invoke: %s", res.Payload)
	}
}
