package s3_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/rollout-tf/terraform-provider-rollout/internal/peers"
	sandboxs3 "github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/s3"
)

func randomBytes(n int, seed int64) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(seed)).Read(b)
	return b
}

func uploadPart(t *testing.T, c *s3.Client, bucket, key, id string, n int32, body []byte) string {
	t.Helper()
	out, err := c.UploadPart(context.Background(), &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id),
		PartNumber: aws.Int32(n), Body: bytes.NewReader(body)})
	if err != nil {
		t.Fatalf("UploadPart %d: %v", n, err)
	}
	sum := md5.Sum(body)
	if got, want := aws.ToString(out.ETag), `"`+hex.EncodeToString(sum[:])+`"`; got != want {
		t.Errorf("UploadPart %d ETag = %s, want %s (the part's MD5)", n, got, want)
	}
	return aws.ToString(out.ETag)
}

func readBack(t *testing.T, c *s3.Client, bucket, key string) []byte {
	t.Helper()
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	defer func() { _ = out.Body.Close() }()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// TestMultipartUploadDurable: a multipart upload through the SDK, its
// parts streamed to content files: an upload in progress survives a
// restart (its parts listed, the upload listed), completes after it, and
// the object (a new version in a versioned bucket) reads back whole, also
// after another restart; the parts' files are reclaimed once the object
// is complete.
func TestMultipartUploadDurable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	svc, url := startService(t, dir)
	c := client(url)
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("art")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String("art"),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	p1, p2, p3 := randomBytes(5<<20, 1), randomBytes(5<<20, 2), randomBytes(700<<10, 3)
	created, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("art"), Key: aws.String("code/app.zip"), ContentType: aws.String("application/zip")})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(created.UploadId)
	e1 := uploadPart(t, c, "art", "code/app.zip", id, 1, p1)

	// Restart with one part uploaded: the upload and its part are still there.
	if err := svc.Close(); err != nil {
		t.Fatal(err)
	}
	svc, url = startService(t, dir)
	c = client(url)
	parts, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String("art"), Key: aws.String("code/app.zip"), UploadId: aws.String(id)})
	if err != nil {
		t.Fatalf("ListParts after a restart: %v", err)
	}
	if len(parts.Parts) != 1 || aws.ToInt32(parts.Parts[0].PartNumber) != 1 || aws.ToString(parts.Parts[0].ETag) != e1 || aws.ToInt64(parts.Parts[0].Size) != int64(len(p1)) {
		t.Errorf("ListParts after a restart = %+v, want part 1 (%s, %d bytes)", parts.Parts, e1, len(p1))
	}
	uploads, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("art")})
	if err != nil {
		t.Fatal(err)
	}
	if len(uploads.Uploads) != 1 || aws.ToString(uploads.Uploads[0].UploadId) != id || aws.ToString(uploads.Uploads[0].Key) != "code/app.zip" {
		t.Errorf("ListMultipartUploads = %+v, want the upload in progress", uploads.Uploads)
	}
	e2 := uploadPart(t, c, "art", "code/app.zip", id, 2, p2)
	e3 := uploadPart(t, c, "art", "code/app.zip", id, 3, p3)
	done, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("art"), Key: aws.String("code/app.zip"), UploadId: aws.String(id),
		MultipartUpload: &s3types.CompletedMultipartUpload{Parts: []s3types.CompletedPart{
			{PartNumber: aws.Int32(1), ETag: aws.String(e1)}, {PartNumber: aws.Int32(2), ETag: aws.String(e2)}, {PartNumber: aws.Int32(3), ETag: aws.String(e3)}}}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(done.VersionId) == "" {
		t.Errorf("CompleteMultipartUpload in a versioned bucket answered no version id")
	}
	whole := append(append(append([]byte(nil), p1...), p2...), p3...)
	sum := md5.Sum(whole)
	if got, want := aws.ToString(done.ETag), `"`+hex.EncodeToString(sum[:])+`"`; got != want {
		t.Errorf("CompleteMultipartUpload ETag = %s, want %s", got, want)
	}
	if got := readBack(t, c, "art", "code/app.zip"); !bytes.Equal(got, whole) {
		t.Fatalf("GetObject: %d bytes, not the three parts in order (%d bytes)", len(got), len(whole))
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("art"), Key: aws.String("code/app.zip")})
	if err != nil || aws.ToString(head.ContentType) != "application/zip" || aws.ToString(head.VersionId) != aws.ToString(done.VersionId) {
		t.Errorf("HeadObject = %+v (%v), want the upload's content type and the completed version", head, err)
	}
	if uploads, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("art")}); err != nil || len(uploads.Uploads) != 0 {
		t.Errorf("ListMultipartUploads after the completion = %+v (%v), want none", uploads, err)
	}

	// After another restart the object is whole, and only its own content
	// file is left (the parts' files reclaimed).
	if err := svc.Close(); err != nil {
		t.Fatal(err)
	}
	_, url = startService(t, dir)
	c = client(url)
	if got := readBack(t, c, "art", "code/app.zip"); !bytes.Equal(got, whole) {
		t.Fatalf("GetObject after a restart: %d bytes, want %d", len(got), len(whole))
	}
	files, err := os.ReadDir(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 {
		var names []string
		for _, f := range files {
			names = append(names, f.Name())
		}
		t.Errorf("content files after the completion and a restart: %v, want only the object's", names)
	}
}

