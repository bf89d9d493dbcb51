package sandbox_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/google/go-cmp/cmp"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

func snsClient(url string) *sns.Client {
	return sns.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "s", "")},
		func(o *sns.Options) { o.BaseEndpoint = aws.String(url) })
}

// subscriber is an HTTP endpoint on loopback that records what SNS POSTs.
type subscriber struct {
	*httptest.Server
	mu       sync.Mutex
	received []map[string]string
	headers  []http.Header
	failing  atomic.Bool
	got      chan struct{}
}

func newSubscriber(t *testing.T) *subscriber {
	s := &subscriber{got: make(chan struct{}, 100)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.failing.Load() {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		b, _ := io.ReadAll(r.Body)
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			t.Errorf("%v in %s", err, b)
		}
		s.mu.Lock()
		s.received = append(s.received, m)
		s.headers = append(s.headers, r.Header.Clone())
		s.mu.Unlock()
		s.got <- struct{}{}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *subscriber) wait(t *testing.T, n int) []map[string]string {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		s.mu.Lock()
		if len(s.received) >= n {
			out := append([]map[string]string(nil), s.received...)
			s.mu.Unlock()
			return out
		}
		s.mu.Unlock()
		select {
		case <-s.got:
		case <-deadline:
			t.Fatalf("the subscriber got %d messages, want %d", len(s.received), n)
		}
	}
}

// subscribeConfirmed subscribes sub to a new topic and confirms it with
// the Token of the SubscriptionConfirmation it receives.
func subscribeConfirmed(t *testing.T, c *sns.Client, sub *subscriber, name string) string {
	t.Helper()
	ctx := context.Background()
	topic, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("http"), Endpoint: aws.String(sub.URL)})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.SubscriptionArn); got != "pending confirmation" {
		t.Errorf("SubscriptionArn = %q before confirmation, want %q", got, "pending confirmation")
	}
	confirm := sub.wait(t, 1)[0]
	if confirm["Type"] != "SubscriptionConfirmation" || confirm["Token"] == "" || !strings.Contains(confirm["SubscribeURL"], "Action=ConfirmSubscription") {
		t.Fatalf("confirmation request: %v", confirm)
	}
	if _, err := c.ConfirmSubscription(ctx, &sns.ConfirmSubscriptionInput{TopicArn: topic.TopicArn, Token: aws.String(confirm["Token"])}); err != nil {
		t.Fatal(err)
	}
	return aws.ToString(topic.TopicArn)
}

// TestSNSPublishToLoopbackSubscriber: the SDK (query protocol) creates a
// topic, subscribes an HTTP endpoint on loopback, confirms it with the
// Token SNS POSTed, and publishes; the endpoint receives the messages in
// order, as SNS sends them (headers and JSON body).
func TestSNSPublishToLoopbackSubscriber(t *testing.T) {
	t.Parallel()
	sb := sandboxtest.Start(t, sandbox.Options{})
	c := snsClient(sb.URL)
	sub := newSubscriber(t)
	arn := subscribeConfirmed(t, c, sub, "deploys")
	if arn != "arn:aws:sns:us-east-1:"+sandbox.DefaultAccountID+":deploys" {
		t.Errorf("TopicArn = %s", arn)
	}
	again, err := c.CreateTopic(context.Background(), &sns.CreateTopicInput{Name: aws.String("deploys")})
	if err != nil || aws.ToString(again.TopicArn) != arn {
		t.Errorf("CreateTopic of an existing name = %v, %v; want the same ARN", aws.ToString(again.TopicArn), err)
	}
	var ids []string
	for i, msg := range []string{`{"text":"one"}`, `{"text":"two"}`, `{"text":"three"}`} {
		out, err := c.Publish(context.Background(), &sns.PublishInput{TopicArn: aws.String(arn), Message: aws.String(msg), Subject: aws.String("rollout " + string(rune('a'+i)))})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, aws.ToString(out.MessageId))
	}
	got := sub.wait(t, 4)[1:]
	var bodies []string
	for i, m := range got {
		bodies = append(bodies, m["Message"])
		if m["Type"] != "Notification" || m["MessageId"] != ids[i] || m["TopicArn"] != arn || m["Subject"] != "rollout "+string(rune('a'+i)) || m["Timestamp"] == "" {
			t.Errorf("notification %d: %v", i, m)
		}
		h := sub.headers[i+1]
		if h.Get("x-amz-sns-message-type") != "Notification" || h.Get("x-amz-sns-message-id") != ids[i] || h.Get("x-amz-sns-topic-arn") != arn ||
			!strings.HasPrefix(h.Get("x-amz-sns-subscription-arn"), arn+":") {
			t.Errorf("notification %d headers: %v", i, h)
		}
	}
	if diff := cmp.Diff([]string{`{"text":"one"}`, `{"text":"two"}`, `{"text":"three"}`}, bodies); diff != "" {
		t.Errorf("messages in order (-want +got):\n%s", diff)
	}
}

// TestSNSErrors: the errors SNS answers, in its XML, through the SDK.
func TestSNSErrors(t *testing.T) {
	t.Parallel()
	sb := sandboxtest.Start(t, sandbox.Options{})
	c := snsClient(sb.URL)
	ctx := context.Background()
	topic, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("t")})
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		call func() error
		want string
	}{
		"bad topic name": {call: func() error {
			_, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("no spaces")})
			return err
		}, want: "InvalidParameter"},
		"missing topic": {call: func() error {
			_, err := c.Publish(ctx, &sns.PublishInput{TopicArn: aws.String("arn:aws:sns:us-east-1:000000000000:nope"), Message: aws.String("x")})
			return err
		}, want: "NotFound"},
		"endpoint off loopback": {call: func() error {
			_, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("http"), Endpoint: aws.String("http://example.com/hook")})
			return err
		}, want: "is not on loopback"},
		"wrong token": {call: func() error {
			_, err := c.ConfirmSubscription(ctx, &sns.ConfirmSubscriptionInput{TopicArn: topic.TopicArn, Token: aws.String("x")})
			return err
		}, want: "Invalid token"},
		"empty message": {call: func() error {
			_, err := c.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String("")})
			return err
		}, want: "Empty message"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := tc.call()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want one saying %q", err, tc.want)
			}
		})
	}
}

// TestSNSDurable: topics, confirmed subscriptions and a message published
// (acknowledged) but not yet delivered survive a restart; the message is
// delivered after it.
func TestSNSDurable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv, err := sandbox.New(sandbox.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(srv)
	ts.Listener = srv.Attach(ts.Config, ts.Listener)
	ts.Start()
	c := snsClient(ts.URL)
	sub := newSubscriber(t)
	arn := subscribeConfirmed(t, c, sub, "durable")
	sub.failing.Store(true) // the endpoint is down: the message waits in the retries
	out, err := c.Publish(context.Background(), &sns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("kept")})
	if err != nil {
		t.Fatal(err)
	}
	ts.Close()
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	sub.failing.Store(false)
	sb := sandboxtest.Start(t, sandbox.Options{DataDir: dir})
	got := sub.wait(t, 2)[1]
	if got["MessageId"] != aws.ToString(out.MessageId) || got["Message"] != "kept" {
		t.Errorf("after the restart the subscriber got %v, want message %s", got, aws.ToString(out.MessageId))
	}
	topics, err := snsClient(sb.URL).ListTopics(context.Background(), &sns.ListTopicsInput{})
	if err != nil || len(topics.Topics) != 1 || aws.ToString(topics.Topics[0].TopicArn) != arn {
		t.Errorf("ListTopics after the restart = %v, %v", topics, err)
	}
}
