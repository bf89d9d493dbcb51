package s3_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/rollout-tf/terraform-provider-rollout/internal/peers"
	sandboxs3 "github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/s3"
)

var ctx = context.Background()

// startService serves a sandbox S3 kept in dir ("" in memory) over HTTP.
func startService(t *testing.T, dir string) (*sandboxs3.Service, string) {
	t.Helper()
	svc, err := sandboxs3.Open(dir, time.Now, false)
	if err != nil {
		t.Fatal(err)
	}
	return svc, serve(t, svc)
}

// serve answers svc's S3 over HTTP until the test ends.
func serve(t *testing.T, svc *sandboxs3.Service) string {
	srv := httptest.NewServer(svc)
	t.Cleanup(srv.Close)
	return srv.URL
}

func client(url string) *s3.Client {
	return s3.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDSANDBOXTEST", "secret", ""),
		Retryer:     func() aws.Retryer { return retry.AddWithMaxAttempts(retry.NewStandard(), 1) },
	}, func(o *s3.Options) { o.BaseEndpoint, o.UsePathStyle = aws.String(url), true })
}

// TestDeleteCurrentVersionPromotes: deleting the current version of a key
// by its id makes the newest remaining version current, as S3 does (this
// is how a Terraform state is restored in a versioned bucket); deleting a
// delete marker by id brings the object back; deleting every version
// removes the key. The same sequence runs against moto server, which
// behaves as S3 here.
func TestDeleteCurrentVersionPromotes(t *testing.T) {
	t.Parallel()
	_, url := startService(t, "")
	servers := map[string]string{"sandbox": url}
	if motoPath := peers.Require(t, "moto server", "moto_server"); motoPath != "" {
		servers["moto"] = peers.StartMoto(t, motoPath)
	}
	for name, url := range servers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			deleteCurrentVersionSequence(t, client(url))
		})
	}
}

func deleteCurrentVersionSequence(t *testing.T, c *s3.Client) {
	bucket, key := aws.String("state"), aws.String("env/terraform.tfstate")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: bucket,
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, body := range []string{"v1", "v2", "v3"} {
		out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: key, Body: bytes.NewReader([]byte(body))})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, aws.ToString(out.VersionId))
	}
	current := func(step, wantBody, wantID string) {
		t.Helper()
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: key})
		if err != nil {
			t.Fatalf("%s: GetObject: %v", step, err)
		}
		got, _ := io.ReadAll(out.Body)
		_ = out.Body.Close()
		if string(got) != wantBody || aws.ToString(out.VersionId) != wantID {
			t.Errorf("%s: GetObject reads %q version %s, want %q version %s", step, got, aws.ToString(out.VersionId), wantBody, wantID)
		}
		head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: bucket, Key: key})
		if err != nil {
			t.Fatalf("%s: HeadObject: %v", step, err)
		}
		if aws.ToInt64(head.ContentLength) != int64(len(wantBody)) || aws.ToString(head.VersionId) != wantID {
			t.Errorf("%s: HeadObject says %d bytes version %s, want %d version %s", step, aws.ToInt64(head.ContentLength), aws.ToString(head.VersionId), len(wantBody), wantID)
		}
	}
	// listing is the key's versions and delete markers: id -> latest.
	listing := func() map[string]bool {
		t.Helper()
		out, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: bucket})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, v := range out.Versions {
			got[aws.ToString(v.VersionId)] = aws.ToBool(v.IsLatest)
		}
		for _, m := range out.DeleteMarkers {
			got["marker:"+aws.ToString(m.VersionId)] = aws.ToBool(m.IsLatest)
		}
		return got
	}
	deleteVersion := func(id string) {
		t.Helper()
		if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bucket, Key: key, VersionId: aws.String(id)}); err != nil {
			t.Fatalf("deleting version %s: %v", id, err)
		}
	}

	deleteVersion(ids[2])
	current("after deleting v3", "v2", ids[1])
	if diff := cmp.Diff(map[string]bool{ids[0]: false, ids[1]: true}, listing()); diff != "" {
		t.Errorf("versions after deleting v3 (-want +got):\n%s", diff)
	}

	del, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bucket, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	marker := aws.ToString(del.VersionId)
	if !aws.ToBool(del.DeleteMarker) || marker == "" {
		t.Fatalf("DeleteObject without a version: delete marker %v id %q, want a delete marker with an id", aws.ToBool(del.DeleteMarker), marker)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: key})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "NoSuchKey" {
		t.Errorf("GetObject behind a delete marker: %v, want NoSuchKey", err)
	}
	if diff := cmp.Diff(map[string]bool{ids[0]: false, ids[1]: false, "marker:" + marker: true}, listing()); diff != "" {
		t.Errorf("versions after the delete marker (-want +got):\n%s", diff)
	}
	deleteVersion(marker)
	current("after deleting the delete marker", "v2", ids[1])

	deleteVersion(ids[1])
	current("after deleting v2", "v1", ids[0])
	deleteVersion(ids[0])
	if diff := cmp.Diff(map[string]bool{}, listing()); diff != "" {
		t.Errorf("versions after deleting all (-want +got):\n%s", diff)
	}
	list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: bucket})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Contents) != 0 {
		t.Errorf("ListObjectsV2 after deleting every version lists %d keys, want none", len(list.Contents))
	}
}

// TestDeleteCurrentVersionReplays: after a restart the log rebuilds the
// same versions, ids, timestamps and current objects, deletions by id
// included, and the next version id is a new one.
func TestDeleteCurrentVersionReplays(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	svc, url := startService(t, dir)
	c := client(url)
	deleteCurrentVersionSequence(t, c)
	bucket, key := aws.String("state"), aws.String("env/terraform.tfstate")
	for _, body := range []string{"after one", "after two", "after three"} {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: key, Body: bytes.NewReader([]byte(body))}); err != nil {
			t.Fatal(err)
		}
	}
	vs, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: bucket})
	if err != nil || len(vs.Versions) != 3 {
		t.Fatalf("ListObjectVersions: %d versions, %v", len(vs.Versions), err)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bucket, Key: key, VersionId: vs.Versions[0].VersionId}); err != nil {
		t.Fatal(err)
	}
	before := view(t, c, "state")
	if err := svc.Close(); err != nil {
		t.Fatal(err)
	}
	svc, url = startService(t, dir)
	t.Cleanup(func() { _ = svc.Close() })
	c = client(url)
	if diff := cmp.Diff(before, view(t, c, "state")); diff != "" {
		t.Errorf("after a restart (-before +after):\n%s", diff)
	}
	out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: key, Body: bytes.NewReader([]byte("after restart"))})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range before.Versions["state"] {
		if v.VersionID == aws.ToString(out.VersionId) {
			t.Errorf("the first PUT after the restart got version id %s, which an earlier version had", v.VersionID)
		}
	}
}
