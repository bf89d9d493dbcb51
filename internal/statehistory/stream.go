package statehistory

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Reading a history without holding it.
//
// Revisions builds every revision's summary and keeps them all (history,
// diff, report and status read them so). Pick needs far less: the
// reference and the revisions back to the one it chooses (each is either
// rejected, and printed with its reasons, or chosen). PickFrom reads the
// revisions newest first, a batch at a time, holds only those, and lets
// every other summary go as soon as it is read: what the rest of the
// history adds (the flags of the revisions held, the code hash of an AWS
// provider alias's version, the highest serial of the lineage) is folded
// into a few values as the walk passes. A folder or a state file with its
// backups is ordered by time first, so what PickFrom holds per revision
// there is the listing entry (a name and a time); S3 lists newest first,
// so there it holds no more of the listing than a page (s3stream.go).

// listing is a source's revisions before they are read: n entries, oldest
// first by the time the source stores for each (at), and how to read one.
type listing struct {
	n        int
	at       func(i int) time.Time
	read     func(ctx context.Context, i int) Revision
	par      int
	progress func(done, total int)
}

// lister is a Source that can list its revisions before reading them.
type lister interface {
	list(ctx context.Context) (*listing, error)
}

// revisions reads every revision (par at a time) and orders them.
func (l *listing) revisions(ctx context.Context) ([]Revision, error) {
	revs, err := fetchAll(ctx, l.n, l.par, l.progress, l.read)
	if err != nil {
		return nil, err
	}
	return order(revs), nil
}

// walkBatch is how many revisions the walk reads ahead, per reader.
const walkBatch = 4

// testHookWalked, when set (by tests), is called after each revision the
// walk hands on, with how many it has handed on.
var testHookWalked func(done int)

// walk hands fn each revision in the order Revisions gives (by time, then
// serial), oldest first or newest first, reading a batch at a time (par
// readers) and dropping each revision once fn has it; an error from fn
// stops it. Revisions of one time are read in one batch, so that they are
// ordered by serial as Revisions orders them.
func (l *listing) walk(ctx context.Context, newestFirst bool, fn func(Revision) error) error {
	par := l.par
	if par <= 0 {
		par = defaultParallel
	}
	for done := 0; done < l.n; {
		lo, hi := done, min(l.n, done+par*walkBatch)
		for hi < l.n && l.at(hi).Equal(l.at(hi-1)) {
			hi++
		}
		if newestFirst {
			lo, hi = max(0, l.n-done-par*walkBatch), l.n-done
			for lo > 0 && l.at(lo-1).Equal(l.at(lo)) {
				lo--
			}
		}
		batch, err := fetchAll(ctx, hi-lo, par, nil, func(ctx context.Context, k int) Revision { return l.read(ctx, lo+k) })
		if err != nil {
			return err
		}
		if err := handOn(batch, newestFirst, &done, func(done int) {
			if l.progress != nil {
				l.progress(done, l.n)
			}
		}, fn); err != nil {
			return err
		}
	}
	return nil
}

// handOn orders a batch as Revisions orders revisions (by time, then
// serial) and hands fn each of them, newest first when asked, dropping
// each once fn has it; done counts the revisions handed on, told to
// progress and to the test hook.
func handOn(batch []Revision, newestFirst bool, done *int, progress func(done int), fn func(Revision) error) error {
	sortRevisions(batch)
	for k := range batch {
		if newestFirst {
			k = len(batch) - 1 - k
		}
		if err := fn(batch[k]); err != nil {
			return err
		}
		batch[k] = Revision{}
		*done++
		progress(*done)
		if testHookWalked != nil {
			testHookWalked(*done)
		}
	}
	return nil
}

