package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/rollout-tf/terraform-provider-rollout/internal/awsclient"
	"github.com/rollout-tf/terraform-provider-rollout/internal/testfn"
)

// syncBuffer is an io.Writer safe to read while the server writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var listeningRE = regexp.MustCompile(`listening on (http://[0-9.:]+)`)

func TestParseServe(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		args    []string
		wantErr string
	}{
		"defaults":          {args: []string{"--data-dir", "d"}},
		"missing data dir":  {args: nil, wantErr: "--data-dir is required, for example --data-dir .sandbox"},
		"remote refused":    {args: []string{"--data-dir", "d", "--addr", "0.0.0.0:4599"}, wantErr: `listen address "0.0.0.0:4599" is not a loopback address: the sandbox accepts any credentials, so it only listens on 127.0.0.1 or ::1 unless --allow-remote is given`},
		"remote allowed":    {args: []string{"--data-dir", "d", "--addr", "0.0.0.0:4599", "--allow-remote"}},
		"ipv6 loopback":     {args: []string{"--data-dir", "d", "--addr", "[::1]:4599"}},
		"bad account":       {args: []string{"--data-dir", "d", "--account-id", "42"}, wantErr: `--account-id "42" must be 12 digits, for example 123456789012`},
		"bad fault":         {args: []string{"--data-dir", "d", "--fault", "lambda:throttle=7"}, wantErr: `invalid value "lambda:throttle=7" for flag -fault: fault "lambda:throttle=7": rate "7" must be a number from 0 to 1, for example "lambda:throttle=0.2", "lambda.UpdateAlias:error=0.05" or "s3:latency=50ms"`},
		"address not split": {args: []string{"--data-dir", "d", "--addr", "localhost"}, wantErr: `listen address "localhost": address localhost: missing port in address (use host:port, for example 127.0.0.1:4599)`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := parseServe(tc.args, io.Discard)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.wantErr {
				t.Errorf("parseServe(%v) error = %q, want %q", tc.args, got, tc.wantErr)
			}
		})
	}
}

func waitListening(t *testing.T, out *syncBuffer) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := listeningRE.FindStringSubmatch(out.String()); m != nil {
			return m[1]
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the sandbox never said it was listening; output:\n%s", out.String())
	return ""
}

func TestServeHealthAndShutdown(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir()}, &out, &errOut)
	}()
	url := waitListening(t, &out)
	resp, err := http.Get(url + "/_sandbox/health")
	if err != nil {
		t.Fatal(err)
	}
	var health map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&health); err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if health["status"] != "ok" {
		t.Errorf("health = %v", health)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit code %d after shutdown; stderr: %s", code, errOut.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the sandbox did not stop after its context was cancelled")
	}
	if !strings.Contains(out.String(), "rollout-sandbox stopped") {
		t.Errorf("output lacks the stop line:\n%s", out.String())
	}
}

// TestSignalsStopTheProcess runs the real main in a child process and sends
// SIGTERM, then SIGINT to a second one.
func TestSignalsStopTheProcess(t *testing.T) {
	if os.Getenv("ROLLOUT_SANDBOX_MAIN") == "1" {
		os.Args = append([]string{"rollout-sandbox"}, strings.Fields(os.Getenv("ROLLOUT_SANDBOX_ARGS"))...)
		main()
		return
	}
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSignalsStopTheProcess$")
		cmd.Env = append(os.Environ(), "ROLLOUT_SANDBOX_MAIN=1",
			"ROLLOUT_SANDBOX_ARGS=serve --addr 127.0.0.1:0 --data-dir "+t.TempDir())
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill() })
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err != nil || !listeningRE.MatchString(line) {
			t.Fatalf("first line %q, %v", line, err)
		}
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		rest, _ := io.ReadAll(stdout)
		if err := cmd.Wait(); err != nil {
			t.Errorf("%v: process exited with %v", sig, err)
		}
		if !strings.Contains(string(rest), "rollout-sandbox stopped") {
			t.Errorf("%v: output lacks the stop line: %q", sig, rest)
		}
	}
}

// TestLoadAgainstAServe runs `serve` and `load` the way a user does: real
// traffic to an alias of the real test function, with the live report.
func TestLoadAgainstAServe(t *testing.T) {
	zip, err := testfn.Zip()
	if err != nil {
		t.Fatal(err)
	}
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	go run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--settle-delay", "0"}, &out, &errOut)
	url := waitListening(t, &out)
	client := awsclient.New(awsclient.Options{Region: "us-east-1", AccessKey: "a", SecretKey: "b", Endpoints: map[awsclient.Service]string{awsclient.Lambda: url}})
	c, err := client.Lambda(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("orders"), Role: aws.String("arn:aws:iam::123456789012:role/r"),
		Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), Code: &lambdatypes.FunctionCode{ZipFile: zip}, Publish: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("orders"), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	var loadOut, loadErr syncBuffer
	if code := run(ctx, []string{"load", "--endpoint", url, "--target", "orders:live", "--rps", "50", "--duration", "1500ms"}, &loadOut, &loadErr); code != 0 {
		t.Fatalf("load exited %d: %s", code, loadErr.String())
	}
	report := loadOut.String()
	if !strings.Contains(report, "total:") || !strings.Contains(report, "v1 0/") || !regexp.MustCompile(`\d+\.\d rps`).MatchString(report) {
		t.Errorf("load report:\n%s", report)
	}
}
