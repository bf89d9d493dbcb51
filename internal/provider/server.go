package provider

// The server Terraform talks to: the framework's, with one change. The
// framework (v1.19, the newest served) wraps every RPC's context in a
// context.WithCancel and keeps the cancel function until StopProvider
// (internal/proto6server/serve.go, registerContext), so the context of
// every RPC ever served stays reachable, and with it everything the
// context holds: Terraform's per-request loggers, the gRPC stream and the
// request. The live heap grows with each RPC, the garbage collector marks
// all of it again on each cycle, and the provider's CPU per resource grows
// with the size of the state (issue 22: measured at 80 MB live after the
// scale benchmark's 100 pairs, and a third of the provider's CPU in GC).
//
// releasingServer gives each per-resource RPC a context that forwards to
// the request's context only while the RPC runs; once it returns, the
// framework's cancel function keeps two small structs instead of the
// request.

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// NewServer returns the protocol 6 server that Terraform talks to.
func NewServer(version string) func() tfprotov6.ProviderServer {
	return func() tfprotov6.ProviderServer {
		return &releasingServer{ProviderServer: providerserver.NewProtocol6(New(version)())()}
	}
}

// releasingServer is the framework's server with a releasing context for
// the RPCs Terraform sends once per resource instance (their number grows
// with the state); the RPCs sent once per command pass through.
type releasingServer struct {
	tfprotov6.ProviderServer
}

func (s *releasingServer) ValidateResourceConfig(ctx context.Context, req *tfprotov6.ValidateResourceConfigRequest) (*tfprotov6.ValidateResourceConfigResponse, error) {
	ctx, release := releasing(ctx)
	defer release()
	return s.ProviderServer.ValidateResourceConfig(ctx, req)
}

func (s *releasingServer) UpgradeResourceState(ctx context.Context, req *tfprotov6.UpgradeResourceStateRequest) (*tfprotov6.UpgradeResourceStateResponse, error) {
	ctx, release := releasing(ctx)
	defer release()
	return s.ProviderServer.UpgradeResourceState(ctx, req)
}

func (s *releasingServer) ReadResource(ctx context.Context, req *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	ctx, release := releasing(ctx)
	defer release()
	return s.ProviderServer.ReadResource(ctx, req)
}

func (s *releasingServer) PlanResourceChange(ctx context.Context, req *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	ctx, release := releasing(ctx)
	defer release()
	return s.ProviderServer.PlanResourceChange(ctx, req)
}

func (s *releasingServer) ApplyResourceChange(ctx context.Context, req *tfprotov6.ApplyResourceChangeRequest) (*tfprotov6.ApplyResourceChangeResponse, error) {
	ctx, release := releasing(ctx)
	defer release()
	return s.ProviderServer.ApplyResourceChange(ctx, req)
}

func (s *releasingServer) ImportResourceState(ctx context.Context, req *tfprotov6.ImportResourceStateRequest) (*tfprotov6.ImportResourceStateResponse, error) {
	ctx, release := releasing(ctx)
	defer release()
	return s.ProviderServer.ImportResourceState(ctx, req)
}

func (s *releasingServer) MoveResourceState(ctx context.Context, req *tfprotov6.MoveResourceStateRequest) (*tfprotov6.MoveResourceStateResponse, error) {
	ctx, release := releasing(ctx)
	defer release()
	return s.ProviderServer.MoveResourceState(ctx, req)
}

func (s *releasingServer) ValidateDataResourceConfig(ctx context.Context, req *tfprotov6.ValidateDataResourceConfigRequest) (*tfprotov6.ValidateDataResourceConfigResponse, error) {
	ctx, release := releasing(ctx)
	defer release()
	return s.ProviderServer.ValidateDataResourceConfig(ctx, req)
}

func (s *releasingServer) ReadDataSource(ctx context.Context, req *tfprotov6.ReadDataSourceRequest) (*tfprotov6.ReadDataSourceResponse, error) {
	ctx, release := releasing(ctx)
	defer release()
	return s.ProviderServer.ReadDataSource(ctx, req)
}

// releasedContext is what a releasing context forwards to after its RPC:
// canceled, with no values.
var releasedContext = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// rpcContext forwards to its RPC's context until released. Done returns
// the request's own channel, so a context derived from it (the
// framework's WithCancel) is registered with the request's cancelCtx and
// cancelled with it, with no goroutine of its own.
type rpcContext struct {
	inner atomic.Pointer[context.Context]
}

// releasing returns ctx behind an rpcContext, and the release to call
// when the RPC has returned.
func releasing(ctx context.Context) (context.Context, func()) {
	c := &rpcContext{}
	c.inner.Store(&ctx)
	return c, func() { c.inner.Store(&releasedContext) }
}

func (c *rpcContext) ctx() context.Context { return *c.inner.Load() }

func (c *rpcContext) Deadline() (time.Time, bool) { return c.ctx().Deadline() }

func (c *rpcContext) Done() <-chan struct{} { return c.ctx().Done() }

func (c *rpcContext) Err() error { return c.ctx().Err() }

func (c *rpcContext) Value(key any) any { return c.ctx().Value(key) }
