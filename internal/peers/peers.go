// Package peers finds and starts the independent clients and servers the
// fidelity tests compare the sandbox with (the AWS CLI v2, moto_server).
// It is a leaf: the sandbox's tests use it without building the provider.
package peers

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// Require returns the path of an independent client the test needs
// (the AWS CLI v2, moto_server). When it is missing the test is skipped on
// a user's machine, and fails when ROLLOUT_REQUIRE_PEERS=1 (CI sets it).
func Require(t testing.TB, name string, candidates ...string) string {
	t.Helper()
	for _, c := range candidates {
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	msg := fmt.Sprintf("%s not found (looked for %v)", name, candidates)
	if os.Getenv("ROLLOUT_REQUIRE_PEERS") == "1" {
		t.Fatalf("%s, and ROLLOUT_REQUIRE_PEERS=1 makes it required: install it (see .ci/run)", msg)
	}
	t.Skipf("%s; set ROLLOUT_REQUIRE_PEERS=1 to make this a failure", msg)
	return ""
}

// StartMoto runs moto_server on a free loopback port until tb ends, with
// the execution role the tests use already created (moto checks IAM). The
// port is free when chosen but not held: when another process takes it
// first, moto exits (or something else answers), and it starts again on
// another port.
func StartMoto(tb testing.TB, motoPath string) string {
	tb.Helper()
	var url string
	for attempt := 1; ; attempt++ {
		var why string
		if url, why = startMotoOnce(tb, motoPath); why == "" {
			break
		}
		if attempt == 3 {
			tb.Fatalf("moto_server did not start in %d attempts: %s", attempt, why)
		}
		tb.Logf("moto_server attempt %d: %s; again on another port", attempt, why)
	}
	c := iam.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDMOTO", "s", "")},
		func(o *iam.Options) { o.BaseEndpoint = aws.String(url) })
	if _, err := c.CreateRole(context.Background(), &iam.CreateRoleInput{RoleName: aws.String("lambda-exec"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[]}`)}); err != nil {
		tb.Fatalf("creating the execution role in moto: %v", err)
	}
	return url
}

// HeadlessChromium finds a headless Chromium (Debian's
// chromium-headless-shell, which .ci/run installs, or chromium) and
// returns its command line; without one the test is skipped, or fails
// when ROLLOUT_REQUIRE_PEERS=1.
func HeadlessChromium(t testing.TB) []string {
	t.Helper()
	for _, cand := range [][]string{{"chromium-headless-shell"}, {"chromium", "--headless"}, {"chromium-browser", "--headless"}} {
		if p, err := exec.LookPath(cand[0]); err == nil {
			return append([]string{p}, cand[1:]...)
		}
	}
	// Debian installs chromium-headless-shell outside PATH.
	if _, err := os.Stat("/usr/lib/chromium/chromium-headless-shell"); err == nil {
		return []string{"/usr/lib/chromium/chromium-headless-shell"}
	}
	if os.Getenv("ROLLOUT_REQUIRE_PEERS") == "1" {
		t.Fatal("no headless Chromium (Debian package chromium-headless-shell) and ROLLOUT_REQUIRE_PEERS=1")
	}
	t.Skip("no headless Chromium (apt-get install chromium-headless-shell)")
	return nil
}

// startMotoOnce starts moto_server on a port that was free a moment ago and
// waits until moto itself answers there. It returns why it did not (the
// process exited, or what answered was not moto).
func startMotoOnce(tb testing.TB, motoPath string) (url, why string) {
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
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}
	url = fmt.Sprintf("http://127.0.0.1:%d", addr.Port)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		select {
		case <-exited:
			return "", fmt.Sprintf("it exited on port %d: %v", addr.Port, waitErr)
		default:
		}
		resp, err := http.Get(url + "/moto-api/")
		if err != nil {
			continue
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Moto") {
			stop()
			return "", fmt.Sprintf("something other than moto answers on port %d (HTTP %d)", addr.Port, resp.StatusCode)
		}
		tb.Cleanup(stop)
		return url, ""
	}
	stop()
	return "", fmt.Sprintf("it did not answer on %s within 30s", url)
}