// PickFrom is PickKnownGood (group empty) or PickGroup (group named) over
// src's revisions, with the highest serial of the reference's lineage
// (what WriteStateAt needs). S3 is read newest first as it is listed; a
// source that lists its revisions before reading them (a state file with
// its backups, a folder) is read newest first from its sorted listing;
// either way only the reference and the revisions back to the one chosen
// are held. Another source is read whole (Revisions).
func PickFrom(ctx context.Context, src Source, before, group string) (Pick, uint64, error) {
	w := newPickWalk(before, group)
	listed, err := walkNewestFirst(ctx, src, func() { w = newPickWalk(before, group) }, func(r Revision) error { return w.add(r) })
	if listed {
		if err != nil {
			return Pick{}, 0, err
		}
		return w.pick()
	}
	revs, err := src.Revisions(ctx)
	if err != nil {
		return Pick{}, 0, err
	}
	p, err := pickIn(revs, before, group)
	if err != nil {
		return Pick{}, 0, err
	}
	return p, topSerial(revs, p.Reference), nil
}

// walkNewestFirst hands fn src's revisions newest first, holding none of
// them: S3's as its listing comes (reset, then the sorted listing, when
// that listing turns out not to be newest first), a file with its backups
// or a folder from its sorted listing. fn may stop the walk with an error
// (errFound: what it looked for is found). It reports false, having read
// nothing, for a source that does not list its revisions (TFE, GCS,
// stdin): the caller reads that one whole.
func walkNewestFirst(ctx context.Context, src Source, reset func(), fn func(Revision) error) (bool, error) {
	if nw, ok := src.(newestWalker); ok {
		err := nw.walkNewest(ctx, fn)
		if !errors.Is(err, errNotNewestFirst) {
			return true, err
		}
		reset() // not S3's order: the sorted listing instead
	}
	ls, ok := src.(lister)
	if !ok {
		return false, nil
	}
	l, err := ls.list(ctx)
	if err != nil {
		return true, err
	}
	return true, l.walk(ctx, true, fn)
}

// pick is the pick over the revisions the walk held, and the highest
// serial of the reference's lineage.
func (w *pickWalk) pick() (Pick, uint64, error) {
	if w.held.len() == 0 {
		if w.before == "" {
			return Pick{}, 0, fmt.Errorf("no revisions")
		}
		return Pick{}, 0, fmt.Errorf("no revision %q", w.before)
	}
	revs := w.finish()
	p, err := pickIn(revs, "", w.group)
	if err != nil {
		return Pick{}, 0, err
	}
	return p, max(w.serials[p.Reference.Lineage], p.Reference.Serial), nil
}

func pickIn(revs []Revision, before, group string) (Pick, error) {
	if group != "" {
		return PickGroup(revs, before, group)
	}
	return PickKnownGood(revs, before)
}

// topSerial is the highest serial of ref's lineage in revs.
func topSerial(revs []Revision, ref Revision) uint64 {
	top := ref.Serial
	for _, r := range revs {
		if r.Lineage == ref.Lineage && r.Serial > top {
			top = r.Serial
		}
	}
	return top
}

// backward is a slice built from its end: prepending is amortised O(1),
// and s[start:] is the revisions oldest first.
type backward struct {
	s     []Revision
	start int
}

func (b *backward) len() int { return len(b.s) - b.start }

func (b *backward) prepend(r Revision) {
	if b.start == 0 {
		n := max(8, 2*len(b.s))
		grown := make([]Revision, n)
		copy(grown[n-len(b.s):], b.s)
		b.start, b.s = n-len(b.s), grown
	}
	b.start--
	b.s[b.start] = r
}

func (b *backward) revs() []Revision { return b.s[b.start:] }

// pickWalk is PickFrom's state: the revisions held (the reference and,
// oldest first before it, those the pick has looked at), whether the
// pick has chosen (then nothing more is held), and what the rest of the
// history adds to the revisions held.
type pickWalk struct {
	before, group string
	held          backward
	decided       bool

	// serials is the highest serial of each lineage; codes the newest
	// source_code_hash recorded for each function version (the first
	// met, walking newest first).
	serials map[string]uint64
	codes   Codes
	// The flags order sets, for the revisions held: lineage breaks (the
	// next older readable revision's lineage differs) and duplicate
	// serials (the next older revision of the same lineage and serial
	// has other content). waitLineage is the held revision (by its
	// distance from the newest end) waiting for the next older readable
	// one; waitSerial those waiting for the next older one of their key.
	lineageFlag map[int]string
	serialFlag  map[int]string
	waitLineage int
	waitSerial  map[string][]int
}

