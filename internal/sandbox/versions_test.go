package sandbox_test

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

// TestListObjectVersionsPages: 10,000 versions come back in pages of
// 1,000 with NextKeyMarker / NextVersionIdMarker, each version once
// (issue 14, case 6).
func TestListObjectVersionsPages(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{})
	c := s3Client(inst)
	sandboxtest.VersionedBucket(t, c, "hist")
	const keys, perKey = 40, 250 // 10,000 versions
	var wg sync.WaitGroup
	errs := make(chan error, keys)
	for k := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for v := range perKey {
				if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("hist"), Key: aws.String(fmt.Sprintf("k%02d", k)),
					Body: bytes.NewReader([]byte(fmt.Sprint(v)))}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	in := &s3.ListObjectVersionsInput{Bucket: aws.String("hist")}
	pages := 0
	for {
		pages++
		if pages > 20 {
			t.Fatalf("more than 20 pages for %d versions: the listing does not advance", keys*perKey)
		}
		out, err := c.ListObjectVersions(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Versions) > 1000 {
			t.Fatalf("page of %d versions, want at most 1000", len(out.Versions))
		}
		for _, v := range out.Versions {
			id := aws.ToString(v.Key) + "@" + aws.ToString(v.VersionId)
			if seen[id] {
				t.Fatalf("page %d repeats %s", pages, id)
			}
			seen[id] = true
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		if aws.ToString(out.NextKeyMarker) == "" || aws.ToString(out.NextVersionIdMarker) == "" {
			t.Fatalf("page %d is truncated without NextKeyMarker/NextVersionIdMarker (%q, %q)", pages,
				aws.ToString(out.NextKeyMarker), aws.ToString(out.NextVersionIdMarker))
		}
		in.KeyMarker, in.VersionIdMarker = out.NextKeyMarker, out.NextVersionIdMarker
	}
	if len(seen) != keys*perKey || pages != 10 {
		t.Errorf("listed %d versions in %d pages, want %d in 10", len(seen), pages, keys*perKey)
	}
}

// TestListObjectVersionsDelimiterPages: with a delimiter, versions and
// common prefixes share the page's MaxKeys in key order, as on S3, and
// paging returns every version and every prefix exactly once.
func TestListObjectVersionsDelimiterPages(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{})
	c := s3Client(inst)
	sandboxtest.VersionedBucket(t, c, "mixed")
	// Keys a00..a29 (2 versions each) interleaved with folders b00/..b29/.
	wantVersions, wantPrefixes := map[string]bool{}, map[string]bool{}
	for i := 0; i < 30; i++ {
		for v := 0; v < 2; v++ {
			out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("mixed"), Key: aws.String(fmt.Sprintf("k%02da", i)), Body: bytes.NewReader([]byte{byte(v)})})
			if err != nil {
				t.Fatal(err)
			}
			wantVersions[fmt.Sprintf("k%02da@%s", i, aws.ToString(out.VersionId))] = true
		}
		for _, leaf := range []string{"x", "y"} {
			if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("mixed"), Key: aws.String(fmt.Sprintf("k%02db/%s", i, leaf)), Body: bytes.NewReader(nil)}); err != nil {
				t.Fatal(err)
			}
		}
		wantPrefixes[fmt.Sprintf("k%02db/", i)] = true
	}
	gotVersions, gotPrefixes := map[string]bool{}, map[string]bool{}
	in := &s3.ListObjectVersionsInput{Bucket: aws.String("mixed"), Delimiter: aws.String("/"), MaxKeys: aws.Int32(7)}
	for pages := 1; ; pages++ {
		if pages > 30 {
			t.Fatal("more than 30 pages of 7 for 90 entries: the listing does not advance")
		}
		out, err := c.ListObjectVersions(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(out.Versions) + len(out.CommonPrefixes); n > 7 {
			t.Fatalf("page %d holds %d versions and prefixes, want at most MaxKeys 7", pages, n)
		}
		for _, v := range out.Versions {
			id := aws.ToString(v.Key) + "@" + aws.ToString(v.VersionId)
			if gotVersions[id] {
				t.Fatalf("page %d repeats version %s", pages, id)
			}
			gotVersions[id] = true
		}
		for _, p := range out.CommonPrefixes {
			if gotPrefixes[aws.ToString(p.Prefix)] {
				t.Fatalf("page %d repeats prefix %s", pages, aws.ToString(p.Prefix))
			}
			gotPrefixes[aws.ToString(p.Prefix)] = true
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		in.KeyMarker, in.VersionIdMarker = out.NextKeyMarker, out.NextVersionIdMarker
	}
	if len(gotVersions) != len(wantVersions) || len(gotPrefixes) != len(wantPrefixes) {
		t.Errorf("paged %d versions and %d prefixes, want %d and %d", len(gotVersions), len(gotPrefixes), len(wantVersions), len(wantPrefixes))
	}
	for id := range wantVersions {
		if !gotVersions[id] {
			t.Errorf("version %s never listed", id)
		}
	}
}
