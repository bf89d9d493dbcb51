package provider_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/testfn"
)

// BenchmarkInterlockRollback: a worker fed by a queue holding 1,000
// messages (ROLLOUT_BENCH_INTERLOCK_MESSAGES to change it) is released
// with a canary whose new version fails every batch, through the real
// terraform and the built provider against the sandbox, with the
// interlock pausing at start, promotion and rollback. Measured from the
// sandbox's journal, the queue, the dead-letter queue and the worker's
// own record: the rollback's pause-to-resume window, the messages lost,
// processed twice, and received by the rejected version after the
// rollback decision.
func BenchmarkInterlockRollback(b *testing.B) {
	if os.Getenv("TF_ACC_TERRAFORM_PATH") == "" {
		b.Skip("needs TF_ACC_TERRAFORM_PATH (make bench sets it)")
	}
	messages := 1000
	if v, err := strconv.Atoi(os.Getenv("ROLLOUT_BENCH_INTERLOCK_MESSAGES")); err == nil && v > 0 {
		messages = v
	}
	code, err := testfn.Zip()
	if err != nil {
		b.Fatal(err)
	}
	zip := filepath.Join(b.TempDir(), "fn.zip")
	if err := os.WriteFile(zip, code, 0o600); err != nil {
		b.Fatal(err)
	}
	var window time.Duration
	var lost, twice, seen, rejected, sent int
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		inst := sandboxtest.Start(b, sandbox.Options{})
		record := filepath.Join(b.TempDir(), "worker.record")
		q := newQueueFixture(b, inst.URL)
		r := newTFRun(b)
		r.write(workerStack(inst.URL, zip, "v1", "0", record, 20, allMomentsInterlock))
		r.mustRun("first apply", "apply", "-auto-approve")
		q.mapQueue()
		r.write(workerStack(inst.URL, zip, "v2", "1", record, 20, allMomentsInterlock))
		if err := q.send(context.Background(), messages); err != nil {
			b.Fatal(err)
		}
		mark := inst.Journal.Mark()
		b.StartTimer()
		out, err := r.run("apply", "-auto-approve")
		b.StopTimer()
		if err == nil {
			b.Fatalf("the failing release was not rolled back:\n%s", out)
		}
		if err := q.drain(3 * time.Minute); err != nil {
			b.Fatal(err)
		}
		t := tallyQueue(b, q, readWorkerRecord(b, record), inst.Journal.Since(mark), q.stopSending())
		window += t.Window
		lost, twice, seen, rejected, sent = lost+t.Lost, twice+t.Twice, seen+t.SeenByRejected, rejected+t.ReceivedByRejected, sent+t.Sent
		q.unmap()
		if out, err := r.destroy(inst.URL, "-refresh=false"); err != nil {
			b.Fatalf("destroy: %v\n%s", err, out)
		}
	}
	n := float64(b.N)
	b.ReportMetric(float64(sent)/n, "messages")
	b.ReportMetric(window.Seconds()*1000/n, "pause-to-resume-ms")
	b.ReportMetric(float64(lost)/n, "messages-lost")
	b.ReportMetric(float64(twice)/n, "processed-twice")
	b.ReportMetric(float64(rejected)/n, "received-by-rejected")
	b.ReportMetric(float64(seen)/n, "seen-by-rejected-after-decision")
}
