package statehistory_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/statehistory"
)

// bigState is a ~1 MB state with a function and an alias.
func bigState(serial int, version string) []byte {
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

// BenchmarkHistoryPickVsNaive reads 1,000 revisions of a 1 MB state from
// the sandbox's S3 and picks the known-good one, cold (empty cache) and
// warm, side by side with the loop a user writes today (aws s3api
// get-object per version, then terraform show -json), timed per revision
// on a sample and reported as a ratio.
func BenchmarkHistoryPickVsNaive(b *testing.B) {
	ctx := context.Background()
	inst := sandboxtest.Start(b, sandbox.Options{})
	c := s3At(inst.URL)
	sandboxtest.VersionedBucket(b, c, "hist")
	const revisions = 1000
	var size int
	for i := 1; i <= revisions; i++ {
		body := bigState(i, fmt.Sprint(1+i/100))
		size = len(body)
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("hist"), Key: aws.String("app.tfstate"), Body: bytes.NewReader(body)}); err != nil {
			b.Fatal(err)
		}
	}
	var cold, warm time.Duration
	var heap uint64
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before) // the sandbox's own copy of the objects is not ours
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		src := statehistory.S3Source{Client: c, Bucket: "hist", Key: "app.tfstate", CacheDir: b.TempDir(), Parallel: 8}
		for pass := 0; pass < 2; pass++ {
			start := time.Now()
			revs, err := src.Revisions(ctx)
			if err != nil {
				b.Fatal(err)
			}
			p, err := statehistory.PickKnownGood(revs, "")
			if err != nil || p.Chosen == nil || len(revs) != revisions {
				b.Fatalf("pick over %d revisions: %v %v", len(revs), p.Chosen, err)
			}
			d := time.Since(start)
			if pass == 0 {
				cold += d
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				if ms.HeapAlloc > before.HeapAlloc && ms.HeapAlloc-before.HeapAlloc > heap {
					heap = ms.HeapAlloc - before.HeapAlloc
				}
				runtime.KeepAlive(revs)
			} else {
				warm += d
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(size)/1e6, "state-MB")
	b.ReportMetric(cold.Seconds()/float64(b.N), "cold-s")
	b.ReportMetric(warm.Seconds()/float64(b.N), "warm-s")
	b.ReportMetric(float64(heap)/1e6, "heap-MB-holding-1000-revisions")
	naive := naivePerRevision(b, c, inst.URL)
	if naive > 0 {
		b.ReportMetric(naive, "naive-s-per-revision")
		b.ReportMetric(naive*revisions, "naive-s-estimated-for-1000")
		b.ReportMetric(naive*revisions/(cold.Seconds()/float64(b.N)), "speedup-cold-vs-naive")
	}
}

// naivePerRevision times the user's loop on a few versions.
func naivePerRevision(b *testing.B, c *s3.Client, url string) float64 {
	awsCLI, tf := "/usr/bin/aws", os.Getenv("TF_ACC_TERRAFORM_PATH")
	if _, err := os.Stat(awsCLI); err != nil || tf == "" {
		b.Log("naive baseline skipped: needs /usr/bin/aws and TF_ACC_TERRAFORM_PATH (make bench sets it)")
		return 0
	}
	out, err := c.ListObjectVersions(context.Background(), &s3.ListObjectVersionsInput{Bucket: aws.String("hist"), MaxKeys: aws.Int32(5)})
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	start := time.Now()
	n := 0
	for _, v := range out.Versions[:5] {
		f := filepath.Join(dir, fmt.Sprintf("v%d.tfstate", n))
		get := exec.Command(awsCLI, "--endpoint-url", url, "s3api", "get-object", "--bucket", "hist", "--key", "app.tfstate", "--version-id", aws.ToString(v.VersionId), f)
		get.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=a", "AWS_SECRET_ACCESS_KEY=b", "AWS_DEFAULT_REGION=us-east-1", "AWS_PAGER=")
		if o, err := get.CombinedOutput(); err != nil {
			b.Fatalf("aws s3api get-object: %v\n%s", err, o)
		}
		show := exec.Command(tf, "show", "-json", f)
		show.Dir = dir
		if o, err := show.CombinedOutput(); err != nil {
			b.Fatalf("terraform show -json: %v\n%.500s", err, o)
		}
		n++
	}
	return time.Since(start).Seconds() / float64(n)
}
