package sandbox_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

// checkRecovery starts over the corrupt log with RecoverCorruptLog: the
// records before the corruption load, and everything from it on is kept
// beside the log, not dropped.
func checkRecovery(t *testing.T, dir, logPath string) {
	t.Helper()
	before, err := os.Stat(logPath)
	if err != nil {
		t.Fatal(err)
	}
	inst := sandboxtest.Start(t, sandbox.Options{DataDir: dir, RecoverCorruptLog: true})
	kept, _ := filepath.Glob(logPath + ".corrupt-*")
	if len(kept) != 1 {
		t.Fatalf("after recovery: %v beside the log, want one .corrupt-<offset> file", kept)
	}
	rest, err := os.Stat(kept[0])
	if err != nil {
		t.Fatal(err)
	}
	out, err := s3Client(inst).ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("bits")})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(out.Contents); n == 0 || n >= 200 {
		t.Errorf("after recovery %d objects, want the ones before the corruption", n)
	}
	// Closed, the log holds its records alone (the zeros it allocates
	// ahead while open are cut), so its bytes and the kept rest add up.
	if err := inst.Server.Close(); err != nil {
		t.Fatal(err)
	}
	now, err := os.Stat(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if now.Size()+rest.Size() != before.Size() {
		t.Errorf("log %d + kept %d bytes != %d bytes before recovery", now.Size(), rest.Size(), before.Size())
	}
}
