package sandbox_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/google/go-cmp/cmp"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

// SQS in the sandbox, read by aws-sdk-go-v2's client (AWS JSON 1.0).
// Visibility timeouts run on the sandbox clock, so nothing sleeps.

func sqsAt(url string) *sqs.Client {
	return sqs.NewFromConfig(awsConfig(1), func(o *sqs.Options) { o.BaseEndpoint = aws.String(url) })
}

// sqsQueue creates a queue and returns its URL.
func sqsQueue(t *testing.T, c *sqs.Client, name string, attrs map[string]string) string {
	t.Helper()
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("CreateQueue %s: %v", name, err)
	}
	return aws.ToString(out.QueueUrl)
}

// sqsReceive receives up to max messages without waiting.
func sqsReceive(t *testing.T, c *sqs.Client, url string, most int32) []sqstypes.Message {
	t.Helper()
	out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: most,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameApproximateReceiveCount}})
	if err != nil {
		t.Fatalf("ReceiveMessage: %v", err)
	}
	return out.Messages
}

func bodies(msgs []sqstypes.Message) []string {
	out := []string{}
	for _, m := range msgs {
		out = append(out, aws.ToString(m.Body))
	}
	return out
}

func TestSQSQueueLifecycle(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{})
	c := sqsAt(inst.URL)
	url := sqsQueue(t, c, "orders", map[string]string{"VisibilityTimeout": "45"})
	if want := inst.URL + "/123456789012/orders"; url != want {
		t.Errorf("QueueUrl = %q, want %q", url, want)
	}
	again := sqsQueue(t, c, "orders", nil)
	if again != url {
		t.Errorf("CreateQueue of an existing queue: %q, want %q", again, url)
	}
	_, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("orders"), Attributes: map[string]string{"VisibilityTimeout": "10"}})
	if code, _ := apiError(t, err); code != "QueueAlreadyExists" && code != "QueueNameExists" {
		t.Errorf("CreateQueue with other attributes: code %q", code)
	}
	got, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("orders")})
	if err != nil || aws.ToString(got.QueueUrl) != url {
		t.Fatalf("GetQueueUrl = %v, %v", got, err)
	}
	sqsQueue(t, c, "other", nil)
	list, err := c.ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String("ord")})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{url}, list.QueueUrls); diff != "" {
		t.Errorf("ListQueues (-want +got):\n%s", diff)
	}
	if _, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url),
		Attributes: map[string]string{"MessageRetentionPeriod": "600"}}); err != nil {
		t.Fatal(err)
	}
	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{"VisibilityTimeout", "MessageRetentionPeriod", "QueueArn"}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"VisibilityTimeout": "45", "MessageRetentionPeriod": "600", "QueueArn": "arn:aws:sqs:us-east-1:123456789012:orders"}
	if diff := cmp.Diff(want, attrs.Attributes); diff != "" {
		t.Errorf("GetQueueAttributes (-want +got):\n%s", diff)
	}
	if _, err := c.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(url)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("orders")})
	var nq *sqstypes.QueueDoesNotExist
	if !errors.As(err, &nq) {
		t.Errorf("GetQueueUrl after DeleteQueue: %v, want QueueDoesNotExist", err)
	}
	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x")})
	if !errors.As(err, &nq) {
		t.Errorf("SendMessage to a deleted queue: %v, want QueueDoesNotExist", err)
	}
}

