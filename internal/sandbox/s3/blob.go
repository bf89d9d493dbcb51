package s3

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/johannesboyne/gofakes3"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/wal"
)

// Objects larger than inlineObjectMax are stored out of line: the body
// streams to a content-addressed file blobs/<sha256> that is fsync'd (and
// its folder too) before the log record naming it is written, so the log
// stays small, a PUT or GET of any size streams through a small buffer,
// and what was acknowledged survives a crash. s3mem, which keeps the
// versions, ids and timestamps, holds a short stub instead of the body;
// the wrapper turns a stub back into the real object on every read
// (content, size, ETag). Content files are never deleted (a sandbox keeps
// every version anyway; delete the data dir to reclaim space).
const inlineObjectMax = 256 << 10

// blobRef is one out-of-line content.
type blobRef struct {
	SHA256 string
	Size   int64
	MD5    string // hex, the object's ETag
}

func (s *objectStore) blobPath(sha string) string { return filepath.Join(s.blobDir, sha) }

// register records ref and returns the stub s3mem stores for it. The
// caller holds s.mu (or is replaying).
func (s *objectStore) register(ref blobRef) []byte {
	stub := []byte(fmt.Sprintf("rollout-sandbox-blob:%s:%d\n", ref.SHA256, ref.Size))
	sum := md5.Sum(stub)
	s.refs[hex.EncodeToString(sum[:])] = ref
	return stub
}

// lookup returns the out-of-line object a stub's hash names.
func (s *objectStore) lookup(hash []byte) (blobRef, bool) {
	ref, ok := s.refs[hex.EncodeToString(hash)]
	return ref, ok
}

func (s *objectStore) lookupETag(etag string) (blobRef, bool) {
	ref, ok := s.refs[strings.Trim(etag, `"`)]
	return ref, ok
}

// writeBlob streams r into its content file, durable before it returns.
func (s *objectStore) writeBlob(r io.Reader) (blobRef, error) {
	tmp, err := os.CreateTemp(s.blobDir, ".blob.tmp-*")
	if err != nil {
		return blobRef{}, err
	}
	name := tmp.Name()
	fail := func(err error) (blobRef, error) {
		_ = tmp.Close()
		_ = os.Remove(name)
		return blobRef{}, err
	}
	sh, m5 := sha256.New(), md5.New()
	n, err := io.CopyBuffer(io.MultiWriter(tmp, sh, m5), r, make([]byte, 1<<20))
	if err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		return fail(err)
	}
	ref := blobRef{SHA256: hex.EncodeToString(sh.Sum(nil)), Size: n, MD5: hex.EncodeToString(m5.Sum(nil))}
	if _, err := os.Stat(s.blobPath(ref.SHA256)); err == nil {
		_ = os.Remove(name) // the same content is already durable
		return ref, nil
	}
	if err := os.Rename(name, s.blobPath(ref.SHA256)); err != nil {
		_ = os.Remove(name)
		return blobRef{}, err
	}
	return ref, wal.SyncDir(s.blobDir)
}

// resolve turns a stub object into the real one, reading its content file
// (the range of it asked for). get fetches the object from s3mem with the
// range given; the caller holds s.mu.
func (s *objectStore) resolve(get func(*gofakes3.ObjectRangeRequest) (*gofakes3.Object, error), rng *gofakes3.ObjectRangeRequest, withBody bool) (*gofakes3.Object, error) {
	obj, err := get(nil)
	if err != nil || obj == nil || obj.IsDeleteMarker {
		return obj, err
	}
	ref, ok := s.lookup(obj.Hash)
	if !ok {
		if rng == nil {
			return obj, nil
		}
		if obj.Contents != nil {
			_ = obj.Contents.Close()
		}
		return get(rng)
	}
	if obj.Contents != nil {
		_ = obj.Contents.Close()
	}
	hash, _ := hex.DecodeString(ref.MD5)
	obj.Size, obj.Hash = ref.Size, hash
	obj.Contents = io.NopCloser(bytes.NewReader(nil))
	if !withBody {
		return obj, nil
	}
	r, err := rng.Range(ref.Size)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(s.blobPath(ref.SHA256))
	if err != nil {
		return nil, fmt.Errorf("opening the content of %s: %w", obj.Name, err)
	}
	start, length := int64(0), ref.Size
	if r != nil {
		start, length = r.Start, r.Length
	}
	obj.Range = r
	obj.Contents = struct {
		io.Reader
		io.Closer
	}{io.NewSectionReader(f, start, length), f}
	return obj, nil
}

// fixList gives listed stubs their real size and ETag.
func (s *objectStore) fixList(list *gofakes3.ObjectList) {
	if list == nil {
		return
	}
	for _, c := range list.Contents {
		if ref, ok := s.lookupETag(c.ETag); ok {
			c.Size, c.ETag = ref.Size, `"`+ref.MD5+`"`
		}
	}
}

func (s *objectStore) fixVersions(items []gofakes3.VersionItem) {
	for _, it := range items {
		if v, ok := it.(*gofakes3.Version); ok {
			if ref, ok := s.lookupETag(v.ETag); ok {
				v.Size, v.ETag = ref.Size, `"`+ref.MD5+`"`
			}
		}
	}
}
