package rollout

import (
	"context"
	"time"
)

// EventKind names what happened to a rollout.
type EventKind string

// The events a rollout emits, in the order they can happen.
const (
	EventStarted         EventKind = "started"          // the first step's weight is set
	EventStepAdvanced    EventKind = "step_advanced"    // a later step's weight is set
	EventHeld            EventKind = "held"             // the rollout waits for a reason other than the schedule (data, pause, unreadable health)
	EventOverridden      EventKind = "overridden"       // the operator's override decided (promote, pause, abort)
	EventDeadlineReached EventKind = "deadline_reached" // the deadline ended the rollout; rolled_back follows
	EventRolledBack      EventKind = "rolled_back"      // all traffic is back on the previous version: a gate failed
	EventPromoted        EventKind = "promoted"         // all traffic is on the new version
	EventAborted         EventKind = "aborted"          // all traffic is back on the previous version: asked for
)

// Event is one thing that happened to a rollout, with what an operator
// needs to act on it. Step is 1-based (0: before the first shift).
type Event struct {
	Kind           EventKind
	Function       string
	Alias          string
	From, To       string
	Step           int
	Steps          []Step // the schedule
	WeightPercent  float64
	Gate           string
	Value          *float64
	Threshold      *float64
	Reason         string
	At             time.Time
	Started        time.Time // when the first step's weight was set (zero before)
	StepStarted    time.Time // when the current step's weight was set
	Interval       time.Duration
	Deadline       time.Duration
	MaxErrorRate   *float64
	MaxP99MS       *float64
	MinInvocations int
	// A group's release (rollout_alias_group): its name, its changed
	// members, and the member whose gates decided (empty when every
	// member passed, or for one alias).
	Group   string
	Members []EventMember
	Member  string
}

// EventMember is one changed member of a group's release.
type EventMember struct {
	Key, Function, Alias, From, To string
}

// Observer is told about every event of a rollout, in order. Observe is
// called on the rollout's path after traffic has moved, so it must not
// block: an observer that delivers anywhere queues the event and returns.
type Observer interface {
	Observe(ctx context.Context, e Event)
}

// Observers tells each of its members, in order.
type Observers []Observer

// Observe tells every member.
func (os Observers) Observe(ctx context.Context, e Event) {
	for _, o := range os {
		if o != nil {
			o.Observe(ctx, e)
		}
	}
}

// EventFrom fills an event from a decision of policy p (the function,
// alias and versions are the caller's).
func EventFrom(kind EventKind, p Policy, pr Progress, d Decision) Event {
	e := Event{Kind: kind, Step: d.Step + 1, Steps: p.Steps, WeightPercent: d.Weight, Gate: d.Gate, Reason: d.Reason, At: d.At,
		Started: pr.Started, StepStarted: pr.StepStarted, Interval: p.Interval, Deadline: p.Deadline,
		MaxErrorRate: p.Health.MaxErrorRate, MaxP99MS: p.Health.MaxP99DurationMS, MinInvocations: p.Health.MinInvocations, Member: d.Member}
	if d.Value != 0 || d.Threshold != 0 {
		v, th := d.Value, d.Threshold
		e.Value, e.Threshold = &v, &th
	}
	return e
}

// boundObserver adds the rollout's identity to every event.
type boundObserver struct {
	o                     Observer
	function, alias, from string
	to                    string
}

func (b boundObserver) Observe(ctx context.Context, e Event) {
	e.Function, e.Alias, e.From, e.To = b.function, b.alias, b.from, b.to
	b.o.Observe(ctx, e)
}

// Bind returns an observer that stamps each event with the rollout's
// function, alias and versions before passing it to o; nil stays nil.
func Bind(o Observer, function, alias, from, to string) Observer {
	if o == nil {
		return nil
	}
	return boundObserver{o: o, function: function, alias: alias, from: from, to: to}
}

// groupObserver adds the group's identity to every event.
type groupObserver struct {
	o       Observer
	group   string
	members []EventMember
}

func (g groupObserver) Observe(ctx context.Context, e Event) {
	e.Group, e.Members = g.group, g.members
	g.o.Observe(ctx, e)
}

// BindGroup returns an observer that stamps each event with the group's
// name and changed members before passing it to o; nil stays nil.
func BindGroup(o Observer, group string, members []EventMember) Observer {
	if o == nil {
		return nil
	}
	return groupObserver{o: o, group: group, members: members}
}
