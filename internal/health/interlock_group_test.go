package health_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rollout-tf/terraform-provider-rollout/internal/health"
)

// TestGroupInterlock: a group pauses, at each moment, the mappings of
// every member whose pause_on lists it, all of them Disabled before the
// group's traffic moves, and resumes them after; a member that does not
// pause at a moment is left alone.
func TestGroupInterlock(t *testing.T) {
	t.Parallel()
	var log []string
	clock := newClock()
	api := newFakeMappings(clock, &log, "m1", "m2")
	gl := &health.GroupInterlock{Members: []health.MemberLock{
		{Member: "worker", Lock: &health.Interlock{API: api, UUIDs: []string{"m1"}, DrainTimeout: time.Minute, Clock: clock}, On: []string{"start", "promotion", "rollback"}},
		{Member: "audit", Lock: &health.Interlock{API: api, UUIDs: []string{"m2"}, DrainTimeout: time.Minute, Clock: clock}, On: []string{"rollback"}},
	}}
	tr := &health.InterlockedTraffic{Traffic: fakeTraffic{&log}, Group: gl}
	ctx := context.Background()
	for _, err := range []error{tr.SetCanary(ctx, 10), tr.SetCanary(ctx, 50), tr.RollBack(ctx)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	// The members pause in parallel: compare each pause's calls as a set.
	rb := slices.Index(log, "rollback")
	if rb < 2 {
		t.Fatalf("no rollback after the pauses: %v", log)
	}
	got := slices.Clone(log)
	slices.Sort(got[rb-2 : rb])
	slices.Sort(got[rb+1:])
	want := []string{"disable m1", "canary 10", "enable m1", "canary 50", "disable m1", "disable m2", "rollback", "enable m1", "enable m2"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if p := gl.Paused(); len(p) != 0 {
		t.Errorf("Paused() = %v after the resume", p)
	}
}

// TestGroupInterlockRollbackPauseFails: a member whose mapping never
// drains does not hold the group's rollback back (the traffic leaves the
// rejected versions anyway, with a warning), and what could not be
// resumed is listed as <member>/<uuid>.
func TestGroupInterlockRollbackPauseFails(t *testing.T) {
	t.Parallel()
	var log []string
	clock := newClock()
	api := newFakeMappings(clock, &log, "m1", "m2")
	api.drain["m2"] = -1
	all := []string{"start", "promotion", "rollback"}
	gl := &health.GroupInterlock{Members: []health.MemberLock{
		{Member: "worker", Lock: &health.Interlock{API: api, UUIDs: []string{"m1"}, DrainTimeout: time.Minute, Clock: clock}, On: all},
		{Member: "audit", Lock: &health.Interlock{API: api, UUIDs: []string{"m2"}, DrainTimeout: time.Minute, Clock: clock}, On: all},
	}}
	var warnings []string
	tr := &health.InterlockedTraffic{Traffic: fakeTraffic{&log}, Group: gl, Started: true, Warn: func(m string) { warnings = append(warnings, m) }}
	if err := tr.RollBack(context.Background()); err != nil {
		t.Fatalf("RollBack = %v, want the traffic moved back", err)
	}
	if !slices.Contains(log, "rollback") {
		t.Errorf("the traffic did not move back: %v", log)
	}
	if diff := cmp.Diff([]string{"audit/m2"}, gl.Paused()); diff != "" {
		t.Errorf("Paused() (-want +got):\n%s", diff)
	}
	if len(warnings) == 0 {
		t.Errorf("no warning for the pause that failed")
	}
}