func newPickWalk(before, group string) *pickWalk {
	return &pickWalk{before: before, group: group, serials: map[string]uint64{}, codes: Codes{},
		lineageFlag: map[int]string{}, serialFlag: map[int]string{}, waitLineage: -1, waitSerial: map[string][]int{}}
}

// add takes the next older revision.
func (w *pickWalk) add(r Revision) error {
	for _, f := range r.Functions {
		if k := f.Function + "\x00" + f.Version; f.Code != "" && w.codes[k] == "" {
			w.codes[k] = f.Code
		}
	}
	if r.Readable() {
		w.serials[r.Lineage] = max(w.serials[r.Lineage], r.Serial)
		w.flagOlder(r)
	}
	switch {
	case w.decided:
		return nil
	case w.held.len() == 0:
		if ref, err := w.reference(r); !ref || err != nil {
			return err
		}
	}
	w.held.prepend(r)
	id := w.held.len() - 1 // distance from the newest end: stable while prepending
	if r.Readable() {
		w.waitLineage = id
		k := serialKey(r)
		w.waitSerial[k] = append(w.waitSerial[k], id)
	}
	if w.held.len() > 1 {
		w.decided = w.choosable()
	} else if w.group != "" {
		if _, ok := r.Group(w.group); !ok {
			w.decided = true // PickGroup says the group is unknown
		}
	}
	return nil
}

// reference reports whether r is the reference (the newest revision
// matching before, or the newest), refusing an unreadable one.
func (w *pickWalk) reference(r Revision) (bool, error) {
	if w.before != "" && r.ID != w.before && !strings.HasPrefix(r.ID, w.before) && r.Hash != w.before {
		return false, nil
	}
	if !r.Readable() {
		return false, fmt.Errorf("the reference revision %s is unreadable: %s", r.ID, r.Error)
	}
	return true, nil
}

// flagOlder settles, with the readable revision r older than every held
// one, the lineage and serial flags of the held revisions waiting for it.
func (w *pickWalk) flagOlder(r Revision) {
	if w.waitLineage >= 0 {
		if h := w.heldAt(w.waitLineage); h.Lineage != r.Lineage {
			w.lineageFlag[w.waitLineage] = "lineage break: " + short(r.Lineage) + " -> " + short(h.Lineage)
		}
		w.waitLineage = -1
	}
	k := serialKey(r)
	for _, id := range w.waitSerial[k] {
		if h := w.heldAt(id); h.Hash != r.Hash {
			w.serialFlag[id] = fmt.Sprintf("duplicate serial %d with different content", h.Serial)
		}
	}
	delete(w.waitSerial, k)
}

func serialKey(r Revision) string { return fmt.Sprintf("%s/%d", r.Lineage, r.Serial) }

// heldAt is the held revision at distance id from the newest end.
func (w *pickWalk) heldAt(id int) Revision {
	revs := w.held.revs()
	return revs[len(revs)-1-id]
}

// choosable reports whether the pick chooses the oldest held revision
// (by the rule of PickKnownGood or PickGroup over the revisions held).
func (w *pickWalk) choosable() bool {
	revs := w.held.revs()
	refIdx := len(revs) - 1
	if w.group == "" {
		return len(knownGoodReasons(revs, 0, refIdx)) == 0
	}
	refGroup, _ := revs[refIdx].Group(w.group)
	why, _ := groupCandidateReasons(revs, 0, refIdx, w.group, refGroup)
	return len(why) == 0
}

// finish sets on the revisions held what the rest of the history says of
// them (their flags, the code of an AWS provider alias's version) and
// returns them, oldest first.
func (w *pickWalk) finish() []Revision {
	revs := w.held.revs()
	for i := range revs {
		id := len(revs) - 1 - i
		r := &revs[i]
		if f, ok := w.lineageFlag[id]; ok {
			r.Flags = append(r.Flags, f)
		}
		if f, ok := w.serialFlag[id]; ok {
			r.Flags = append(r.Flags, f)
		}
		w.codes.Fill(r.Aliases)
	}
	return revs
}

