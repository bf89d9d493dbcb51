package s3

import (
	"bytes"
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
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/wal"
)

// objectStore is the sandbox's S3: gofakes3 speaks the protocol and keeps the
// objects (its s3mem backend, the one with bucket versioning); this wrapper
// makes it durable. Every successful change is appended to a write-ahead log
// (s3.wal) and the request waits for the fsync that covers it before S3
// answers; on start the log is replayed through a fresh s3mem with the
// recorded clock readings and the same version-id seed, which rebuilds the
// same objects, version ids and timestamps. A record torn by a crash fails
// its CRC and is cut off: it was never acknowledged.
type objectStore struct {
	mu     sync.Mutex
	mem    *s3mem.Backend
	clock  func() time.Time
	opTime time.Time
	log    *wal.Log // nil when in memory only

	// Large objects live out of line: s3mem holds a short stub naming the
	// content file, and refs maps the stub's MD5 (hex) to the real object.
	blobDir string
	refs    map[string]blobRef
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
}

// s3TimeSource hands s3mem the clock reading of the operation in progress,
// so a replay reproduces every timestamp.
type s3TimeSource struct{ s *objectStore }

func (t s3TimeSource) Now() time.Time                  { return t.s.opTime }
func (t s3TimeSource) Since(v time.Time) time.Duration { return t.s.opTime.Sub(v) }

func openStore(dir string, clock func() time.Time, recoverLog bool) (*objectStore, error) {
	s := &objectStore{clock: clock, refs: map[string]blobRef{}}
	s.mem = s3mem.New(s3mem.WithTimeSource(s3TimeSource{s}), s3mem.WithVersionSeed(s3VersionSeed))
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
		s.opTime = rec.Time
		if err := s.apply(rec); err != nil {
			return fmt.Errorf("%s %s/%s: %w", rec.Op, rec.Bucket, rec.Key, err)
		}
		return nil
	}, recoverLog)
	if err != nil {
		return nil, fmt.Errorf("replaying s3.wal: %w", err)
	}
	s.log = log
	return s, wal.SyncDir(dir)
}

func (s *objectStore) apply(rec s3Record) error {
	var err error
	switch rec.Op {
	case "CreateBucket":
		err = s.mem.CreateBucket(rec.Bucket)
	case "DeleteBucket":
		err = s.mem.DeleteBucket(rec.Bucket)
	case "ForceDeleteBucket":
		err = s.mem.ForceDeleteBucket(rec.Bucket)
	case "PutObject":
		body := rec.Body
		if rec.Blob != "" {
			if _, serr := os.Stat(s.blobPath(rec.Blob)); serr != nil {
				return fmt.Errorf("the object's content file %s is missing: %w", s.blobPath(rec.Blob), serr)
			}
			body = s.register(blobRef{SHA256: rec.Blob, Size: rec.Size, MD5: rec.MD5})
		}
		_, err = s.mem.PutObject(rec.Bucket, rec.Key, rec.Meta, bytes.NewReader(body), int64(len(body)), nil)
	case "DeleteObject":
		_, err = s.mem.DeleteObject(rec.Bucket, rec.Key)
	case "DeleteMulti":
		_, err = s.mem.DeleteMulti(rec.Bucket, rec.Keys...)
	case "DeleteObjectVersion":
		_, err = s.mem.DeleteObjectVersion(rec.Bucket, rec.Key, gofakes3.VersionID(rec.VersionID))
	case "DeleteMultiVersions":
		_, err = s.mem.DeleteMultiVersions(rec.Bucket, rec.Objects...)
	case "SetVersioningConfiguration":
		err = s.mem.SetVersioningConfiguration(rec.Bucket, gofakes3.VersioningConfiguration{Status: gofakes3.VersioningStatus(rec.Versioning)})
	default:
		err = fmt.Errorf("unknown operation %q", rec.Op)
	}
	return err
}

