package statehistory_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cloud.google.com/go/storage"
	"github.com/fsouza/fake-gcs-server/fakestorage"
	"google.golang.org/api/option"

	"github.com/rollout-tf/terraform-provider-rollout/internal/statehistory"
)

// startGCS runs fake-gcs-server in-process (memory backend, loopback)
// with one versioned bucket.
func startGCS(t *testing.T, bucket string) *fakestorage.Server {
	t.Helper()
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{Scheme: "http", Host: "127.0.0.1", Port: 0})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: bucket, VersioningEnabled: true})
	return srv
}

// TestGCSSourceReadsGenerations: the generations of a state object in a
// versioned bucket of fake-gcs-server, written as the gcs backend writes
// them, are read oldest first; another object under the same prefix is
// not mixed in; a revision is read again on demand.
func TestGCSSourceReadsGenerations(t *testing.T) {
	t.Parallel()
	srv := startGCS(t, "tfstate")
	const n = 300
	for i := 1; i <= n; i++ {
		srv.CreateObject(fakestorage.Object{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: "tfstate", Name: "orders/default.tfstate"},
			Content: smallState(i, fmt.Sprint(1+i/100))})
	}
	srv.CreateObject(fakestorage.Object{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: "tfstate", Name: "orders/default.tflock"}, Content: []byte("{}")})
	last := 0
	src := statehistory.GCSSource{Client: srv.Client(), Bucket: "tfstate", Object: "orders/default.tfstate",
		Progress: func(done, total int) { last = max(last, done) }}
	revs, err := src.Revisions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(revs) != n || revs[0].Serial != 1 || revs[n-1].Serial != n || last != n {
		t.Fatalf("%d revisions from serial %d to %d, progress %d; want %d from 1 to %d", len(revs), revs[0].Serial, revs[len(revs)-1].Serial, last, n, n)
	}
	for _, r := range revs {
		if !r.Readable() {
			t.Fatalf("revision %s unreadable: %s", r.ID, r.Error)
		}
	}
	p, err := statehistory.PickKnownGood(revs, "")
	if err != nil || p.Chosen == nil || p.Chosen.Serial != 299 {
		t.Errorf("pick = %+v %v, want serial 299", p.Chosen, err)
	}
	if _, raw, err := revs[3].Load(context.Background()); err != nil || !strings.Contains(string(raw), `"serial":4`) {
		t.Errorf("Load: %v", err)
	}
	if src.String() != "gs://tfstate/orders/default.tfstate" {
		t.Errorf("String = %q", src.String())
	}
	_, err = statehistory.GCSSource{Client: srv.Client(), Bucket: "tfstate", Object: "none.tfstate"}.Revisions(context.Background())
	if err == nil || err.Error() != "gs://tfstate/none.tfstate has no object generations (is the object there, and object versioning enabled on the bucket?)" {
		t.Errorf("missing object: %v", err)
	}
}

// TestGCSSourceRefusesAStuckListing: fake-gcs-server names the next page
// by object name, which cannot step through the generations of one
// object: its second page starts again at the first. Revisions stops with
// a clear error instead of listing forever.
func TestGCSSourceRefusesAStuckListing(t *testing.T) {
	t.Parallel()
	srv := startGCS(t, "tfstate")
	for i := 1; i <= 30; i++ {
		srv.CreateObject(fakestorage.Object{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: "tfstate", Name: "app.tfstate"}, Content: smallState(i, "1")})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := statehistory.GCSSource{Client: srv.Client(), Bucket: "tfstate", Object: "app.tfstate", PageSize: 10}.Revisions(ctx)
	if err == nil || !strings.Contains(err.Error(), "repeats generations already listed") {
		t.Fatalf("Revisions = %v, want the stuck listing refused", err)
	}
}

// gcsPages is the two calls of the Cloud Storage JSON API the source
// makes, as its documentation specifies them, over generations kept in
// memory: objects.list with versions=true, prefix, maxResults and an
// opaque pageToken (here the index of the next item), and the media
// download of one generation (alt=media, or the XML API's GET
// /BUCKET/OBJECT?generation=N). fake-gcs-server cannot page through the
// generations of one object (its page token is an object name) and looks
// a generation up by a scan of every generation: 10,001 of them are read
// here instead.
type gcsPages struct {
	mu    sync.Mutex
	items []gcsItem
	lists atomic.Int64
}

type gcsItem struct {
	name       string
	generation int64
	created    time.Time
	body       []byte
}

func (g *gcsPages) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	g.mu.Lock()
	defer g.mu.Unlock()
	if r.URL.Path == "/storage/v1/b/tfstate/o" {
		g.lists.Add(1)
		from, _ := strconv.Atoi(q.Get("pageToken"))
		size, _ := strconv.Atoi(q.Get("maxResults"))
		if size <= 0 || size > 1000 {
			size = 1000
		}
		var items []any
		i := from
		for ; i < len(g.items) && len(items) < size; i++ {
			it := g.items[i]
			if strings.HasPrefix(it.name, q.Get("prefix")) {
				items = append(items, map[string]any{"kind": "storage#object", "bucket": "tfstate", "name": it.name,
					"generation": strconv.FormatInt(it.generation, 10), "size": strconv.Itoa(len(it.body)), "timeCreated": it.created.Format(time.RFC3339Nano)})
			}
		}
		resp := map[string]any{"kind": "storage#objects", "items": items}
		if i < len(g.items) {
			resp["nextPageToken"] = strconv.Itoa(i)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(resp)
		return
	}
	gen, _ := strconv.ParseInt(q.Get("generation"), 10, 64)
	i := sort.Search(len(g.items), func(i int) bool { return g.items[i].generation >= gen })
	if i == len(g.items) || g.items[i].generation != gen {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Goog-Generation", q.Get("generation"))
	_, _ = w.Write(g.items[i].body)
}

// TestGCSSourcePagesPast10000: 10,001 generations are listed in pages of
// 1,000 (11 pages) and read whole, oldest first.
func TestGCSSourcePagesPast10000(t *testing.T) {
	t.Parallel()
	const n = 10_001
	g := &gcsPages{}
	for i := 1; i <= n; i++ {
		g.items = append(g.items, gcsItem{name: "orders/default.tfstate", generation: int64(1_700_000_000_000_000 + i), created: t0.Add(time.Duration(i) * time.Second),
			body: smallState(i, fmt.Sprint(1+i/1000))})
	}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	c, err := storage.NewClient(context.Background(), option.WithEndpoint(srv.URL+"/storage/v1/"), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	revs, err := statehistory.GCSSource{Client: c, Bucket: "tfstate", Object: "orders/default.tfstate", PageSize: 1000}.Revisions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(revs) != n || revs[0].Serial != 1 || revs[n-1].Serial != n || !revs[n-1].Readable() {
		t.Fatalf("%d revisions from serial %d to %d; want %d from 1 to %d", len(revs), revs[0].Serial, revs[len(revs)-1].Serial, n, n)
	}
	if got := g.lists.Load(); got != 11 {
		t.Errorf("%d list calls, want 11 pages of 1000", got)
	}
	p, err := statehistory.PickKnownGood(revs, "")
	if err != nil || p.Chosen == nil || p.Chosen.Serial != 9_999 {
		t.Errorf("pick = %+v %v, want serial 9999", p.Chosen, err)
	}
}
