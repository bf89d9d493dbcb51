package notify

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rollout-tf/terraform-provider-rollout/internal/rollout"
)

var t0 = time.Date(2026, 11, 26, 13, 0, 0, 0, time.UTC)

// fakeClock moves at once; the engine never sleeps for real here.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
	return ctx.Err()
}

// badAfter serves a healthy canary, then, from the second step on, one
// whose error rate breaches the gate; it records when (wall time) the
// breach was first read.
type badAfter struct {
	clock    *fakeClock
	detected time.Time
}

func (s *badAfter) Canary(context.Context, time.Time) (rollout.Sample, error) {
	if s.clock.Now().Sub(t0) >= 3*time.Second {
		if s.detected.IsZero() {
			s.detected = time.Now()
		}
		return rollout.Sample{Invocations: 100, Errors: 40}, nil
	}
	return rollout.Sample{Invocations: 100}, nil
}
func (s *badAfter) AlarmStates(context.Context, []string) (map[string]string, error) {
	return map[string]string{}, nil
}
func (s *badAfter) Override(context.Context) (string, error) { return "", nil }

type traffic struct{ restored time.Time }

func (t *traffic) SetCanary(context.Context, float64) error { return nil }
func (t *traffic) RollBack(context.Context) error           { t.restored = time.Now(); return nil }
func (t *traffic) Promote(context.Context) error            { return nil }

func policy() rollout.Policy {
	rate := 0.05
	return rollout.Policy{Steps: []rollout.Step{{WeightPercent: 10, Hold: 2 * time.Second}, {WeightPercent: 50, Hold: 2 * time.Second}},
		Interval: time.Second, Health: rollout.Health{MaxErrorRate: &rate, OnInsufficientData: rollout.InsufficientHold}, Deadline: time.Minute}
}

// TestWebhookReceivesEveryEventInOrder: a webhook on loopback receives
// each event of a rollout that rolls back, in order, with the documented
// payload (Slack's top-level text and the event's fields).
func TestWebhookReceivesEveryEventInOrder(t *testing.T) {
	t.Parallel()
	srv, received := webhookRecorder(t)
	clk := &fakeClock{now: t0}
	n := New(context.Background(), Options{WebhookURL: srv.URL})
	rollout.DriveObserved(context.Background(), policy(), &badAfter{clock: clk}, &traffic{}, nil, clk, rollout.Bind(n, "orders", "live", "1", "2"))
	if failures := n.Close(10 * time.Second); failures != nil {
		t.Fatalf("delivery failures: %v", failures)
	}
	v, th := 0.4, 0.05
	want := []Payload{
		{Text: "Rollout started on orders:live: version 1 -> 2, 10% on the new version: 10% of the traffic on the new version; schedule 10% for 2s, then 50% for 2s, then 100%",
			Event: "started", Function: "orders", Alias: "live", FromVersion: "1", ToVersion: "2", Step: 1, Steps: 2, WeightPercent: 10,
			Reason: "10% of the traffic on the new version; schedule 10% for 2s, then 50% for 2s, then 100%", At: "2026-11-26T13:00:00Z"},
		{Text: "Rollout on orders:live advanced to step 2 of 2: 50% on version 2: step 1 passed; 100 invocations, error rate 0.0%, no p99",
			Event: "step_advanced", Function: "orders", Alias: "live", FromVersion: "1", ToVersion: "2", Step: 2, Steps: 2, WeightPercent: 50,
			Reason: "step 1 passed; 100 invocations, error rate 0.0%, no p99", At: "2026-11-26T13:00:02Z"},
		{Text: "Rollout on orders:live ROLLED BACK at step 2 (50% on version 2): all traffic is back on version 1; gate error_rate measured 0.4, threshold 0.05: " +
			"error rate 40.0% (40 errors in 100 invocations) is above the maximum 5.0%",
			Event: "rolled_back", Function: "orders", Alias: "live", FromVersion: "1", ToVersion: "2", Step: 2, Steps: 2, WeightPercent: 50, Gate: "error_rate",
			Value: &v, Threshold: &th, Reason: "error rate 40.0% (40 errors in 100 invocations) is above the maximum 5.0%", At: "2026-11-26T13:00:03Z"},
	}
	if diff := cmp.Diff(want, received()); diff != "" {
		t.Errorf("webhook deliveries (-want +got):\n%s", diff)
	}
}

// webhookRecorder is a loopback webhook that keeps every JSON payload it
// receives, in order; received returns them.
func webhookRecorder(t *testing.T) (srv *httptest.Server, received func() []Payload) {
	t.Helper()
	var mu sync.Mutex
	var got []Payload
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("Content-Type %q", r.Header.Get("Content-Type"))
		}
		var p Payload
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &p); err != nil {
			t.Errorf("%v in %s", err, b)
		}
		mu.Lock()
		got = append(got, p)
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	return srv, func() []Payload {
		mu.Lock()
		defer mu.Unlock()
		return append([]Payload(nil), got...)
	}
}

