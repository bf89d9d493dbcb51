package sandbox_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

func TestCodeFromVersionedS3(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{})
	sc, lc := s3Client(inst), lambdaClient(inst, 1)
	sandboxtest.VersionedBucket(t, sc, "artifacts")
	first, second := zipOf(t, "one"), zipOf(t, "two")
	put1, err := sc.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("artifacts"), Key: aws.String("fn.zip"), Body: bytes.NewReader(first)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sc.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("artifacts"), Key: aws.String("fn.zip"), Body: bytes.NewReader(second)}); err != nil {
		t.Fatal(err)
	}
	out, err := lc.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("fn"), Role: aws.String(testRole),
		Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Code: &types.FunctionCode{S3Bucket: aws.String("artifacts"), S3Key: aws.String("fn.zip"), S3ObjectVersion: put1.VersionId}})
	if err != nil {
		t.Fatal(err)
	}
	inline := createFunction(t, lc, "inline", first)
	if aws.ToString(out.CodeSha256) != aws.ToString(inline.CodeSha256) || out.CodeSize != int64(len(first)) {
		t.Errorf("code from S3 version %s = %s (%d bytes), want the first object %s", aws.ToString(put1.VersionId), aws.ToString(out.CodeSha256), out.CodeSize, aws.ToString(inline.CodeSha256))
	}
	_, err = lc.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("missing"), Role: aws.String(testRole),
		Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Code: &types.FunctionCode{S3Bucket: aws.String("artifacts"), S3Key: aws.String("nope.zip")}})
	if code, msg := apiError(t, err); code != "InvalidParameterValueException" || msg != "Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist." {
		t.Errorf("code from a missing key = %s: %s", code, msg)
	}
}

// snapshot reads back everything a test stored, to compare across restarts.
type snapshot struct {
	Functions map[string][]string // per function: version, revision, sha per version and alias
	Objects   []string            // key@version=size
}

func takeSnapshot(t *testing.T, inst *sandboxtest.Instance, functions []string, bucket string) snapshot {
	t.Helper()
	lc, sc := lambdaClient(inst, 1), s3Client(inst)
	snap := snapshot{Functions: map[string][]string{}}
	for _, fn := range functions {
		var lines []string
		vs, err := lc.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String(fn)})
		if err != nil {
			t.Fatalf("ListVersionsByFunction(%s): %v", fn, err)
		}
		for _, v := range vs.Versions {
			lines = append(lines, fmt.Sprintf("version %s rev %s sha %s modified %s desc %q",
				aws.ToString(v.Version), aws.ToString(v.RevisionId), aws.ToString(v.CodeSha256), aws.ToString(v.LastModified), aws.ToString(v.Description)))
		}
		as, err := lc.ListAliases(ctx, &lambda.ListAliasesInput{FunctionName: aws.String(fn)})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range as.Aliases {
			weights := ""
			if a.RoutingConfig != nil {
				weights = fmt.Sprint(a.RoutingConfig.AdditionalVersionWeights)
			}
			lines = append(lines, fmt.Sprintf("alias %s -> %s %s rev %s", aws.ToString(a.Name), aws.ToString(a.FunctionVersion), weights, aws.ToString(a.RevisionId)))
		}
		snap.Functions[fn] = lines
	}
	if bucket != "" {
		out, err := sc.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range out.Versions {
			snap.Objects = append(snap.Objects, fmt.Sprintf("%s@%s=%d %s", aws.ToString(v.Key), aws.ToString(v.VersionId), aws.ToInt64(v.Size), aws.ToTime(v.LastModified).Format(time.RFC3339Nano)))
		}
	}
	return snap
}

func TestRestartKeepsEverything(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	inst := sandboxtest.Start(t, sandbox.Options{DataDir: dir})
	lc, sc := lambdaClient(inst, 1), s3Client(inst)
	createFunction(t, lc, "fn", zipOf(t, "v1"))
	for i := 0; i < 3; i++ {
		if _, err := lc.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("fn"), ZipFile: zipOf(t, strconv.Itoa(i))}); err != nil {
			t.Fatal(err)
		}
		if _, err := lc.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := lc.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live"), FunctionVersion: aws.String("2"),
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"3": 0.1}}}); err != nil {
		t.Fatal(err)
	}
	sandboxtest.VersionedBucket(t, sc, "state")
	for i := 0; i < 4; i++ {
		if _, err := sc.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("state"), Key: aws.String("terraform.tfstate"), Body: strings.NewReader(strings.Repeat("x", i+1))}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sc.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("state"), Key: aws.String("terraform.tfstate")}); err != nil {
		t.Fatal(err)
	}
	before := takeSnapshot(t, inst, []string{"fn"}, "state")
	if err := inst.Server.Close(); err != nil {
		t.Fatal(err)
	}

	again := sandboxtest.Start(t, sandbox.Options{DataDir: dir})
	after := takeSnapshot(t, again, []string{"fn"}, "state")
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("state after restart (-before +after):\n%s", diff)
	}
	if len(before.Objects) != 4 || len(before.Functions["fn"]) != 5 {
		t.Errorf("snapshot holds %d object versions and %d function lines, want 4 and 5", len(before.Objects), len(before.Functions["fn"]))
	}
}

