package s3

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/johannesboyne/gofakes3"
)

// Multipart uploads, durable and streamed (gofakes3 keeps every part in
// memory and joins them into one buffer, and an upload in progress would
// not survive a restart). A part is read as a PUT is: up to the inline
// limit into its log record, beyond it streamed to a content file (fsync'd
// before the record that names it). CompleteMultipartUpload streams the
// parts, in the order asked, into the object's own content file and logs
// the object as a PutObject of that content would be, so a GET never
// depends on the parts. An upload's parts stay live (never reclaimed at
// start) until it is completed or aborted.
//
// The object's ETag is the MD5 of its whole content, as for a single PUT;
// AWS gives a multipart object the MD5 of its parts' MD5s followed by -N
// (moto_differences.tsv). Not supported: UploadPartCopy (501).

const (
	maxPartNumber = 10000
	minPartSize   = 5 << 20 // every part but the last, as S3 requires
)

// upload is a multipart upload in progress.
type upload struct {
	id, bucket, key string
	meta            map[string]string
	initiated       time.Time
	parts           map[int]uploadedPart
}

type uploadedPart struct {
	content
	modified time.Time
}

func (p uploadedPart) etag() string { return `"` + hex.EncodeToString(p.md5) + `"` }

// s3Error is an S3 error answer: its status, code and message.
type s3Error struct {
	status        int
	code, message string
}

func (e *s3Error) Error() string { return e.code + ": " + e.message }

