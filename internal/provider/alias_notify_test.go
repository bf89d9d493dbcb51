package provider_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/google/go-cmp/cmp"

	"github.com/rollout-tf/terraform-provider-rollout/internal/acctest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/loadgen"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
)

// receiver is an HTTP endpoint on loopback that records the JSON bodies
// POSTed to it (a webhook, or an SNS subscription).
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	bodies []map[string]any
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Errorf("%v in %s", err, b)
		}
		r.mu.Lock()
		r.bodies = append(r.bodies, m)
		r.mu.Unlock()
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) snapshot() []map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]map[string]any(nil), r.bodies...)
}

// events lists "event step gate" of each webhook payload (or of the
// payload each SNS notification carries).
func events(t *testing.T, bodies []map[string]any) []string {
	t.Helper()
	var out []string
	for _, b := range bodies {
		if typ, _ := b["Type"].(string); typ != "" {
			if typ != "Notification" {
				continue
			}
			var p map[string]any
			msg, _ := b["Message"].(string)
			if err := json.Unmarshal([]byte(msg), &p); err != nil {
				t.Fatal(err)
			}
			b = p
		}
		gate, _ := b["gate"].(string)
		out = append(out, fmt.Sprintf("%s step=%v gate=%s", b["event"], b["step"], gate))
	}
	return out
}

