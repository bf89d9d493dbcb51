package statehistory_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rollout-tf/terraform-provider-rollout/internal/statehistory"
	"github.com/rollout-tf/terraform-provider-rollout/internal/statehistory/tfetest"
)

// smallState is a state of one function and one alias at version.
func smallState(serial int, version string) []byte {
	b, _ := json.Marshal(map[string]any{"version": 4, "serial": serial, "lineage": "lin-hist", "resources": []any{
		map[string]any{"mode": "managed", "type": "rollout_function", "name": "orders", "instances": []any{map[string]any{"attributes": map[string]any{
			"function_name": "orders", "version": version, "release": "v" + version}}}},
		map[string]any{"mode": "managed", "type": "rollout_alias", "name": "live", "instances": []any{map[string]any{"attributes": map[string]any{
			"function_name": "orders", "name": "live", "function_version": version}}}},
	}})
	return b
}

var t0 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// TestTFESourcePagesPast10000: a workspace with 10,001 state versions is
// read whole through the state-versions API (101 pages of 100, the API's
// largest), oldest first, with progress.
func TestTFESourcePagesPast10000(t *testing.T) {
	t.Parallel()
	srv := tfetest.Start(t, "tok-123")
	const n = 10_001
	for i := 1; i <= n; i++ {
		srv.Add("acme", "orders-prod", int64(i), t0.Add(time.Duration(i)*time.Second), smallState(i, fmt.Sprint(1+i/1000)))
	}
	client, err := statehistory.NewTFEClient(context.Background(), srv.URL, "tok-123")
	if err != nil {
		t.Fatal(err)
	}
	last := 0
	src := statehistory.TFESource{Client: client, Address: srv.URL, Token: "tok-123", Organization: "acme", Workspace: "orders-prod",
		Progress: func(done, total int) { last = max(last, done) }}
	revs, err := src.Revisions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(revs) != n || revs[0].Serial != 1 || revs[n-1].Serial != n || !revs[0].Readable() {
		t.Fatalf("%d revisions, first serial %d, last %d; want %d from 1 to %d", len(revs), revs[0].Serial, revs[len(revs)-1].Serial, n, n)
	}
	if got := srv.ListCalls.Load(); got != 101 {
		t.Errorf("%d list calls, want 101 pages of 100", got)
	}
	if last != n {
		t.Errorf("progress reached %d, want %d", last, n)
	}
	if !strings.HasPrefix(revs[0].ID, "sv-") || src.String() != "tfe://acme/orders-prod" {
		t.Errorf("revision id %q, source %q", revs[0].ID, src.String())
	}
	p, err := statehistory.PickKnownGood(revs, "")
	if err != nil || p.Chosen == nil || p.Chosen.Serial != 9_999 {
		t.Errorf("pick = %+v %v, want serial 9999 (the last on version 10)", p.Chosen, err)
	}
	// A revision is read again on demand (diff, --write-state).
	if _, raw, err := revs[5].Load(context.Background()); err != nil || len(raw) == 0 {
		t.Errorf("Load: %v", err)
	}
}

// TestTFESourceErrors: a wrong token and an unknown workspace say so.
func TestTFESourceErrors(t *testing.T) {
	t.Parallel()
	srv := tfetest.Start(t, "tok-123")
	srv.Add("acme", "orders-prod", 1, t0, smallState(1, "1"))
	client, err := statehistory.NewTFEClient(context.Background(), srv.URL, "wrong")
	if err != nil {
		t.Fatal(err)
	}
	_, err = statehistory.TFESource{Client: client, Address: srv.URL, Organization: "acme", Workspace: "orders-prod"}.Revisions(context.Background())
	if err == nil || !strings.Contains(err.Error(), "listing state versions of tfe://acme/orders-prod: unauthorized") {
		t.Errorf("wrong token: %v", err)
	}
	client, _ = statehistory.NewTFEClient(context.Background(), srv.URL, "tok-123")
	_, err = statehistory.TFESource{Client: client, Address: srv.URL, Organization: "acme", Workspace: "nope"}.Revisions(context.Background())
	if err == nil || !strings.Contains(err.Error(), "resource not found (no such organization or workspace, or the token cannot read its state versions)") {
		t.Errorf("unknown workspace: %v", err)
	}
}