// mutate runs one change under the lock with a fresh clock reading, logs
// it when it succeeded, and returns once the log record is durable.
func (s *objectStore) mutate(rec s3Record, do func() error) error {
	s.mu.Lock()
	s.opTime = s.clock()
	rec.Time = s.opTime
	if err := do(); err != nil {
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
	return s.mem.ListBuckets()
}

func (s *objectStore) ListBucket(name string, prefix *gofakes3.Prefix, page gofakes3.ListBucketPage) (*gofakes3.ObjectList, error) {
	defer s.settled()
	s.mu.Lock()
	defer s.mu.Unlock()
	list, err := s.mem.ListBucket(name, prefix, page)
	s.fixList(list)
	return list, err
}

func (s *objectStore) BucketExists(name string) (bool, error) {
	defer s.settled()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mem.BucketExists(name)
}

func (s *objectStore) GetObject(bucket, key string, rng *gofakes3.ObjectRangeRequest) (*gofakes3.Object, error) {
	defer s.settled()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resolve(func(r *gofakes3.ObjectRangeRequest) (*gofakes3.Object, error) { return s.mem.GetObject(bucket, key, r) }, rng, true)
}

func (s *objectStore) HeadObject(bucket, key string) (*gofakes3.Object, error) {
	defer s.settled()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resolve(func(*gofakes3.ObjectRangeRequest) (*gofakes3.Object, error) { return s.mem.HeadObject(bucket, key) }, nil, false)
}

func (s *objectStore) VersioningConfiguration(bucket string) (gofakes3.VersioningConfiguration, error) {
	defer s.settled()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mem.VersioningConfiguration(bucket)
}

func (s *objectStore) GetObjectVersion(bucket, key string, v gofakes3.VersionID, rng *gofakes3.ObjectRangeRequest) (*gofakes3.Object, error) {
	defer s.settled()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resolve(func(r *gofakes3.ObjectRangeRequest) (*gofakes3.Object, error) {
		return s.mem.GetObjectVersion(bucket, key, v, r)
	}, rng, true)
}

func (s *objectStore) HeadObjectVersion(bucket, key string, v gofakes3.VersionID) (*gofakes3.Object, error) {
	defer s.settled()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resolve(func(*gofakes3.ObjectRangeRequest) (*gofakes3.Object, error) {
		return s.mem.HeadObjectVersion(bucket, key, v)
	}, nil, false)
}

// ListBucketVersions pages as S3 does: versions in key order, at most
// MaxKeys (default 1000) per page, the key-marker / version-id-marker pair
// exclusive, and a truncated page names where the next one starts
// (NextKeyMarker, NextVersionIdMarker). With a delimiter, common prefixes
// take their place in key order among the versions and count toward
// MaxKeys; a page that ends on one names it as NextKeyMarker, and the next
// page starts after everything under it. s3mem lists everything; the page
// is cut here.
func (s *objectStore) ListBucketVersions(bucket string, prefix *gofakes3.Prefix, page *gofakes3.ListBucketVersionsPage) (*gofakes3.ListBucketVersionsResult, error) {
	defer s.settled()
	s.mu.Lock()
	all, err := s.mem.ListBucketVersions(bucket, prefix, &gofakes3.ListBucketVersionsPage{})
	if all != nil {
		s.fixVersions(all.Versions)
	}
	s.mu.Unlock()
	if err != nil {
		return all, err
	}
	if page == nil {
		page = &gofakes3.ListBucketVersionsPage{}
	}
	res := gofakes3.NewListBucketVersionsResult(bucket, prefix, page)
	items := mergeVersionEntries(all.Versions, all.CommonPrefixes)
	start := 0
	if page.KeyMarker != "" {
		start = sort.Search(len(items), func(i int) bool { return items[i].key >= page.KeyMarker })
		if page.VersionIDMarker == "" {
			for start < len(items) && items[start].key == page.KeyMarker {
				start++
			}
		} else {
			at := start
			for at < len(items) && items[at].key == page.KeyMarker {
				id := items[at].versionID()
				at++
				if id == string(page.VersionIDMarker) || (id == "" && page.VersionIDMarker == "null") {
					start = at
					break
				}
			}
		}
	}
	limit := page.MaxKeys
	if limit <= 0 {
		limit = gofakes3.DefaultMaxBucketVersionKeys
	}
	end := len(items)
	if int64(end-start) > limit {
		end = start + int(limit)
	}
	for _, e := range items[start:end] {
		if e.version != nil {
			res.Versions = append(res.Versions, e.version)
		} else {
			res.CommonPrefixes = append(res.CommonPrefixes, gofakes3.CommonPrefix{Prefix: e.key})
		}
	}
	if end < len(items) {
		last := items[end-1]
		res.IsTruncated = true
		res.NextKeyMarker = last.key
		if last.version != nil {
			res.NextVersionIDMarker = gofakes3.VersionID(last.versionID())
			if res.NextVersionIDMarker == "" {
				res.NextVersionIDMarker = "null"
			}
		}
	}
	return res, nil
}

// versionEntry is one place of a version listing: a version (or delete
// marker) or, with a delimiter, a common prefix.
type versionEntry struct {
	key     string
	version gofakes3.VersionItem // nil for a common prefix
}

func (e versionEntry) versionID() string {
	if e.version == nil {
		return ""
	}
	return string(e.version.GetVersionID())
}

// mergeVersionEntries puts versions (in their listed order) and common
// prefixes together in key order.
func mergeVersionEntries(versions []gofakes3.VersionItem, prefixes []gofakes3.CommonPrefix) []versionEntry {
	out := make([]versionEntry, 0, len(versions)+len(prefixes))
	for _, v := range versions {
		out = append(out, versionEntry{key: versionKey(v), version: v})
	}
	for _, p := range prefixes {
		out = append(out, versionEntry{key: p.Prefix})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out
}

func versionKey(v gofakes3.VersionItem) string {
	switch x := v.(type) {
	case *gofakes3.Version:
		return x.Key
	case *gofakes3.DeleteMarker:
		return x.Key
	}
	return ""
}

// writes

func (s *objectStore) CreateBucket(name string) error {
	return s.mutate(s3Record{Op: "CreateBucket", Bucket: name}, func() error { return s.mem.CreateBucket(name) })
}

func (s *objectStore) DeleteBucket(name string) error {
	return s.mutate(s3Record{Op: "DeleteBucket", Bucket: name}, func() error { return s.mem.DeleteBucket(name) })
}

func (s *objectStore) ForceDeleteBucket(name string) error {
	return s.mutate(s3Record{Op: "ForceDeleteBucket", Bucket: name}, func() error { return s.mem.ForceDeleteBucket(name) })
}

func (s *objectStore) PutObject(bucket, key string, meta map[string]string, input io.Reader, size int64, cond *gofakes3.PutConditions) (gofakes3.PutObjectResult, error) {
	// Read up to the inline limit; beyond it the body streams to a file.
	body, err := io.ReadAll(io.LimitReader(input, inlineObjectMax+1))
	if err != nil {
		return gofakes3.PutObjectResult{}, err
	}
	rec := s3Record{Op: "PutObject", Bucket: bucket, Key: key, Meta: meta, Body: body}
	if len(body) > inlineObjectMax && s.blobDir != "" {
		ref, err := s.writeBlob(io.MultiReader(bytes.NewReader(body), input))
		if err != nil {
			return gofakes3.PutObjectResult{}, err
		}
		rec.Body, rec.Blob, rec.Size, rec.MD5 = nil, ref.SHA256, ref.Size, ref.MD5
		s.mu.Lock()
		body = s.register(ref)
		s.mu.Unlock()
	} else if len(body) > inlineObjectMax {
		rest, err := io.ReadAll(input) // in memory only: all of it is in memory anyway
		if err != nil {
			return gofakes3.PutObjectResult{}, err
		}
		body = append(body, rest...)
		rec.Body = body
	}
	var res gofakes3.PutObjectResult
	err = s.mutate(rec, func() error {
		var err error
		res, err = s.mem.PutObject(bucket, key, meta, bytes.NewReader(body), int64(len(body)), cond)
		return err
	})
	return res, err
}

func (s *objectStore) DeleteObject(bucket, key string) (gofakes3.ObjectDeleteResult, error) {
	var res gofakes3.ObjectDeleteResult
	err := s.mutate(s3Record{Op: "DeleteObject", Bucket: bucket, Key: key}, func() error {
		var err error
		res, err = s.mem.DeleteObject(bucket, key)
		return err
	})
	return res, err
}

func (s *objectStore) DeleteMulti(bucket string, keys ...string) (gofakes3.MultiDeleteResult, error) {
	var res gofakes3.MultiDeleteResult
	err := s.mutate(s3Record{Op: "DeleteMulti", Bucket: bucket, Keys: keys}, func() error {
		var err error
		res, err = s.mem.DeleteMulti(bucket, keys...)
		return err
	})
	return res, err
}

func (s *objectStore) CopyObject(srcBucket, srcKey, dstBucket, dstKey string, meta map[string]string) (gofakes3.CopyObjectResult, error) {
	// Through s, so the copy's PutObject is logged.
	return gofakes3.CopyObject(s, srcBucket, srcKey, dstBucket, dstKey, meta)
}

func (s *objectStore) SetVersioningConfiguration(bucket string, v gofakes3.VersioningConfiguration) error {
	return s.mutate(s3Record{Op: "SetVersioningConfiguration", Bucket: bucket, Versioning: string(v.Status)},
		func() error { return s.mem.SetVersioningConfiguration(bucket, v) })
}

func (s *objectStore) DeleteObjectVersion(bucket, key string, v gofakes3.VersionID) (gofakes3.ObjectDeleteResult, error) {
	var res gofakes3.ObjectDeleteResult
	err := s.mutate(s3Record{Op: "DeleteObjectVersion", Bucket: bucket, Key: key, VersionID: string(v)}, func() error {
		var err error
		res, err = s.mem.DeleteObjectVersion(bucket, key, v)
		return err
	})
	return res, err
}

func (s *objectStore) DeleteMultiVersions(bucket string, objects ...gofakes3.ObjectID) (gofakes3.MultiDeleteResult, error) {
	var res gofakes3.MultiDeleteResult
	err := s.mutate(s3Record{Op: "DeleteMultiVersions", Bucket: bucket, Objects: objects}, func() error {
		var err error
		res, err = s.mem.DeleteMultiVersions(bucket, objects...)
		return err
	})
	return res, err
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