// Codes is the source_code_hash each AWS provider function version last
// recorded in a history (function name, NUL, version: the hash).
type Codes map[string]string

// Fill sets the Code of each AWS provider alias that has none, as
// Revisions does: the hash its version recorded.
func (c Codes) Fill(aliases []AliasView) {
	for j := range aliases {
		if a := &aliases[j]; a.Resource == awsAlias && a.Code == "" {
			a.Code = c[a.Function+"\x00"+a.Primary]
		}
	}
}

// note adds the hashes r's functions record (a newer one replaces).
func (c Codes) note(r Revision) {
	for _, f := range r.Functions {
		if f.Code != "" {
			c[f.Function+"\x00"+f.Version] = f.Code
		}
	}
}

// Walk hands fn the revisions of src oldest first, ordered and flagged as
// Revisions gives them, reading a batch at a time and holding none of
// them; an AWS provider alias's Code is filled from the revisions read so
// far. It returns what the whole history records (Codes.Fill completes an
// alias whose version's hash a later revision records, as Revisions
// would). A source that does not list its revisions before reading them
// (TFE, GCS, stdin) is read whole.
func Walk(ctx context.Context, src Source, fn func(Revision) error) (Codes, error) {
	codes := Codes{}
	ls, ok := src.(lister)
	if !ok {
		revs, err := src.Revisions(ctx)
		if err != nil {
			return nil, err
		}
		for _, r := range revs {
			codes.note(r)
			if err := fn(r); err != nil {
				return nil, err
			}
		}
		return codes, nil
	}
	l, err := ls.list(ctx)
	if err != nil {
		return nil, err
	}
	f := flagger{seen: map[string]string{}}
	err = l.walk(ctx, false, func(r Revision) error {
		f.flag(&r)
		codes.note(r)
		codes.Fill(r.Aliases)
		return fn(r)
	})
	return codes, err
}

// flagger sets the flags order sets, one revision at a time, oldest
// first: a lineage break, a duplicate serial with other content.
type flagger struct {
	prevLineage string
	seen        map[string]string // lineage/serial -> hash
}

func (f *flagger) flag(r *Revision) {
	if !r.Readable() {
		return
	}
	if f.prevLineage != "" && r.Lineage != f.prevLineage {
		r.Flags = append(r.Flags, "lineage break: "+short(f.prevLineage)+" -> "+short(r.Lineage))
	}
	f.prevLineage = r.Lineage
	key := serialKey(*r)
	if h, ok := f.seen[key]; ok && h != r.Hash {
		r.Flags = append(r.Flags, fmt.Sprintf("duplicate serial %d with different content", r.Serial))
	}
	f.seen[key] = r.Hash
}

// sortRevisions orders revisions by source time, then serial (stable).
func sortRevisions(revs []Revision) {
	sort.SliceStable(revs, func(i, j int) bool {
		if !revs[i].Time.Equal(revs[j].Time) {
			return revs[i].Time.Before(revs[j].Time)
		}
		return revs[i].Serial < revs[j].Serial
	})
}

// errFound stops a walk that has found what it looks for.
var errFound = errors.New("found")

// Newest is src's newest readable revision, as the last readable one of
// Revisions (by time, then serial). A source that lists its revisions is
// read newest first and only down to that revision, so nothing older is
// read or held; ok is false when no revision is readable.
func Newest(ctx context.Context, src Source) (r Revision, ok bool, err error) {
	listed, err := walkNewestFirst(ctx, src, func() { r, ok = Revision{}, false }, func(rev Revision) error {
		if !rev.Readable() {
			return nil
		}
		r, ok = rev, true
		return errFound
	})
	if listed {
		if err != nil && !errors.Is(err, errFound) {
			return Revision{}, false, err
		}
		return r, ok, nil
	}
	revs, err := src.Revisions(ctx)
	if err != nil {
		return Revision{}, false, err
	}
	for i := len(revs) - 1; i >= 0; i-- {
		if revs[i].Readable() {
			return revs[i], true, nil
		}
	}
	return Revision{}, false, nil
}
