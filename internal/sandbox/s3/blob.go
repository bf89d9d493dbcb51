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
// and what was acknowledged survives a crash. A version names its content
// file; the same bytes under any number of keys and versions share one.
//
// Content files are reclaimed only at start, after the log replays: a file
// no live version names is deleted then (collectGarbage), and a live
// version whose file is missing stops the start (checkContent). Never
// while serving: a PUT writes its content file (or finds the same bytes
// already there and reuses the file) before it takes the store's lock, so
// deleting an unreferenced file at runtime would race with a PUT about to
// name it.
const inlineObjectMax = 256 << 10

// blobRef is one out-of-line content.
type blobRef struct {
	SHA256 string
	Size   int64
	MD5    string // hex, the object's ETag
}

func (s *objectStore) blobPath(sha string) string { return filepath.Join(s.blobDir, sha) }

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

// readContent reads a body as a PUT stores it: inline up to the limit,
// else streamed to a content file. It fills rec's content fields.
func (s *objectStore) readContent(r io.Reader, rec *s3Record) (content, error) {
	body, err := io.ReadAll(io.LimitReader(r, inlineObjectMax+1))
	if err != nil {
		return content{}, err
	}
	if len(body) > inlineObjectMax && s.blobDir != "" {
		ref, err := s.writeBlob(io.MultiReader(bytes.NewReader(body), r))
		if err != nil {
			return content{}, err
		}
		rec.Blob, rec.Size, rec.MD5 = ref.SHA256, ref.Size, ref.MD5
		sum, _ := hex.DecodeString(ref.MD5)
		return content{blob: ref.SHA256, size: ref.Size, md5: sum}, nil
	}
	if len(body) > inlineObjectMax {
		rest, err := io.ReadAll(r)
		if err != nil {
			return content{}, err
		}
		body = append(body, rest...)
	}
	rec.Body = body
	return inlineContent(body), nil
}

// recordContent is the content a replayed record names.
func recordContent(rec s3Record) (content, error) {
	if rec.Blob == "" {
		return inlineContent(rec.Body), nil
	}
	sum, err := hex.DecodeString(rec.MD5)
	if err != nil {
		return content{}, fmt.Errorf("the record's MD5 %q: %w", rec.MD5, err)
	}
	return content{blob: rec.Blob, size: rec.Size, md5: sum}, nil
}

// object is what gofakes3 answers for version v of bucket b: its content
// (the range of it asked for) when withBody, read from memory or from its
// content file. The caller holds s.mu.
func (s *objectStore) object(b *bucket, v *version, rng *gofakes3.ObjectRangeRequest, withBody bool) (*gofakes3.Object, error) {
	obj := &gofakes3.Object{Name: v.key, Metadata: v.meta, Size: v.size, Hash: v.md5, VersionID: b.shownID(v),
		IsDeleteMarker: v.deleteMarker, Contents: io.NopCloser(bytes.NewReader(nil))}
	if v.deleteMarker || !withBody {
		return obj, nil
	}
	r, err := rng.Range(v.size)
	if err != nil {
		return nil, err
	}
	start, length := int64(0), v.size
	if r != nil {
		start, length = r.Start, r.Length
	}
	obj.Range = r
	if v.blob == "" {
		obj.Contents = io.NopCloser(bytes.NewReader(v.body[start : start+length]))
		return obj, nil
	}
	f, err := os.Open(s.blobPath(v.blob))
	if err != nil {
		return nil, fmt.Errorf("opening the content of %s: %w", v.key, err)
	}
	obj.Contents = struct {
		io.Reader
		io.Closer
	}{io.NewSectionReader(f, start, length), f}
	return obj, nil
}

// liveBlobs calls each for every version that names a content file.
func (s *objectStore) liveBlobs(each func(b *bucket, v *version) error) error {
	for _, b := range s.data.buckets {
		for _, obj := range b.objects {
			for _, v := range obj.versions {
				if v.blob == "" {
					continue
				}
				if err := each(b, v); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// checkContent refuses a replayed store in which a live version's content
// file (or a part's of an upload in progress) is missing, naming the
// bucket, key, version (or upload and part) and file.
func (s *objectStore) checkContent() error {
	seen := map[string]bool{}
	if err := s.uploadBlobs(func(u *upload, n int, p uploadedPart) error {
		if _, err := os.Stat(s.blobPath(p.blob)); err != nil {
			return fmt.Errorf("s3.wal: part %d of the multipart upload %s of %s/%s has no content: its file %s is missing (%w); restore the file or remove the data dir",
				n, u.id, u.bucket, u.key, s.blobPath(p.blob), err)
		}
		return nil
	}); err != nil {
		return err
	}
	return s.liveBlobs(func(b *bucket, v *version) error {
		if seen[v.blob] {
			return nil
		}
		if _, err := os.Stat(s.blobPath(v.blob)); err != nil {
			return fmt.Errorf("s3.wal: object %s/%s (version %s) has no content: its file %s is missing (%w); restore the file or remove the data dir",
				b.name, v.key, b.shownID(v), s.blobPath(v.blob), err)
		}
		seen[v.blob] = true
		return nil
	})
}

// collectGarbage deletes the content files no live version names. It runs
// at start only, before anything is served (see the comment at the top).
func (s *objectStore) collectGarbage() error {
	live := map[string]bool{}
	_ = s.liveBlobs(func(_ *bucket, v *version) error { live[v.blob] = true; return nil })
	_ = s.uploadBlobs(func(_ *upload, _ int, p uploadedPart) error { live[p.blob] = true; return nil })
	entries, err := os.ReadDir(s.blobDir)
	if err != nil {
		return err
	}
	removed := false
	for _, e := range entries {
		if e.IsDir() || live[e.Name()] || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if err := os.Remove(s.blobPath(e.Name())); err != nil {
			return fmt.Errorf("reclaiming the content file %s: %w", s.blobPath(e.Name()), err)
		}
		removed = true
	}
	if removed {
		return wal.SyncDir(s.blobDir)
	}
	return nil
}
