package statehistory

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"
)

// folderS3 serves the snapshots of dir as the object versions of one key
// (bucket "b", key "app.tfstate"), each file a version named after it and
// stored at its modification time, listed newest first (or oldest first
// when oldestFirst) max-keys at a time, as ListObjectVersions pages. It
// counts the listing pages served.
type folderS3 struct {
	files       []os.FileInfo // newest first; of one time, by name descending
	dir         string
	oldestFirst bool
	pages       atomic.Int64
}

func newFolderS3(t *testing.T, dir string, oldestFirst bool) (*folderS3, *s3.Client) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	f := &folderS3{dir: dir, oldestFirst: oldestFirst}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		f.files = append(f.files, info)
	}
	slices.SortFunc(f.files, func(a, b os.FileInfo) int {
		if c := b.ModTime().Compare(a.ModTime()); c != 0 {
			return c
		}
		return strings.Compare(b.Name(), a.Name())
	})
	if oldestFirst {
		slices.Reverse(f.files)
	}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c := s3.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "s", "")},
		func(o *s3.Options) { o.BaseEndpoint, o.UsePathStyle = aws.String(srv.URL), true })
	return f, c
}

type xmlVersion struct {
	Key          string
	VersionID    string `xml:"VersionId"`
	IsLatest     bool
	LastModified string
	ETag         string
	Size         int64
}

type xmlVersions struct {
	XMLName             xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListVersionsResult"`
	Name                string
	IsTruncated         bool
	MaxKeys             int
	NextKeyMarker       string `xml:",omitempty"`
	NextVersionIDMarker string `xml:"NextVersionIdMarker,omitempty"`
	Version             []xmlVersion
}

func (f *folderS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if r.URL.Path == "/b/app.tfstate" {
		http.ServeFile(w, r, filepath.Join(f.dir, filepath.Base(q.Get("versionId"))))
		return
	}
	if _, ok := q["versions"]; !ok || r.URL.Path != "/b" {
		http.Error(w, "not served here", http.StatusNotImplemented)
		return
	}
	f.pages.Add(1)
	maxKeys, _ := strconv.Atoi(q.Get("max-keys"))
	if maxKeys <= 0 {
		maxKeys = 1000
	}
	start := 0
	if m := q.Get("version-id-marker"); m != "" {
		start = slices.IndexFunc(f.files, func(fi os.FileInfo) bool { return fi.Name() == m }) + 1
	}
	out := xmlVersions{Name: "b", MaxKeys: maxKeys}
	for i := start; i < len(f.files) && len(out.Version) < maxKeys; i++ {
		fi := f.files[i]
		out.Version = append(out.Version, xmlVersion{Key: "app.tfstate", VersionID: fi.Name(), IsLatest: i == 0,
			LastModified: fi.ModTime().UTC().Format("2006-01-02T15:04:05.000Z"), ETag: `"` + fi.Name() + `"`, Size: fi.Size()})
	}
	if end := start + len(out.Version); end < len(f.files) {
		out.IsTruncated, out.NextKeyMarker, out.NextVersionIDMarker = true, "app.tfstate", f.files[end-1].Name()
	}
	w.Header().Set("Content-Type", "application/xml")
	_ = xml.NewEncoder(w).Encode(out)
}