func TestSQSInvalidInput(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{})
	c := sqsAt(inst.URL)
	url := sqsQueue(t, c, "inputs", nil)
	cases := []struct {
		name string
		call func() error
		code string
	}{
		{"bad queue name", func() error {
			_, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("has space")})
			return err
		}, "InvalidParameterValue"},
		{"visibility timeout out of range", func() error {
			_, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: map[string]string{"VisibilityTimeout": "50000"}})
			return err
		}, "InvalidParameterValue"},
		{"dead-letter target missing", func() error {
			_, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: map[string]string{
				"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:nope","maxReceiveCount":"3"}`}})
			return err
		}, "InvalidParameterValue"},
		{"receipt handle garbage", func() error {
			_, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String("not-a-handle")})
			return err
		}, "ReceiptHandleIsInvalid"},
		{"too many messages asked", func() error {
			_, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 11})
			return err
		}, "InvalidParameterValue"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _ := apiError(t, tc.call())
			if code != tc.code {
				t.Errorf("code %q, want %q", code, tc.code)
			}
		})
	}
}

// TestSQSVisibilityTimeout: a received message is hidden for the
// visibility timeout (the queue's or the receive's), comes back after it
// by the sandbox clock with its receive count raised, and is gone once
// deleted; ChangeMessageVisibility moves the deadline.
func TestSQSVisibilityTimeout(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	inst := sandboxtest.Start(t, sandbox.Options{Clock: clock.Now})
	c := sqsAt(inst.URL)
	url := sqsQueue(t, c, "work", map[string]string{"VisibilityTimeout": "30"})
	sent, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("job-1")})
	if err != nil {
		t.Fatal(err)
	}
	first := sqsReceive(t, c, url, 10)
	if diff := cmp.Diff([]string{"job-1"}, bodies(first)); diff != "" {
		t.Fatalf("first receive (-want +got):\n%s", diff)
	}
	if aws.ToString(first[0].MessageId) != aws.ToString(sent.MessageId) || first[0].Attributes["ApproximateReceiveCount"] != "1" {
		t.Errorf("first receive: id %s (sent %s), receive count %q", aws.ToString(first[0].MessageId), aws.ToString(sent.MessageId), first[0].Attributes["ApproximateReceiveCount"])
	}
	clock.Advance(29 * time.Second)
	if got := sqsReceive(t, c, url, 10); len(got) != 0 {
		t.Errorf("visible again 29s into a 30s timeout: %v", bodies(got))
	}
	clock.Advance(time.Second)
	second := sqsReceive(t, c, url, 10)
	if len(second) != 1 || second[0].Attributes["ApproximateReceiveCount"] != "2" {
		t.Fatalf("after the timeout: %v %v, want job-1 with receive count 2", bodies(second), second)
	}
	// A per-receive timeout overrides the queue's; ChangeMessageVisibility extends it.
	if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url),
		ReceiptHandle: second[0].ReceiptHandle, VisibilityTimeout: 100}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(99 * time.Second)
	if got := sqsReceive(t, c, url, 10); len(got) != 0 {
		t.Errorf("visible 99s into a visibility changed to 100s: %v", bodies(got))
	}
	clock.Advance(time.Second)
	third, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), VisibilityTimeout: 5})
	if err != nil || len(third.Messages) != 1 {
		t.Fatalf("third receive: %v, %v", third, err)
	}
	clock.Advance(5 * time.Second)
	fourth := sqsReceive(t, c, url, 10)
	if len(fourth) != 1 {
		t.Fatalf("a 5s receive timeout did not expire after 5s")
	}
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: fourth[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	if got := sqsReceive(t, c, url, 10); len(got) != 0 {
		t.Errorf("a deleted message came back: %v", bodies(got))
	}
	_, err = c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: fourth[0].ReceiptHandle, VisibilityTimeout: 10})
	if code, _ := apiError(t, err); code != "AWS.SimpleQueueService.MessageNotInflight" && code != "MessageNotInflight" {
		t.Errorf("ChangeMessageVisibility of a deleted message: code %q", code)
	}
}

// TestSQSBatchAndMaxMessages: SendMessageBatch stores each entry and
// ReceiveMessage returns at most MaxNumberOfMessages, in order.
func TestSQSBatchAndMaxMessages(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{})
	c := sqsAt(inst.URL)
	url := sqsQueue(t, c, "batch", nil)
	var entries []sqstypes.SendMessageBatchRequestEntry
	for i := range 7 {
		entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint("e", i)), MessageBody: aws.String(fmt.Sprint("m", i))})
	}
	out, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Successful) != 7 || len(out.Failed) != 0 {
		t.Fatalf("SendMessageBatch: %d successful, %d failed", len(out.Successful), len(out.Failed))
	}
	if diff := cmp.Diff([]string{"m0", "m1", "m2", "m3"}, bodies(sqsReceive(t, c, url, 4))); diff != "" {
		t.Errorf("receive 4 (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"m4", "m5", "m6"}, bodies(sqsReceive(t, c, url, 10))); diff != "" {
		t.Errorf("receive the rest (-want +got):\n%s", diff)
	}
	_, err = c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: []sqstypes.SendMessageBatchRequestEntry{
		{Id: aws.String("a"), MessageBody: aws.String("x")}, {Id: aws.String("a"), MessageBody: aws.String("y")}}})
	if code, _ := apiError(t, err); code != "AWS.SimpleQueueService.BatchEntryIdsNotDistinct" && code != "BatchEntryIdsNotDistinct" {
		t.Errorf("repeated ids: code %q", code)
	}
}

// TestSQSRedriveToDeadLetterQueue: a message received maxReceiveCount
// times and not deleted moves to the dead-letter queue on the next
// receive, with its body and ID.
func TestSQSRedriveToDeadLetterQueue(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	inst := sandboxtest.Start(t, sandbox.Options{Clock: clock.Now})
	c := sqsAt(inst.URL)
	dlq := sqsQueue(t, c, "jobs-dlq", nil)
	url := sqsQueue(t, c, "jobs", map[string]string{"VisibilityTimeout": "10",
		"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:jobs-dlq","maxReceiveCount":"2"}`})
	sent, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("poison")})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 2; i++ {
		got := sqsReceive(t, c, url, 1)
		if len(got) != 1 || got[0].Attributes["ApproximateReceiveCount"] != strconv.Itoa(i) {
			t.Fatalf("receive %d: %v", i, got)
		}
		clock.Advance(10 * time.Second)
	}
	if got := sqsReceive(t, c, url, 1); len(got) != 0 {
		t.Fatalf("third receive past maxReceiveCount 2 returned %v", bodies(got))
	}
	moved := sqsReceive(t, c, dlq, 10)
	if len(moved) != 1 || aws.ToString(moved[0].Body) != "poison" || aws.ToString(moved[0].MessageId) != aws.ToString(sent.MessageId) {
		t.Fatalf("dead-letter queue holds %v, want the poison message %s", bodies(moved), aws.ToString(sent.MessageId))
	}
}

