package health

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/rollout-tf/terraform-provider-rollout/internal/rollout"
)

// The data interlock: the event source mappings that feed an alias are
// paused (Enabled = false, then Disabled: the poller stopped and its
// in-flight batch finished) before the traffic moves at the moments the
// user chose, and resumed after. Every wait is bounded by DrainTimeout and
// ends with ctx.

var _ rollout.Traffic = (*InterlockedTraffic)(nil)

// MappingAPI is the part of the Lambda API the interlock uses;
// *lambda.Client satisfies it.
type MappingAPI interface {
	GetEventSourceMapping(ctx context.Context, in *lambda.GetEventSourceMappingInput, opts ...func(*lambda.Options)) (*lambda.GetEventSourceMappingOutput, error)
	UpdateEventSourceMapping(ctx context.Context, in *lambda.UpdateEventSourceMappingInput, opts ...func(*lambda.Options)) (*lambda.UpdateEventSourceMappingOutput, error)
	ListEventSourceMappings(ctx context.Context, in *lambda.ListEventSourceMappingsInput, opts ...func(*lambda.Options)) (*lambda.ListEventSourceMappingsOutput, error)
}

// Moments at which the interlock can pause the mappings.
const (
	MomentStart     = "start"     // the first shift of traffic to the new version
	MomentPromotion = "promotion" // all traffic to the new version
	MomentRollback  = "rollback"  // all traffic back to the old version
)

// Mapping states, as Lambda reports them.
const (
	StateEnabled   = "Enabled"
	StateDisabled  = "Disabled"
	StateEnabling  = "Enabling"
	StateDisabling = "Disabling"
	StateCreating  = "Creating"
	StateUpdating  = "Updating"
)

// interlockPoll is how often a wait reads the mappings' state.
const interlockPoll = time.Second

// Interlock pauses and resumes the event source mappings that feed an
// alias: UUIDs, or (empty) every mapping whose function is AliasARN.
type Interlock struct {
	API          MappingAPI
	AliasARN     string
	UUIDs        []string
	DrainTimeout time.Duration
	Clock        rollout.Clock
	// Record, when set, is told which mappings this interlock holds paused
	// before it disables one (so that a process killed in the middle
	// leaves a record outside itself), and again, with those still held
	// (none: an empty list), once Resume has enabled them. A failure
	// before a pause stops it before any mapping is touched; after a
	// resume it is only logged: the mappings are enabled, and a stale
	// record makes the next apply enable enabled mappings, which changes
	// nothing.
	Record func(ctx context.Context, paused []string) error

	mu     sync.Mutex
	paused []string // disabled by this interlock and not yet seen Enabled again
}

// Mappings returns the mappings the interlock acts on: the named ones, or
// those Lambda lists for the alias.
func (l *Interlock) Mappings(ctx context.Context) ([]lambdatypes.EventSourceMappingConfiguration, error) {
	if len(l.UUIDs) > 0 {
		out := make([]lambdatypes.EventSourceMappingConfiguration, 0, len(l.UUIDs))
		for _, u := range l.UUIDs {
			m, err := l.API.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(u)})
			if err != nil {
				return nil, fmt.Errorf("reading event source mapping %s: %w", u, err)
			}
			out = append(out, lambdatypes.EventSourceMappingConfiguration{UUID: m.UUID, State: m.State, EventSourceArn: m.EventSourceArn, FunctionArn: m.FunctionArn})
		}
		return out, nil
	}
	var out []lambdatypes.EventSourceMappingConfiguration
	in := &lambda.ListEventSourceMappingsInput{FunctionName: aws.String(l.AliasARN)}
	for {
		page, err := l.API.ListEventSourceMappings(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("listing the event source mappings of %s: %w", l.AliasARN, err)
		}
		out = append(out, page.EventSourceMappings...)
		if aws.ToString(page.NextMarker) == "" {
			return out, nil
		}
		in.Marker = page.NextMarker
	}
}

// Pause disables every mapping that is enabled (or becoming so) and
// waits until each reports Disabled. A mapping that was already disabled
// is left alone and will not be resumed. On an error the mappings it
// disabled stay listed in Paused.
func (l *Interlock) Pause(ctx context.Context) error {
	ms, err := l.Mappings(ctx)
	if err != nil {
		return err
	}
	deadline := l.Clock.Now().Add(l.DrainTimeout)
	var wait []string
	for _, m := range ms {
		u, state := aws.ToString(m.UUID), aws.ToString(m.State)
		if state == StateDisabled || (state == StateDisabling && !l.isPaused(u)) {
			continue
		}
		wait = append(wait, u)
	}
	if l.Record != nil && len(wait) > 0 {
		held := l.Paused()
		for _, u := range wait {
			if !slices.Contains(held, u) {
				held = append(held, u)
			}
		}
		if err := l.Record(ctx, held); err != nil {
			return fmt.Errorf("recording the pause of %s before it (so that a killed apply leaves a trace): %w", strings.Join(wait, ", "), err)
		}
	}
	for _, u := range wait {
		if err := l.set(ctx, u, false, deadline); err != nil {
			return err
		}
	}
	return l.waitAll(ctx, wait, StateDisabled, deadline)
}

