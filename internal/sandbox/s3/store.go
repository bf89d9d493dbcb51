package s3

import (
	"crypto/md5"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/johannesboyne/gofakes3"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/wal"
)

// objectStore is the sandbox's S3 objects: gofakes3 speaks the protocol,
// bucketSet (versioned.go) keeps the buckets, versions and delete markers,
// and this store makes them durable. Every successful change is appended to
// a write-ahead log (s3.wal) and the request waits for the fsync that
// covers it before S3 answers; on start the log is replayed into a fresh
// bucketSet with the recorded clock readings and the same version-id seed,
// which rebuilds the same objects, version ids and timestamps. A record
// torn by a crash fails its CRC and is cut off: it was never acknowledged.
// The log format is the one written while gofakes3's s3mem kept the
// objects; such a log replays to the same ids (testdata/s3mem-datadir).
type objectStore struct {
	mu    sync.Mutex
	data  *bucketSet
	clock func() time.Time
	log   *wal.Log // nil when in memory only

	// Large objects live out of line, in content files under blobDir.
	blobDir string

	uploads map[string]*upload // multipart uploads in progress, by id (multipart.go)
}

var (
	_ gofakes3.Backend          = (*objectStore)(nil)
	_ gofakes3.VersionedBackend = (*objectStore)(nil)
)

const s3VersionSeed = 0x5a4d_b0c5

type s3Record struct {
	Op         string              `json:"op"`
	Time       time.Time           `json:"t"`
	Bucket     string              `json:"b"`
	Key        string              `json:"k,omitempty"`
	Meta       map[string]string   `json:"m,omitempty"`
	Body       []byte              `json:"body,omitempty"`
	VersionID  string              `json:"v,omitempty"`
	Keys       []string            `json:"keys,omitempty"`
	Objects    []gofakes3.ObjectID `json:"objs,omitempty"`
	Versioning string              `json:"vs,omitempty"`
	// A large object's content is a file beside the log (blobs/<sha256>),
	// written and fsync'd before the record: the record names it.
	Blob string `json:"blob,omitempty"`
	Size int64  `json:"size,omitempty"`
	MD5  string `json:"md5,omitempty"`
	// A multipart upload's id, and the part an UploadPart record stores
	// (multipart.go).
	Upload string `json:"u,omitempty"`
	Part   int    `json:"p,omitempty"`
}

func openStore(dir string, clock func() time.Time, recoverLog bool) (*objectStore, error) {
	s := &objectStore{clock: clock, data: newBucketSet(s3VersionSeed), uploads: map[string]*upload{}}
	if dir == "" {
		return s, nil
	}
	s.blobDir = filepath.Join(dir, "blobs")
	if err := os.MkdirAll(s.blobDir, 0o755); err != nil {
		return nil, err
	}
	if err := wal.RemoveStaleTemps(s.blobDir); err != nil {
		return nil, err
	}
	log, err := wal.Open(filepath.Join(dir, "s3.wal"), func(b []byte) error {
		var rec s3Record
		if err := json.Unmarshal(b, &rec); err != nil {
			return err
		}
		if err := s.apply(rec); err != nil {
			return fmt.Errorf("%s %s/%s: %w", rec.Op, rec.Bucket, rec.Key, err)
		}
		return nil
	}, recoverLog)
	if err != nil {
		return nil, fmt.Errorf("replaying s3.wal: %w", err)
	}
	s.log = log
	if err := s.checkContent(); err != nil {
		_ = log.Close()
		return nil, err
	}
	if err := s.collectGarbage(); err != nil {
		_ = log.Close()
		return nil, err
	}
	return s, wal.SyncDir(dir)
}

