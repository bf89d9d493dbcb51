package provider

import (
	"context"
	"errors"
	"testing"
)

// TestReleasingContext: while its RPC runs, a releasing context is the
// request's (values, cancellation, and a context derived from it is
// cancelled with the request); once released it holds nothing of it.
func TestReleasingContext(t *testing.T) {
	t.Parallel()
	type key struct{}
	req, cancelReq := context.WithCancel(context.WithValue(context.Background(), key{}, "request"))
	ctx, release := releasing(req)
	derived, cancelDerived := context.WithCancel(ctx) // as the framework does
	defer cancelDerived()
	if got := derived.Value(key{}); got != "request" {
		t.Errorf("value during the RPC = %v, want %q", got, "request")
	}
	if err := derived.Err(); err != nil {
		t.Errorf("Err during the RPC = %v, want nil", err)
	}
	cancelReq()
	<-derived.Done() // Terraform cancelling the request reaches the provider's work
	if err := derived.Err(); !errors.Is(err, context.Canceled) {
		t.Errorf("Err after the request was cancelled = %v, want %v", err, context.Canceled)
	}
	release()
	if got := ctx.Value(key{}); got != nil {
		t.Errorf("value after release = %v, want nil (the request is let go)", got)
	}
	if err := ctx.Err(); !errors.Is(err, context.Canceled) {
		t.Errorf("Err after release = %v, want %v", err, context.Canceled)
	}
}
