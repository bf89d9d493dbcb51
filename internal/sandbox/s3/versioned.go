package s3

import (
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/johannesboyne/gofakes3"
)

// bucketSet is the sandbox's versioned object model: buckets, their
// versioning state, and every key's versions and delete markers in the
// order they were written. It does no locking and no I/O (objectStore holds
// the lock, logs each change and reads content files); every change takes
// its clock reading as an argument, so a replayed log rebuilds the same
// timestamps, and version ids come from a seeded sequence, so it rebuilds
// the same ids.
//
// Versioning follows S3: a bucket whose versioning was never enabled keeps
// one version per key (the "null" version, id ""); once enabled, every PUT
// adds a version and a DELETE without an id adds a delete marker; when
// suspended, a PUT or DELETE replaces the null version and leaves the
// others. Deleting a version by id removes it, and the newest remaining
// version or delete marker becomes current; a key whose last version goes
// is gone.
type bucketSet struct {
	buckets map[string]*bucket
	ids     versionIDs
}

type bucket struct {
	name       string
	created    time.Time
	versioning gofakes3.VersioningStatus // "" never enabled, Enabled, Suspended
	keys       []string                  // sorted: every key with a version
	objects    map[string]*object
}

// object is one key's versions, oldest first: the last one is current.
type object struct {
	versions []*version
}

// version is one version of a key, or a delete marker.
type version struct {
	key          string
	id           string // "" is the null version
	modified     time.Time
	deleteMarker bool
	meta         map[string]string
	md5          []byte
	size         int64
	body         []byte // the content when inline
	blob         string // sha256 of the content file when out of line
}

// content is what a PUT stores: inline bytes or a content file.
type content struct {
	body []byte
	blob string
	size int64
	md5  []byte
}

func newBucketSet(seed uint64) *bucketSet {
	return &bucketSet{buckets: map[string]*bucket{}, ids: versionIDs{state: seed}}
}

func (s *bucketSet) bucket(name string) (*bucket, error) {
	b := s.buckets[name]
	if b == nil {
		return nil, gofakes3.BucketNotFound(name)
	}
	return b, nil
}

func (s *bucketSet) createBucket(name string, at time.Time) error {
	if s.buckets[name] != nil {
		return gofakes3.ResourceError(gofakes3.ErrBucketAlreadyExists, name)
	}
	s.buckets[name] = &bucket{name: name, created: at, objects: map[string]*object{}}
	return nil
}

// deleteBucket removes an empty bucket (every version and delete marker
// gone), or any bucket when force is set.
func (s *bucketSet) deleteBucket(name string, force bool) error {
	b, err := s.bucket(name)
	if err != nil {
		return err
	}
	if len(b.keys) > 0 && !force {
		return gofakes3.ResourceError(gofakes3.ErrBucketNotEmpty, name)
	}
	delete(s.buckets, name)
	return nil
}