// TestMultipartUploadErrors: S3's answers to a wrong completion, an
// unknown or aborted upload, a part number out of range and a bad digest.
func TestMultipartUploadErrors(t *testing.T) {
	t.Parallel()
	c, _ := withBucket(t, t.TempDir())
	ctx := context.Background()
	if _, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("nosuch"), Key: aws.String("k")}); apiCode(err) != "NoSuchBucket" {
		t.Errorf("CreateMultipartUpload in a missing bucket: %v, want NoSuchBucket", err)
	}
	created, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("bkt"), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(created.UploadId)
	small, last := randomBytes(1<<20, 4), randomBytes(10, 5)
	e1 := uploadPart(t, c, "bkt", "k", id, 1, small)
	e2 := uploadPart(t, c, "bkt", "k", id, 2, last)
	complete := func(parts ...s3types.CompletedPart) error {
		_, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("bkt"), Key: aws.String("k"), UploadId: aws.String(id),
			MultipartUpload: &s3types.CompletedMultipartUpload{Parts: parts}})
		return err
	}
	part := func(n int32, etag string) s3types.CompletedPart {
		return s3types.CompletedPart{PartNumber: aws.Int32(n), ETag: aws.String(etag)}
	}
	for name, tc := range map[string]struct {
		err  error
		want string
	}{
		"a part below 5 MiB that is not the last": {complete(part(1, e1), part(2, e2)), "EntityTooSmall"},
		"parts out of order":                      {complete(part(2, e2), part(1, e1)), "InvalidPartOrder"},
		"a part never uploaded":                   {complete(part(1, e1), part(3, e2)), "InvalidPart"},
		"an entity tag that is not the part's":    {complete(part(1, e2)), "InvalidPart"},
		"part number 0": {func() error {
			_, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("bkt"), Key: aws.String("k"), UploadId: aws.String(id), PartNumber: aws.Int32(0), Body: bytes.NewReader(last)})
			return err
		}(), "InvalidArgument"},
		"an unknown upload": {func() error {
			_, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("bkt"), Key: aws.String("k"), UploadId: aws.String("nosuch"), PartNumber: aws.Int32(1), Body: bytes.NewReader(last)})
			return err
		}(), "NoSuchUpload"},
		"the upload of another key": {func() error {
			_, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("bkt"), Key: aws.String("other"), UploadId: aws.String(id), PartNumber: aws.Int32(1), Body: bytes.NewReader(last)})
			return err
		}(), "NoSuchUpload"},
		"a Content-MD5 that is not the body's": {func() error {
			_, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("bkt"), Key: aws.String("k"), UploadId: aws.String(id), PartNumber: aws.Int32(3), Body: bytes.NewReader(last),
				ContentMD5: aws.String("1B2M2Y8AsgTpgAmY7PhCfg==")})
			return err
		}(), "BadDigest"},
	} {
		if got := apiCode(tc.err); got != tc.want {
			t.Errorf("%s: %v, want %s", name, tc.err, tc.want)
		}
	}
	// The last part alone may be small: the upload of one small part completes.
	if err := complete(part(2, e2)); err != nil {
		t.Errorf("completing with one small part: %v", err)
	}
	if got := readBack(t, c, "bkt", "k"); !bytes.Equal(got, last) {
		t.Errorf("GetObject = %q, want the one part %q", got, last)
	}
	if err := complete(part(2, e2)); apiCode(err) != "NoSuchUpload" {
		t.Errorf("completing a completed upload: %v, want NoSuchUpload", err)
	}
	again, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("bkt"), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String("bkt"), Key: aws.String("k"), UploadId: again.UploadId}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String("bkt"), Key: aws.String("k"), UploadId: again.UploadId}); apiCode(err) != "NoSuchUpload" {
		t.Errorf("ListParts of an aborted upload: %v, want NoSuchUpload", err)
	}
}