// Resume enables every mapping this interlock paused and waits until each
// reports Enabled. A mapping still Disabling is waited for first.
func (l *Interlock) Resume(ctx context.Context) error {
	paused := l.Paused()
	deadline := l.Clock.Now().Add(l.DrainTimeout)
	var errs []error
	var wait []string
	for _, u := range paused {
		if err := l.set(ctx, u, true, deadline); err != nil {
			errs = append(errs, err)
			continue
		}
		wait = append(wait, u)
	}
	if err := l.waitAll(ctx, wait, StateEnabled, deadline); err != nil {
		errs = append(errs, err)
	}
	if l.Record != nil && len(paused) > 0 {
		if err := l.Record(ctx, l.Paused()); err != nil {
			tflog.Warn(ctx, "updating the record of paused event source mappings failed", map[string]any{"error": err.Error()})
		}
	}
	return errors.Join(errs...)
}

// Paused lists the mappings this interlock disabled and has not seen
// Enabled since.
func (l *Interlock) Paused() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.paused)
}

// Adopt marks mappings as paused by this interlock (a state that records
// mappings an interrupted apply left paused), so that Resume enables them.
func (l *Interlock) Adopt(uuids []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, u := range uuids {
		if !slices.Contains(l.paused, u) {
			l.paused = append(l.paused, u)
		}
	}
}

func (l *Interlock) now() time.Time { return l.Clock.Now() }

func (l *Interlock) isPaused(u string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Contains(l.paused, u)
}

// set writes Enabled, retrying while Lambda says the mapping is in a
// transition (ResourceInUseException), until deadline.
func (l *Interlock) set(ctx context.Context, u string, enabled bool, deadline time.Time) error {
	for {
		_, err := l.API.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: aws.String(u), Enabled: aws.Bool(enabled)})
		var inUse *lambdatypes.ResourceInUseException
		switch {
		case err == nil:
			l.mu.Lock()
			if !enabled && !slices.Contains(l.paused, u) {
				l.paused = append(l.paused, u)
			}
			l.mu.Unlock()
			tflog.Info(ctx, "event source mapping updated", map[string]any{"tf_rollout.mapping": u, "tf_rollout.enabled": enabled})
			return nil
		case !errors.As(err, &inUse):
			return fmt.Errorf("setting event source mapping %s to Enabled = %t: %w", u, enabled, err)
		case !l.Clock.Now().Before(deadline):
			return fmt.Errorf("event source mapping %s stayed in a transition past drain_timeout (%s): %w", u, l.DrainTimeout, err)
		}
		if err := l.Clock.Sleep(ctx, interlockPoll); err != nil {
			return err
		}
	}
}

// waitAll polls until every mapping in us reports want, ctx ends or the
// deadline passes.
func (l *Interlock) waitAll(ctx context.Context, us []string, want string, deadline time.Time) error {
	pending := slices.Clone(us)
	for {
		var still []string
		states := map[string]string{}
		for _, u := range pending {
			m, err := l.API.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(u)})
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return fmt.Errorf("reading event source mapping %s: %w", u, err)
			}
			s := aws.ToString(m.State)
			if s == want {
				if want == StateEnabled {
					l.mu.Lock()
					l.paused = slices.DeleteFunc(l.paused, func(p string) bool { return p == u })
					l.mu.Unlock()
				}
				continue
			}
			still, states[u] = append(still, u), s
		}
		if len(still) == 0 {
			return nil
		}
		pending = still
		if !l.Clock.Now().Before(deadline) {
			var parts []string
			for _, u := range still {
				parts = append(parts, fmt.Sprintf("%s is %s", u, states[u]))
			}
			return fmt.Errorf("event source mappings did not report %s within drain_timeout (%s): %s", want, l.DrainTimeout, strings.Join(parts, ", "))
		}
		if err := l.Clock.Sleep(ctx, min(interlockPoll, deadline.Sub(l.Clock.Now()))); err != nil {
			return err
		}
	}
}

