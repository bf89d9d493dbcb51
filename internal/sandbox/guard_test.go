package sandbox_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

// chromeHeaders are the headers Chromium 120 sends with
// fetch(url, {method: "POST", mode: "no-cors", body: "..."}) from a page
// on https://evil.example: a "simple" cross-site request, sent without a
// preflight.
func chromeHeaders(origin string) map[string]string {
	return map[string]string{
		"Connection":         "keep-alive",
		"sec-ch-ua":          `"Not_A Brand";v="8", "Chromium";v="120"`,
		"sec-ch-ua-mobile":   "?0",
		"User-Agent":         "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
		"sec-ch-ua-platform": `"Linux"`,
		"Content-Type":       "text/plain;charset=UTF-8",
		"Accept":             "*/*",
		"Origin":             origin,
		"Sec-Fetch-Site":     "cross-site",
		"Sec-Fetch-Mode":     "no-cors",
		"Sec-Fetch-Dest":     "empty",
		"Referer":            origin + "/",
		"Accept-Encoding":    "gzip, deflate, br",
		"Accept-Language":    "en-US,en;q=0.9",
	}
}

// TestBrowserCannotReachSandbox sends what a web page can make a browser
// send (issue 14, case 1): none of it may create, run or change anything.
func TestBrowserCannotReachSandbox(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{})
	u, _ := url.Parse(inst.URL)
	marker := filepath.Join(t.TempDir(), "code-ran")
	create, _ := json.Marshal(map[string]any{
		"FunctionName": "pwned", "Role": testRole, "Runtime": "provided.al2023", "Handler": "bootstrap",
		"Code": map[string]any{"ZipFile": base64.StdEncoding.EncodeToString(zipOf(t, "#!/bin/sh\ntouch "+marker+"\n"))},
	})
	alarm := "Action=PutMetricAlarm&Version=2010-08-01&AlarmName=pwned&MetricName=Errors&Namespace=AWS%2FLambda&Statistic=Sum&Period=60&EvaluationPeriods=1&Threshold=1&ComparisonOperator=GreaterThanThreshold"
	presign := "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Flambda%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-SignedHeaders=host&X-Amz-Signature=00"

	type request struct {
		method, path, body string
		headers            map[string]string
		host               string // Host header; "" is the sandbox's own
		want               string // in the 403's message
	}
	form := chromeHeaders("https://evil.example")
	form["Content-Type"], form["Sec-Fetch-Mode"], form["Sec-Fetch-Dest"] = "application/x-www-form-urlencoded", "navigate", "document"
	rebound := chromeHeaders("http://evil.example:" + u.Port())
	rebound["Sec-Fetch-Site"], rebound["Sec-Fetch-Mode"] = "same-origin", "cors"
	tests := map[string]request{
		"cross-site text/plain fetch creating a function": {method: "POST", path: "/2015-03-31/functions", body: string(create),
			headers: chromeHeaders("https://evil.example"), want: "Origin"},
		"cross-site text/plain fetch invoking": {method: "POST", path: "/2015-03-31/functions/pwned/invocations", body: "{}",
			headers: chromeHeaders("https://evil.example"), want: "Origin"},
		"cross-site HTML form putting an alarm": {method: "POST", path: "/", body: alarm, headers: form, want: "Origin"},
		"DNS rebinding: same-origin fetch to a foreign Host": {method: "POST", path: "/2015-03-31/functions", body: string(create),
			headers: rebound, host: "evil.example:" + u.Port(), want: "Host"},
		"presigned POST without Origin (old browser, sandboxed frame)": {method: "POST", path: "/2015-03-31/functions" + presign, body: string(create),
			headers: map[string]string{"Content-Type": "text/plain"}, want: "Authorization header"},
		"unsigned POST": {method: "POST", path: "/2015-03-31/functions", body: string(create),
			headers: map[string]string{"Content-Type": "application/json"}, want: "Signature Version 4"},
		"CORS preflight": {method: "OPTIONS", path: "/2015-03-31/functions", headers: map[string]string{
			"Origin": "https://evil.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type",
			"Sec-Fetch-Mode": "cors", "Sec-Fetch-Site": "cross-site"}, want: "Origin"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, inst.URL+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			if tc.host != "" {
				req.Host = tc.host
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = resp.Body.Close() }()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), tc.want) || !strings.Contains(string(body), "rollout-sandbox refused") {
				t.Errorf("answer = %d %s, want 403 saying why (%q)", resp.StatusCode, body, tc.want)
			}
			if v := resp.Header.Get("Access-Control-Allow-Origin"); v != "" {
				t.Errorf("Access-Control-Allow-Origin = %q, want none", v)
			}
		})
	}
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("the page's code ran on this machine (%s exists)", marker)
	}
	// Nothing was created: the signed clients see an empty sandbox.
	fns, err := lambdaClient(inst, 1).ListFunctions(ctx, &lambda.ListFunctionsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(fns.Functions) != 0 {
		t.Errorf("functions after the browser requests: %d, want 0", len(fns.Functions))
	}
	cw := cwClient(inst)
	alarms, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(alarms.MetricAlarms) != 0 {
		t.Errorf("alarms after the browser requests: %d, want 0", len(alarms.MetricAlarms))
	}
}

