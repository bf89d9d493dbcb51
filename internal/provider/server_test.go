package provider_test

import (
	"context"
	"runtime"
	"testing"
	"weak"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/rollout-tf/terraform-provider-rollout/internal/provider"
)

// TestServerLetsGoOfRequests: once an RPC has returned, nothing the
// provider server keeps may hold on to that request's context (Terraform's
// per-request loggers, the gRPC stream, the request). The framework (v1.19)
// keeps one cancel function per RPC until StopProvider, and with it the
// whole context: the live heap grew with every RPC served, and the GC's
// work per RPC with it (issue 22, BenchmarkStateScale's provider CPU).
// Each call's context carries a value held only through that context; a
// weak pointer per value says whether any of them is still reachable.
func TestServerLetsGoOfRequests(t *testing.T) {
	t.Parallel()
	srv := provider.NewServer("test")()
	type payloadKey struct{}
	const calls = 50
	kept := make([]weak.Pointer[[4096]byte], 0, calls)
	rpcs := map[string]func(context.Context){
		"ValidateResourceConfig": func(ctx context.Context) {
			_, _ = srv.ValidateResourceConfig(ctx, &tfprotov6.ValidateResourceConfigRequest{TypeName: "rollout_alias"})
		},
		"UpgradeResourceState": func(ctx context.Context) {
			_, _ = srv.UpgradeResourceState(ctx, &tfprotov6.UpgradeResourceStateRequest{TypeName: "rollout_alias"})
		},
		"ReadResource": func(ctx context.Context) {
			_, _ = srv.ReadResource(ctx, &tfprotov6.ReadResourceRequest{TypeName: "rollout_alias"})
		},
		"PlanResourceChange": func(ctx context.Context) {
			_, _ = srv.PlanResourceChange(ctx, &tfprotov6.PlanResourceChangeRequest{TypeName: "rollout_alias"})
		},
		"ApplyResourceChange": func(ctx context.Context) {
			_, _ = srv.ApplyResourceChange(ctx, &tfprotov6.ApplyResourceChangeRequest{TypeName: "rollout_alias"})
		},
	}
	for i := 0; i < calls; i++ {
		for _, rpc := range rpcs {
			payload := new([4096]byte)
			kept = append(kept, weak.Make(payload))
			ctx, cancel := context.WithCancel(context.WithValue(context.Background(), payloadKey{}, payload))
			rpc(ctx)
			cancel() // as gRPC does when the RPC ends
		}
	}
	runtime.GC()
	runtime.GC()
	alive := 0
	for _, p := range kept {
		if p.Value() != nil {
			alive++
		}
	}
	runtime.KeepAlive(srv) // a server serves for as long as the process runs
	if alive > 0 {
		t.Errorf("%d of %d request contexts still reachable after their RPCs returned: the provider server keeps them (and the live heap grows with every RPC)", alive, len(kept))
	}
}
