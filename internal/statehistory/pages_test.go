package statehistory_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/statehistory"
)

// TestS3SourcePagesPast10000: 10,001 object versions of a state key in
// the sandbox's S3 are listed (11 pages of 1,000) and read, oldest first.
func TestS3SourcePagesPast10000(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	inst := sandboxtest.Start(t, sandbox.Options{})
	c := s3.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")},
		func(o *s3.Options) { o.BaseEndpoint, o.UsePathStyle = aws.String(inst.URL), true })
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("hist")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String("hist"),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	const n = 10_001
	start := time.Now()
	for i := 1; i <= n; i++ {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("hist"), Key: aws.String("app.tfstate"), Body: bytes.NewReader(smallState(i, fmt.Sprint(1+i/1000)))}); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d versions written in %s", n, time.Since(start))
	last := 0
	revs, err := statehistory.S3Source{Client: c, Bucket: "hist", Key: "app.tfstate", Progress: func(done, total int) { last = max(last, done) }}.Revisions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(revs) != n || revs[0].Serial != 1 || revs[n-1].Serial != n || last != n {
		t.Fatalf("%d revisions from serial %d to %d, progress %d; want %d from 1 to %d", len(revs), revs[0].Serial, revs[len(revs)-1].Serial, last, n, n)
	}
}

// TestDirSourceReads10000: a folder of 10,001 snapshots is read whole.
func TestDirSourceReads10000(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const n = 10_001
	for i := 1; i <= n; i++ {
		p := filepath.Join(dir, fmt.Sprintf("s%05d.tfstate", i))
		if err := os.WriteFile(p, smallState(i, fmt.Sprint(1+i/1000)), 0o600); err != nil {
			t.Fatal(err)
		}
		at := t0.Add(time.Duration(i) * time.Second)
		if err := os.Chtimes(p, at, at); err != nil {
			t.Fatal(err)
		}
	}
	revs, err := statehistory.DirSource{Dir: dir}.Revisions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(revs) != n || revs[0].Serial != 1 || revs[n-1].Serial != n {
		t.Fatalf("%d revisions from serial %d to %d; want %d from 1 to %d", len(revs), revs[0].Serial, revs[len(revs)-1].Serial, n, n)
	}
}

// TestLocalSourceReads10000: a state file with 10,000 timestamped backups
// (terraform.tfstate.<unix time>.backup, as state commands write them) is
// read whole, oldest first by the time in each backup's name.
func TestLocalSourceReads10000(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const n = 10_000
	for i := 1; i <= n; i++ {
		p := filepath.Join(dir, fmt.Sprintf("terraform.tfstate.%d.backup", t0.Add(time.Duration(i)*time.Second).Unix()))
		if err := os.WriteFile(p, smallState(i, fmt.Sprint(1+i/1000)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	state := filepath.Join(dir, "terraform.tfstate")
	if err := os.WriteFile(state, smallState(n+1, "11"), 0o600); err != nil {
		t.Fatal(err)
	}
	at := t0.Add((n + 1) * time.Second)
	if err := os.Chtimes(state, at, at); err != nil {
		t.Fatal(err)
	}
	revs, err := statehistory.LocalSource{Path: state}.Revisions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(revs) != n+1 || revs[0].Serial != 1 || revs[n].Serial != n+1 {
		t.Fatalf("%d revisions from serial %d to %d; want %d from 1 to %d", len(revs), revs[0].Serial, revs[len(revs)-1].Serial, n+1, n+1)
	}
	p, _, err := statehistory.PickFrom(context.Background(), statehistory.LocalSource{Path: state}, "", "")
	if err != nil || p.Reference.Serial != n+1 {
		t.Fatalf("pick over the backups: reference %d, %v", p.Reference.Serial, err)
	}
}
