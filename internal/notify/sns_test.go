package notify

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/google/go-cmp/cmp"

	"github.com/rollout-tf/terraform-provider-rollout/internal/rollout"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

// TestSNSThroughSandbox: a rollout's events published to an SNS topic of
// the sandbox reach an HTTP subscriber on loopback, in order, each SNS
// message carrying the notification payload.
func TestSNSThroughSandbox(t *testing.T) {
	t.Parallel()
	sb := sandboxtest.Start(t, sandbox.Options{})
	c := sns.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "s", "")},
		func(o *sns.Options) { o.BaseEndpoint = aws.String(sb.URL) })
	ctx := context.Background()
	var mu sync.Mutex
	var got []map[string]string
	arrived := make(chan struct{}, 16)
	sub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]string
		_ = json.Unmarshal(b, &m)
		mu.Lock()
		got = append(got, m)
		mu.Unlock()
		arrived <- struct{}{}
	}))
	defer sub.Close()
	topic, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("deploys")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("http"), Endpoint: aws.String(sub.URL)}); err != nil {
		t.Fatal(err)
	}
	wait := func(n int) {
		deadline := time.After(20 * time.Second)
		for {
			mu.Lock()
			have := len(got)
			mu.Unlock()
			if have >= n {
				return
			}
			select {
			case <-arrived:
			case <-deadline:
				t.Fatalf("the subscriber got %d messages, want %d", have, n)
			}
		}
	}
	wait(1)
	if _, err := c.ConfirmSubscription(ctx, &sns.ConfirmSubscriptionInput{TopicArn: topic.TopicArn, Token: aws.String(got[0]["Token"])}); err != nil {
		t.Fatal(err)
	}
	clk := &fakeClock{now: t0}
	n := New(ctx, Options{SNSTopicARN: aws.ToString(topic.TopicArn), SNS: c})
	rollout.DriveObserved(ctx, policy(), &badAfter{clock: clk}, &traffic{}, nil, clk, rollout.Bind(n, "orders", "live", "1", "2"))
	if failures := n.Close(10 * time.Second); failures != nil {
		t.Fatalf("delivery failures: %v", failures)
	}
	wait(4)
	mu.Lock()
	defer mu.Unlock()
	var events []string
	for _, m := range got[1:] {
		var p Payload
		if err := json.Unmarshal([]byte(m["Message"]), &p); err != nil {
			t.Fatalf("%v in %q", err, m["Message"])
		}
		events = append(events, p.Event+" "+p.Function+":"+p.Alias)
		if m["Type"] != "Notification" || m["Subject"] == "" || p.Text == "" {
			t.Errorf("SNS message %v", m)
		}
	}
	if diff := cmp.Diff([]string{"started orders:live", "step_advanced orders:live", "rolled_back orders:live"}, events); diff != "" {
		t.Errorf("events through SNS (-want +got):\n%s", diff)
	}
}