// TestMultipartUploadAWSCLI: the AWS CLI v2 copies a file above its
// multipart threshold (8 MB) in and out of the sandbox as S3 would: in
// parallel parts, and the object reads back whole.
func TestMultipartUploadAWSCLI(t *testing.T) {
	awsCLI := peers.Require(t, "the AWS CLI v2", "/usr/bin/aws")
	t.Parallel()
	svc, err := sandboxs3.Open(t.TempDir(), time.Now, false)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var ops []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ops = append(ops, sandboxs3.Operation(r))
		mu.Unlock()
		svc.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	url := srv.URL
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	body := randomBytes(20<<20, 6)
	if err := os.WriteFile(filepath.Join(dir, "big.bin"), body, 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command(awsCLI, append([]string{"--endpoint-url", url}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=AKIDSANDBOXTEST", "AWS_SECRET_ACCESS_KEY=secret", "AWS_DEFAULT_REGION=us-east-1",
			"AWS_CONFIG_FILE="+filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "config"), "AWS_PAGER=")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("s3api", "create-bucket", "--bucket", "art")
	run("s3", "cp", "big.bin", "s3://art/big.bin")
	run("s3", "cp", "s3://art/big.bin", "back.bin")
	got, err := os.ReadFile(filepath.Join(dir, "back.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, body) {
		t.Fatalf("aws s3 cp round trip: %d bytes back, want the %d sent", len(got), len(body))
	}
	mu.Lock()
	joined := strings.Join(ops, " ")
	mu.Unlock()
	if !strings.Contains(joined, "CreateMultipartUpload") || strings.Count(joined, "UploadPart") < 2 || !strings.Contains(joined, "CompleteMultipartUpload") {
		t.Errorf("the CLI did not upload in parts (operations: %s): the test proves nothing", joined)
	}
}

// TestMultipartUploadChunkedParts: parts sent as aws-chunked bodies (SigV4
// streaming, signed, and unsigned with a trailing checksum) are stored
// unframed.
func TestMultipartUploadChunkedParts(t *testing.T) {
	t.Parallel()
	c, url := withBucket(t, "")
	ctx := context.Background()
	sig := strings.Repeat("a", 64)
	for name, tc := range map[string]struct{ sha, body string }{
		"signed": {"STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
			"5;chunk-signature=" + sig + "\r\nhello\r\n6;chunk-signature=" + sig + "\r\n world\r\n0;chunk-signature=" + sig + "\r\n\r\n"},
		"unsigned with a trailer": {"STREAMING-UNSIGNED-PAYLOAD-TRAILER", "5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n"},
	} {
		t.Run(name, func(t *testing.T) {
			key := strings.ReplaceAll(name, " ", "-")
			created, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("bkt"), Key: aws.String(key)})
			if err != nil {
				t.Fatal(err)
			}
			resp, _ := putChunkedPart(t, url+"/bkt/"+key+"?partNumber=1&uploadId="+aws.ToString(created.UploadId), tc.sha, tc.body,
				"Content-Encoding", "aws-chunked", "X-Amz-Decoded-Content-Length", "11")
			sum := md5.Sum([]byte("hello world"))
			if etag := resp.Header.Get("ETag"); resp.StatusCode != http.StatusOK || etag != `"`+hex.EncodeToString(sum[:])+`"` {
				t.Fatalf("UploadPart: status %d, ETag %s; want 200 and the MD5 of the unframed payload", resp.StatusCode, etag)
			}
			if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("bkt"), Key: aws.String(key), UploadId: created.UploadId,
				MultipartUpload: &s3types.CompletedMultipartUpload{Parts: []s3types.CompletedPart{{PartNumber: aws.Int32(1), ETag: aws.String(resp.Header.Get("ETag"))}}}}); err != nil {
				t.Fatal(err)
			}
			if got := readBack(t, c, "bkt", key); string(got) != "hello world" {
				t.Errorf("GetObject = %q, want %q", got, "hello world")
			}
		})
	}
}

