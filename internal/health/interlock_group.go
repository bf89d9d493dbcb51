package health

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// The data interlock of a group (rollout_alias_group): each member has
// its own Interlock and its own moments. At a moment, the mappings of
// every member that pauses then are paused together (in parallel) and
// the group's traffic moves only once all of them are Disabled; then
// they are resumed together.

// locker is what InterlockedTraffic pauses around a move: one alias's
// Interlock or the members of a group that pause at a moment.
type locker interface {
	Pause(ctx context.Context) error
	Resume(ctx context.Context) error
	Paused() []string
	now() time.Time
}

var (
	_ locker = (*Interlock)(nil)
	_ locker = memberLocks(nil)
)

// MemberLock is one group member's interlock and the moments it pauses at.
type MemberLock struct {
	Member string
	Lock   *Interlock
	On     []string
}

// GroupInterlock is the interlocks of a group's members.
type GroupInterlock struct {
	Members []MemberLock
}

// Paused lists, as "<member>/<uuid>", the mappings the members'
// interlocks paused and have not seen Enabled since; none for a nil group.
func (g *GroupInterlock) Paused() []string {
	if g == nil {
		return nil
	}
	return memberLocks(g.Members).Paused()
}

// Resume resumes every member's paused mappings at once.
func (g *GroupInterlock) Resume(ctx context.Context) error {
	return memberLocks(g.Members).Resume(ctx)
}

// at is the members that pause at moment; nil when none does.
func (g *GroupInterlock) at(moment string) locker {
	var out memberLocks
	for _, m := range g.Members {
		if m.Lock != nil && slices.Contains(m.On, moment) {
			out = append(out, m)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

type memberLocks []MemberLock

// Pause pauses every member's mappings at once and returns when all are
// Disabled (or failed); the error names each member that failed.
func (ms memberLocks) Pause(ctx context.Context) error {
	return ms.each(func(l *Interlock) error { return l.Pause(ctx) })
}

// Resume resumes every member's paused mappings at once.
func (ms memberLocks) Resume(ctx context.Context) error {
	return ms.each(func(l *Interlock) error { return l.Resume(ctx) })
}

func (ms memberLocks) Paused() []string {
	var out []string
	for _, m := range ms {
		for _, u := range m.Lock.Paused() {
			out = append(out, m.Member+"/"+u)
		}
	}
	return out
}

func (ms memberLocks) now() time.Time { return ms[0].Lock.now() }

func (ms memberLocks) each(f func(l *Interlock) error) error {
	errs := make([]error, len(ms))
	var wg sync.WaitGroup
	for i, m := range ms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(m.Lock); err != nil {
				errs[i] = fmt.Errorf("member %s: %w", m.Member, err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// SplitPaused splits a "<member>/<uuid>" entry of Paused.
func SplitPaused(entry string) (member, uuid string, ok bool) {
	return strings.Cut(entry, "/")
}