// TestAllowUnsignedRelaxesOnlySignatures: --allow-unsigned lets a client
// that cannot sign in, and still refuses web pages.
func TestAllowUnsignedRelaxesOnlySignatures(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{AllowUnsigned: true})
	get := func(headers map[string]string) int {
		req, _ := http.NewRequest(http.MethodGet, inst.URL+"/2015-03-31/functions", nil)
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	if got := get(nil); got != http.StatusOK {
		t.Errorf("unsigned ListFunctions = %d, want 200", got)
	}
	if got := get(chromeHeaders("https://evil.example")); got != http.StatusForbidden {
		t.Errorf("cross-site ListFunctions = %d, want 403", got)
	}
}

// TestInternalEndpointsStayInside: /_sandbox/ serves nothing outside the
// data dir (issue 14, case 2), is read-only and loopback-only.
func TestInternalEndpointsStayInside(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "outside"), 0o755); err != nil {
		t.Fatal(err)
	}
	secret := "PK-not-yours"
	if err := os.WriteFile(filepath.Join(root, "outside", "secret.zip"), []byte(secret), 0o644); err != nil {
		t.Fatal(err)
	}
	inst := sandboxtest.Start(t, sandbox.Options{DataDir: filepath.Join(root, "data")})
	do := func(method, path, host string) (int, string) {
		req, err := http.NewRequest(method, inst.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if host != "" {
			req.Host = host
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, path := range []string{
		"/_sandbox/code/..%2F..%2F..%2Foutside%2Fsecret.zip",
		"/_sandbox/code/%2E%2E%2F%2E%2E%2F%2E%2E%2Foutside%2Fsecret.zip",
		"/_sandbox/code/../../../outside/secret.zip",
	} {
		if code, body := do(http.MethodGet, path, ""); code == http.StatusOK || strings.Contains(body, secret) {
			t.Errorf("GET %s = %d %q: served a file outside the data dir", path, code, body)
		}
	}
	if code, _ := do(http.MethodGet, "/_sandbox/health", ""); code != http.StatusOK {
		t.Errorf("GET health = %d, want 200", code)
	}
	if code, _ := do(http.MethodPost, "/_sandbox/health", ""); code != http.StatusMethodNotAllowed {
		t.Errorf("POST health = %d, want 405 (read-only)", code)
	}
	if code, _ := do(http.MethodGet, "/_sandbox/health", "evil.example"); code != http.StatusForbidden {
		t.Errorf("GET health with a foreign Host = %d, want 403", code)
	}
}