// apply replays one record. A DeleteBucket record is applied as a forced
// delete: the bucket was empty when it was acknowledged.
func (s *objectStore) apply(rec s3Record) error {
	if ok, err := s.applyUpload(rec); ok {
		return err
	}
	var err error
	at := rec.Time
	switch rec.Op {
	case "CreateBucket":
		err = s.data.createBucket(rec.Bucket, at)
	case "DeleteBucket", "ForceDeleteBucket":
		if err = s.data.deleteBucket(rec.Bucket, true); err == nil {
			s.dropBucketUploads(rec.Bucket)
		}
	case "PutObject":
		// A content file is checked after the replay, and only for versions
		// still live: a later record may have deleted this one and its
		// file may be reclaimed.
		c, cerr := recordContent(rec)
		if cerr != nil {
			return cerr
		}
		_, err = s.data.put(rec.Bucket, rec.Key, rec.Meta, c, at, nil)
	case "DeleteObject":
		_, err = s.data.deleteObject(rec.Bucket, rec.Key, at)
	case "DeleteMulti":
		_, err = s.deleteMulti(rec.Bucket, rec.Keys, at)
	case "DeleteObjectVersion":
		_, err = s.data.deleteVersion(rec.Bucket, rec.Key, gofakes3.VersionID(rec.VersionID))
	case "DeleteMultiVersions":
		_, err = s.deleteMultiVersions(rec.Bucket, rec.Objects, at)
	case "SetVersioningConfiguration":
		err = s.data.setVersioning(rec.Bucket, gofakes3.VersioningStatus(rec.Versioning))
	default:
		err = fmt.Errorf("unknown operation %q", rec.Op)
	}
	return err
}

func inlineContent(body []byte) content {
	sum := md5.Sum(body)
	return content{body: body, size: int64(len(body)), md5: sum[:]}
}

// mutate runs one change under the lock with a fresh clock reading, logs
// it when it succeeded, and returns once the log record is durable.
func (s *objectStore) mutate(rec s3Record, do func(at time.Time) error) error {
	s.mu.Lock()
	rec.Time = s.clock()
	if err := do(rec.Time); err != nil {
		s.mu.Unlock()
		return err
	}
	var seq uint64
	if s.log != nil {
		body, err := json.Marshal(rec)
		if err == nil {
			seq, err = s.log.Write(body)
		}
		if err != nil {
			s.mu.Unlock()
			return gofakes3.ErrInternal
		}
	}
	s.mu.Unlock()
	if s.log != nil && s.log.Wait(seq) != nil {
		return gofakes3.ErrInternal
	}
	return nil
}

// settled waits until every change a read may have seen is durable, so a
// read never reports what a crash could still take back.
func (s *objectStore) settled() {
	if s.log != nil {
		_ = s.log.Wait(s.log.Position())
	}
}

func (s *objectStore) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.Close()
}

// reads: no log, but under the lock so they never see a half-applied change.

func (s *objectStore) ListBuckets() ([]gofakes3.BucketInfo, error) {
	defer s.settled()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.data.listBuckets(), nil
}

// ListBucket pages the current objects in key order, common prefixes in
// their place and counted toward MaxKeys (default 1000); a truncated page
// names its last entry as NextMarker, and the next page starts after it
// (after everything under it for a common prefix).
func (s *objectStore) ListBucket(name string, prefix *gofakes3.Prefix, page gofakes3.ListBucketPage) (*gofakes3.ObjectList, error) {
	defer s.settled()
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.data.bucket(name)
	if err != nil {
		return nil, err
	}
	maxKeys := page.MaxKeys
	if maxKeys <= 0 {
		maxKeys = gofakes3.DefaultMaxBucketVersionKeys
	}
	// From the marker: the marker's own entry, the page, one more.
	items := b.entries(prefix, false, page.Marker, int(maxKeys)+2)
	start := 0
	if page.Marker != "" {
		start = sort.Search(len(items), func(i int) bool { return items[i].key > page.Marker })
	}
	end := pageEnd(start, len(items), page.MaxKeys)
	list := gofakes3.NewObjectList()
	for _, e := range items[start:end] {
		if e.v == nil {
			list.AddPrefix(e.key)
			continue
		}
		list.Add(&gofakes3.Content{Key: e.key, LastModified: gofakes3.NewContentTime(e.v.modified),
			ETag: gofakes3.FormatETag(e.v.md5), Size: e.v.size})
	}
	if end < len(items) {
		list.IsTruncated, list.NextMarker = true, items[end-1].key
	}
	return list, nil
}

