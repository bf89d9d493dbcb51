package sandbox_test

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

// TestCorruptRecordMidLogRefusesStart: one flipped bit in the middle of
// the S3 log is corruption, not a torn tail: the sandbox refuses to start,
// naming the offset and the recovery flag (issue 14, case 4).
func TestCorruptRecordMidLogRefusesStart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	inst := sandboxtest.Start(t, sandbox.Options{DataDir: dir})
	c := s3Client(inst)
	sandboxtest.VersionedBucket(t, c, "bits")
	for i := range 200 {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bits"), Key: aws.String(fmt.Sprintf("k%03d", i)),
			Body: strings.NewReader(strings.Repeat("v", 100+i))}); err != nil {
			t.Fatal(err)
		}
	}
	if err := inst.Server.Close(); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "s3", "s3.wal")
	b, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(14))
	at := len(b)/3 + rng.Intn(len(b)/3)
	b[at] ^= 1 << rng.Intn(8)
	if err := os.WriteFile(logPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	srv, err := sandbox.New(sandbox.Options{DataDir: dir})
	if err == nil {
		_ = srv.Close()
		t.Fatalf("the sandbox started over a log with a flipped bit at byte %d of %d", at, len(b))
	}
	for _, want := range []string{"corrupt at byte offset", "--recover-corrupt-log"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	fmt.Printf("reliability/sandbox-bitflip: bit flipped at byte %d of %d: start refused: %v\n", at, len(b), err)
	checkRecovery(t, dir, logPath)
}

// TestLargeObjectsOutOfLine: a large object is a content-addressed file
// beside the log, not a log record; it reads back whole, by range and
// after a restart (issue 14, case 4).
func TestLargeObjectsOutOfLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	inst := sandboxtest.Start(t, sandbox.Options{DataDir: dir})
	c := s3Client(inst)
	sandboxtest.VersionedBucket(t, c, "big")
	body := make([]byte, 24<<20)
	rand.New(rand.NewSource(4)).Read(body)
	sum := md5.Sum(body)
	put, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("big"), Key: aws.String("blob.bin"), Body: bytes.NewReader(body)})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(put.ETag), `"`+hex.EncodeToString(sum[:])+`"`; got != want {
		t.Errorf("ETag = %s, want %s", got, want)
	}
	check := func(inst *sandboxtest.Instance) {
		t.Helper()
		c := s3Client(inst)
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("big"), Key: aws.String("blob.bin")})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(out.Body)
		_ = out.Body.Close()
		if !bytes.Equal(got, body) || aws.ToString(out.ETag) != aws.ToString(put.ETag) {
			t.Errorf("GetObject: %d bytes, ETag %s; want %d bytes, ETag %s", len(got), aws.ToString(out.ETag), len(body), aws.ToString(put.ETag))
		}
		part, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("big"), Key: aws.String("blob.bin"), Range: aws.String("bytes=1000-1999")})
		if err != nil {
			t.Fatal(err)
		}
		got, _ = io.ReadAll(part.Body)
		_ = part.Body.Close()
		if !bytes.Equal(got, body[1000:2000]) {
			t.Errorf("ranged GetObject: %d bytes, not bytes 1000-1999", len(got))
		}
		head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("big"), Key: aws.String("blob.bin")})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToInt64(head.ContentLength) != int64(len(body)) {
			t.Errorf("HeadObject ContentLength = %d, want %d", aws.ToInt64(head.ContentLength), len(body))
		}
		vs, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("big")})
		if err != nil {
			t.Fatal(err)
		}
		if len(vs.Versions) != 1 || aws.ToInt64(vs.Versions[0].Size) != int64(len(body)) || aws.ToString(vs.Versions[0].ETag) != aws.ToString(put.ETag) {
			t.Errorf("ListObjectVersions = %d versions, first %+v", len(vs.Versions), vs.Versions)
		}
		list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("big")})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Contents) != 1 || aws.ToInt64(list.Contents[0].Size) != int64(len(body)) || aws.ToString(list.Contents[0].ETag) != aws.ToString(put.ETag) {
			t.Errorf("ListObjectsV2 = %d objects", len(list.Contents))
		}
	}
	check(inst)
	if err := inst.Server.Close(); err != nil {
		t.Fatal(err)
	}
	// Closed, the log holds its records alone (its preallocated zeros are
	// cut), so its size is what the PUT wrote to it.
	st, err := os.Stat(filepath.Join(dir, "s3", "s3.wal"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() > 64<<10 {
		t.Errorf("s3.wal is %d bytes after a 24 MiB PUT, want the object out of line (under 64 KiB)", st.Size())
	}
	// A PUT killed while it streamed leaves its temporary file: the next
	// start reclaims it.
	tmp := filepath.Join(dir, "s3", "blobs", ".blob.tmp-killed")
	if err := os.WriteFile(tmp, body[:1<<20], 0o600); err != nil {
		t.Fatal(err)
	}
	check(sandboxtest.Start(t, sandbox.Options{DataDir: dir}))
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("the temporary file of a killed PUT is still there after a restart (%v)", err)
	}
}

// TestDeletedLargeObjectsReclaimed: the content file of a large object
// whose every version was deleted is removed at the next start, while a
// content file another live version still uses (the same bytes under
// another key) stays, and every live object still reads back whole.
func TestDeletedLargeObjectsReclaimed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	inst := sandboxtest.Start(t, sandbox.Options{DataDir: dir})
	c := s3Client(inst)
	sandboxtest.VersionedBucket(t, c, "big")
	gone, kept := bytes.Repeat([]byte("g"), 1<<20), bytes.Repeat([]byte("k"), 1<<20)
	put := func(key string, body []byte) string {
		out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("big"), Key: aws.String(key), Body: bytes.NewReader(body)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.VersionId)
	}
	goneVersion := put("gone.bin", gone)
	put("kept.bin", kept)
	put("kept-too.bin", kept)
	keptVersion := put("kept.bin", gone) // gone's bytes also live on as a version of kept.bin...
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("big"), Key: aws.String("kept.bin"), VersionId: aws.String(keptVersion)}); err != nil {
		t.Fatal(err) // ...until that version is deleted too
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("big"), Key: aws.String("gone.bin"), VersionId: aws.String(goneVersion)}); err != nil {
		t.Fatal(err)
	}
	blobs := func() int {
		entries, err := os.ReadDir(filepath.Join(dir, "s3", "blobs"))
		if err != nil {
			t.Fatal(err)
		}
		return len(entries)
	}
	if n := blobs(); n != 2 {
		t.Fatalf("%d content files before the restart, want 2", n)
	}
	if err := inst.Server.Close(); err != nil {
		t.Fatal(err)
	}
	inst = sandboxtest.Start(t, sandbox.Options{DataDir: dir})
	if n := blobs(); n != 1 {
		t.Errorf("%d content files after the restart, want 1 (the deleted object's reclaimed)", n)
	}
	c = s3Client(inst)
	for _, key := range []string{"kept.bin", "kept-too.bin"} {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("big"), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(out.Body)
		_ = out.Body.Close()
		if !bytes.Equal(got, kept) {
			t.Errorf("%s reads %d bytes after the restart, want its %d", key, len(got), len(kept))
		}
	}
	// A second restart replays records naming the reclaimed file: still fine.
	if err := inst.Server.Close(); err != nil {
		t.Fatal(err)
	}
	sandboxtest.Start(t, sandbox.Options{DataDir: dir})
}
