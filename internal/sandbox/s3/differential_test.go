package s3_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/rollout-tf/terraform-provider-rollout/internal/peers"
	sandboxs3 "github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/s3"
)

// transcript records what a server answers, with version ids renamed v1,
// v2, ... in the order they first appear ("null" stays), so two servers'
// transcripts compare.
type transcript struct {
	ids   map[string]string
	lines []string
}

func (tr *transcript) id(v *string) string {
	s := aws.ToString(v)
	if s == "" || s == "null" {
		return s
	}
	if tr.ids[s] == "" {
		tr.ids[s] = fmt.Sprintf("v%d", len(tr.ids)+1)
	}
	return tr.ids[s]
}

func (tr *transcript) add(step string, err error, format string, args ...any) {
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) {
			tr.lines = append(tr.lines, step+": error "+ae.ErrorCode())
			return
		}
		tr.lines = append(tr.lines, step+": error "+err.Error())
		return
	}
	tr.lines = append(tr.lines, step+": "+fmt.Sprintf(format, args...))
}

// versioningScript runs a bucket from never versioned to enabled (the
// null version, delete markers, deleting by id), listing pages and a
// multiple delete against c.
func versioningScript(c *s3.Client) []string {
	tr := &transcript{ids: map[string]string{}}
	b := aws.String("script")
	put := func(key, body string) {
		out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String(key), Body: bytes.NewReader([]byte(body))})
		if err != nil {
			tr.add("put "+key+" "+body, err, "")
			return
		}
		tr.add("put "+key+" "+body, nil, "version %s", tr.id(out.VersionId))
	}
	get := func(key string) {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String(key)})
		if err != nil {
			tr.add("get "+key, err, "")
			return
		}
		body, _ := io.ReadAll(out.Body)
		_ = out.Body.Close()
		head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String(key)})
		if err != nil {
			tr.add("head "+key, err, "")
			return
		}
		tr.add("get "+key, nil, "%q version %s; head version %s", body, tr.id(out.VersionId), tr.id(head.VersionId))
	}
	versions := func(step string) {
		out, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: b})
		if err != nil {
			tr.add(step+" versions", err, "")
			return
		}
		var got []string
		for _, v := range out.Versions {
			got = append(got, fmt.Sprintf("%s@%s latest=%v size=%d", aws.ToString(v.Key), tr.id(v.VersionId), aws.ToBool(v.IsLatest), aws.ToInt64(v.Size)))
		}
		for _, m := range out.DeleteMarkers {
			got = append(got, fmt.Sprintf("%s@%s marker latest=%v", aws.ToString(m.Key), tr.id(m.VersionId), aws.ToBool(m.IsLatest)))
		}
		tr.add(step+" versions", nil, "%s", strings.Join(got, ", "))
	}
	del := func(key, version string) {
		in := &s3.DeleteObjectInput{Bucket: b, Key: aws.String(key)}
		if version != "" {
			in.VersionId = aws.String(version)
		}
		out, err := c.DeleteObject(ctx, in)
		if err != nil {
			tr.add("delete "+key+" "+version, err, "")
			return
		}
		tr.add("delete "+key+" "+version, nil, "marker=%v version %s", aws.ToBool(out.DeleteMarker), tr.id(out.VersionId))
	}
	versioning := func(status s3types.BucketVersioningStatus) {
		_, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: b, VersioningConfiguration: &s3types.VersioningConfiguration{Status: status}})
		tr.add("versioning "+string(status), err, "ok")
	}

	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b})
	tr.add("create", err, "ok")
	put("k", "one")
	put("k", "two")
	get("k")
	versions("never enabled")
	versioning(s3types.BucketVersioningStatusEnabled)
	put("k", "three")
	get("k")
	versions("enabled")
	del("k", "")
	get("k")
	versions("delete marker")
	del("k", "null")
	versions("null version deleted")
	put("k", "four")
	get("k")

	// Listing pages: current objects with a delimiter, 2 per page, by
	// ListObjectsV2 continuation tokens (ListObjects markers: moto pages
	// those wrongly, see TestListObjectsMarkerPages).
	for _, key := range []string{"a", "b/1", "b/2", "c", "d/1", "d/2", "e"} {
		put(key, "x")
	}
	del("c", "")
	v2 := &s3.ListObjectsV2Input{Bucket: b, Delimiter: aws.String("/"), MaxKeys: aws.Int32(2)}
	for page := 1; page < 10; page++ {
		out, err := c.ListObjectsV2(ctx, v2)
		if err != nil {
			tr.add("list v2", err, "")
			break
		}
		tr.add(fmt.Sprintf("list v2 page %d", page), nil, "%s truncated=%v", listed(out.Contents, out.CommonPrefixes), aws.ToBool(out.IsTruncated))
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		v2.ContinuationToken = out.NextContinuationToken
	}
	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b, Prefix: aws.String("b/")})
	if err == nil {
		tr.add("list prefix b/", nil, "%s", listed(out.Contents, out.CommonPrefixes))
	}

	// Deleting several at once, with and without version ids.
	multi, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: b, Delete: &s3types.Delete{Objects: []s3types.ObjectIdentifier{
		{Key: aws.String("a")}, {Key: aws.String("k"), VersionId: aws.String("null")}}}})
	if err == nil {
		tr.add("delete objects", nil, "%d deleted, %d errors", len(multi.Deleted), len(multi.Errors))
	} else {
		tr.add("delete objects", err, "")
	}
	get("a")
	get("k")
	versions("after delete objects")
	return tr.lines
}