var (
	errNoSuchUpload = &s3Error{http.StatusNotFound, "NoSuchUpload",
		"The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed."}
	errNoSuchBucket = &s3Error{http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist"}
	errInvalidPart  = &s3Error{http.StatusBadRequest, "InvalidPart",
		"One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag."}
	errInvalidPartOrder = &s3Error{http.StatusBadRequest, "InvalidPartOrder",
		"The list of parts was not in ascending order. Parts must be ordered by part number."}
	errEntityTooSmall = &s3Error{http.StatusBadRequest, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size"}
	errMalformedXML   = &s3Error{http.StatusBadRequest, "MalformedXML",
		"The XML you provided was not well-formed or did not validate against our published schema"}
	errPartNumber = &s3Error{http.StatusBadRequest, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive"}
	errBadDigest  = &s3Error{http.StatusBadRequest, "BadDigest", "The Content-MD5 you specified did not match what we received."}
)

func newUploadID() string {
	b := make([]byte, 48)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *objectStore) createUpload(bucket, key string, meta map[string]string) (string, error) {
	id := newUploadID()
	err := s.mutate(s3Record{Op: "CreateMultipartUpload", Bucket: bucket, Key: key, Meta: meta, Upload: id}, func(at time.Time) error {
		return s.openUpload(id, bucket, key, meta, at)
	})
	return id, err
}

func (s *objectStore) openUpload(id, bucket, key string, meta map[string]string, at time.Time) error {
	if _, err := s.data.bucket(bucket); err != nil {
		return errNoSuchBucket
	}
	s.uploads[id] = &upload{id: id, bucket: bucket, key: key, meta: meta, initiated: at, parts: map[int]uploadedPart{}}
	return nil
}

// uploadOf is the upload id of bucket/key; the caller holds s.mu.
func (s *objectStore) uploadOf(id, bucket, key string) (*upload, error) {
	u, ok := s.uploads[id]
	if !ok || u.bucket != bucket || u.key != key {
		return nil, errNoSuchUpload
	}
	return u, nil
}

func (s *objectStore) uploadPart(id, bucket, key string, n int, r io.Reader, md5B64 string) (string, error) {
	s.mu.Lock()
	_, err := s.uploadOf(id, bucket, key)
	s.mu.Unlock()
	if err != nil {
		return "", err
	}
	rec := s3Record{Op: "UploadPart", Bucket: bucket, Key: key, Upload: id, Part: n}
	c, err := s.readContent(r, &rec)
	if err != nil {
		return "", err
	}
	if md5B64 != "" {
		if want, err := base64.StdEncoding.DecodeString(md5B64); err != nil || !bytes.Equal(want, c.md5) {
			return "", errBadDigest
		}
	}
	err = s.mutate(rec, func(at time.Time) error { return s.addPart(id, bucket, key, n, c, at) })
	return uploadedPart{content: c}.etag(), err
}

func (s *objectStore) addPart(id, bucket, key string, n int, c content, at time.Time) error {
	u, err := s.uploadOf(id, bucket, key)
	if err != nil {
		return err
	}
	u.parts[n] = uploadedPart{content: c, modified: at}
	return nil
}

type completedPart struct {
	PartNumber int    `xml:"PartNumber"`
	ETag       string `xml:"ETag"`
}

// completeUpload checks the parts asked for, streams them into the
// object's content and stores it as the key's new version.
func (s *objectStore) completeUpload(id, bucket, key string, asked []completedPart) (gofakes3.PutObjectResult, string, error) {
	var res gofakes3.PutObjectResult
	if len(asked) == 0 {
		return res, "", errMalformedXML
	}
	s.mu.Lock()
	u, err := s.uploadOf(id, bucket, key)
	// The order of the whole list first, then each part, then the sizes.
	for i := 1; err == nil && i < len(asked); i++ {
		if asked[i].PartNumber <= asked[i-1].PartNumber {
			err = errInvalidPartOrder
		}
	}
	var parts []uploadedPart
	for i := 0; err == nil && i < len(asked); i++ {
		p, ok := u.parts[asked[i].PartNumber]
		if !ok || strings.Trim(asked[i].ETag, `"`) != strings.Trim(p.etag(), `"`) {
			err = errInvalidPart
		}
		parts = append(parts, p)
	}
	for i := 0; err == nil && i < len(parts)-1; i++ {
		if parts[i].size < minPartSize {
			err = errEntityTooSmall
		}
	}
	var meta map[string]string
	if err == nil {
		meta = make(map[string]string, len(u.meta)+1)
		for k, v := range u.meta {
			meta[k] = v
		}
	}
	s.mu.Unlock()
	if err != nil {
		return res, "", err
	}
	meta["Last-Modified"] = s.clock().UTC().Format(http.TimeFormat)
	rec := s3Record{Op: "CompleteMultipartUpload", Bucket: bucket, Key: key, Upload: id, Meta: meta}
	joined := &partsReader{store: s, parts: parts}
	defer joined.close()
	c, err := s.readContent(joined, &rec)
	if err != nil {
		return res, "", err
	}
	err = s.mutate(rec, func(at time.Time) error {
		var err error
		res, err = s.finishUpload(id, bucket, key, meta, c, at)
		return err
	})
	return res, `"` + hex.EncodeToString(c.md5) + `"`, err
}

// partsReader reads parts one after the other, with one part's file open
// at a time.
type partsReader struct {
	store *objectStore
	parts []uploadedPart
	cur   io.Reader
	file  *os.File
}

func (r *partsReader) Read(p []byte) (int, error) {
	for {
		if r.cur == nil {
			if len(r.parts) == 0 {
				return 0, io.EOF
			}
			next := r.parts[0]
			r.parts = r.parts[1:]
			if next.blob == "" {
				r.cur = bytes.NewReader(next.body)
			} else {
				f, err := os.Open(r.store.blobPath(next.blob))
				if err != nil {
					return 0, err
				}
				r.file, r.cur = f, f
			}
		}
		n, err := r.cur.Read(p)
		if err == io.EOF {
			r.close()
			r.cur = nil
			if n > 0 {
				return n, nil
			}
			continue
		}
		return n, err
	}
}

func (r *partsReader) close() {
	if r.file != nil {
		_ = r.file.Close()
		r.file = nil
	}
}

func (s *objectStore) finishUpload(id, bucket, key string, meta map[string]string, c content, at time.Time) (gofakes3.PutObjectResult, error) {
	if _, err := s.uploadOf(id, bucket, key); err != nil {
		return gofakes3.PutObjectResult{}, err
	}
	res, err := s.data.put(bucket, key, meta, c, at, nil)
	if err == nil {
		delete(s.uploads, id)
	}
	return res, err
}

func (s *objectStore) abortUpload(id, bucket, key string) error {
	return s.mutate(s3Record{Op: "AbortMultipartUpload", Bucket: bucket, Key: key, Upload: id}, func(time.Time) error {
		return s.dropUpload(id, bucket, key)
	})
}

func (s *objectStore) dropUpload(id, bucket, key string) error {
	if _, err := s.uploadOf(id, bucket, key); err != nil {
		return err
	}
	delete(s.uploads, id)
	return nil
}

// dropBucketUploads forgets the uploads of a deleted bucket; the caller
// holds s.mu.
func (s *objectStore) dropBucketUploads(bucket string) {
	for id, u := range s.uploads {
		if u.bucket == bucket {
			delete(s.uploads, id)
		}
	}
}

// applyUpload replays a multipart record; false when rec is not one.
func (s *objectStore) applyUpload(rec s3Record) (bool, error) {
	switch rec.Op {
	case "CreateMultipartUpload":
		return true, s.openUpload(rec.Upload, rec.Bucket, rec.Key, rec.Meta, rec.Time)
	case "UploadPart":
		c, err := recordContent(rec)
		if err != nil {
			return true, err
		}
		return true, s.addPart(rec.Upload, rec.Bucket, rec.Key, rec.Part, c, rec.Time)
	case "CompleteMultipartUpload":
		c, err := recordContent(rec)
		if err != nil {
			return true, err
		}
		_, err = s.finishUpload(rec.Upload, rec.Bucket, rec.Key, rec.Meta, c, rec.Time)
		return true, err
	case "AbortMultipartUpload":
		return true, s.dropUpload(rec.Upload, rec.Bucket, rec.Key)
	}
	return false, nil
}

// uploadBlobs calls each for every part of an upload in progress that
// names a content file.
func (s *objectStore) uploadBlobs(each func(u *upload, n int, p uploadedPart) error) error {
	for _, u := range s.uploads {
		for n, p := range u.parts {
			if p.blob == "" {
				continue
			}
			if err := each(u, n, p); err != nil {
				return err
			}
		}
	}
	return nil
}

// The HTTP side.

// serveMultipart answers the multipart operations; false when r is not one.
func (s *Service) serveMultipart(w http.ResponseWriter, r *http.Request) bool {
	q := r.URL.Query()
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	var err error
	switch op := multipartOperation(r); op {
	case "":
		return false
	case "CreateMultipartUpload":
		var id string
		if id, err = s.store.createUpload(bucket, key, uploadMeta(r.Header)); err == nil {
			writeXML(w, struct {
				XMLName  xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ InitiateMultipartUploadResult"`
				Bucket   string
				Key      string
				UploadID string `xml:"UploadId"`
			}{Bucket: bucket, Key: key, UploadID: id})
		}
	case "UploadPart":
		n, perr := strconv.Atoi(q.Get("partNumber"))
		if perr != nil || n < 1 || n > maxPartNumber {
			err = errPartNumber
			break
		}
		if r.Header.Get("X-Amz-Copy-Source") != "" {
			err = &s3Error{http.StatusNotImplemented, "NotImplemented", "A header you provided implies functionality that is not implemented"}
			break
		}
		var etag string
		if etag, err = s.store.uploadPart(q.Get("uploadId"), bucket, key, n, decodedBody(r), r.Header.Get("Content-MD5")); err == nil {
			w.Header().Set("ETag", etag)
			w.WriteHeader(http.StatusOK)
		}
	case "CompleteMultipartUpload":
		var in struct {
			Parts []completedPart `xml:"Part"`
		}
		if xerr := xml.NewDecoder(io.LimitReader(r.Body, 10<<20)).Decode(&in); xerr != nil {
			err = errMalformedXML
			break
		}
		var res gofakes3.PutObjectResult
		var etag string
		if res, etag, err = s.store.completeUpload(q.Get("uploadId"), bucket, key, in.Parts); err == nil {
			if res.VersionID != "" {
				w.Header().Set("x-amz-version-id", string(res.VersionID))
			}
			writeXML(w, struct {
				XMLName  xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ CompleteMultipartUploadResult"`
				Location string
				Bucket   string
				Key      string
				ETag     string
			}{Location: "http://" + r.Host + "/" + bucket + "/" + key, Bucket: bucket, Key: key, ETag: etag})
		}
	case "AbortMultipartUpload":
		if err = s.store.abortUpload(q.Get("uploadId"), bucket, key); err == nil {
			w.WriteHeader(http.StatusNoContent)
		}
	case "ListParts":
		err = s.listParts(w, q, bucket, key)
	case "ListMultipartUploads":
		err = s.listUploads(w, q, bucket)
	}
	if err != nil {
		se := answerFor(err)
		WriteError(w, se.status, se.code, se.message)
	}
	return true
}

// answerFor is the S3 error answer of err: ours, gofakes3's codes (a
// bucket deleted meanwhile), a body that ended early or was badly framed
// (400 IncompleteBody), else 500.
func answerFor(err error) *s3Error {
	var se *s3Error
	if errors.As(err, &se) {
		return se
	}
	var ec interface{ ErrorCode() gofakes3.ErrorCode }
	if errors.As(err, &ec) {
		code := ec.ErrorCode()
		return &s3Error{code.Status(), string(code), code.Message()}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, errBadChunk) {
		return &s3Error{http.StatusBadRequest, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header"}
	}
	return &s3Error{http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again."}
}

// multipartOperation names a multipart request; "" for any other.
func multipartOperation(r *http.Request) string {
	q := r.URL.Query()
	path := strings.Trim(r.URL.Path, "/")
	object := strings.Contains(path, "/")
	switch {
	case !object && q.Has("uploads") && r.Method == http.MethodGet:
		return "ListMultipartUploads"
	case !object:
		return ""
	case q.Has("uploads") && r.Method == http.MethodPost:
		return "CreateMultipartUpload"
	case !q.Has("uploadId"):
		return ""
	case r.Method == http.MethodPut && q.Has("partNumber"):
		return "UploadPart"
	case r.Method == http.MethodPost:
		return "CompleteMultipartUpload"
	case r.Method == http.MethodDelete:
		return "AbortMultipartUpload"
	case r.Method == http.MethodGet:
		return "ListParts"
	}
	return ""
}

// uploadMeta is what an object keeps of the request that starts it.
func uploadMeta(h http.Header) map[string]string {
	meta := map[string]string{}
	for k, v := range h {
		if strings.HasPrefix(k, "X-Amz-Meta-") || k == "Content-Type" || k == "Content-Disposition" || k == "Content-Encoding" ||
			k == "Cache-Control" || k == "Content-Language" || k == "Expires" {
			meta[k] = v[0]
		}
	}
	return meta
}

// decodedBody is the request's payload: an aws-chunked body (a SigV4
// streaming upload, signed or unsigned with trailers) is unframed.
func decodedBody(r *http.Request) io.Reader {
	sha := r.Header.Get("X-Amz-Content-Sha256")
	if strings.HasPrefix(sha, "STREAMING-") || strings.Contains(r.Header.Get("Content-Encoding"), "aws-chunked") {
		return &awsChunked{r: bufio.NewReader(r.Body)}
	}
	return r.Body
}

var errBadChunk = errors.New("aws-chunked body")

// awsChunked unframes aws-chunked content: chunks of "<hex size>[;ext]\r\n
// <data>\r\n", ended by a chunk of size 0 (and trailers, ignored).
type awsChunked struct {
	r      *bufio.Reader
	remain int64
	done   bool
}

func (c *awsChunked) Read(p []byte) (int, error) {
	for c.remain == 0 {
		if c.done {
			return 0, io.EOF
		}
		line, err := c.r.ReadString('\n')
		if err != nil {
			return 0, fmt.Errorf("%w: it ended inside a chunk header", errBadChunk)
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			continue // the CRLF that ends the previous chunk's data
		}
		sizeHex, _, _ := strings.Cut(line, ";")
		n, err := strconv.ParseInt(strings.TrimSpace(sizeHex), 16, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%w: bad chunk header %q", errBadChunk, line)
		}
		if n == 0 {
			c.done = true
			return 0, io.EOF
		}
		c.remain = n
	}
	if int64(len(p)) > c.remain {
		p = p[:c.remain]
	}
	n, err := c.r.Read(p)
	c.remain -= int64(n)
	if err == io.EOF && c.remain > 0 {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

func (s *Service) listParts(w http.ResponseWriter, q url.Values, bucket, key string) error {
	maxParts := clampInt(q.Get("max-parts"), 1000, 1000)
	marker, _ := strconv.Atoi(q.Get("part-number-marker"))
	st := s.store
	defer st.settled()
	st.mu.Lock()
	u, err := st.uploadOf(q.Get("uploadId"), bucket, key)
	if err != nil {
		st.mu.Unlock()
		return err
	}
	var numbers []int
	for n := range u.parts {
		if n > marker {
			numbers = append(numbers, n)
		}
	}
	sort.Ints(numbers)
	type xmlPart struct {
		PartNumber   int
		LastModified string
		ETag         string
		Size         int64
	}
	out := struct {
		XMLName              xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListPartsResult"`
		Bucket               string
		Key                  string
		UploadID             string `xml:"UploadId"`
		PartNumberMarker     int
		NextPartNumberMarker int
		MaxParts             int
		IsTruncated          bool
		Parts                []xmlPart `xml:"Part"`
	}{Bucket: bucket, Key: key, UploadID: u.id, PartNumberMarker: marker, MaxParts: maxParts}
	for i, n := range numbers {
		if i == maxParts {
			out.IsTruncated = true
			break
		}
		p := u.parts[n]
		out.Parts = append(out.Parts, xmlPart{PartNumber: n, LastModified: p.modified.UTC().Format("2006-01-02T15:04:05.000Z"), ETag: p.etag(), Size: p.size})
		out.NextPartNumberMarker = n
	}
	st.mu.Unlock()
	writeXML(w, out)
	return nil
}

func (s *Service) listUploads(w http.ResponseWriter, q url.Values, bucket string) error {
	maxUploads := clampInt(q.Get("max-uploads"), 1000, 1000)
	prefix, keyMarker, idMarker := q.Get("prefix"), q.Get("key-marker"), q.Get("upload-id-marker")
	st := s.store
	defer st.settled()
	st.mu.Lock()
	if _, err := st.data.bucket(bucket); err != nil {
		st.mu.Unlock()
		return errNoSuchBucket
	}
	var all []*upload
	for _, u := range st.uploads {
		if u.bucket == bucket && strings.HasPrefix(u.key, prefix) {
			all = append(all, u)
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].key != all[j].key {
			return all[i].key < all[j].key
		}
		return all[i].initiated.Before(all[j].initiated) || (all[i].initiated.Equal(all[j].initiated) && all[i].id < all[j].id)
	})
	// The page starts after the markers: after every upload of a key
	// before key-marker (and of key-marker itself without an upload-id
	// marker), and after the upload upload-id-marker names.
	start := 0
	if keyMarker != "" {
		start = sort.Search(len(all), func(i int) bool { return all[i].key > keyMarker })
		if idMarker != "" {
			for i, u := range all {
				if u.key == keyMarker && u.id == idMarker {
					start = i + 1
					break
				}
			}
		}
	}
	all = all[start:]
	type xmlUpload struct {
		Key          string
		UploadID     string `xml:"UploadId"`
		Initiated    string
		StorageClass string
	}
	out := struct {
		XMLName            xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListMultipartUploadsResult"`
		Bucket             string
		KeyMarker          string
		UploadIDMarker     string `xml:"UploadIdMarker"`
		NextKeyMarker      string
		NextUploadIDMarker string `xml:"NextUploadIdMarker"`
		MaxUploads         int
		IsTruncated        bool
		Uploads            []xmlUpload `xml:"Upload"`
	}{Bucket: bucket, KeyMarker: keyMarker, UploadIDMarker: idMarker, MaxUploads: maxUploads}
	for i, u := range all {
		if i == maxUploads {
			out.IsTruncated = true
			break
		}
		out.Uploads = append(out.Uploads, xmlUpload{Key: u.key, UploadID: u.id, Initiated: u.initiated.UTC().Format("2006-01-02T15:04:05.000Z"), StorageClass: "STANDARD"})
		out.NextKeyMarker, out.NextUploadIDMarker = u.key, u.id
	}
	st.mu.Unlock()
	writeXML(w, out)
	return nil
}

func clampInt(s string, def, most int) int {
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return def
	}
	return min(n, most)
}

// writeXML answers 200 with v as S3's XML.
func writeXML(w http.ResponseWriter, v any) {
	b, err := xml.Marshal(v)
	if err != nil {
		WriteError(w, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, xml.Header)
	_, _ = w.Write(b)
}