// InterlockedTraffic moves traffic through Traffic, pausing the mappings
// around the moves at the moments in On: the first SetCanary (start),
// Promote (promotion) and RollBack (rollback). Started says the first
// shift already happened (a plan-driven rollout's later steps).
type InterlockedTraffic struct {
	rollout.Traffic
	Lock *Interlock
	On   []string
	// Group, when set instead of Lock and On, pauses at each moment the
	// mappings of every member whose own pause_on lists it.
	Group   *GroupInterlock
	Started bool
	// Warn, when set, is told what went wrong around a move that still
	// happened (a resume that failed, a rollback whose pause failed).
	Warn func(msg string)

	windows []PauseWindow
}

// PauseWindow is one pause: from the decision to pause until the mappings
// reported Enabled again (Resumed zero when they did not).
type PauseWindow struct {
	Moment          string
	Paused, Resumed time.Time
}

// Windows are the pauses so far, in order.
func (t *InterlockedTraffic) Windows() []PauseWindow { return slices.Clone(t.windows) }

// SetCanary shifts the canary's weight; the first shift is the start.
func (t *InterlockedTraffic) SetCanary(ctx context.Context, w float64) error {
	first := !t.Started
	t.Started = true
	if !first {
		return t.Traffic.SetCanary(ctx, w)
	}
	return t.around(ctx, MomentStart, func(ctx context.Context) error { return t.Traffic.SetCanary(ctx, w) })
}

// Promote sends all traffic to the new version.
func (t *InterlockedTraffic) Promote(ctx context.Context) error {
	return t.around(ctx, MomentPromotion, t.Traffic.Promote)
}

// RollBack pauses the mappings first, so that no batch reaches the
// rejected version after the decision, then moves all traffic back. A
// pause that fails does not hold the rollback back: traffic leaves the
// rejected version anyway, and Warn is told. A move that fails leaves the
// mappings paused (Paused lists them): the traffic has not left the
// rejected version, so their messages wait in the queue.
func (t *InterlockedTraffic) RollBack(ctx context.Context) error {
	return t.around(ctx, MomentRollback, t.Traffic.RollBack)
}

// locker is what a moment pauses: nil when nothing.
func (t *InterlockedTraffic) locker(moment string) locker {
	switch {
	case t.Group != nil:
		return t.Group.at(moment)
	case t.Lock == nil || !slices.Contains(t.On, moment):
		return nil
	}
	return t.Lock
}

func (t *InterlockedTraffic) around(ctx context.Context, moment string, move func(context.Context) error) error {
	lock := t.locker(moment)
	if lock == nil {
		return move(ctx)
	}
	w := PauseWindow{Moment: moment, Paused: lock.now()}
	perr := lock.Pause(ctx)
	if perr != nil && moment != MomentRollback {
		// Nothing moved: resume what was paused, on a context that
		// outlives an interrupt (still bounded by drain_timeout).
		if rerr := lock.Resume(context.WithoutCancel(ctx)); rerr != nil {
			t.warn(fmt.Sprintf("resuming the event source mappings after a failed pause: %v", rerr))
		}
		t.windows = append(t.windows, closed(lock, w))
		return fmt.Errorf("pausing the event source mappings before the %s: %w", moment, perr)
	}
	if perr != nil {
		t.warn(fmt.Sprintf("the event source mappings could not be paused before the rollback (%v); the traffic was moved back anyway", perr))
	}
	merr := move(ctx)
	if merr != nil && moment == MomentRollback {
		// The traffic still reaches the rejected version: resuming would
		// feed it batches. The messages wait in the queue instead; the
		// next attempt at the rollback resumes them once the traffic
		// moved (Adopt), and the state lists them meanwhile.
		if held := lock.Paused(); len(held) > 0 {
			t.warn(fmt.Sprintf("the event source mappings %s stay paused: the rollback did not move the traffic (%v), and resuming them would send batches to the rejected version; "+
				"the next apply moves the traffic back first and then resumes them", strings.Join(held, ", "), merr))
		}
		t.windows = append(t.windows, closed(lock, w))
		return merr
	}
	if rerr := lock.Resume(context.WithoutCancel(ctx)); rerr != nil {
		t.warn(fmt.Sprintf("resuming the event source mappings after the %s: %v", moment, rerr))
	}
	t.windows = append(t.windows, closed(lock, w))
	return merr
}

func closed(lock locker, w PauseWindow) PauseWindow {
	if len(lock.Paused()) == 0 {
		w.Resumed = lock.now()
	}
	return w
}

func (t *InterlockedTraffic) warn(msg string) {
	if t.Warn != nil {
		t.Warn(msg)
	}
}