func listed(contents []s3types.Object, prefixes []s3types.CommonPrefix) string {
	var out []string
	for _, o := range contents {
		out = append(out, aws.ToString(o.Key))
	}
	for _, p := range prefixes {
		out = append(out, aws.ToString(p.Prefix)+"(prefix)")
	}
	return "[" + strings.Join(out, " ") + "]"
}

// TestVersioningMatchesMoto: the null version, delete markers and listing
// pages answer as moto server (which follows S3 here) does, step for step.
// Suspended versioning is not compared: moto drops the older versions
// there, S3 keeps them (TestSuspendedVersioning).
func TestVersioningMatchesMoto(t *testing.T) {
	motoPath := peers.Require(t, "moto server", "moto_server")
	t.Parallel()
	_, url := startService(t, "")
	sandbox := versioningScript(client(url))
	moto := versioningScript(client(peers.StartMoto(t, motoPath)))
	if diff := cmp.Diff(moto, sandbox); diff != "" {
		t.Errorf("the sandbox answers differently from moto (-moto +sandbox):\n%s", diff)
	}
}

// TestMissingLiveContentRefusesStart: a live version whose content file is
// gone stops the start with an error naming the bucket, key and file; a
// deleted version's file may be gone (it was reclaimed).
func TestMissingLiveContentRefusesStart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	svc, url := startService(t, dir)
	c := client(url)
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("big")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String("big"),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	live := bytes.Repeat([]byte("l"), 300<<10)
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("big"), Key: aws.String("live.bin"), Body: bytes.NewReader(live)}); err != nil {
		t.Fatal(err)
	}
	if err := svc.Close(); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "blobs", "*"))
	if err != nil || len(files) != 1 {
		t.Fatalf("content files %v (%v), want 1", files, err)
	}
	if err := os.Remove(files[0]); err != nil {
		t.Fatal(err)
	}
	_, err = sandboxs3.Open(dir, time.Now, false)
	if err == nil {
		t.Fatal("the store opened with a live version's content file missing")
	}
	for _, want := range []string{"big/live.bin", files[0], "is missing"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
}

