package rollout

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// A group is several aliases (of different functions) released together:
// the members whose version changes go through one schedule in lockstep,
// each member's gates are read on its own new version, and a breach in any
// member rolls every member back. DriveGroup runs the same loop as Drive
// (drive) over groupMembers, which is at once the gates, the traffic and
// the hooks of the group.

// Member is one changed alias of a group.
type Member struct {
	Name    string // the member's key, named in decisions and errors
	Sources Sources
	Traffic Traffic
	Hooks   Hooks
}

// MemberError is what one member's failed move (or read) returned.
type MemberError struct {
	Member string
	Err    error
}

func (e *MemberError) Error() string { return fmt.Sprintf("member %s: %v", e.Member, e.Err) }

func (e *MemberError) Unwrap() error { return e.Err }

// DriveGroup runs a whole rollout of members, blocking, as Drive does for
// one alias: every move is one write per member issued in parallel, and a
// failed write of any member, a breach in any member, or a cancelled ctx
// rolls every member back (each member's rollback is attempted whatever
// the others answer).
func DriveGroup(ctx context.Context, p Policy, members []Member, clk Clock) Outcome {
	return DriveGroupObserved(ctx, p, members, clk, nil)
}

// DriveGroupObserved is DriveGroup telling obs (may be nil) about every
// event, after the traffic it reports has moved.
func DriveGroupObserved(ctx context.Context, p Policy, members []Member, clk Clock, obs Observer) Outcome {
	return DriveGroupThrough(ctx, p, members, clk, obs, nil)
}

// DriveGroupThrough is DriveGroupObserved moving the group's traffic
// through wrap (nil: directly): the group's data interlock pauses the
// members' event sources around the group's moves.
func DriveGroupThrough(ctx context.Context, p Policy, members []Member, clk Clock, obs Observer, wrap func(Traffic) Traffic) Outcome {
	g := groupMembers(members)
	var tr Traffic = g
	if wrap != nil {
		tr = wrap(g)
	}
	return drive(ctx, p, g, tr, g, clk, obs)
}

type groupMembers []Member

var (
	_ gates   = groupMembers(nil)
	_ Traffic = groupMembers(nil)
	_ Hooks   = groupMembers(nil)
)

