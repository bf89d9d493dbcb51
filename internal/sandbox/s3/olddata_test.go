package s3_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"

	sandboxs3 "github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/s3"
)

// The data dir under testdata/s3mem-datadir was written by the sandbox
// while it kept objects in gofakes3's s3mem (commit 3fb0a5d), through
// TestWriteS3memDataDir; want.json is what that code listed and read back.
const oldDataDir = "testdata/s3mem-datadir"

// dataDirView is what a data dir holds, as a client sees it.
type dataDirView struct {
	Versions map[string][]listedVersion `json:"versions"` // bucket -> versions and delete markers
	Objects  map[string]string          `json:"objects"`  // bucket/key -> version id and sha256 of the body
	// PreVersioning are the ids s3mem gave objects put before the bucket's
	// versioning was enabled; S3 (and the sandbox now) lists them as "null".
	PreVersioning []string `json:"pre_versioning"`
}

type listedVersion struct {
	Key          string    `json:"key"`
	VersionID    string    `json:"version_id"`
	IsLatest     bool      `json:"is_latest"`
	DeleteMarker bool      `json:"delete_marker,omitempty"`
	ETag         string    `json:"etag,omitempty"`
	Size         int64     `json:"size,omitempty"`
	LastModified time.Time `json:"last_modified"`
}

// view lists every version and reads every current object of buckets.
func view(t *testing.T, c *s3.Client, buckets ...string) dataDirView {
	t.Helper()
	v := dataDirView{Versions: map[string][]listedVersion{}, Objects: map[string]string{}}
	for _, b := range buckets {
		out, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(b)})
		if err != nil {
			t.Fatal(err)
		}
		var got []listedVersion
		for _, x := range out.Versions {
			got = append(got, listedVersion{Key: aws.ToString(x.Key), VersionID: aws.ToString(x.VersionId), IsLatest: aws.ToBool(x.IsLatest),
				ETag: aws.ToString(x.ETag), Size: aws.ToInt64(x.Size), LastModified: aws.ToTime(x.LastModified).UTC()})
		}
		for _, x := range out.DeleteMarkers {
			got = append(got, listedVersion{Key: aws.ToString(x.Key), VersionID: aws.ToString(x.VersionId), IsLatest: aws.ToBool(x.IsLatest),
				DeleteMarker: true, LastModified: aws.ToTime(x.LastModified).UTC()})
		}
		sortVersions(got)
		v.Versions[b] = got
		list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(b)})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range list.Contents {
			obj, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b), Key: o.Key})
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(obj.Body)
			_ = obj.Body.Close()
			sum := sha256.Sum256(body)
			v.Objects[b+"/"+aws.ToString(o.Key)] = aws.ToString(obj.VersionId) + " " + hex.EncodeToString(sum[:])
		}
	}
	return v
}

// sortVersions orders a listing by key and version id, so two listings
// compare whatever order each server lists in.
func sortVersions(vs []listedVersion) {
	sort.Slice(vs, func(i, j int) bool {
		if vs[i].Key != vs[j].Key {
			return vs[i].Key < vs[j].Key
		}
		return vs[i].VersionID < vs[j].VersionID
	})
}

var oldDataBuckets = []string{"state", "plain", "later"}

// TestWriteS3memDataDir writes testdata/s3mem-datadir; it ran once with
// the s3mem-based code and only runs when ROLLOUT_WRITE_S3_TESTDATA=1.
func TestWriteS3memDataDir(t *testing.T) {
	if os.Getenv("ROLLOUT_WRITE_S3_TESTDATA") != "1" {
		t.Skip("writes testdata; set ROLLOUT_WRITE_S3_TESTDATA=1")
	}
	dir := t.TempDir()
	tick := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { tick = tick.Add(time.Second); return tick }
	svc, err := sandboxs3.Open(dir, clock, false)
	if err != nil {
		t.Fatal(err)
	}
	c := startHTTP(t, svc)
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	put := func(bucket, key, body string) string {
		t.Helper()
		out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader([]byte(body))})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.VersionId)
	}
	enable := func(bucket string) {
		must(c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
			VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}))
	}
	for _, b := range oldDataBuckets {
		must(c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}))
	}
	enable("state")
	for i := range 4 {
		put("state", "env/terraform.tfstate", "state serial "+string(rune('1'+i)))
	}
	old := put("state", "env/old.tfstate", "old")
	put("state", "env/old.tfstate", "old again")
	must(c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("state"), Key: aws.String("env/old.tfstate"), VersionId: aws.String(old)}))
	must(c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("state"), Key: aws.String("env/old.tfstate")}))
	put("state", "code.zip", string(bytes.Repeat([]byte("z"), 300<<10))) // out of line
	put("state", "gone", "to be deleted")
	must(c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String("state"), Delete: &s3types.Delete{Objects: []s3types.ObjectIdentifier{{Key: aws.String("gone")}}}}))

	put("plain", "a", "a1")
	put("plain", "a", "a2")
	put("plain", "b", "b1")
	put("plain", "c", "c1")
	must(c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("plain"), Key: aws.String("b")}))

	put("later", "k", "before versioning")
	enable("later")
	before := view(t, c, "later")
	put("later", "k", "after versioning")

	want := view(t, c, oldDataBuckets...)
	for _, v := range before.Versions["later"] {
		want.PreVersioning = append(want.PreVersioning, v.VersionID)
	}
	if err := svc.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(oldDataDir); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(oldDataDir, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	b, _ := json.MarshalIndent(want, "", "  ")
	if err := os.WriteFile(filepath.Join(oldDataDir, "want.json"), append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

func startHTTP(t *testing.T, svc *sandboxs3.Service) *s3.Client {
	t.Helper()
	return client(serve(t, svc))
}

// TestS3memDataDirLoads: a data dir written while s3mem kept the objects
// loads with every version id, timestamp, ETag and body it had. The one
// change is deliberate: an object put before its bucket's versioning was
// enabled is the "null" version, as on S3 (s3mem listed an id it made up).
func TestS3memDataDirLoads(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join(oldDataDir, "want.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want dataDirView
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(oldDataDir)); err != nil {
		t.Fatal(err)
	}
	if len(want.PreVersioning) != 1 {
		t.Fatalf("want.json names %d pre-versioning ids, want 1", len(want.PreVersioning))
	}
	for _, versions := range want.Versions {
		for i := range versions {
			if versions[i].VersionID == want.PreVersioning[0] {
				versions[i].VersionID = "null"
			}
		}
		sortVersions(versions)
	}
	want.PreVersioning = nil
	svc, err := sandboxs3.Open(dir, time.Now, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Close() })
	got := view(t, client(serve(t, svc)), oldDataBuckets...)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the s3mem data dir reads differently (-want +got):\n%s", diff)
	}
}