// TestListObjectsMarkerPages: ListObjects (v1) with a delimiter counts
// common prefixes toward MaxKeys in key order and names the last entry of
// a truncated page as NextMarker, a common prefix included, as S3 does.
func TestListObjectsMarkerPages(t *testing.T) {
	t.Parallel()
	_, url := startService(t, "")
	c := client(url)
	b := aws.String("pages")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"a", "b/1", "b/2", "d/1", "d/2", "e", "k"} {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String(key), Body: bytes.NewReader(nil)}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	in := &s3.ListObjectsInput{Bucket: b, Delimiter: aws.String("/"), MaxKeys: aws.Int32(2)}
	for page := 1; page < 10; page++ {
		out, err := c.ListObjects(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s truncated=%v next=%s", listed(out.Contents, out.CommonPrefixes), aws.ToBool(out.IsTruncated), aws.ToString(out.NextMarker)))
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		in.Marker = out.NextMarker
	}
	want := []string{
		"[a b/(prefix)] truncated=true next=b/",
		"[e d/(prefix)] truncated=true next=e",
		"[k] truncated=false next=",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ListObjects pages (-want +got):\n%s", diff)
	}
}

// TestSuspendedVersioning: with versioning suspended, a PUT or DELETE
// replaces the null version (a DELETE with a null delete marker) and
// leaves the versions written while it was enabled, as the S3 user guide
// describes ("Working with objects in a versioning-suspended bucket").
func TestSuspendedVersioning(t *testing.T) {
	t.Parallel()
	_, url := startService(t, "")
	c := client(url)
	tr := &transcript{ids: map[string]string{}}
	b, k := aws.String("suspended"), aws.String("k")
	versioning := func(status s3types.BucketVersioningStatus) {
		if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: b, VersioningConfiguration: &s3types.VersioningConfiguration{Status: status}}); err != nil {
			t.Fatal(err)
		}
	}
	step := func(name string, do func() (string, error)) {
		line, err := do()
		tr.add(name, err, "%s", line)
	}
	put := func(body string) func() (string, error) {
		return func() (string, error) {
			out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: k, Body: bytes.NewReader([]byte(body))})
			if err != nil {
				return "", err
			}
			return "version " + tr.id(out.VersionId), nil
		}
	}
	get := func() (string, error) {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: k})
		if err != nil {
			return "", err
		}
		body, _ := io.ReadAll(out.Body)
		_ = out.Body.Close()
		return fmt.Sprintf("%q version %s", body, tr.id(out.VersionId)), nil
	}
	del := func(version *string) func() (string, error) {
		return func() (string, error) {
			out, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: k, VersionId: version})
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("marker=%v version %s", aws.ToBool(out.DeleteMarker), tr.id(out.VersionId)), nil
		}
	}
	versions := func() (string, error) {
		out, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: b})
		if err != nil {
			return "", err
		}
		var got []string
		for _, v := range out.Versions {
			got = append(got, fmt.Sprintf("%s latest=%v size=%d", tr.id(v.VersionId), aws.ToBool(v.IsLatest), aws.ToInt64(v.Size)))
		}
		for _, m := range out.DeleteMarkers {
			got = append(got, fmt.Sprintf("%s marker latest=%v", tr.id(m.VersionId), aws.ToBool(m.IsLatest)))
		}
		return strings.Join(got, ", "), nil
	}
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	versioning(s3types.BucketVersioningStatusEnabled)
	step("put one", put("one"))
	versioning(s3types.BucketVersioningStatusSuspended)
	step("put two", put("two"))
	step("get", get)
	step("put three", put("three"))
	step("versions", versions)
	step("delete", del(nil))
	step("get", get)
	step("versions", versions)
	step("delete null", del(aws.String("null")))
	step("get", get)
	versioning(s3types.BucketVersioningStatusEnabled)
	step("put four", put("four"))
	step("versions", versions)
	want := []string{
		"put one: version v1",
		"put two: version ",
		`get: "two" version null`,
		"put three: version ",
		"versions: null latest=true size=5, v1 latest=false size=3",
		"delete: marker=true version null",
		"get: error NoSuchKey",
		"versions: v1 latest=false size=3, null marker latest=true",
		"delete null: marker=true version null",
		`get: "one" version v1`,
		"put four: version v2",
		"versions: v2 latest=true size=4, v1 latest=false size=3",
	}
	if diff := cmp.Diff(want, tr.lines); diff != "" {
		t.Errorf("suspended versioning (-want +got):\n%s", diff)
	}
}
