package statehistory_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/statehistory"
)

// TestS3CacheIsNotFooledByReusedVersionIDs: two S3 endpoints (here two
// fresh sandboxes, whose version ids repeat from one to the next; a MinIO
// or a test server can do the same) hold different states under the same
// bucket, key and version id. One cache folder serves both: each history
// must show its own endpoint's states, never the other's cached copy.
func TestS3CacheIsNotFooledByReusedVersionIDs(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "s")
	ctx := context.Background()
	cache := t.TempDir()
	history := func(serials ...int) []statehistory.Revision {
		inst := sandboxtest.Start(t, sandbox.Options{})
		c := s3At(inst.URL)
		sandboxtest.VersionedBucket(t, c, "tfstate")
		for _, serial := range serials {
			if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("tfstate"), Key: aws.String("app.tfstate"),
				Body: bytes.NewReader(bigState(serial))}); err != nil {
				t.Fatal(err)
			}
		}
		revs, err := statehistory.S3Source{Client: c, Bucket: "tfstate", Key: "app.tfstate", CacheDir: cache}.Revisions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return revs
	}
	first := history(1, 2)
	second := history(7, 8)
	if len(first) != 2 || len(second) != 2 {
		t.Fatalf("revisions: %d then %d, want 2 and 2", len(first), len(second))
	}
	for i, want := range []uint64{7, 8} {
		if got := second[i].Serial; got != want {
			t.Errorf("second endpoint, revision %d (id %s): serial %d, want %d (the first endpoint's cached copy was served)", i, second[i].ID, got, want)
		}
	}
}

// TestS3CacheHoldsSummariesNotStates: a history caches each version's
// summary (a warm history reads no object) but not the state itself; a
// state is cached when it is loaded (diff, --write-state). 10,000
// versions of a 1 MB state would otherwise fill 10 GB of disk.
func TestS3CacheHoldsSummariesNotStates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	inst := sandboxtest.Start(t, sandbox.Options{})
	c := s3At(inst.URL)
	sandboxtest.VersionedBucket(t, c, "tfstate")
	for serial := 1; serial <= 5; serial++ {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("tfstate"), Key: aws.String("app.tfstate"),
			Body: bytes.NewReader(bigState(serial))}); err != nil {
			t.Fatal(err)
		}
	}
	cache := t.TempDir()
	src := statehistory.S3Source{Client: c, Bucket: "tfstate", Key: "app.tfstate", CacheDir: cache}
	revs, err := src.Revisions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	size := func() int64 {
		var n int64
		entries, _ := os.ReadDir(cache)
		for _, e := range entries {
			if info, err := e.Info(); err == nil {
				n += info.Size()
			}
		}
		return n
	}
	if got := size(); got > 5*16<<10 {
		t.Errorf("the cache holds %d bytes after a history of 5 versions of a %d-byte state: states were cached, not summaries", got, len(bigState(1)))
	}
	if _, _, err := revs[2].Load(ctx); err != nil {
		t.Fatal(err)
	}
	if got := size(); got < int64(len(bigState(3))) {
		t.Errorf("the cache holds %d bytes after a Load: the loaded state was not kept", got)
	}
	warm, err := src.Revisions(ctx)
	if err != nil || len(warm) != 5 || warm[4].Serial != 5 {
		t.Fatalf("warm history: %d revisions, %v", len(warm), err)
	}
}

// bigState is a ~1 MB state with a function and an alias.
func bigState(serial int) []byte {
	const version = "1"
	filler := strings.Repeat("z", 1000)
	res := []any{
		map[string]any{"mode": "managed", "type": "rollout_function", "name": "orders", "instances": []any{map[string]any{"attributes": map[string]any{
			"function_name": "orders", "version": version, "release": "v" + version}}}},
		map[string]any{"mode": "managed", "type": "rollout_alias", "name": "live", "instances": []any{map[string]any{"attributes": map[string]any{
			"function_name": "orders", "name": "live", "function_version": version}}}},
	}
	for i := 0; i < 1000; i++ {
		res = append(res, map[string]any{"mode": "managed", "type": "aws_s3_object", "name": fmt.Sprintf("o%d", i),
			"instances": []any{map[string]any{"attributes": map[string]any{"content": filler}}}})
	}
	b, _ := json.Marshal(map[string]any{"version": 4, "serial": serial, "lineage": "bench", "resources": res})
	return b
}
