package statehistory

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	gojson "github.com/goccy/go-json"
)

// Source yields the stored revisions of one state.
type Source interface {
	Revisions(ctx context.Context) ([]Revision, error)
	String() string
}

// maxStateBytes bounds what one revision may be (a 100 MB state is read;
// a stray multi-gigabyte file is refused rather than exhausting memory).
const maxStateBytes = 512 << 20

func readLimited(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxStateBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxStateBytes {
		return nil, errTooLarge
	}
	return b, nil
}

var errTooLarge = fmt.Errorf("larger than %d MB: refusing to read it", maxStateBytes>>20)

// readRegular reads a local state file: regular files only (a named pipe
// would block forever, a device such as /dev/zero never ends), no larger
// than maxStateBytes, and checked again on the opened file so that a file
// swapped after the first look is refused too.
func readRegular(ctx context.Context, path string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := regular(info); err != nil {
		return nil, err
	}
	// O_NONBLOCK: opening a named pipe put there since the Stat must not
	// wait for a writer; the Stat of the opened file refuses it.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	if info, err = f.Stat(); err != nil {
		return nil, err
	}
	if err := regular(info); err != nil {
		return nil, err
	}
	return readLimited(f)
}

// regular refuses what is not a regular file of at most maxStateBytes.
func regular(info os.FileInfo) error {
	m := info.Mode()
	kind := ""
	switch {
	case m.IsRegular():
		if info.Size() > maxStateBytes {
			return errTooLarge
		}
		return nil
	case m.IsDir():
		kind = "a directory"
	case m&os.ModeNamedPipe != 0:
		kind = "a named pipe"
	case m&os.ModeSocket != 0:
		kind = "a socket"
	case m&(os.ModeDevice|os.ModeCharDevice) != 0:
		kind = "a device"
	default:
		kind = "mode " + m.String()
	}
	return fmt.Errorf("not a regular file (%s): refusing to read it; a state revision is a regular file", kind)
}

// LocalSource is a local state file with its backups:
// terraform.tfstate, terraform.tfstate.backup and timestamped backups
// (terraform.tfstate.<unix time>.backup, written by state commands).
type LocalSource struct {
	Path string
	// CacheDir and Parallel are as DirSource's.
	CacheDir string
	Parallel int
}

func (s LocalSource) String() string { return s.Path }

var timestampedBackup = regexp.MustCompile(`\.(\d{9,})\.backup$`)

func (s LocalSource) Revisions(ctx context.Context) ([]Revision, error) {
	l, err := s.list(ctx)
	if err != nil {
		return nil, err
	}
	return l.revisions(ctx)
}

// list lists the state file and its backups, oldest first.
func (s LocalSource) list(context.Context) (*listing, error) {
	dir, base := filepath.Dir(s.Path), filepath.Base(s.Path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []localFile
	found := false
	for _, e := range entries {
		name := e.Name()
		isBackup := strings.HasPrefix(name, base+".") && strings.HasSuffix(name, ".backup")
		if e.IsDir() || (name != base && !isBackup) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			return nil, err
		}
		t := info.ModTime()
		if m := timestampedBackup.FindStringSubmatch(name); m != nil {
			if sec, err := strconv.ParseInt(m[1], 10, 64); err == nil {
				t = time.Unix(sec, 0)
			}
		}
		if name == base {
			found = true
		}
		files = append(files, newLocalFile(name, t, info))
	}
	if !found {
		return nil, fmt.Errorf("%s: no such state file", s.Path)
	}
	// An unreadable backup is reported under its own path.
	return fileListing(dir, "", files, s.CacheDir, s.Parallel), nil
}

// DirSource is a folder of state snapshots (*.tfstate, *.json).
type DirSource struct {
	Dir string
	// CacheDir, when set, keeps each snapshot's summary on disk, keyed by
	// the file's path, size and modification time: a warm history decodes
	// no unchanged snapshot.
	CacheDir string
	// Parallel reads (default 8).
	Parallel int
}

func (s DirSource) String() string { return s.Dir }

func (s DirSource) Revisions(ctx context.Context) ([]Revision, error) {
	l, err := s.list(ctx)
	if err != nil {
		return nil, err
	}
	return l.revisions(ctx)
}

