package acctest

import (
	"os"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/rollout-tf/terraform-provider-rollout/internal/peers"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

// BackendEnv picks the server acceptance tests run against: unset or
// "sandbox" for rollout-sandbox, "moto" for moto server (an independent
// reading of the AWS API; CI runs the suite against both).
const BackendEnv = "ROLLOUT_ACC_BACKEND"

// Backend is the AWS-compatible server of one test.
type Backend struct {
	URL string
	// Sandbox is set when the backend is rollout-sandbox: its journal and
	// hooks allow assertions moto cannot support.
	Sandbox *sandboxtest.Instance
}

// NewBackend starts the backend BackendEnv selects for the duration of t.
func NewBackend(t *testing.T) *Backend {
	t.Helper()
	switch os.Getenv(BackendEnv) {
	case "", "sandbox":
		inst := sandboxtest.Start(t, sandbox.Options{})
		return &Backend{URL: inst.URL, Sandbox: inst}
	case "moto":
		url := peers.StartMoto(t, peers.Require(t, "moto server", "moto_server"))
		return &Backend{URL: url}
	default:
		t.Fatalf("%s=%q: want sandbox or moto", BackendEnv, os.Getenv(BackendEnv))
		return nil
	}
}

// SandboxOnly skips the part of a test that needs the sandbox's journal or
// hooks when the suite runs against moto.
func (b *Backend) SandboxOnly(t *testing.T, what string) {
	t.Helper()
	if b.Sandbox == nil {
		t.Skipf("%s needs rollout-sandbox (its call journal or hooks); moto cannot show it", what)
	}
}

// Case is the test case of an acceptance test against url: the pre-check,
// the in-tree provider and CheckDestroy on url, with steps.
func Case(t *testing.T, url string, steps []resource.TestStep) resource.TestCase {
	return resource.TestCase{
		PreCheck:                 func() { PreCheck(t) },
		ProtoV6ProviderFactories: ProtoV6ProviderFactories,
		CheckDestroy:             CheckDestroy(url),
		Steps:                    steps,
	}
}

// OnceBeforeProvider runs do once, right before the sandbox serves the
// first operation request of the provider under test (ProviderAccessKey):
// another writer acting at an exact point of an apply.
func (b *Backend) OnceBeforeProvider(operation string, do func()) {
	srv := b.Sandbox.Server
	srv.BeforeRequest(func(call sandbox.Call) {
		if call.Operation == operation && call.AccessKey == ProviderAccessKey {
			srv.BeforeRequest(nil)
			do()
		}
	})
}

// OnceAfterProvider runs do once, right after the sandbox answered the
// first operation request of the provider under test with status.
func (b *Backend) OnceAfterProvider(operation string, status int, do func()) {
	srv := b.Sandbox.Server
	srv.OnAnswered(func(call sandbox.Call) {
		if call.Operation == operation && call.AccessKey == ProviderAccessKey && call.Status == status {
			srv.OnAnswered(nil)
			do()
		}
	})
}