// TestAccAliasCanary_notifications runs real rollouts whose policy notifies
// a webhook and an SNS topic of the sandbox (subscribed by an HTTP endpoint
// on loopback): a rollback is told to both, in order, with the gate and
// its values; the progress tag records it; then, with the webhook gone, a
// promotion still succeeds and the undelivered notifications are a
// warning of the apply.
func TestAccAliasCanary_notifications(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcc(t)
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "running function code with real metrics")
	zip, _ := testFunctionZip(t)
	c := sdkLambda(be.URL)
	snsc := sns.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDOUTOFBAND", "s", "")},
		func(o *sns.Options) { o.BaseEndpoint = aws.String(be.URL) })
	ctx := context.Background()
	hook, sub := newReceiver(t), newReceiver(t)
	topic, err := snsc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("deploys")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := snsc.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("http"), Endpoint: aws.String(sub.srv.URL)}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); len(sub.snapshot()) == 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if len(sub.snapshot()) == 0 {
		t.Fatal("no SubscriptionConfirmation reached the subscriber")
	}
	token, _ := sub.snapshot()[0]["Token"].(string)
	if _, err := snsc.ConfirmSubscription(ctx, &sns.ConfirmSubscriptionInput{TopicArn: topic.TopicArn, Token: aws.String(token)}); err != nil {
		t.Fatal(err)
	}
	stack := func(release, failRate, webhook string) string {
		s := canaryStackWith(be.URL, zip, release, fmt.Sprintf(`  steps    = [{ weight_percent = 20, hold = "3s" }]
  interval = "1s"
  health   = { max_error_rate = 0.1, min_invocations = 3 }
  notifications = { webhook_url = %q, sns_topic_arn = %q }`, webhook, aws.ToString(topic.TopicArn)))
		return strings.Replace(s, `FAIL_RATE = "0"`, fmt.Sprintf(`FAIL_RATE = %q`, failRate), 1)
	}
	run := newTFRun(t)
	run.write(stack("v1.0.0", "0", hook.srv.URL))
	if out, err := run.run("apply", "-auto-approve"); err != nil {
		t.Fatalf("first apply: %v\n%s", err, out)
	}
	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	go func() {
		_, _ = loadgen.Run(loadCtx, loadgen.Options{Client: c, Function: "canaried", Qualifier: "live", RPS: 100, Payload: []byte(`{}`)})
	}()
	for deadline := time.Now().Add(10 * time.Second); be.Sandbox.Journal.Count("Invoke", "canaried") < 10 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}

	// A defective release: rolled back on its error rate, and told.
	run.write(stack("v1.1.0", "1", hook.srv.URL))
	mark := be.Sandbox.Journal.Mark()
	out, err := run.run("apply", "-auto-approve")
	withHook := detectionToRestore(t, be.Sandbox.Journal.Since(mark))
	if err == nil || !strings.Contains(out, "Canary Rolled Back") {
		t.Fatalf("the defective release was not rolled back: %v\n%s", err, out)
	}
	if strings.Contains(out, "Rollout Notification Not Delivered") {
		t.Errorf("a delivered notification was reported as not delivered:\n%s", out)
	}
	want := []string{"started step=1 gate=", "rolled_back step=1 gate=error_rate"}
	if diff := cmp.Diff(want, events(t, hook.snapshot())); diff != "" {
		t.Errorf("webhook events (-want +got):\n%s", diff)
	}
	last := hook.snapshot()[len(hook.snapshot())-1]
	if text, _ := last["text"].(string); !strings.Contains(text, "canaried:live ROLLED BACK at step 1") || last["value"] == nil || last["threshold"] != 0.1 {
		t.Errorf("rolled_back payload: %v", last)
	}
	for deadline := time.Now().Add(10 * time.Second); len(events(t, sub.snapshot())) < 2 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if diff := cmp.Diff(want, events(t, sub.snapshot())); diff != "" {
		t.Errorf("SNS events (-want +got):\n%s", diff)
	}
	fn, err := lambdaops.FindFunction(ctx, c, "canaried")
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := lambdaops.ParseProgress(fn.Tags[lambdaops.ProgressTagPrefix+"live"]); !ok || p.Status != "rolled_back" || p.Gate != "error_rate" || p.To != "2" {
		t.Errorf("progress tag = %q", fn.Tags[lambdaops.ProgressTagPrefix+"live"])
	}

	// The fix, with the webhook gone: promoted all the same, and the
	// undelivered notifications are a warning, not an error.
	gone := httptest.NewServer(http.NotFoundHandler())
	goneURL := gone.URL
	gone.Close()
	run.write(stack("v1.1.1", "0", goneURL))
	out, err = run.run("apply", "-auto-approve")
	if err != nil {
		t.Fatalf("a rollout whose webhook is unreachable failed: %v\n%s", err, out)
	}
	if !strings.Contains(out, "Warning: Rollout Notification Not Delivered") {
		t.Errorf("no warning about the undelivered notifications:\n%s", out)
	}
	for deadline := time.Now().Add(10 * time.Second); len(events(t, sub.snapshot())) < 4 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if diff := cmp.Diff(append(want, "started step=1 gate=", "promoted step=1 gate="), events(t, sub.snapshot())); diff != "" {
		t.Errorf("SNS events after the promotion (-want +got):\n%s", diff)
	}

	// Another defective release, with a webhook that accepts the
	// connection and never answers: the rollback is as quick.
	release := make(chan struct{})
	stalled := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer stalled.Close()
	defer close(release)
	run.write(stack("v1.2.0", "1", stalled.URL))
	mark = be.Sandbox.Journal.Mark()
	out, err = run.run("apply", "-auto-approve")
	if err == nil || !strings.Contains(out, "Canary Rolled Back") || !strings.Contains(out, "Rollout Notification Not Delivered") {
		t.Fatalf("with a stalled webhook, want the rollback error and the delivery warning: %v\n%s", err, out)
	}
	withStalled := detectionToRestore(t, be.Sandbox.Journal.Since(mark))

	// And one whose webhook refuses the connection (nothing listens on
	// its port): as quick again.
	run.write(stack("v1.3.0", "0.9", goneURL))
	mark = be.Sandbox.Journal.Mark()
	out, err = run.run("apply", "-auto-approve")
	if err == nil || !strings.Contains(out, "Canary Rolled Back") || !strings.Contains(out, "Rollout Notification Not Delivered") {
		t.Fatalf("with a webhook that refuses connections, want the rollback error and the delivery warning: %v\n%s", err, out)
	}
	withRefused := detectionToRestore(t, be.Sandbox.Journal.Since(mark))
	t.Logf("measure/notify-rollback: detection-to-restore (the breaching GetMetricData to the rollback UpdateAlias, sandbox journal): %s with a webhook that answers, %s with a webhook that never answers, %s with one that refuses the connection",
		withHook, withStalled, withRefused)
	for what, d := range map[string]time.Duration{"a stalled webhook": withStalled, "a webhook that refuses connections": withRefused} {
		if d > withHook+time.Second {
			t.Errorf("%s slowed the rollback: %s, against %s", what, d, withHook)
		}
	}
	stopLoad()
	run.write(stack("v1.1.1", "0", hook.srv.URL)) // a plan of the rolled-back release stops before destroy could refresh
	if out, err := run.destroy(be.URL); err != nil {
		t.Fatalf("destroy: %v\n%s", err, out)
	}
}

// detectionToRestore is, in an apply's calls, the time from the last
// GetMetricData before the rollback (the read that found the breach) to
// the UpdateAlias that rolled back (the provider's last one).
func detectionToRestore(t *testing.T, calls []sandbox.Call) time.Duration {
	t.Helper()
	last := -1
	for i, c := range calls {
		if c.Operation == "UpdateAlias" && c.AccessKey == "AKIDROLLOUTTEST" && c.Status == 200 {
			last = i
		}
	}
	for i := last - 1; i >= 0 && last >= 0; i-- {
		if calls[i].Operation == "GetMetricData" && calls[i].AccessKey == "AKIDROLLOUTTEST" {
			return calls[last].Time.Sub(calls[i].Time)
		}
	}
	t.Fatalf("no GetMetricData followed by a rollback UpdateAlias among %d calls", len(calls))
	return 0
}
