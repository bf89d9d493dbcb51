package health_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"

	"github.com/rollout-tf/terraform-provider-rollout/internal/health"
)

// fakeMappings is Lambda's event source mappings as a state machine on the
// test's clock: a disable is Disabling for drain, then Disabled; an enable
// is Enabling for a second, then Enabled. An update during a transition is
// refused with ResourceInUseException, as AWS does. log records the calls.
type fakeMappings struct {
	mu    sync.Mutex
	clock *fakeClock
	drain map[string]time.Duration // per mapping; negative: never finishes
	m     map[string]*fakeMapping
	log   *[]string
	gets  int
}

type fakeMapping struct {
	arn, fn, state string
	until          time.Time // when the transition ends
}

func newFakeMappings(clock *fakeClock, log *[]string, uuids ...string) *fakeMappings {
	f := &fakeMappings{clock: clock, drain: map[string]time.Duration{}, m: map[string]*fakeMapping{}, log: log}
	for _, u := range uuids {
		f.m[u] = &fakeMapping{arn: "arn:aws:sqs:us-east-1:123456789012:q-" + u, fn: "arn:aws:lambda:us-east-1:123456789012:function:worker:live", state: "Enabled"}
		f.drain[u] = 5 * time.Second
	}
	return f
}

func (f *fakeMappings) settle(m *fakeMapping) {
	now := f.clock.Now()
	if m.until.IsZero() || now.Before(m.until) {
		return
	}
	switch m.state {
	case "Disabling":
		m.state = "Disabled"
	case "Enabling":
		m.state = "Enabled"
	}
	m.until = time.Time{}
}

func (f *fakeMappings) conf(uuid string, m *fakeMapping) lambdatypes.EventSourceMappingConfiguration {
	return lambdatypes.EventSourceMappingConfiguration{UUID: aws.String(uuid), State: aws.String(m.state), EventSourceArn: aws.String(m.arn), FunctionArn: aws.String(m.fn)}
}

func (f *fakeMappings) GetEventSourceMapping(_ context.Context, in *lambda.GetEventSourceMappingInput, _ ...func(*lambda.Options)) (*lambda.GetEventSourceMappingOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gets++
	m, ok := f.m[aws.ToString(in.UUID)]
	if !ok {
		return nil, &lambdatypes.ResourceNotFoundException{Message: aws.String("no mapping")}
	}
	f.settle(m)
	c := f.conf(aws.ToString(in.UUID), m)
	return &lambda.GetEventSourceMappingOutput{UUID: c.UUID, State: c.State, EventSourceArn: c.EventSourceArn, FunctionArn: c.FunctionArn}, nil
}

func (f *fakeMappings) UpdateEventSourceMapping(_ context.Context, in *lambda.UpdateEventSourceMappingInput, _ ...func(*lambda.Options)) (*lambda.UpdateEventSourceMappingOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u := aws.ToString(in.UUID)
	m, ok := f.m[u]
	if !ok {
		return nil, &lambdatypes.ResourceNotFoundException{Message: aws.String("no mapping")}
	}
	f.settle(m)
	if m.state == "Disabling" || m.state == "Enabling" {
		return nil, &lambdatypes.ResourceInUseException{Message: aws.String("the mapping is " + m.state)}
	}
	now := f.clock.Now()
	switch {
	case in.Enabled != nil && !*in.Enabled && m.state == "Enabled":
		*f.log = append(*f.log, "disable "+u)
		m.state = "Disabling"
		if d := f.drain[u]; d >= 0 {
			m.until = now.Add(d)
		} else {
			m.until = now.Add(1000 * time.Hour)
		}
	case in.Enabled != nil && *in.Enabled && m.state == "Disabled":
		*f.log = append(*f.log, "enable "+u)
		m.state, m.until = "Enabling", now.Add(time.Second)
	}
	return &lambda.UpdateEventSourceMappingOutput{UUID: aws.String(u), State: aws.String(m.state)}, nil
}