// TestSQSLongPoll: a receive with WaitTimeSeconds returns as soon as a
// message is sent, and a client that goes away ends the wait.
func TestSQSLongPoll(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{})
	c := sqsAt(inst.URL)
	url := sqsQueue(t, c, "poll", nil)
	parked := make(chan struct{}, 1)
	inst.Server.BeforeRequest(func(call sandbox.Call) {
		if call.Operation == "ReceiveMessage" {
			parked <- struct{}{}
		}
	})
	done := make(chan []sqstypes.Message, 1)
	go func() {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 20})
		if err != nil {
			t.Error(err)
		}
		if out == nil {
			done <- nil
			return
		}
		done <- out.Messages
	}()
	// Send once the receive has reached the service, into an empty queue.
	<-parked
	inst.Server.BeforeRequest(nil)
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("late")}); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-done:
		if diff := cmp.Diff([]string{"late"}, bodies(got)); diff != "" {
			t.Errorf("long poll (-want +got):\n%s", diff)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a long poll did not return within 10s of a send")
	}
	cctx, cancel := context.WithCancel(ctx)
	start := time.Now()
	go func() { time.Sleep(200 * time.Millisecond); cancel() }()
	_, err := c.ReceiveMessage(cctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 20})
	if err == nil {
		t.Errorf("a cancelled long poll returned no error")
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("a cancelled long poll took %s", took)
	}
}