// TestMultipartUploadListingAndBuckets: ListMultipartUploads pages through
// several uploads of one key without repeating or skipping one; a deleted
// bucket takes its uploads with it (a bucket made again under its name has
// none); a badly framed aws-chunked part is a 400 IncompleteBody.
func TestMultipartUploadListingAndBuckets(t *testing.T) {
	t.Parallel()
	c, url := withBucket(t, t.TempDir())
	ctx := context.Background()
	var ids []string
	for range 3 {
		out, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("bkt"), Key: aws.String("same")})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, aws.ToString(out.UploadId))
	}
	var paged []string
	in := &s3.ListMultipartUploadsInput{Bucket: aws.String("bkt"), MaxUploads: aws.Int32(1)}
	for range 5 {
		out, err := c.ListMultipartUploads(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range out.Uploads {
			paged = append(paged, aws.ToString(u.UploadId))
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		in.KeyMarker, in.UploadIdMarker = out.NextKeyMarker, out.NextUploadIdMarker
	}
	// Every upload once, whatever the order within the key.
	if diff := cmp.Diff(ids, paged, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("uploads paged one at a time (-started +listed):\n%s", diff)
	}

	resp, body := putChunkedPart(t, url+"/bkt/same?partNumber=1&uploadId="+ids[0], "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "zz;chunk-signature=x\r\nnot hex\r\n")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "<Code>IncompleteBody</Code>") {
		t.Errorf("a badly framed aws-chunked part: %d %s, want 400 IncompleteBody", resp.StatusCode, body)
	}

	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("bkt")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bkt")}); err != nil {
		t.Fatal(err)
	}
	if out, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("bkt")}); err != nil || len(out.Uploads) != 0 {
		t.Errorf("uploads in a bucket made again after its deletion: %+v (%v), want none", out, err)
	}
	if _, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String("bkt"), Key: aws.String("same"), UploadId: aws.String(ids[0])}); apiCode(err) != "NoSuchUpload" {
		t.Errorf("ListParts of an upload whose bucket was deleted: %v, want NoSuchUpload", err)
	}
}

// withBucket starts the service on dir with an S3 client and the bucket
// "bkt" made.
func withBucket(t *testing.T, dir string) (*s3.Client, string) {
	t.Helper()
	_, url := startService(t, dir)
	c := client(url)
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("bkt")}); err != nil {
		t.Fatal(err)
	}
	return c, url
}

// putChunkedPart sends body, aws-chunked framed, to url (an UploadPart)
// as a raw PUT with X-Amz-Content-Sha256 sha and the headers given as
// name, value pairs, and returns the answer and its body.
func putChunkedPart(t *testing.T, url, sha, body string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Content-Sha256", sha)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, got
}