func (f *fakeMappings) ListEventSourceMappings(_ context.Context, in *lambda.ListEventSourceMappingsInput, _ ...func(*lambda.Options)) (*lambda.ListEventSourceMappingsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := &lambda.ListEventSourceMappingsOutput{}
	for _, u := range []string{"m1", "m2", "m3"} {
		if m, ok := f.m[u]; ok && m.fn == aws.ToString(in.FunctionName) {
			f.settle(m)
			out.EventSourceMappings = append(out.EventSourceMappings, f.conf(u, m))
		}
	}
	return out, nil
}

func (f *fakeMappings) state(u string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.settle(f.m[u])
	return f.m[u].state
}

// fakeTraffic records the moves in the same log as the mappings.
type fakeTraffic struct{ log *[]string }

func (t fakeTraffic) SetCanary(_ context.Context, w float64) error {
	*t.log = append(*t.log, fmt.Sprintf("canary %g", w))
	return nil
}
func (t fakeTraffic) RollBack(context.Context) error { *t.log = append(*t.log, "rollback"); return nil }
func (t fakeTraffic) Promote(context.Context) error  { *t.log = append(*t.log, "promote"); return nil }

func newClock() *fakeClock { return &fakeClock{now: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)} }

// TestInterlockPauseResume: a pause disables every mapping and returns
// only once each reports Disabled; a resume enables them and waits for
// Enabled. Mappings are named, or found by the alias ARN.
func TestInterlockPauseResume(t *testing.T) {
	t.Parallel()
	for name, uuids := range map[string][]string{"named": {"m1", "m2"}, "discovered": nil} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var log []string
			clock := newClock()
			api := newFakeMappings(clock, &log, "m1", "m2")
			api.drain["m2"] = 20 * time.Second
			l := &health.Interlock{API: api, AliasARN: "arn:aws:lambda:us-east-1:123456789012:function:worker:live", UUIDs: uuids, DrainTimeout: time.Minute, Clock: clock}
			start := clock.Now()
			if err := l.Pause(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := clock.Now().Sub(start); got < 20*time.Second || got > 25*time.Second {
				t.Errorf("the pause returned after %s; m2 drains in 20s", got)
			}
			for _, u := range []string{"m1", "m2"} {
				if s := api.state(u); s != "Disabled" {
					t.Errorf("%s is %s after the pause, want Disabled", u, s)
				}
			}
			if diff := cmp.Diff([]string{"m1", "m2"}, l.Paused()); diff != "" {
				t.Errorf("Paused() (-want +got):\n%s", diff)
			}
			if err := l.Resume(context.Background()); err != nil {
				t.Fatal(err)
			}
			for _, u := range []string{"m1", "m2"} {
				if s := api.state(u); s != "Enabled" {
					t.Errorf("%s is %s after the resume, want Enabled", u, s)
				}
			}
			if len(l.Paused()) != 0 {
				t.Errorf("Paused() = %v after the resume", l.Paused())
			}
		})
	}
}

// TestInterlockDrainTimeout: a mapping that never reports Disabled ends
// the wait at drain_timeout with an error naming it; the wait never runs
// past the limit by more than one poll.
func TestInterlockDrainTimeout(t *testing.T) {
	t.Parallel()
	var log []string
	clock := newClock()
	api := newFakeMappings(clock, &log, "m1")
	api.drain["m1"] = -1
	l := &health.Interlock{API: api, UUIDs: []string{"m1"}, DrainTimeout: 2 * time.Minute, Clock: clock}
	start := clock.Now()
	err := l.Pause(context.Background())
	if err == nil || !strings.Contains(err.Error(), "m1") || !strings.Contains(err.Error(), "Disabling") || !strings.Contains(err.Error(), "drain_timeout") {
		t.Fatalf("Pause = %v, want an error naming m1, its state and drain_timeout", err)
	}
	if got := clock.Now().Sub(start); got > 2*time.Minute+2*time.Second {
		t.Errorf("the wait lasted %s, past drain_timeout 2m", got)
	}
}