// pageEnd is where a page that starts at start ends: at most maxKeys
// entries (1000 when not set) of n.
func pageEnd(start, n int, maxKeys int64) int {
	if maxKeys <= 0 {
		maxKeys = gofakes3.DefaultMaxBucketVersionKeys
	}
	if int64(n-start) > maxKeys {
		return start + int(maxKeys)
	}
	return n
}

func (s *objectStore) BucketExists(name string) (bool, error) {
	defer s.settled()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.data.buckets[name] != nil, nil
}

func (s *objectStore) GetObject(bucket, key string, rng *gofakes3.ObjectRangeRequest) (*gofakes3.Object, error) {
	return s.GetObjectVersion(bucket, key, "", rng)
}

func (s *objectStore) HeadObject(bucket, key string) (*gofakes3.Object, error) {
	return s.HeadObjectVersion(bucket, key, "")
}

func (s *objectStore) VersioningConfiguration(bucket string) (gofakes3.VersioningConfiguration, error) {
	defer s.settled()
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.data.bucket(bucket)
	if err != nil {
		return gofakes3.VersioningConfiguration{}, err
	}
	return gofakes3.VersioningConfiguration{Status: b.versioning}, nil
}

// GetObjectVersion reads the version v names (the current one when v is
// empty), the range of it asked for.
func (s *objectStore) GetObjectVersion(bucket, key string, v gofakes3.VersionID, rng *gofakes3.ObjectRangeRequest) (*gofakes3.Object, error) {
	defer s.settled()
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ver, err := s.data.get(bucket, key, v)
	if err != nil {
		return nil, err
	}
	return s.object(b, ver, rng, true)
}

func (s *objectStore) HeadObjectVersion(bucket, key string, v gofakes3.VersionID) (*gofakes3.Object, error) {
	defer s.settled()
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ver, err := s.data.get(bucket, key, v)
	if err != nil {
		return nil, err
	}
	return s.object(b, ver, nil, false)
}

// ListBucketVersions pages as S3 does: versions in key order, each key's
// newest first, at most MaxKeys (default 1000) per page, the key-marker /
// version-id-marker pair exclusive, and a truncated page names where the
// next one starts (NextKeyMarker, NextVersionIdMarker). With a delimiter,
// common prefixes take their place in key order among the versions and
// count toward MaxKeys; a page that ends on one names it as NextKeyMarker,
// and the next page starts after everything under it.
func (s *objectStore) ListBucketVersions(bucket string, prefix *gofakes3.Prefix, page *gofakes3.ListBucketVersionsPage) (*gofakes3.ListBucketVersionsResult, error) {
	defer s.settled()
	if page == nil {
		page = &gofakes3.ListBucketVersionsPage{}
	}
	res := gofakes3.NewListBucketVersionsResult(bucket, prefix, page)
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.data.bucket(bucket)
	if err != nil {
		return res, err
	}
	// Entries start at the marker's key: its own entries (skipped below),
	// then the page, then one more to tell whether the page is truncated.
	markerEntries := 1
	if obj := b.objects[page.KeyMarker]; obj != nil {
		markerEntries = len(obj.versions)
	}
	maxKeys := page.MaxKeys
	if maxKeys <= 0 {
		maxKeys = gofakes3.DefaultMaxBucketVersionKeys
	}
	items := b.entries(prefix, true, page.KeyMarker, markerEntries+int(maxKeys)+1)
	start := 0
	if page.KeyMarker != "" {
		start = sort.Search(len(items), func(i int) bool { return items[i].key >= page.KeyMarker })
		if page.VersionIDMarker == "" {
			for start < len(items) && items[start].key == page.KeyMarker {
				start++
			}
		} else {
			want := storedID(page.VersionIDMarker)
			for at := start; at < len(items) && items[at].key == page.KeyMarker; at++ {
				if items[at].v != nil && items[at].v.id == want {
					start = at + 1
					break
				}
			}
		}
	}
	end := pageEnd(start, len(items), page.MaxKeys)
	for _, e := range items[start:end] {
		switch {
		case e.v == nil:
			res.CommonPrefixes = append(res.CommonPrefixes, gofakes3.CommonPrefix{Prefix: e.key})
		case e.v.deleteMarker:
			res.Versions = append(res.Versions, &gofakes3.DeleteMarker{Key: e.key, VersionID: b.shownID(e.v),
				IsLatest: e.latest, LastModified: gofakes3.NewContentTime(e.v.modified)})
		default:
			res.Versions = append(res.Versions, &gofakes3.Version{Key: e.key, VersionID: b.shownID(e.v), IsLatest: e.latest,
				LastModified: gofakes3.NewContentTime(e.v.modified), Size: e.v.size, ETag: gofakes3.FormatETag(e.v.md5)})
		}
	}
	if end < len(items) {
		last := items[end-1]
		res.IsTruncated = true
		res.NextKeyMarker = last.key
		if last.v != nil {
			res.NextVersionIDMarker = gofakes3.VersionID(last.v.id)
			if last.v.id == "" {
				res.NextVersionIDMarker = "null"
			}
		}
	}
	return res, nil
}