// TestHelperSandboxProcess is not a test: TestCrashDuringWrites runs the
// test binary with ROLLOUT_SANDBOX_HELPER set to get a sandbox in a process
// it can SIGKILL.
func TestHelperSandboxProcess(t *testing.T) {
	dir := os.Getenv("ROLLOUT_SANDBOX_HELPER")
	if dir == "" {
		return
	}
	srv, err := sandbox.New(sandbox.Options{DataDir: dir})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.Exit(3)
	}
	fmt.Println(l.Addr().String())
	_ = srv.Serve(t.Context(), l)
	os.Exit(0)
}

// startSandboxProcess runs a sandbox over dir in a process of its own
// (TestHelperSandboxProcess), killed when the test ends at the latest, and
// returns it with its URL.
func startSandboxProcess(tb testing.TB, dir string) (*exec.Cmd, string) {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperSandboxProcess$")
	cmd.Env = append(os.Environ(), "ROLLOUT_SANDBOX_HELPER="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = cmd.Process.Kill() })
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		tb.Fatalf("helper did not start: %v", err)
	}
	return cmd, "http://" + strings.TrimSpace(addr)
}

func TestCrashDuringWrites(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rng := rand.New(rand.NewSource(7))
	acked := map[string]int{} // S3 key -> size acknowledged
	large := 0                // acknowledged objects stored out of line
	fnVersions := map[string]int{}
	const kills = 5
	for round := 0; round < kills; round++ {
		cmd, url := startSandboxProcess(t, dir)
		inst := &sandboxtest.Instance{URL: url}
		sc, lc := s3Client(inst), lambdaClient(inst, 1)
		if round == 0 {
			if _, err := sc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("crash-bucket")}); err != nil {
				t.Fatal(err)
			}
		}

		// Writers run until the process dies under them.
		var mu sync.Mutex
		ackedBefore := len(acked)
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; ; i++ {
					if w == 0 {
						name := fmt.Sprintf("fn-%d-%d", round, i)
						if _, err := lc.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(name), Role: aws.String(testRole),
							Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), Code: &types.FunctionCode{ZipFile: zipOf(t, name)}, Publish: true}); err != nil {
							return
						}
						mu.Lock()
						fnVersions[name] = 1
						mu.Unlock()
						continue
					}
					key := fmt.Sprintf("k-%d-%d-%d", round, w, i)
					size := 1 + (i*7919)%20000
					if i%4 == 3 { // large objects, stored out of line, mixed in
						size = 300<<10 + (i*7919)%(2<<20)
					}
					if _, err := sc.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("crash-bucket"), Key: aws.String(key), Body: bytes.NewReader(bytes.Repeat([]byte{byte(i)}, size))}); err != nil {
						return
					}
					mu.Lock()
					acked[key] = size
					if size > 256<<10 {
						large++
					}
					mu.Unlock()
				}
			}(w)
		}
		// Kill at a random point once this round has acknowledged writes
		// (and, by the last round, a large one), however slow a loaded
		// machine makes the first ones.
		ready := func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(acked) > ackedBefore && (large > 0 || round < kills-1)
		}
		for deadline := time.Now().Add(30 * time.Second); !ready() && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(time.Duration(rng.Intn(150)) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		wg.Wait()
	}

	// Everything acknowledged is there, and the data loads cleanly.
	inst := sandboxtest.Start(t, sandbox.Options{DataDir: dir})
	sc, lc := s3Client(inst), lambdaClient(inst, 1)
	if len(acked) == 0 || len(fnVersions) == 0 || large == 0 {
		t.Fatalf("no write was acknowledged before the kills (%d objects, %d functions): the test proved nothing", len(acked), len(fnVersions))
	}
	lost := 0 // acknowledged objects and functions lost or corrupt
	for key, size := range acked {
		out, err := sc.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("crash-bucket"), Key: aws.String(key)})
		if err != nil {
			lost++
			t.Errorf("acknowledged object %s lost: %v", key, err)
			continue
		}
		b, _ := io.ReadAll(out.Body)
		_ = out.Body.Close()
		if len(b) != size || !bytes.Equal(b, bytes.Repeat(b[:1], size)) {
			lost++
			t.Errorf("object %s has %d bytes, want %d of one value", key, len(b), size)
		}
	}
	for name := range fnVersions {
		v, err := lc.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name), Qualifier: aws.String("1")})
		var nf *types.ResourceNotFoundException
		if errors.As(err, &nf) || err != nil {
			lost++
			t.Errorf("acknowledged function %s version 1 lost: %v", name, err)
			continue
		}
		if aws.ToString(v.Version) != "1" {
			lost++
			t.Errorf("function %s version = %s", name, aws.ToString(v.Version))
		}
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, "lambda", "*", ".*.tmp-*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left after restart: %v", leftovers)
	}
	fmt.Printf("reliability/sandbox-crash: %d SIGKILLs under write load, %d objects (%d large, out of line) and %d functions acknowledged, lost or corrupt: %d\n", kills, len(acked), large, len(fnVersions), lost)
}
