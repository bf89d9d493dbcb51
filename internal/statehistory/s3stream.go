package statehistory

import (
	"context"
	"errors"
	"math"
)

// Reading S3's listing as it goes.
//
// S3 lists a key's versions newest first, a page (up to 1,000) at a time.
// A newest-first walk (pick) therefore needs no more of the listing than
// the page being read: walkNewest reads the versions a batch at a time as
// the pages come, and holds only those listed and not yet handed on. The
// listing walked oldest first (history's table) or read whole (Revisions)
// is still collected and sorted, since its oldest entry comes last.

// newestWalker is a source that can hand its revisions newest first
// without holding its listing.
type newestWalker interface {
	walkNewest(ctx context.Context, fn func(Revision) error) error
}

// errNotNewestFirst: the listing gave a version newer than one before it,
// so it is not in S3's order, and the walk cannot order it as it goes.
var errNotNewestFirst = errors.New("the listing is not newest first")

// walkNewest hands fn each version's revision newest first, in the order
// walk gives (by time, then serial), reading a batch at a time (Parallel
// readers, walkBatch each); versions of one time are read in one batch,
// which may wait for the next page. It returns errNotNewestFirst (having
// handed on some revisions) when the listing's times go up; then the
// caller starts again from the sorted listing. A walk that fn stops early
// (Newest) trusts the part of the listing it has read: S3 lists a key's
// versions newest first, and only a listing that breaks that order where
// the walk has not looked could make it wrong.
func (s S3Source) walkNewest(ctx context.Context, fn func(Revision) error) error {
	par := s.Parallel
	if par <= 0 {
		par = defaultParallel
	}
	batch := par * walkBatch
	memo := newBodyMemo()
	var pending []objectVersion // listed, not yet handed on; newest first
	done := 0
	last := int64(math.MaxInt64)
	hand := func(n int) error {
		vs := pending[:n]
		revs, err := fetchAll(ctx, n, par, nil, func(ctx context.Context, k int) Revision { return s.read(ctx, vs[k], memo) })
		if err != nil {
			return err
		}
		if err := handOn(revs, true, &done, func(done int) {
			if s.Progress != nil {
				s.Progress(done, -1)
			}
		}, fn); err != nil {
			return err
		}
		pending = append(pending[:0], pending[n:]...)
		return nil
	}
	// upTo is how many pending versions the next batch takes: batch, and
	// the rest of the versions of the last one's time; 0 when those may
	// go on in a page not yet listed.
	upTo := func(complete bool) int {
		n := min(batch, len(pending))
		for n < len(pending) && pending[n].lastModified == pending[n-1].lastModified {
			n++
		}
		if n == len(pending) && !complete {
			return 0
		}
		return n
	}
	err := s.pages(ctx, func(page []objectVersion) error {
		for _, v := range page {
			if v.lastModified > last {
				return errNotNewestFirst
			}
			last = v.lastModified
			pending = append(pending, v)
		}
		for len(pending) > batch {
			n := upTo(false)
			if n == 0 {
				break
			}
			if err := hand(n); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for len(pending) > 0 {
		if err := hand(upTo(true)); err != nil {
			return err
		}
	}
	if done == 0 {
		return s.noVersions()
	}
	if s.Progress != nil {
		s.Progress(done, done)
	}
	return nil
}