// list lists the folder's snapshots, oldest first.
func (s DirSource) list(context.Context) (*listing, error) {
	entries, err := os.ReadDir(s.Dir)
	if err != nil {
		return nil, err
	}
	var files []localFile
	for _, e := range entries {
		n := e.Name()
		snapshot := strings.HasSuffix(n, ".tfstate") || strings.HasSuffix(n, ".json") || strings.HasSuffix(n, ".backup")
		if e.IsDir() || !snapshot {
			continue
		}
		info, err := e.Info()
		if err != nil {
			return nil, err
		}
		files = append(files, newLocalFile(n, info.ModTime(), info))
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s holds no state snapshots (*.tfstate, *.json, *.backup)", s.Dir)
	}
	return fileListing(s.Dir, s.Dir, files, s.CacheDir, s.Parallel), nil
}

// localFile is one local snapshot: the name it is listed by, the time it
// stands for (Unix nanoseconds), and what the listing said of it (size,
// modification time, inode), kept small: a listing holds one per
// revision.
type localFile struct {
	name                      string
	unixNanos, size, modNanos int64
	ino                       uint64
}

func newLocalFile(name string, t time.Time, info os.FileInfo) localFile {
	f := localFile{name: name, unixNanos: t.UnixNano(), size: info.Size(), modNanos: info.ModTime().UnixNano()}
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		f.ino = st.Ino
	}
	return f
}

// fileListing lists the snapshots files of dir oldest first (by the time
// each stands for; a tie keeps the folder's order), each summarised from
// the cache when its summary is there; an unreadable one is reported
// under errSource (its own path when empty).
func fileListing(dir, errSource string, files []localFile, cacheDir string, par int) *listing {
	files = append([]localFile(nil), files...) // no spare capacity: held while the history is walked
	sort.SliceStable(files, func(i, j int) bool { return files[i].unixNanos < files[j].unixNanos })
	at := func(i int) time.Time { return time.Unix(0, files[i].unixNanos).UTC() }
	memo := newBodyMemo()
	return &listing{n: len(files), par: par, at: at, read: func(ctx context.Context, i int) Revision {
		f, t, path := files[i], at(i), filepath.Join(dir, files[i].name)
		key := ""
		if f.size >= cacheMinBytes {
			key = fileCacheKey(cacheDir, path, f)
		}
		if rev, ok := cachedSummary(key, f.name, memo); ok {
			rev.Time, rev.Source, rev.load = t, path, fileLoader(path)
			return rev
		}
		b, err := readRegular(ctx, path)
		if err != nil {
			src := errSource
			if src == "" {
				src = path
			}
			return Revision{ID: f.name, Source: src, Time: t, Error: err.Error()}
		}
		rev := newRevision(f.name, path, t, b, fileLoader(path))
		saveSummary(key, &rev, memo)
		return rev
	}}
}

// cacheMinBytes is the smallest snapshot whose summary is cached: a
// smaller one is summarised faster than its cached summary is written.
const cacheMinBytes = 64 << 10

// summaryFormat names the shape of a cached summary: a summary cached by a
// rolloutctl that read less (before groups, say) is not used.
const summaryFormat = "s3"