// each runs f for every member at once and joins the errors, each naming
// its member, in member order.
func (g groupMembers) each(f func(m Member) error) error {
	errs := make([]error, len(g))
	var wg sync.WaitGroup
	for i, m := range g {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(m); err != nil {
				errs[i] = &MemberError{Member: m.Name, Err: err}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// SetCanary sends w percent of every member's traffic to its new version.
func (g groupMembers) SetCanary(ctx context.Context, w float64) error {
	return g.each(func(m Member) error { return m.Traffic.SetCanary(ctx, w) })
}

// RollBack sends all of every member's traffic back to its old version.
func (g groupMembers) RollBack(ctx context.Context) error {
	return g.each(func(m Member) error { return m.Traffic.RollBack(ctx) })
}

// Promote sends all of every member's traffic to its new version.
func (g groupMembers) Promote(ctx context.Context) error {
	return g.each(func(m Member) error { return m.Traffic.Promote(ctx) })
}

// Run runs a hook once per member (its payload names the member's
// function and alias); any failure fails the hook.
func (g groupMembers) Run(ctx context.Context, hook, phase string) error {
	return g.each(func(m Member) error {
		if m.Hooks == nil {
			return errors.New("no hook runner")
		}
		return m.Hooks.Run(ctx, hook, phase)
	})
}

// start checks the policy's alarms once (they are the group's, not a
// member's) before any traffic moves.
func (g groupMembers) start(ctx context.Context, p Policy, now time.Time) (Progress, *Decision, error) {
	if len(g) == 0 {
		return Progress{Step: 0, StepStarted: now, Ignored: map[string]bool{}}, nil, nil
	}
	return Start(ctx, p, g[0].Sources, now)
}

// evaluate reads every member's gates at now, in parallel, and combines
// the decisions: the strictest wins.
func (g groupMembers) evaluate(ctx context.Context, p Policy, pr Progress, now time.Time) (Decision, error) {
	ds := make([]Decision, len(g))
	errs := make([]error, len(g))
	var wg sync.WaitGroup
	for i, m := range g {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ds[i], errs[i] = Evaluate(ctx, p, m.Sources, pr, now)
		}()
	}
	wg.Wait()
	return combine(g, ds, errs)
}

// strictness orders decisions: the lowest wins. An unreadable member
// (an error) ranks after a roll back, so a member that breached rolls the
// group back even while another member's health cannot be read.
var strictness = map[Action]int{Abort: 0, RollBack: 1, Pause: 3, Hold: 4, Advance: 5, Promote: 6}

const unreadableRank = 2

// combine is the group's decision from its members'. Every member must
// pass for the group to advance or promote; the decision of a member that
// holds, pauses, rolls back or aborts the group names it.
func combine(g groupMembers, ds []Decision, errs []error) (Decision, error) {
	best, rank := -1, len(strictness)+1
	for i := range g {
		r := strictness[ds[i].Action]
		if errs[i] != nil {
			r = unreadableRank
		}
		if r < rank {
			best, rank = i, r
		}
	}
	if best < 0 {
		return Decision{}, errors.New("a group without members")
	}
	d := ds[best]
	if errs[best] != nil {
		return d, &MemberError{Member: g[best].Name, Err: errs[best]}
	}
	if d.Action == Advance || d.Action == Promote {
		var parts []string
		for i, m := range g {
			parts = append(parts, fmt.Sprintf("%s: %s", m.Name, healthy(ds[i].Sample)))
		}
		head, _, _ := strings.Cut(d.Reason, ";")
		d.Reason = head + "; " + strings.Join(parts, "; ")
		return d, nil
	}
	if strings.HasPrefix(d.Gate, "alarm:") {
		return d, nil // the policy's alarms are the group's, not one member's
	}
	d.Member = g[best].Name
	d.Reason = fmt.Sprintf("member %s: %s", d.Member, d.Reason)
	return d, nil
}

// EvaluateGroup decides, at now, the next move of a plan-driven group
// (canary_policy.wait = false): every member's gates are read once, in
// parallel, and combined as DriveGroup combines them (the strictest
// wins; an advance or a promotion needs every member). Past the policy's
// deadline, what would keep the group waiting ends it with a roll back,
// as Evaluate does for one alias. It never changes traffic itself; an
// error names the member whose health could not be read.
func EvaluateGroup(ctx context.Context, p Policy, members []Member, pr Progress, now time.Time) (Decision, error) {
	return groupMembers(members).evaluate(ctx, p, pr, now)
}

// MoveGroup makes one planned transition of a plan-driven group: d.Action
// advance (from d.Step to the next step; d.Step -1 starts the rollout),
// promote, or roll back / abort. Every member is written once, in
// parallel, whatever the others answer; the error joins one MemberError
// per failed member. Hold and pause move nothing.
func MoveGroup(ctx context.Context, p Policy, members []Member, d Decision) error {
	g := groupMembers(members)
	switch d.Action {
	case Advance:
		next := d.Step + 1
		if next < 0 || next >= len(p.Steps) {
			return fmt.Errorf("no step %d in a schedule of %d steps", next+1, len(p.Steps))
		}
		return g.SetCanary(ctx, p.Steps[next].WeightPercent)
	case Promote:
		return g.Promote(ctx)
	case RollBack, Abort:
		return g.RollBack(ctx)
	}
	return nil
}

// StartGroup checks, before a plan-driven group's first shift, what
// DriveGroup checks: the policy's alarms (the group's, read once).
func StartGroup(ctx context.Context, p Policy, members []Member, now time.Time) (Progress, *Decision, error) {
	return groupMembers(members).start(ctx, p, now)
}

// GroupHooks runs a hook once per member, as DriveGroup does.
func GroupHooks(members []Member) Hooks { return groupMembers(members) }
