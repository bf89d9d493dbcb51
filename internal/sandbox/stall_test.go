package sandbox_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

const fakeSigV4 = "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=00"

// stallRequest opens a connection and sends a request whose body never
// comes in full, as a stalled or hostile client does.
func stallRequest(t testing.TB, base, method, path string) net.Conn {
	t.Helper()
	u, _ := url.Parse(base)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	_, err = fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"Tags\":",
		method, path, u.Host, fakeSigV4)
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

// TestStalledClientDoesNotFreezeLambda: a client that stops in the middle
// of a TagResource body must not stall anyone else (issue 14, case 3).
func TestStalledClientDoesNotFreezeLambda(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{})
	c := lambdaClient(inst, 1)
	out := createFunction(t, c, "busy", zipOf(t, "x"))
	seen := make(chan struct{}, 1)
	inst.Server.BeforeRequest(func(call sandbox.Call) {
		if call.Operation == "TagResource" {
			select {
			case seen <- struct{}{}:
			default:
			}
		}
	})
	stallRequest(t, inst.URL, http.MethodPost, "/2017-03-31/tags/"+url.PathEscape(aws.ToString(out.FunctionArn)))
	// Before the fix the hook fires as soon as the headers are in and the
	// handler then waits for the body under the store lock; after it the
	// body is read first, so the hook never fires: wait for either.
	select {
	case <-seen:
	case <-time.After(time.Second):
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	start := time.Now()
	if _, err := c.GetFunction(cctx, &lambda.GetFunctionInput{FunctionName: aws.String("busy")}); err != nil {
		t.Fatalf("GetFunction while a TagResource body stalls: %v (after %s)", err, time.Since(start).Round(time.Millisecond))
	}
	if _, err := c.ListTags(cctx, &lambda.ListTagsInput{Resource: out.FunctionArn}); err != nil {
		t.Fatalf("ListTags while a TagResource body stalls: %v", err)
	}
}

// TestSlowClientsAreCutOff: a body that stops coming is answered and its
// connection closed after BodyReadTimeout; idle keep-alive connections
// beyond MaxConnections are closed to make room (issue 14, case 3).
func TestSlowClientsAreCutOff(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{BodyReadTimeout: 200 * time.Millisecond, MaxConnections: 4})
	conn := stallRequest(t, inst.URL, http.MethodPost, "/2015-03-31/functions")
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("stalled body: no answer before the connection ended: %v", err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusRequestTimeout {
		t.Errorf("stalled body answered %d, want 400 or 408", resp.StatusCode)
	}

	// Ten idle keep-alive connections, each after one request.
	u, _ := url.Parse(inst.URL)
	var idle []net.Conn
	for range 10 {
		conn, err := net.Dial("tcp", u.Host)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = conn.Close() })
		_, _ = fmt.Fprintf(conn, "GET /2015-03-31/functions HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\n\r\n", u.Host, fakeSigV4)
		r := bufio.NewReader(conn)
		resp, err := http.ReadResponse(r, nil)
		if err == nil {
			_ = resp.Body.Close()
		}
		idle = append(idle, conn)
	}
	// A new client still gets in.
	if _, err := lambdaClient(inst, 1).ListFunctions(ctx, &lambda.ListFunctionsInput{}); err != nil {
		t.Fatalf("ListFunctions with 10 idle connections held: %v", err)
	}
	open := 0
	for _, conn := range idle {
		_ = conn.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		_, err := conn.Read(make([]byte, 1))
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			open++
		}
	}
	if open > 4 {
		t.Errorf("%d idle connections still open, want at most MaxConnections (4)", open)
	}
}
