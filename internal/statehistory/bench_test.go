package statehistory_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/statehistory"
)

// realRevisions is a template of a state terraform wrote, repeated for
// pairs function/alias pairs (realPairs), with its serial and the pairs'
// version left as placeholders, and the revision it becomes at serial: the
// version moves every 100 revisions, as releases do. Made by replacing
// bytes, so writing thousands of revisions costs no JSON encoding.
func realRevisions(b *testing.B, pairs int) ([]byte, func(serial int) []byte) {
	b.Helper()
	template := realPairs(b, pairs, 987654321, "VERSION")
	if !bytes.Contains(template, []byte(`"serial": 987654321`)) {
		b.Fatal("the state template has no serial to replace")
	}
	return template, func(serial int) []byte {
		s := bytes.Replace(template, []byte(`"serial": 987654321`), fmt.Appendf(nil, `"serial": %d`, serial), 1)
		return bytes.ReplaceAll(s, []byte("VERSION"), fmt.Appendf(nil, "%d", 1+serial/100))
	}
}

// BenchmarkHistoryPickVsNaive reads 1,000 revisions of a state terraform
// wrote, repeated for 100 function/alias pairs, from the sandbox's S3 and
// picks the known-good one, cold (empty cache) and warm, side by side with
// the loop a user writes today (aws s3api get-object per version, then
// terraform show -json with the provider's schema), timed on a sample of
// versions spread over the history.
func BenchmarkHistoryPickVsNaive(b *testing.B) {
	ctx := context.Background()
	inst := sandboxtest.Start(b, sandbox.Options{})
	c := s3At(inst.URL)
	sandboxtest.VersionedBucket(b, c, "hist")
	const revisions = 1000
	template, revision := realRevisions(b, 100)
	for i := 1; i <= revisions; i++ {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("hist"), Key: aws.String("app.tfstate"), Body: bytes.NewReader(revision(i))}); err != nil {
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
	b.ReportMetric(float64(len(template))/1e6, "state-MB")
	b.ReportMetric(cold.Seconds()/float64(b.N), "cold-s")
	b.ReportMetric(warm.Seconds()/float64(b.N), "warm-s")
	b.ReportMetric(float64(heap)/1e6, "heap-MB-holding-1000-revisions")
	naive := naiveLoop(b, c, inst.URL)
	if len(naive) == 0 {
		return
	}
	sort.Float64s(naive)
	var total float64
	for _, d := range naive {
		total += d
	}
	mean := total / float64(len(naive))
	b.ReportMetric(float64(len(naive)), "naive-sampled-revisions")
	b.ReportMetric(naive[len(naive)/2], "naive-s-per-revision-p50")
	b.ReportMetric(mean, "naive-s-per-revision-mean")
	b.ReportMetric(mean*revisions, "naive-s-for-1000-from-sample")
	b.ReportMetric(mean*revisions/(cold.Seconds()/float64(b.N)), "speedup-cold-vs-naive")
}

// naiveLoop times the user's loop, per revision, on a sample of the
// versions spread evenly over the history (ROLLOUTCTL_BENCH_NAIVE_SAMPLE,
// default 40; the whole loop over 1,000 takes minutes): aws s3api
// get-object of the version, then terraform show -json of it in a working
// directory that has this provider (built here, through dev_overrides), so
// terraform decodes every resource with its schema as it does for a user.
func naiveLoop(b *testing.B, c *s3.Client, url string) []float64 {
	awsCLI, tf := "/usr/bin/aws", os.Getenv("TF_ACC_TERRAFORM_PATH")
	if _, err := os.Stat(awsCLI); err != nil || tf == "" {
		b.Log("naive baseline skipped: needs /usr/bin/aws and TF_ACC_TERRAFORM_PATH (make bench sets it)")
		return nil
	}
	sample := 40
	if v := os.Getenv("ROLLOUTCTL_BENCH_NAIVE_SAMPLE"); v != "" {
		var err error
		if sample, err = strconv.Atoi(v); err != nil || sample < 1 {
			b.Fatalf("ROLLOUTCTL_BENCH_NAIVE_SAMPLE=%q: want a positive number, for example 40", v)
		}
	}
	var versions []string
	p := s3.NewListObjectVersionsPaginator(c, &s3.ListObjectVersionsInput{Bucket: aws.String("hist")})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		for _, v := range out.Versions {
			versions = append(versions, aws.ToString(v.VersionId))
		}
	}
	sample = min(sample, len(versions))
	dir := b.TempDir()
	env := naiveEnv(b, dir)
	var took []float64
	for i := 0; i < sample; i++ {
		v := versions[i*len(versions)/sample]
		f := filepath.Join(dir, fmt.Sprintf("v%d.tfstate", i))
		start := time.Now()
		get := exec.Command(awsCLI, "--endpoint-url", url, "s3api", "get-object", "--bucket", "hist", "--key", "app.tfstate", "--version-id", v, f)
		get.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=a", "AWS_SECRET_ACCESS_KEY=b", "AWS_DEFAULT_REGION=us-east-1", "AWS_PAGER=")
		if o, err := get.CombinedOutput(); err != nil {
			b.Fatalf("aws s3api get-object: %v\n%s", err, o)
		}
		show := exec.Command(tf, "show", "-json", f)
		show.Dir, show.Env = dir, env
		o, err := show.Output()
		if err != nil || !bytes.Contains(o, []byte(`"rollout_alias"`)) {
			b.Fatalf("terraform show -json: %v\n%.500s", err, o)
		}
		took = append(took, time.Since(start).Seconds())
	}
	return took
}

// naiveEnv prepares dir as a user's working directory of this provider
// (built into dir, installed through dev_overrides) and returns the
// environment terraform runs with there.
func naiveEnv(b *testing.B, dir string) []string {
	b.Helper()
	bin := filepath.Join(dir, "terraform-provider-rollout")
	build := exec.Command("go", "build", "-o", bin, "github.com/rollout-tf/terraform-provider-rollout")
	if o, err := build.CombinedOutput(); err != nil {
		b.Fatalf("building the provider for terraform show: %v\n%s", err, o)
	}
	rc := filepath.Join(dir, "terraformrc")
	body := fmt.Sprintf("provider_installation {\n  dev_overrides {\n    \"rollout-tf/rollout\" = %q\n  }\n  direct {}\n}\n", dir)
	main := "terraform {\n  required_providers {\n    rollout = { source = \"rollout-tf/rollout\" }\n  }\n}\n"
	for name, content := range map[string]string{rc: body, filepath.Join(dir, "main.tf"): main} {
		if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
			b.Fatal(err)
		}
	}
	return append(os.Environ(), "TF_CLI_CONFIG_FILE="+rc, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1")
}
