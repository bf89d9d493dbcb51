package acctest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
)

// BackendEnv picks the server acceptance tests run against: unset or
// "sandbox" for rollout-sandbox, "moto" for moto server (an independent
// reading of the AWS API; CI runs the suite against both).
const BackendEnv = "ROLLOUT_ACC_BACKEND"

// Backend is the AWS-compatible server of one test.
type Backend struct {
	URL string
	// Sandbox is set when the backend is rollout-sandbox: its journal and
	// hooks allow assertions moto cannot support.
	Sandbox *sandbox.Instance
}

// NewBackend starts the backend BackendEnv selects for the duration of t.
func NewBackend(t *testing.T) *Backend {
	t.Helper()
	switch os.Getenv(BackendEnv) {
	case "", "sandbox":
		inst := sandbox.Start(t, sandbox.Options{})
		return &Backend{URL: inst.URL, Sandbox: inst}
	case "moto":
		url := StartMoto(t, RequirePeer(t, "moto server", "moto_server"))
		return &Backend{URL: url}
	default:
		t.Fatalf("%s=%q: want sandbox or moto", BackendEnv, os.Getenv(BackendEnv))
		return nil
	}
}

// SandboxOnly skips the part of a test that needs the sandbox's journal or
// hooks when the suite runs against moto.
func (b *Backend) SandboxOnly(t *testing.T, what string) {
	t.Helper()
	if b.Sandbox == nil {
		t.Skipf("%s needs rollout-sandbox (its call journal or hooks); moto cannot show it", what)
	}
}

// StartMoto runs moto_server on a free loopback port until tb ends, with
// the execution role the tests use already created (moto checks IAM).
func StartMoto(tb testing.TB, motoPath string) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr, ok := l.Addr().(*net.TCPAddr)
	if !ok {
		tb.Fatalf("unexpected listener address %v", l.Addr())
	}
	_ = l.Close()
	cmd := exec.Command(motoPath, "-H", "127.0.0.1", "-p", fmt.Sprint(addr.Port))
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	url := fmt.Sprintf("http://127.0.0.1:%d", addr.Port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url + "/moto-api/")
		if err == nil {
			_ = resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			tb.Fatalf("moto_server did not answer on %s", url)
		}
		time.Sleep(100 * time.Millisecond)
	}
	c := iam.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDMOTO", "s", "")},
		func(o *iam.Options) { o.BaseEndpoint = aws.String(url) })
	if _, err := c.CreateRole(context.Background(), &iam.CreateRoleInput{RoleName: aws.String("lambda-exec"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[]}`)}); err != nil {
		tb.Fatalf("creating the execution role in moto: %v", err)
	}
	return url
}