// TestPickFromS3ReadsTheListingAsItGoes: S3 lists a key's versions newest
// first, so pick reads them page by page and holds no more of the listing
// than a page and a batch (issue 22: memory bounded independent of the
// number of revisions). It gives the pick that the whole history gives,
// for every reference, with revisions of one time straddling pages; a
// listing that is not newest first is read whole instead, with the same
// pick.
func TestPickFromS3ReadsTheListingAsItGoes(t *testing.T) {
	dir := messyHistory(t)
	for i := 40; i < 160; i++ {
		writeAt(t, dir, fmt.Sprintf("%03d.tfstate", i), stateJSON(t, "lin-a", i+1, fmt.Sprint(i%4+2), fmt.Sprintf("v%d", i%4+2), fmt.Sprint(i%4+2), "", "x", nil),
			base.Add(time.Duration(i)*time.Minute))
	}
	ctx := context.Background()
	ids, err := DirSource{Dir: dir}.Revisions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, oldestFirst := range []bool{false, true} {
		for _, pageSize := range []int32{3, 7, 1000} {
			t.Run(fmt.Sprintf("oldestFirst=%t/page=%d", oldestFirst, pageSize), func(t *testing.T) {
				fake, c := newFolderS3(t, dir, oldestFirst)
				src := S3Source{Client: c, Bucket: "b", Key: "app.tfstate", Parallel: 2, pageSize: pageSize}
				whole, err := src.Revisions(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, before := range []string{"", ids[len(ids)-1].ID, ids[len(ids)/2].Hash, "05a.tfstate", "nothing-like-it"} {
					want, wantErr := pickIn(whole, before, "")
					got, top, gotErr := PickFrom(ctx, src, before, "")
					if fmt.Sprint(wantErr) != fmt.Sprint(gotErr) {
						t.Fatalf("before %q: error %v, want %v", before, gotErr, wantErr)
					}
					if wantErr != nil {
						continue
					}
					if diff := cmp.Diff(asJSONText(t, want), asJSONText(t, got)); diff != "" {
						t.Errorf("before %q (-whole history +S3 walk):\n%s", before, diff)
					}
					if wantTop := topSerial(whole, want.Reference); top != wantTop {
						t.Errorf("before %q: top serial %d, want %d", before, top, wantTop)
					}
				}
				if oldestFirst || pageSize == 1000 {
					return
				}
				// The first revision is handed on after a page or two of the
				// listing, not after all of it.
				fake.pages.Store(0)
				var pagesAtFirst int64
				SetTestHookWalked(func(done int) {
					if done == 1 {
						pagesAtFirst = fake.pages.Load()
					}
				})
				defer SetTestHookWalked(nil)
				if _, _, err := PickFrom(ctx, src, "", ""); err != nil {
					t.Fatal(err)
				}
				all := fake.pages.Load()
				if limit := int64(2*walkBatch)/int64(pageSize) + 2; pagesAtFirst > limit || pagesAtFirst >= all {
					t.Errorf("the first revision was handed on after %d of %d listing pages; want at most %d (pick must not hold the whole listing)", pagesAtFirst, all, limit)
				}
			})
		}
	}
}

// TestNewestReadsOnlyTheNewest: Newest is the last readable revision of
// the whole history, from a folder, a state file with backups and S3 in
// either listing order, and reads no revision older than it.
func TestNewestReadsOnlyTheNewest(t *testing.T) {
	dir := messyHistory(t)
	// The newest snapshot unreadable: Newest is the one before it.
	writeAt(t, dir, "99.tfstate", []byte(`{"version": 4, "serial": `), base.Add(time.Hour))
	ctx := context.Background()
	_, newestFirst := newFolderS3(t, dir, false)
	_, oldestFirst := newFolderS3(t, dir, true)
	for name, src := range map[string]Source{"folder": DirSource{Dir: dir, Parallel: 1},
		"s3":              S3Source{Client: newestFirst, Bucket: "b", Key: "app.tfstate", Parallel: 1, pageSize: 2},
		"s3 oldest first": S3Source{Client: oldestFirst, Bucket: "b", Key: "app.tfstate", Parallel: 1, pageSize: 2}} {
		revs, err := src.Revisions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := revs[len(revs)-2]
		read := 0
		SetTestHookWalked(func(int) { read++ })
		got, ok, err := Newest(ctx, src)
		SetTestHookWalked(nil)
		if err != nil || !ok || got.ID != want.ID || got.Hash != want.Hash {
			t.Errorf("%s: Newest = %s (%s) %t %v, want %s (%s)", name, got.ID, got.Hash, ok, err, want.ID, want.Hash)
		}
		if name != "s3 oldest first" && read > 2*walkBatch {
			t.Errorf("%s: %d revisions handed on, want at most a batch (%d)", name, read, 2*walkBatch)
		}
	}
}