// writes

func (s *objectStore) CreateBucket(name string) error {
	return s.mutate(s3Record{Op: "CreateBucket", Bucket: name}, func(at time.Time) error { return s.data.createBucket(name, at) })
}

// DeleteBucket deletes an empty bucket, and with it the multipart
// uploads still in progress in it (their parts are reclaimed at start).
func (s *objectStore) DeleteBucket(name string) error {
	return s.mutate(s3Record{Op: "DeleteBucket", Bucket: name}, func(time.Time) error {
		if err := s.data.deleteBucket(name, false); err != nil {
			return err
		}
		s.dropBucketUploads(name)
		return nil
	})
}

func (s *objectStore) ForceDeleteBucket(name string) error {
	return s.mutate(s3Record{Op: "ForceDeleteBucket", Bucket: name}, func(time.Time) error {
		if err := s.data.deleteBucket(name, true); err != nil {
			return err
		}
		s.dropBucketUploads(name)
		return nil
	})
}

// PutObject stores a new version. The metadata is the request's, as on S3
// (s3mem carried over the previous version's keys the request left out).
func (s *objectStore) PutObject(bucket, key string, meta map[string]string, input io.Reader, size int64, cond *gofakes3.PutConditions) (gofakes3.PutObjectResult, error) {
	// Up to the inline limit in the record; beyond it streamed to a file.
	rec := s3Record{Op: "PutObject", Bucket: bucket, Key: key, Meta: meta}
	c, err := s.readContent(input, &rec)
	if err != nil {
		return gofakes3.PutObjectResult{}, err
	}
	var res gofakes3.PutObjectResult
	err = s.mutate(rec, func(at time.Time) error {
		var err error
		res, err = s.data.put(bucket, key, meta, c, at, cond)
		return err
	})
	return res, err
}

func (s *objectStore) DeleteObject(bucket, key string) (gofakes3.ObjectDeleteResult, error) {
	var res gofakes3.ObjectDeleteResult
	err := s.mutate(s3Record{Op: "DeleteObject", Bucket: bucket, Key: key}, func(at time.Time) error {
		var err error
		res, err = s.data.deleteObject(bucket, key, at)
		return err
	})
	return res, err
}

func (s *objectStore) DeleteMulti(bucket string, keys ...string) (gofakes3.MultiDeleteResult, error) {
	var res gofakes3.MultiDeleteResult
	err := s.mutate(s3Record{Op: "DeleteMulti", Bucket: bucket, Keys: keys}, func(at time.Time) error {
		var err error
		res, err = s.deleteMulti(bucket, keys, at)
		return err
	})
	return res, err
}