// TestSQSDurableAcrossRestart: messages SendMessage acknowledged, queue
// attributes and receive counts survive a restart over the data folder.
func TestSQSDurableAcrossRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	clock := newFakeClock()
	inst := sandboxtest.Start(t, sandbox.Options{DataDir: dir, Clock: clock.Now})
	c := sqsAt(inst.URL)
	url := sqsQueue(t, c, "keep", map[string]string{"VisibilityTimeout": "60"})
	var want []string
	for i := range 25 {
		body := fmt.Sprint("msg-", i)
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body)}); err != nil {
			t.Fatal(err)
		}
		want = append(want, body)
	}
	got := sqsReceive(t, c, url, 1)
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: got[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	sqsReceive(t, c, url, 1) // msg-1, in flight across the restart
	if err := inst.Server.Close(); err != nil {
		t.Fatal(err)
	}
	again := sqsAt(sandboxtest.Start(t, sandbox.Options{DataDir: dir, Clock: clock.Now}).URL)
	url2 := sqsQueue(t, again, "keep", nil)
	if rest := bodies(sqsReceive(t, again, url2, 10)); len(rest) != 10 || rest[0] != "msg-2" {
		t.Errorf("after restart, first 10 visible: %v, want msg-2 onwards (msg-0 deleted, msg-1 in flight)", rest)
	}
	clock.Advance(time.Minute)
	all := append([]string{}, bodies(sqsReceive(t, again, url2, 10))...)
	all = append(all, bodies(sqsReceive(t, again, url2, 10))...)
	all = append(all, bodies(sqsReceive(t, again, url2, 10))...)
	if diff := cmp.Diff(want[1:], all); diff != "" {
		t.Errorf("after the visibility timeout, all but the deleted message (-want +got):\n%s", diff)
	}
	attrs, err := again.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url2), AttributeNames: []sqstypes.QueueAttributeName{"VisibilityTimeout"}})
	if err != nil || attrs.Attributes["VisibilityTimeout"] != "60" {
		t.Errorf("VisibilityTimeout after restart: %v, %v", attrs, err)
	}
}

// TestSQSRefusesWebPages: a page's unsigned form post (the query
// protocol, no preflight) and an unsigned JSON call are refused with 403
// and change nothing.
func TestSQSRefusesWebPages(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{})
	form := "Action=CreateQueue&Version=2012-11-05&QueueName=from-a-page"
	req, _ := http.NewRequest(http.MethodPost, inst.URL+"/", strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	jreq, _ := http.NewRequest(http.MethodPost, inst.URL+"/", strings.NewReader(`{"QueueName":"from-a-page"}`))
	jreq.Header.Set("Content-Type", "application/x-amz-json-1.0")
	jreq.Header.Set("X-Amz-Target", "AmazonSQS.CreateQueue")
	for _, r := range []*http.Request{req, jreq} {
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "AccessDenied") {
			t.Errorf("%s: %d %s, want 403 AccessDenied", r.Header.Get("Content-Type"), resp.StatusCode, body)
		}
	}
	_, err := sqsAt(inst.URL).GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("from-a-page")})
	var nq *sqstypes.QueueDoesNotExist
	if !errors.As(err, &nq) {
		t.Errorf("a refused request created the queue: %v", err)
	}
}

// TestSQSFaults: the fault rules reach SQS by service and operation.
func TestSQSFaults(t *testing.T) {
	t.Parallel()
	f, err := sandbox.ParseFault("sqs.SendMessage:error=1")
	if err != nil {
		t.Fatal(err)
	}
	inst := sandboxtest.Start(t, sandbox.Options{Faults: []sandbox.Fault{f}})
	c := sqsAt(inst.URL)
	url := sqsQueue(t, c, "faulty", nil)
	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x")})
	if code, _ := apiError(t, err); code != "InternalError" {
		t.Errorf("SendMessage under sqs.SendMessage:error=1: code %q, want InternalError", code)
	}
	if got := sqsReceive(t, c, url, 10); len(got) != 0 {
		t.Errorf("a faulted SendMessage stored %v", bodies(got))
	}
}