// fileCacheKey names the cached summary of a local snapshot by its path,
// size and modification time (and inode where there is one): a file
// rewritten in place gets another key. Empty when there is no cache.
func fileCacheKey(cacheDir, path string, f localFile) string {
	if cacheDir == "" {
		return ""
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(fmt.Appendf(nil, "file\x00%s\x00%s\x00%d\x00%d\x00%d", summaryFormat, abs, f.size, f.modNanos, f.ino))
	return filepath.Join(cacheDir, "files", hex.EncodeToString(sum[:16])+".summary")
}

// A cached summary is two files: the revision's own (its id, time,
// serial, lineage, hash and flags, a few hundred bytes) naming the hash of
// its body (the aliases, groups, functions and tainted resources it
// shows), and the body, stored once under that hash in bodies/ beside it.
// Consecutive revisions mostly show the same body (a state is rewritten
// for changes elsewhere), so a warm history decodes each distinct body
// once (bodyMemo, per listing) and the cache holds each once on disk.

// summaryBody is the part of a summary that revisions share.
type summaryBody struct {
	Aliases   []AliasView    `json:"aliases,omitempty"`
	Groups    []GroupView    `json:"groups,omitempty"`
	Functions []FunctionView `json:"functions,omitempty"`
	Tainted   []string       `json:"tainted,omitempty"`
}

// cacheEntry is a revision's own cache file: the revision with its
// summary left out, and the hash of its body.
type cacheEntry struct {
	Revision
	Body string `json:"body"`
}

// bodyMemo holds the bodies one listing decoded or wrote last, by hash,
// so that equal bodies are decoded once and share their slices. It keeps
// at most memoBodies (the oldest put goes first): revisions are read in
// order, and equal bodies come in runs, so a few catch nearly every
// repeat while a walk's memory stays independent of the history's length
// (a body of 100 function/alias pairs is about 50 KB decoded; the memo
// is most of what a walk holds besides the revisions it keeps).
type bodyMemo struct {
	mu     sync.Mutex
	bodies map[string]*summaryBody
	order  []string // hashes, the oldest put first
}

const memoBodies = 8

func newBodyMemo() *bodyMemo { return &bodyMemo{bodies: map[string]*summaryBody{}} }

func (m *bodyMemo) get(hash string) (*summaryBody, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.bodies[hash]
	return b, ok
}

// put keeps b under hash and returns the body kept (the first one put).
func (m *bodyMemo) put(hash string, b *summaryBody) *summaryBody {
	m.mu.Lock()
	defer m.mu.Unlock()
	if have, ok := m.bodies[hash]; ok {
		return have
	}
	if len(m.order) == memoBodies {
		delete(m.bodies, m.order[0])
		m.order = append(m.order[:0], m.order[1:]...)
	}
	m.bodies[hash] = b
	m.order = append(m.order, hash)
	return b
}

func bodyPath(key, hash string) string {
	return filepath.Join(filepath.Dir(key), "bodies", hash+".json")
}

var bodyHashRE = regexp.MustCompile(`^[0-9a-f]{32}$`)

// cachedSummary reads the summary cached at key for the revision id. The
// cache is this package's own output: the fast decoder reads it, and an
// entry it cannot read is a miss (the revision is read again).
func cachedSummary(key, id string, memo *bodyMemo) (Revision, bool) {
	if key == "" {
		return Revision{}, false
	}
	b, err := os.ReadFile(key)
	if err != nil {
		return Revision{}, false
	}
	var e cacheEntry
	if gojson.Unmarshal(b, &e) != nil || e.ID != id || !bodyHashRE.MatchString(e.Body) {
		return Revision{}, false
	}
	body, ok := memo.get(e.Body)
	if !ok {
		raw, err := os.ReadFile(bodyPath(key, e.Body))
		if err != nil {
			return Revision{}, false
		}
		body = &summaryBody{}
		if gojson.Unmarshal(raw, body) != nil {
			return Revision{}, false
		}
		body = memo.put(e.Body, body)
	}
	r := e.Revision
	r.Flags = nil
	r.Aliases, r.Groups, r.Functions, r.Tainted = body.Aliases, body.Groups, body.Functions, body.Tainted
	return r, true
}

// saveSummary caches a readable revision's summary at key, its body under
// its hash unless there already (each file written to a temporary file and
// renamed, so a reader never sees half of one). The revision takes the
// memo's body when an equal one was seen, so equal summaries share.
func saveSummary(key string, r *Revision, memo *bodyMemo) {
	if key == "" || r.Error != "" {
		return // nothing to write (shareSummaries still shares runs)
	}
	body := &summaryBody{Aliases: r.Aliases, Groups: r.Groups, Functions: r.Functions, Tainted: r.Tainted}
	raw, err := gojson.Marshal(body)
	if err != nil {
		return
	}
	sum := sha256.Sum256(raw)
	hash := hex.EncodeToString(sum[:16])
	if kept := memo.put(hash, body); kept != body {
		r.Aliases, r.Groups, r.Functions, r.Tainted = kept.Aliases, kept.Groups, kept.Functions, kept.Tainted
	}
	bp := bodyPath(key, hash)
	if _, err := os.Stat(bp); err != nil && (os.MkdirAll(filepath.Dir(bp), 0o700) != nil || !writeRenamed(bp, raw)) {
		return
	}
	e := cacheEntry{Revision: *r, Body: hash}
	e.Flags, e.Aliases, e.Groups, e.Functions, e.Tainted = nil, nil, nil, nil, nil
	b, err := gojson.Marshal(e)
	if err != nil || os.MkdirAll(filepath.Dir(key), 0o700) != nil {
		return
	}
	writeRenamed(key, b)
}

// writeRenamed writes path through a temporary file and a rename.
func writeRenamed(path string, b []byte) bool {
	tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
	if os.WriteFile(tmp, b, 0o600) != nil {
		_ = os.Remove(tmp)
		return false
	}
	if os.Rename(tmp, path) != nil {
		_ = os.Remove(tmp)
		return false
	}
	return true
}

// ReaderSource is one state read from a stream (terraform state pull | rolloutctl ...).
type ReaderSource struct {
	R    io.Reader
	Name string
}

func (s ReaderSource) String() string { return s.Name }

// Revisions reads the stream to its end, or returns when ctx is cancelled
// (a terminal or a pipe that never closes must not outlive Ctrl-C).
func (s ReaderSource) Revisions(ctx context.Context) ([]Revision, error) {
	type read struct {
		b   []byte
		err error
	}
	done := make(chan read, 1)
	go func() {
		b, err := readLimited(s.R)
		done <- read{b, err}
	}()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case r := <-done:
		if r.err != nil {
			return nil, r.err
		}
		return []Revision{newRevision(s.Name, s.Name, time.Now(), r.b, nil)}, nil
	}
}