// TestInterlockInterrupt: a cancelled context ends the wait at once and
// the mapping stays listed as paused, for the caller to resume or record.
func TestInterlockInterrupt(t *testing.T) {
	t.Parallel()
	var log []string
	clock := newClock()
	api := newFakeMappings(clock, &log, "m1")
	api.drain["m1"] = time.Hour
	l := &health.Interlock{API: api, UUIDs: []string{"m1"}, DrainTimeout: 2 * time.Hour, Clock: clock}
	ctx, cancel := context.WithCancel(context.Background())
	clock.onSleep = func(n int) {
		if n == 3 {
			cancel()
		}
	}
	err := l.Pause(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Pause = %v, want context.Canceled", err)
	}
	if diff := cmp.Diff([]string{"m1"}, l.Paused()); diff != "" {
		t.Errorf("Paused() (-want +got):\n%s", diff)
	}
}

// TestInterlockLeavesUserPauseAlone: a mapping that was already disabled
// before the pause is neither paused nor resumed by the interlock.
func TestInterlockLeavesUserPauseAlone(t *testing.T) {
	t.Parallel()
	var log []string
	clock := newClock()
	api := newFakeMappings(clock, &log, "m1", "m2")
	api.m["m2"].state = "Disabled"
	l := &health.Interlock{API: api, UUIDs: []string{"m1", "m2"}, DrainTimeout: time.Minute, Clock: clock}
	if err := l.Pause(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := l.Resume(context.Background()); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"disable m1", "enable m1"}, log); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if s := api.state("m2"); s != "Disabled" {
		t.Errorf("m2 is %s, want Disabled as the user left it", s)
	}
}

// TestInterlockedTraffic: at each chosen moment the mappings are paused
// (and Disabled) before the traffic moves and resumed after; a rollback
// pauses first; a moment not chosen moves traffic alone.
func TestInterlockedTraffic(t *testing.T) {
	t.Parallel()
	run := func(tr *health.InterlockedTraffic) {
		ctx := context.Background()
		_ = tr.SetCanary(ctx, 10)
		_ = tr.SetCanary(ctx, 50)
		_ = tr.RollBack(ctx)
		_ = tr.Promote(ctx)
	}
	for name, tc := range map[string]struct {
		on   []string
		want []string
	}{
		"all": {on: []string{"start", "promotion", "rollback"}, want: []string{
			"disable m1", "canary 10", "enable m1", "canary 50", "disable m1", "rollback", "enable m1", "disable m1", "promote", "enable m1"}},
		"rollback only": {on: []string{"rollback"}, want: []string{"canary 10", "canary 50", "disable m1", "rollback", "enable m1", "promote"}},
		"none":          {on: nil, want: []string{"canary 10", "canary 50", "rollback", "promote"}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var log []string
			clock := newClock()
			api := newFakeMappings(clock, &log, "m1")
			l := &health.Interlock{API: api, UUIDs: []string{"m1"}, DrainTimeout: time.Minute, Clock: clock}
			tr := &health.InterlockedTraffic{Traffic: fakeTraffic{&log}, Lock: l, On: tc.on}
			run(tr)
			if diff := cmp.Diff(tc.want, log); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			if len(tc.on) > 0 && len(tr.Windows()) != len(tc.on) {
				t.Errorf("%d pause windows recorded, want %d", len(tr.Windows()), len(tc.on))
			}
		})
	}
}

// TestInterlockedTrafficInterruptedStart: an interrupt while the start
// waits for the mappings to drain moves no traffic and resumes them on the
// way out.
func TestInterlockedTrafficInterruptedStart(t *testing.T) {
	t.Parallel()
	var log []string
	clock := newClock()
	api := newFakeMappings(clock, &log, "m1")
	api.drain["m1"] = time.Minute
	l := &health.Interlock{API: api, UUIDs: []string{"m1"}, DrainTimeout: 5 * time.Minute, Clock: clock}
	tr := &health.InterlockedTraffic{Traffic: fakeTraffic{&log}, Lock: l, On: []string{"start"}}
	ctx, cancel := context.WithCancel(context.Background())
	clock.onSleep = func(n int) {
		if n == 2 {
			cancel()
		}
	}
	if err := tr.SetCanary(ctx, 10); !errors.Is(err, context.Canceled) {
		t.Fatalf("SetCanary = %v, want context.Canceled", err)
	}
	if diff := cmp.Diff([]string{"disable m1", "enable m1"}, log); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if s := api.state("m1"); s != "Enabled" && s != "Enabling" {
		t.Errorf("m1 is %s after the interrupt, want it resumed", s)
	}
	if len(l.Paused()) != 0 {
		t.Errorf("Paused() = %v, want none left paused", l.Paused())
	}
}