// TestRetryWithBackoff: a webhook that fails twice with 503 gets the
// event on the third attempt, after the first two waits of the backoff;
// a 400 is final; failures are returned as warnings, not errors.
func TestRetryWithBackoff(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		codes       []int
		wantWaits   []time.Duration
		wantFailure bool
	}{
		"503 twice, then delivered": {codes: []int{503, 503, 200}, wantWaits: []time.Duration{time.Second, 2 * time.Second}},
		"400 is final":              {codes: []int{400}, wantFailure: true},
		"always 500":                {codes: []int{500, 500, 500, 500}, wantWaits: []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}, wantFailure: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			calls := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				mu.Lock()
				code := tc.codes[min(calls, len(tc.codes)-1)]
				calls++
				mu.Unlock()
				w.WriteHeader(code)
			}))
			defer srv.Close()
			var waits []time.Duration
			n := New(context.Background(), Options{WebhookURL: srv.URL, Sleep: func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }})
			n.Observe(context.Background(), rollout.Event{Kind: rollout.EventPromoted, Function: "orders", Alias: "live", From: "1", To: "2", At: t0})
			failures := n.Close(10 * time.Second)
			if diff := cmp.Diff(tc.wantWaits, waits); diff != "" {
				t.Errorf("backoff waits (-want +got):\n%s", diff)
			}
			if (len(failures) > 0) != tc.wantFailure {
				t.Errorf("failures = %v, want failure %v", failures, tc.wantFailure)
			}
			mu.Lock()
			defer mu.Unlock()
			if calls != len(tc.codes) {
				t.Errorf("%d attempts, want %d", calls, len(tc.codes))
			}
		})
	}
}

// TestStalledWebhookDoesNotSlowRollback measures, in wall time, from the
// read that detects a breach to the UpdateAlias that restores traffic,
// with no notifications and with a webhook that accepts connections and
// never answers. The rollback must not wait for the webhook.
func TestStalledWebhookDoesNotSlowRollback(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	stalled := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer stalled.Close()
	defer close(release)
	measure := func(obs rollout.Observer) time.Duration {
		clk := &fakeClock{now: t0}
		src, tr := &badAfter{clock: clk}, &traffic{}
		out := rollout.DriveObserved(context.Background(), policy(), src, tr, nil, clk, obs)
		if out.Status != rollout.StatusRolledBack || tr.restored.IsZero() || src.detected.IsZero() {
			t.Fatalf("the rollout did not roll back: %s %s", out.Status, out.Final.Reason)
		}
		return tr.restored.Sub(src.detected)
	}
	without := measure(nil)
	n := New(context.Background(), Options{WebhookURL: stalled.URL, AttemptTimeout: 30 * time.Second})
	with := measure(rollout.Bind(n, "orders", "live", "1", "2"))
	closeStart := time.Now()
	failures := n.Close(200 * time.Millisecond)
	t.Logf("detection-to-restore: %s without notifications, %s with a stalled webhook (Close gave up after %s with %d warnings)",
		without, with, time.Since(closeStart).Round(time.Millisecond), len(failures))
	// A rollback that waited for the webhook would wait its 30 s attempt
	// timeout; 1 s of margin absorbs a loaded machine's scheduling.
	if with > without+time.Second {
		t.Errorf("a stalled webhook slowed the rollback: %s with it, %s without", with, without)
	}
	if len(failures) == 0 {
		t.Error("undelivered notifications are not reported")
	}
}

// TestWebhookCarriesEveryKind: each of the eight kinds of event reaches a
// loopback webhook over HTTP, in the order told, with its kind in event,
// the function, alias and versions, and a text that names the alias.
func TestWebhookCarriesEveryKind(t *testing.T) {
	t.Parallel()
	srv, received := webhookRecorder(t)
	kinds := []rollout.EventKind{rollout.EventStarted, rollout.EventStepAdvanced, rollout.EventHeld, rollout.EventOverridden,
		rollout.EventDeadlineReached, rollout.EventRolledBack, rollout.EventPromoted, rollout.EventAborted}
	n := New(context.Background(), Options{WebhookURL: srv.URL})
	o := rollout.Bind(n, "orders", "live", "1", "2")
	steps := []rollout.Step{{WeightPercent: 10, Hold: 2 * time.Second}}
	for i, k := range kinds {
		o.Observe(context.Background(), rollout.Event{Kind: k, Step: 1, Steps: steps, WeightPercent: 10, Reason: "because " + string(k), At: t0.Add(time.Duration(i) * time.Second)})
	}
	if failures := n.Close(10 * time.Second); failures != nil {
		t.Fatalf("delivery failures: %v", failures)
	}
	got := received()
	if len(got) != len(kinds) {
		t.Fatalf("%d deliveries, want %d: %+v", len(got), len(kinds), got)
	}
	for i, k := range kinds {
		p := got[i]
		if p.Event != string(k) || p.Function != "orders" || p.Alias != "live" || p.FromVersion != "1" || p.ToVersion != "2" ||
			!strings.Contains(p.Text, "orders:live") || !strings.Contains(p.Reason, string(k)) {
			t.Errorf("delivery %d = %+v, want event %s of orders:live 1 -> 2 with a text naming it", i, p, k)
		}
	}
}
