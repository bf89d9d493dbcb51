package sandbox_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/rollout-tf/terraform-provider-rollout/internal/peers"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

// TestRealBrowserCannotReachSandbox loads a page from another site in a
// real headless Chromium; the page sends the requests any site can make a
// browser send without asking (no-cors fetches with text/plain and form
// bodies) to create a function, invoke it and put an alarm. They reach
// the sandbox and are refused; nothing is created (issue 14, case 1).
func TestRealBrowserCannotReachSandbox(t *testing.T) {
	t.Parallel()
	chromium := peers.HeadlessChromium(t)
	inst := sandboxtest.Start(t, sandbox.Options{})
	marker := filepath.Join(t.TempDir(), "code-ran")
	create, _ := json.Marshal(map[string]any{
		"FunctionName": "pwned", "Role": testRole, "Runtime": "provided.al2023", "Handler": "bootstrap",
		"Code": map[string]any{"ZipFile": base64.StdEncoding.EncodeToString(zipOf(t, "#!/bin/sh\ntouch "+marker+"\n"))},
	})
	page := fmt.Sprintf(`<!doctype html><html><head><title>cat pictures</title></head><body>loading<script>
const target = %q;
Promise.allSettled([
  fetch(target + "/2015-03-31/functions", {method: "POST", mode: "no-cors", body: %q}),
  fetch(target + "/2015-03-31/functions/pwned/invocations", {method: "POST", mode: "no-cors", body: "{}"}),
  fetch(target + "/", {method: "POST", mode: "no-cors", headers: {"Content-Type": "application/x-www-form-urlencoded"},
    body: "Action=PutMetricAlarm&Version=2010-08-01&AlarmName=pwned&MetricName=Errors&Namespace=AWS%%2FLambda&Statistic=Sum&Period=60&EvaluationPeriods=1&Threshold=1&ComparisonOperator=GreaterThanThreshold"}),
]).then(r => { document.body.textContent = "done:" + r.map(x => x.status).join(","); });
</script></body></html>`, inst.URL, string(create))
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte(page))
	}))
	t.Cleanup(evil.Close)
	u, _ := url.Parse(evil.URL)
	pageURL := "http://evil.localhost:" + u.Port() + "/" // another site, resolved to loopback by Chromium

	cctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := append(chromium[1:], "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir="+t.TempDir(),
		"--virtual-time-budget=15000", "--dump-dom", pageURL)
	out, err := exec.CommandContext(cctx, chromium[0], args...).CombinedOutput()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "done:") {
		t.Fatalf("the page did not finish its requests; Chromium printed:\n%s", out)
	}
	refused := 0
	for _, c := range inst.Journal.Calls() {
		if c.Refused != "" {
			refused++
		}
	}
	if refused < 3 {
		t.Errorf("the sandbox refused %d of the page's 3 requests; journal: %+v", refused, inst.Journal.Calls())
	}
	fns, err := lambdaClient(inst, 1).ListFunctions(ctx, &lambda.ListFunctionsInput{})
	if err != nil {
		t.Fatal(err)
	}
	alarms, err := cwClient(inst).DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("the page's code ran on this machine (%s exists)", marker)
	}
	if len(fns.Functions) != 0 || len(alarms.MetricAlarms) != 0 {
		t.Errorf("after the page: %d functions, %d alarms; want none", len(fns.Functions), len(alarms.MetricAlarms))
	}
}