// TestInterlockRecordsThePauseFirst: the mappings about to be paused are
// recorded before the first is disabled, and the record emptied once they
// are enabled again, so that a process killed in between leaves a trace;
// a record that cannot be written stops the pause before any mapping is
// touched.
func TestInterlockRecordsThePauseFirst(t *testing.T) {
	t.Parallel()
	var log []string
	clock := newClock()
	api := newFakeMappings(clock, &log, "m1", "m2")
	l := &health.Interlock{API: api, AliasARN: "arn:aws:lambda:us-east-1:123456789012:function:worker:live", DrainTimeout: time.Minute, Clock: clock,
		Record: func(_ context.Context, paused []string) error {
			log = append(log, fmt.Sprintf("record %v", paused))
			return nil
		}}
	if err := l.Pause(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := l.Resume(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := []string{"record [m1 m2]", "disable m1", "disable m2", "enable m1", "enable m2", "record []"}
	if diff := cmp.Diff(want, log); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}

	log = nil
	l = &health.Interlock{API: newFakeMappings(clock, &log, "m1"), AliasARN: l.AliasARN, DrainTimeout: time.Minute, Clock: clock,
		Record: func(context.Context, []string) error { return errors.New("TagResource: the function has 50 tags") }}
	err := l.Pause(context.Background())
	if err == nil || !strings.Contains(err.Error(), "50 tags") || len(log) != 0 || len(l.Paused()) != 0 {
		t.Errorf("a pause whose record failed: %v, calls %v, paused %v; want the error and no mapping touched", err, log, l.Paused())
	}
}

// failingRollback is traffic whose rollback write fails.
type failingRollback struct{ fakeTraffic }

func (t failingRollback) RollBack(context.Context) error {
	*t.log = append(*t.log, "rollback failed")
	return errors.New("UpdateAlias: throttled")
}

// TestInterlockKeepsPausedWhenRollbackFails: when the rollback's write
// fails, the traffic still reaches the rejected version, so the mappings
// stay paused (their messages wait in the queue) rather than feed it
// batches; Paused lists them and Warn says why.
func TestInterlockKeepsPausedWhenRollbackFails(t *testing.T) {
	t.Parallel()
	var log, warnings []string
	clock := newClock()
	api := newFakeMappings(clock, &log, "m1")
	l := &health.Interlock{API: api, UUIDs: []string{"m1"}, DrainTimeout: time.Minute, Clock: clock}
	tr := &health.InterlockedTraffic{Traffic: failingRollback{fakeTraffic{&log}}, Lock: l, On: []string{"rollback"}, Started: true,
		Warn: func(m string) { warnings = append(warnings, m) }}
	if err := tr.RollBack(context.Background()); err == nil {
		t.Fatal("RollBack = nil, want the write's error")
	}
	if diff := cmp.Diff([]string{"disable m1", "rollback failed"}, log); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if s := api.state("m1"); s != "Disabled" {
		t.Errorf("m1 is %s after a failed rollback, want it kept Disabled", s)
	}
	if diff := cmp.Diff([]string{"m1"}, l.Paused()); diff != "" {
		t.Errorf("Paused() (-want +got):\n%s", diff)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "stay paused") {
		t.Errorf("warnings = %q, want one saying the mappings stay paused", warnings)
	}
	// The next attempt, adopting them, resumes them once the traffic moved.
	var log2 []string
	api.log = &log2
	l2 := &health.Interlock{API: api, UUIDs: []string{"m1"}, DrainTimeout: time.Minute, Clock: clock}
	l2.Adopt(l.Paused())
	tr2 := &health.InterlockedTraffic{Traffic: fakeTraffic{&log2}, Lock: l2, On: []string{"rollback"}, Started: true}
	if err := tr2.RollBack(context.Background()); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"rollback", "enable m1"}, log2); diff != "" {
		t.Errorf("calls of the retry (-want +got):\n%s", diff)
	}
	if len(l2.Paused()) != 0 {
		t.Errorf("Paused() = %v after the retried rollback", l2.Paused())
	}
}