// S3Source is every object version of an S3 state key; Workspace adds the
// workspace prefix (env:/<workspace>/<key>).
type S3Source struct {
	Client    *s3.Client
	Bucket    string
	Key       string
	Workspace string
	// Parallel fetches (default 8).
	Parallel int
	// Progress, when set, is told how many versions were fetched.
	Progress func(done, total int)
	// CacheDir, when set, keeps each fetched object version on disk: an
	// object version never changes, so a warm history reads no S3 object.
	CacheDir string
	// pageSize, when set (tests), is how many versions a listing page
	// asks for (MaxKeys); S3's default is 1,000.
	pageSize int32
}

// objectVersion is one version of the state object, as the listing
// describes it.
type objectVersion struct {
	id           string
	lastModified int64 // Unix nanoseconds
	etag         string
	size         int64
}

// cachePath names the cached copy of an object version. A version id is
// unique only within one bucket of one S3 service (a local server can hand
// out the same ids again after a restart), so the name also covers the
// endpoint and what the listing says of the version: its ETag, size and
// time. A cached copy is used only for the very object it was made from.
func (s S3Source) cachePath(v objectVersion) string {
	endpoint := ""
	if s.Client != nil {
		endpoint = aws.ToString(s.Client.Options().BaseEndpoint) + "\x00" + s.Client.Options().Region
	}
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%s\x00%s\x00%s\x00%s\x00%d\x00%d",
		endpoint, s.Bucket, s.key(), v.id, v.etag, v.size, v.lastModified))
	return filepath.Join(s.CacheDir, hex.EncodeToString(sum[:16])+".tfstate")
}

// summaryKey names the cached summary of an object version (empty when
// there is no cache).
func (s S3Source) summaryKey(version objectVersion) string {
	if s.CacheDir == "" {
		return ""
	}
	return s.cachePath(version) + "." + summaryFormat + ".summary"
}

// fetch reads one object version, from the cache when it is there; keep
// caches what it read. A history keeps only each version's summary
// (saveSummary): caching every state would take as much disk as the
// bucket; a state is kept when it is loaded again (diff, --write-state).
func (s S3Source) fetch(ctx context.Context, version objectVersion, keep bool) ([]byte, error) {
	if s.CacheDir != "" {
		if b, err := os.ReadFile(s.cachePath(version)); err == nil {
			return b, nil
		}
	}
	out, err := s.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(s.key()), VersionId: aws.String(version.id)})
	if err != nil {
		return nil, err
	}
	b, err := readLimited(out.Body)
	_ = out.Body.Close()
	if err != nil {
		return nil, err
	}
	if keep && s.CacheDir != "" && os.MkdirAll(s.CacheDir, 0o700) == nil {
		tmp := s.cachePath(version) + ".tmp"
		if os.WriteFile(tmp, b, 0o600) == nil {
			_ = os.Rename(tmp, s.cachePath(version))
		}
	}
	return b, nil
}