func (s *objectStore) deleteMulti(bucket string, keys []string, at time.Time) (gofakes3.MultiDeleteResult, error) {
	var res gofakes3.MultiDeleteResult
	if _, err := s.data.bucket(bucket); err != nil {
		return res, err
	}
	for _, key := range keys {
		if _, err := s.data.deleteObject(bucket, key, at); err != nil {
			return res, err
		}
		res.Deleted = append(res.Deleted, gofakes3.ObjectID{Key: key})
	}
	return res, nil
}

func (s *objectStore) CopyObject(srcBucket, srcKey, dstBucket, dstKey string, meta map[string]string) (gofakes3.CopyObjectResult, error) {
	// Through s, so the copy's PutObject is logged.
	return gofakes3.CopyObject(s, srcBucket, srcKey, dstBucket, dstKey, meta)
}

func (s *objectStore) SetVersioningConfiguration(bucket string, v gofakes3.VersioningConfiguration) error {
	if v.MFADelete.Enabled() {
		return gofakes3.ErrNotImplemented
	}
	return s.mutate(s3Record{Op: "SetVersioningConfiguration", Bucket: bucket, Versioning: string(v.Status)},
		func(time.Time) error { return s.data.setVersioning(bucket, v.Status) })
}

func (s *objectStore) DeleteObjectVersion(bucket, key string, v gofakes3.VersionID) (gofakes3.ObjectDeleteResult, error) {
	var res gofakes3.ObjectDeleteResult
	err := s.mutate(s3Record{Op: "DeleteObjectVersion", Bucket: bucket, Key: key, VersionID: string(v)}, func(time.Time) error {
		var err error
		res, err = s.data.deleteVersion(bucket, key, v)
		return err
	})
	return res, err
}

func (s *objectStore) DeleteMultiVersions(bucket string, objects ...gofakes3.ObjectID) (gofakes3.MultiDeleteResult, error) {
	var res gofakes3.MultiDeleteResult
	err := s.mutate(s3Record{Op: "DeleteMultiVersions", Bucket: bucket, Objects: objects}, func(at time.Time) error {
		var err error
		res, err = s.deleteMultiVersions(bucket, objects, at)
		return err
	})
	return res, err
}

func (s *objectStore) deleteMultiVersions(bucket string, objects []gofakes3.ObjectID, at time.Time) (gofakes3.MultiDeleteResult, error) {
	var res gofakes3.MultiDeleteResult
	if _, err := s.data.bucket(bucket); err != nil {
		return res, err
	}
	for _, o := range objects {
		var err error
		if o.VersionID != "" {
			_, err = s.data.deleteVersion(bucket, o.Key, gofakes3.VersionID(o.VersionID))
		} else {
			_, err = s.data.deleteObject(bucket, o.Key, at)
		}
		if err != nil {
			return res, err
		}
		res.Deleted = append(res.Deleted, o)
	}
	return res, nil
}

// ReadObject reads a whole object (a version when given) for Lambda code;
// code is the S3 error code on failure.
func (s *objectStore) ReadObject(bucket, key, version string) ([]byte, string, error) {
	var obj *gofakes3.Object
	var err error
	if version != "" {
		obj, err = s.GetObjectVersion(bucket, key, gofakes3.VersionID(version), nil)
	} else {
		obj, err = s.GetObject(bucket, key, nil)
	}
	if err != nil {
		for _, code := range []gofakes3.ErrorCode{gofakes3.ErrNoSuchBucket, gofakes3.ErrNoSuchKey, gofakes3.ErrNoSuchVersion} {
			if gofakes3.HasErrorCode(err, code) {
				return nil, string(code), err
			}
		}
		var ec interface{ ErrorCode() gofakes3.ErrorCode }
		if errors.As(err, &ec) {
			return nil, string(ec.ErrorCode()), err
		}
		return nil, "", err
	}
	defer func() { _ = obj.Contents.Close() }()
	b, err := io.ReadAll(obj.Contents)
	return b, "", err
}
