package statehistory

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	"cloud.google.com/go/storage"
	"google.golang.org/api/iterator"
)

// GCSSource is every generation of a state object in a Google Cloud
// Storage bucket with object versioning (the gcs backend writes
// <prefix>/<workspace>.tfstate).
type GCSSource struct {
	Client *storage.Client
	Bucket string
	Object string
	// PageSize is the listing's page size (default: the service's, 1000).
	PageSize int
	// Parallel reads (default 8).
	Parallel int
	// Progress, when set, is told how many generations were fetched.
	Progress func(done, total int)
}

func (s GCSSource) String() string { return "gs://" + s.Bucket + "/" + s.Object }

type gcsGeneration struct {
	generation int64
	created    time.Time
	size       int64
}

// Revisions lists the object's generations page by page and reads each,
// Parallel at a time, oldest first.
func (s GCSSource) Revisions(ctx context.Context) ([]Revision, error) {
	it := s.Client.Bucket(s.Bucket).Objects(ctx, &storage.Query{Prefix: s.Object, Versions: true})
	size := s.PageSize
	if size <= 0 {
		size = 1000 // the service's largest page
	}
	// Paged by hand: a server whose page token does not move on (one that
	// names the next page by object name alone, which cannot step through
	// the generations of one object) would otherwise be asked for the same
	// page forever.
	pager := iterator.NewPager(it, size, "")
	var refs []gcsGeneration
	seen := map[string]bool{} // name#generation of every listed item
	for token := ""; ; {
		var page []*storage.ObjectAttrs
		next, err := pager.NextPage(&page)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("listing generations of %s: %w", s, err)
		}
		fresh := 0
		for _, a := range page {
			id := a.Name + "#" + strconv.FormatInt(a.Generation, 10)
			if seen[id] {
				continue
			}
			seen[id] = true
			fresh++
			if a.Name != s.Object {
				continue
			}
			refs = append(refs, gcsGeneration{generation: a.Generation, created: a.Created, size: a.Size})
		}
		if next == "" {
			break
		}
		if next == token || (fresh == 0 && len(page) > 0) {
			return nil, fmt.Errorf("listing generations of %s: the page after token %q repeats generations already listed (next page token %q); "+
				"stopping instead of asking for the same page again (is the storage endpoint a faithful implementation?)", s, token, next)
		}
		token = next
	}
	if len(refs) == 0 {
		return nil, fmt.Errorf("%s has no object generations (is the object there, and object versioning enabled on the bucket?)", s)
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i].generation < refs[j].generation })
	revs, err := fetchAll(ctx, len(refs), s.Parallel, s.Progress, func(ctx context.Context, i int) Revision {
		g := refs[i]
		id := strconv.FormatInt(g.generation, 10)
		load := func(ctx context.Context) ([]byte, error) { return s.read(ctx, g) }
		b, err := load(ctx)
		if err != nil {
			return Revision{ID: id, Source: s.String(), Time: g.created.UTC(), Error: err.Error()}
		}
		return newRevision(id, s.String(), g.created, b, load)
	})
	if err != nil {
		return nil, err
	}
	return order(revs), nil
}

// read reads one generation, no larger than maxStateBytes.
func (s GCSSource) read(ctx context.Context, g gcsGeneration) ([]byte, error) {
	if g.size > maxStateBytes {
		return nil, errTooLarge
	}
	r, err := s.Client.Bucket(s.Bucket).Object(s.Object).Generation(g.generation).NewReader(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { _ = r.Close() }()
	return readLimited(r)
}