func (s *bucketSet) listBuckets() []gofakes3.BucketInfo {
	out := make([]gofakes3.BucketInfo, 0, len(s.buckets))
	for _, b := range s.buckets {
		out = append(out, gofakes3.BucketInfo{Name: b.name, CreationDate: gofakes3.NewContentTime(b.created)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// setVersioning: Enabled enables, Suspended suspends, an empty status
// changes nothing.
func (s *bucketSet) setVersioning(name string, status gofakes3.VersioningStatus) error {
	b, err := s.bucket(name)
	if err != nil {
		return err
	}
	if status == gofakes3.VersioningEnabled || status == gofakes3.VersioningSuspended {
		b.versioning = status
	}
	return nil
}

// put adds a version of key. The id sequence advances on every PUT,
// versioned or not, as s3mem's did, so a log written while s3mem kept the
// objects replays to the same ids.
func (s *bucketSet) put(bucketName, key string, meta map[string]string, c content, at time.Time, cond *gofakes3.PutConditions) (gofakes3.PutObjectResult, error) {
	var res gofakes3.PutObjectResult
	b, err := s.bucket(bucketName)
	if err != nil {
		return res, err
	}
	if cond != nil {
		info := &gofakes3.ConditionalObjectInfo{}
		if cur := b.current(key); cur != nil && !cur.deleteMarker {
			info.Exists, info.Hash = true, cur.md5
		}
		if err := gofakes3.CheckPutConditions(cond, info); err != nil {
			return res, err
		}
	}
	v := &version{key: key, modified: at, meta: meta, md5: c.md5, size: c.size, body: c.body, blob: c.blob}
	id := s.ids.next()
	if b.versioning == gofakes3.VersioningEnabled {
		v.id = id
	}
	b.add(v)
	if v.id != "" {
		res.VersionID = gofakes3.VersionID(v.id)
	}
	return res, nil
}

// deleteObject deletes key without a version id: with versioning enabled
// it adds a delete marker (none for a key that has no versions: s3mem
// added none, and a marker would take an id from the sequence); suspended,
// a null delete marker replaces the null version; never enabled, the key
// is gone.
func (s *bucketSet) deleteObject(bucketName, key string, at time.Time) (gofakes3.ObjectDeleteResult, error) {
	var res gofakes3.ObjectDeleteResult
	b, err := s.bucket(bucketName)
	if err != nil {
		return res, err
	}
	switch b.versioning {
	case gofakes3.VersioningEnabled:
		if b.objects[key] == nil {
			return res, nil
		}
		marker := &version{key: key, id: s.ids.next(), modified: at, deleteMarker: true}
		b.add(marker)
		res.IsDeleteMarker, res.VersionID = true, gofakes3.VersionID(marker.id)
	case gofakes3.VersioningSuspended:
		b.add(&version{key: key, modified: at, deleteMarker: true})
		res.IsDeleteMarker, res.VersionID = true, "null"
	default:
		b.remove(key)
	}
	return res, nil
}

// deleteVersion removes one version or delete marker ("null": the null
// version); the newest remaining one becomes current. A version that does
// not exist is no error, as on S3.
func (s *bucketSet) deleteVersion(bucketName, key string, id gofakes3.VersionID) (gofakes3.ObjectDeleteResult, error) {
	var res gofakes3.ObjectDeleteResult
	b, err := s.bucket(bucketName)
	if err != nil {
		return res, err
	}
	obj := b.objects[key]
	if obj == nil {
		return res, nil
	}
	want := storedID(id)
	for i, v := range obj.versions {
		if v.id != want {
			continue
		}
		obj.versions = append(obj.versions[:i:i], obj.versions[i+1:]...)
		if len(obj.versions) == 0 {
			b.remove(key)
		}
		res.IsDeleteMarker, res.VersionID = v.deleteMarker, id
		if want == "" {
			res.VersionID = "null"
		}
		return res, nil
	}
	return res, nil
}

// get returns the current version of key (an error when there is none or
// it is a delete marker), or the version id names.
func (s *bucketSet) get(bucketName, key string, id gofakes3.VersionID) (*bucket, *version, error) {
	b, err := s.bucket(bucketName)
	if err != nil {
		return nil, nil, err
	}
	obj := b.objects[key]
	if obj == nil {
		return nil, nil, gofakes3.KeyNotFound(key)
	}
	if id == "" {
		cur := obj.versions[len(obj.versions)-1]
		if cur.deleteMarker {
			return nil, nil, gofakes3.KeyNotFound(key)
		}
		return b, cur, nil
	}
	want := storedID(id)
	for _, v := range obj.versions {
		if v.id == want {
			return b, v, nil
		}
	}
	return nil, nil, gofakes3.ErrNoSuchVersion
}

// listEntry is one place of a listing in key order: a key's version (or
// delete marker), or, with a delimiter, a common prefix (v nil).
type listEntry struct {
	key    string
	v      *version
	latest bool
}

// entries lists what prefix matches in key order, each common prefix once
// at its own place; with allVersions every version of a key (newest
// first), else the current version of keys whose current version is not a
// delete marker. It starts at the first key not before from (a page's
// marker: earlier keys are never on the page) and stops after limit entries
// (0: no limit), so a page costs its own size, not the bucket's.
func (b *bucket) entries(prefix *gofakes3.Prefix, allVersions bool, from string, limit int) []listEntry {
	if prefix == nil {
		prefix = &gofakes3.Prefix{}
	}
	var out []listEntry
	var match gofakes3.PrefixMatch
	lastPrefix := ""
	first := 0
	if from != "" {
		// A common prefix before from whose keys reach past it is still
		// listed at its place (before from); start at the first key of
		// the prefix from falls under, if any.
		first = sort.SearchStrings(b.keys, from)
		if prefix.HasDelimiter {
			if p := prefix.Prefix; strings.HasPrefix(from, p) {
				if i := strings.Index(from[len(p):], prefix.Delimiter); i >= 0 {
					first = sort.SearchStrings(b.keys, from[:len(p)+i+len(prefix.Delimiter)])
				}
			}
		}
	}
	for _, key := range b.keys[first:] {
		if limit > 0 && len(out) >= limit {
			break
		}
		if !prefix.Match(key, &match) {
			continue
		}
		versions := b.objects[key].versions
		cur := versions[len(versions)-1]
		if !allVersions && cur.deleteMarker {
			continue
		}
		if match.CommonPrefix {
			if match.MatchedPart != lastPrefix {
				out = append(out, listEntry{key: match.MatchedPart})
				lastPrefix = match.MatchedPart
			}
			continue
		}
		if !allVersions {
			out = append(out, listEntry{key: key, v: cur, latest: true})
			continue
		}
		for i := len(versions) - 1; i >= 0; i-- {
			out = append(out, listEntry{key: key, v: versions[i], latest: i == len(versions)-1})
		}
	}
	return out
}

// current returns key's current version or delete marker, nil when none.
func (b *bucket) current(key string) *version {
	obj := b.objects[key]
	if obj == nil {
		return nil
	}
	return obj.versions[len(obj.versions)-1]
}

// add makes v key's current version; a null version (id "") replaces the
// key's null version.
func (b *bucket) add(v *version) {
	obj := b.objects[v.key]
	if obj == nil {
		obj = &object{}
		b.objects[v.key] = obj
		at := sort.SearchStrings(b.keys, v.key)
		b.keys = append(b.keys[:at], append([]string{v.key}, b.keys[at:]...)...)
	}
	if v.id == "" {
		kept := obj.versions[:0]
		for _, old := range obj.versions {
			if old.id != "" {
				kept = append(kept, old)
			}
		}
		obj.versions = kept
	}
	obj.versions = append(obj.versions, v)
}

// remove drops key with every version.
func (b *bucket) remove(key string) {
	if b.objects[key] == nil {
		return
	}
	delete(b.objects, key)
	at := sort.SearchStrings(b.keys, key)
	b.keys = append(b.keys[:at], b.keys[at+1:]...)
}

// shownID is the version id a client sees: none while versioning was
// never enabled, "null" for the null version.
func (b *bucket) shownID(v *version) gofakes3.VersionID {
	switch {
	case b.versioning == "":
		return ""
	case v.id == "":
		return "null"
	}
	return gofakes3.VersionID(v.id)
}

// nullVersionParam is how a request's versionId=null reaches the store
// (service.go).
const nullVersionParam = "null-version"

// storedID is the id a request's version id names ("" for the null
// version).
func storedID(id gofakes3.VersionID) string {
	if id == "null" || id == nullVersionParam {
		return ""
	}
	return string(id)
}

// versionIDs makes the version ids, the same sequence s3mem made from the
// same seed (so existing data dirs keep their ids): "3/" and the base32hex
// of a 30-digit counter, a zero byte, and 8 bytes of a splitmix64-style
// mix of the seeded state. Ids sort in the order they were made.
type versionIDs struct {
	state uint64
	n     uint64
}

func (g *versionIDs) next() string {
	g.n++
	raw := make([]byte, 30+1+8)
	copy(raw, fmt.Sprintf("%030d", g.n))
	g.state += 0x9E3779B97F4A7C15
	z := g.state
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	binary.LittleEndian.PutUint64(raw[31:], z)
	return "3/" + base32.HexEncoding.EncodeToString(raw)
}
