package provider_test

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rollout-tf/terraform-provider-rollout/internal/acctest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

// BenchmarkRollbackCriticalPath measures the rollback an on-call engineer
// runs (apply of the previous release's configuration, adopting a retained
// version) side by side with a no-op apply of the same configuration: the
// API calls of each, the writes of the rollback until traffic is safe (the
// UpdateAlias: must stay 1) and in total (with the copy of the adopted
// version into $LATEST afterwards), and the time ratio.
func BenchmarkRollbackCriticalPath(b *testing.B) {
	if os.Getenv("TF_ACC_TERRAFORM_PATH") == "" {
		b.Skip("needs TF_ACC_TERRAFORM_PATH (make bench sets it)")
	}
	inst := sandboxtest.Start(b, sandbox.Options{})
	dir := b.TempDir()
	v1 := writeZipTB(b, dir, "v1.zip", "release one")
	v2 := writeZipTB(b, dir, "v2.zip", "release two")
	cfg := func(zip, release string) string {
		return acctest.ConfigCompose(acctest.SandboxConfig(inst.URL), `
resource "rollout_function" "test" {
  function_name = "critical"
  role          = "`+testRole+`"
  runtime       = "provided.al2023"
  handler       = "bootstrap"
  filename      = "`+zip+`"
  release       = "`+release+`"
}

resource "rollout_alias" "live" {
  function_name    = rollout_function.test.function_name
  name             = "live"
  function_version = rollout_function.test.version
}
`)
	}
	r := newTFRun(b)
	apply := func() (time.Duration, int, int, int) {
		mark := inst.Journal.Mark()
		start := time.Now()
		if out, err := r.run("apply", "-auto-approve"); err != nil {
			b.Fatalf("apply: %v\n%s", err, out)
		}
		d := time.Since(start)
		calls := inst.Journal.Since(mark)
		untilSafe, writes := rollbackWrites(calls, "critical")
		return d, len(calls), untilSafe, writes
	}
	r.write(cfg(v1, "v1"))
	apply()
	var rbT, noopT time.Duration
	var rbCalls, rbSafeWrites, rbWrites, noopCalls int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r.write(cfg(v2, "v2"))
		b.StopTimer()
		apply() // release v2 (not measured)
		b.StartTimer()
		r.write(cfg(v1, "v1"))
		d, calls, untilSafe, writes := apply() // the rollback: adopts version 1
		rbT, rbCalls, rbSafeWrites, rbWrites = rbT+d, rbCalls+calls, rbSafeWrites+untilSafe, rbWrites+writes
		d, calls, _, _ = apply() // the same configuration again: a no-op
		noopT, noopCalls = noopT+d, noopCalls+calls
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(rbT.Seconds()/n, "rollback-apply-s")
	b.ReportMetric(noopT.Seconds()/n, "noop-apply-s")
	b.ReportMetric(rbT.Seconds()/noopT.Seconds(), "rollback/noop-time-ratio")
	b.ReportMetric(float64(rbCalls)/n, "rollback-API-calls")
	b.ReportMetric(float64(noopCalls)/n, "noop-API-calls")
	b.ReportMetric(float64(rbSafeWrites)/n, "rollback-writes-until-safe")
	b.ReportMetric(float64(rbWrites)/n, "rollback-API-writes")
}

func writeZipTB(tb testing.TB, dir, name, content string) string {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("bootstrap")
	if err != nil {
		tb.Fatal(err)
	}
	_, _ = w.Write([]byte(content))
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, buf.Bytes(), 0o600); err != nil {
		tb.Fatal(err)
	}
	return p
}