func (s S3Source) key() string {
	if s.Workspace != "" && s.Workspace != "default" {
		return "env:/" + s.Workspace + "/" + s.Key
	}
	return s.Key
}

func (s S3Source) String() string { return "s3://" + s.Bucket + "/" + s.key() }

func (s S3Source) Revisions(ctx context.Context) ([]Revision, error) {
	l, err := s.list(ctx)
	if err != nil {
		return nil, err
	}
	return l.revisions(ctx)
}

// pages hands fn the object's versions a listing page at a time, as S3
// lists them (a key's versions newest first).
func (s S3Source) pages(ctx context.Context, fn func([]objectVersion) error) error {
	// Paged by hand: a server that answers "truncated" without moving the
	// markers on would otherwise be asked for the same page forever.
	in := &s3.ListObjectVersionsInput{Bucket: aws.String(s.Bucket), Prefix: aws.String(s.key())}
	if s.pageSize > 0 {
		in.MaxKeys = aws.Int32(s.pageSize)
	}
	var vs []objectVersion
	for {
		page, err := s.Client.ListObjectVersions(ctx, in)
		if err != nil {
			return fmt.Errorf("listing versions of %s: %w", s, err)
		}
		vs = vs[:0]
		for _, v := range page.Versions {
			if aws.ToString(v.Key) == s.key() {
				vs = append(vs, objectVersion{id: aws.ToString(v.VersionId), lastModified: aws.ToTime(v.LastModified).UnixNano(),
					etag: aws.ToString(v.ETag), size: aws.ToInt64(v.Size)})
			}
		}
		if err := fn(vs); err != nil {
			return err
		}
		if !aws.ToBool(page.IsTruncated) {
			return nil
		}
		next, nextVersion := aws.ToString(page.NextKeyMarker), aws.ToString(page.NextVersionIdMarker)
		if next == "" || (next == aws.ToString(in.KeyMarker) && nextVersion == aws.ToString(in.VersionIdMarker)) {
			return fmt.Errorf("listing versions of %s: the server answered a truncated page whose NextKeyMarker %q / NextVersionIdMarker %q does not advance past the previous page; stopping instead of asking for the same page again (is the S3 endpoint a faithful implementation?)", s, next, nextVersion)
		}
		in.KeyMarker, in.VersionIdMarker = page.NextKeyMarker, page.NextVersionIdMarker
	}
}

func (s S3Source) noVersions() error {
	return fmt.Errorf("%s has no object versions (is bucket versioning enabled?)", s)
}

// list lists the object's versions, oldest first.
func (s S3Source) list(ctx context.Context) (*listing, error) {
	var refs []objectVersion
	if err := s.pages(ctx, func(page []objectVersion) error {
		refs = append(refs, page...)
		return nil
	}); err != nil {
		return nil, err
	}
	if len(refs) == 0 {
		return nil, s.noVersions()
	}
	refs = append([]objectVersion(nil), refs...) // no spare capacity: held while the history is walked
	sort.SliceStable(refs, func(i, j int) bool { return refs[i].lastModified < refs[j].lastModified })
	memo := newBodyMemo()
	return &listing{n: len(refs), par: s.Parallel, progress: s.Progress,
		at:   func(i int) time.Time { return time.Unix(0, refs[i].lastModified).UTC() },
		read: func(ctx context.Context, i int) Revision { return s.read(ctx, refs[i], memo) }}, nil
}

// read builds one version's revision: its cached summary, or the summary
// of the object read (and then cached).
func (s S3Source) read(ctx context.Context, v objectVersion, memo *bodyMemo) Revision {
	at := time.Unix(0, v.lastModified).UTC()
	loader := func(ctx context.Context) ([]byte, error) { return s.fetch(ctx, v, true) }
	if rev, ok := cachedSummary(s.summaryKey(v), v.id, memo); ok {
		rev.load = loader
		return rev
	}
	b, err := s.fetch(ctx, v, false)
	if err != nil {
		return Revision{ID: v.id, Source: s.String(), Time: at, Error: err.Error()}
	}
	rev := newRevision(v.id, s.String(), at, b, loader)
	saveSummary(s.summaryKey(v), &rev, memo)
	return rev
}

func fileLoader(path string) func(context.Context) ([]byte, error) {
	return func(ctx context.Context) ([]byte, error) { return readRegular(ctx, path) }
}
