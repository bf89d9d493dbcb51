package provider_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/rollout-tf/terraform-provider-rollout/internal/acctest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
)

// A worker fed by an SQS queue through an event source mapping on its
// alias, released with a canary that fails and rolls back: the scenario of
// the interlock's acceptance test, its interrupt test and its benchmark.

const (
	workerFunction = "worker"
	workerAliasARN = "arn:aws:lambda:us-east-1:123456789012:function:worker:live"
)

// workerStack is the worker (release, the share of its batches that fail,
// where it keeps its record, its latency) behind rollout_alias.live with
// a canary and the interlock.
func workerStack(url, zip, release, failRate, record string, latencyMS int, interlock string) string {
	return acctest.ConfigCompose(
		functionConfig(url, workerFunction, zip, fmt.Sprintf("release       = %q", release), "timeout       = 30",
			fmt.Sprintf("environment   = { RELEASE = %q, FAIL_RATE = %q, OUTCOME_FILE = %q, LATENCY_MS = \"%d\" }", release, failRate, record, latencyMS)),
		canaryPolicy(`  steps    = [{ weight_percent = 50, hold = "30s" }]
  interval = "1s"
  health   = { max_error_rate = 0.1, min_invocations = 3 }`),
		liveAlias(onVersion+"  canary_policy    = rollout_canary_policy.p.spec\n"+interlock))
}

// queueFixture is the worker's queue, its dead-letter queue and the
// event source mapping from the queue to the alias.
type queueFixture struct {
	t         testing.TB
	sqs       *sqs.Client
	lambda    *lambda.Client
	url, dlq  string
	mapping   string
	mu        sync.Mutex
	sent      int
	stopSends context.CancelFunc
	sending   sync.WaitGroup
}

func newQueueFixture(t testing.TB, beURL string) *queueFixture {
	t.Helper()
	ctx := context.Background()
	f := &queueFixture{t: t, sqs: acctest.SQSClient(beURL), lambda: sdkLambda(beURL)}
	dlq, err := f.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("orders-dlq")})
	if err != nil {
		t.Fatal(err)
	}
	f.dlq = aws.ToString(dlq.QueueUrl)
	q, err := f.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("orders"), Attributes: map[string]string{
		"VisibilityTimeout": "3",
		"RedrivePolicy":     `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:orders-dlq","maxReceiveCount":"5"}`,
	}})
	if err != nil {
		t.Fatal(err)
	}
	f.url = aws.ToString(q.QueueUrl)
	return f
}

// mapQueue creates the event source mapping from the queue to the alias
// and waits until it is Enabled.
func (f *queueFixture) mapQueue() {
	f.t.Helper()
	ctx := context.Background()
	m, err := f.lambda.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String(workerAliasARN),
		EventSourceArn: aws.String("arn:aws:sqs:us-east-1:123456789012:orders"), BatchSize: aws.Int32(10), Enabled: aws.Bool(true)})
	if err != nil {
		f.t.Fatal(err)
	}
	f.mapping = aws.ToString(m.UUID)
	f.waitMapping("Enabled", 30*time.Second)
}

// waitMapping waits (bounded) until the mapping reports want.
func (f *queueFixture) waitMapping(want string, limit time.Duration) string {
	f.t.Helper()
	state := ""
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		out, err := f.lambda.GetEventSourceMapping(context.Background(), &lambda.GetEventSourceMappingInput{UUID: aws.String(f.mapping)})
		var gone *lambdatypes.ResourceNotFoundException
		if want == "" && errors.As(err, &gone) {
			return ""
		}
		if err != nil {
			f.t.Fatal(err)
		}
		if state = aws.ToString(out.State); state == want {
			return state
		}
	}
	return state
}

// waitInFlight waits (bounded) until the poller holds a batch of the
// queue in flight (ApproximateNumberOfMessagesNotVisible above 0).
func (f *queueFixture) waitInFlight(limit time.Duration) {
	f.t.Helper()
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		out, err := f.sqs.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(f.url),
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
		if err != nil {
			f.t.Fatal(err)
		}
		if n, _ := strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible)]); n > 0 {
			return
		}
	}
	f.t.Fatalf("no batch of the queue was in flight within %s", limit)
}

// applyUntilPaused sends 200 messages, waits for a batch in flight, and
// starts an apply of r's configuration (written by the caller), returning
// once the apply has paused the mapping (Disabling: the batch still
// draining) with the running command and its output.
func (f *queueFixture) applyUntilPaused(r *tfRun) (*exec.Cmd, *bytes.Buffer) {
	f.t.Helper()
	if err := f.send(context.Background(), 200); err != nil {
		f.t.Fatal(err)
	}
	f.waitInFlight(30 * time.Second)
	cmd := r.command("apply", "-auto-approve")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		f.t.Fatal(err)
	}
	if st := f.waitMapping("Disabling", 30*time.Second); st != "Disabling" {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		f.t.Fatalf("the apply never paused the mapping (it is %s):\n%s", st, out.String())
	}
	return cmd, &out
}

// killMidPause kills terraform and the provider outright (SIGKILL to the
// process group), as a lost machine would, and checks that the mapping is
// left paused with nobody to resume it.
func (f *queueFixture) killMidPause(r *tfRun, cmd *exec.Cmd) {
	f.t.Helper()
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	_ = cmd.Wait()
	_ = os.Remove(filepath.Join(r.dir, ".terraform.tfstate.lock.info"))
	if st := f.waitMapping("Disabled", 30*time.Second); st != "Disabled" {
		f.t.Fatalf("after the kill the mapping is %s, want Disabled (paused, nobody left to resume it)", st)
	}
}

// pauseRecord is what the worker's tags record as held paused for live.
func (f *queueFixture) pauseRecord() []string {
	f.t.Helper()
	fn, err := f.lambda.GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String(workerFunction)})
	if err != nil {
		f.t.Fatal(err)
	}
	return lambdaops.PausedFromTags(fn.Tags, "live")
}

// send sends n messages (bodies numbered from the count sent so far).
func (f *queueFixture) send(ctx context.Context, n int) error {
	for n > 0 {
		k := min(n, 10)
		f.mu.Lock()
		first := f.sent
		f.sent += k
		f.mu.Unlock()
		var entries []sqstypes.SendMessageBatchRequestEntry
		for i := range k {
			entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(strconv.Itoa(first + i))})
		}
		out, err := f.sqs.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(f.url), Entries: entries})
		if err != nil {
			return err
		}
		if len(out.Failed) > 0 {
			return fmt.Errorf("SendMessageBatch refused %d messages: %s", len(out.Failed), aws.ToString(out.Failed[0].Message))
		}
		n -= k
	}
	return nil
}

// steadyRate is the messages a second sendSteadily sends.
const steadyRate = 50

// rejectedVersion is the version the queue tests release and roll back.
const rejectedVersion = "2"

// sendSteadily sends steadyRate messages a second until stopSending. A
// batch under way when sending stops is finished, not cancelled: a
// cancelled SendMessageBatch may never have reached the queue, and its
// messages, already counted as sent, would be tallied as lost.
func (f *queueFixture) sendSteadily() {
	ctx, stop := context.WithCancel(context.Background())
	f.stopSends = stop
	f.sending.Add(1)
	go func() {
		defer f.sending.Done()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if err := f.send(context.Background(), max(1, steadyRate/10)); err != nil {
					f.t.Errorf("sending: %v", err)
					return
				}
			}
		}
	}()
}

func (f *queueFixture) stopSending() int {
	if f.stopSends != nil {
		f.stopSends()
	}
	f.sending.Wait()
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sent
}

// drain waits (bounded) until the queue holds no message, visible or in
// flight.
func (f *queueFixture) drain(limit time.Duration) error {
	for deadline := time.Now().Add(limit); ; time.Sleep(100 * time.Millisecond) {
		out, err := f.sqs.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(f.url),
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
		if err != nil {
			return err
		}
		left := out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)] + "/" + out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible)]
		if left == "0/0" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the queue still holds %s (visible/in flight) messages after %s", left, limit)
		}
	}
}

// dead reads the bodies in the dead-letter queue.
func (f *queueFixture) dead() map[string]int {
	f.t.Helper()
	out := map[string]int{}
	for empty := 0; empty < 2; {
		r, err := f.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(f.dlq), MaxNumberOfMessages: 10, VisibilityTimeout: 300})
		if err != nil {
			f.t.Fatal(err)
		}
		if len(r.Messages) == 0 {
			empty++
			continue
		}
		for _, m := range r.Messages {
			out[aws.ToString(m.Body)]++
		}
	}
	return out
}

func (f *queueFixture) unmap() {
	if f.mapping != "" {
		_, _ = f.lambda.DeleteEventSourceMapping(context.Background(), &lambda.DeleteEventSourceMappingInput{UUID: aws.String(f.mapping)})
		f.waitMapping("", 30*time.Second)
		f.mapping = ""
	}
}

// workerRecord is one line of the worker's own record.
type workerRecord struct {
	version, id, body string
	start             time.Time
	ok                bool
}

func readWorkerRecord(t testing.TB, file string) []workerRecord {
	t.Helper()
	fh, err := os.Open(file)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = fh.Close() }()
	var out []workerRecord
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		p := strings.Fields(sc.Text())
		if len(p) != 5 {
			t.Fatalf("worker record line %q", sc.Text())
		}
		ns, _ := strconv.ParseInt(p[3], 10, 64)
		out = append(out, workerRecord{version: p[0], id: p[1], body: p[2], start: time.Unix(0, ns), ok: p[4] == "ok"})
	}
	return out
}

// queueTally is what the queue, the dead-letter queue and the worker's
// record say happened to every message sent.
type queueTally struct {
	Sent, Processed, InDLQ, Lost, Twice int
	// SeenByRejected counts the messages the rejected version received in
	// a batch that started after the rollback decision (the pause), other
	// than the one batch in flight when the pause arrived.
	SeenByRejected int
	// ReceivedByRejected counts every message the rejected version received.
	ReceivedByRejected int
	// Window is the rollback's pause-to-resume window: from the pause
	// (UpdateEventSourceMapping Enabled = false) to the read that saw the
	// mappings Enabled again.
	Window time.Duration
}

// check logs the tally and fails t unless the canary exercised the
// rejected version, every message was processed exactly once or sits in
// the dead-letter queue, and none reached the rejected version after the
// rollback decision.
func (tally queueTally) check(t testing.TB) {
	t.Helper()
	t.Logf("sent %d: processed once %d, in the dead-letter queue %d, lost %d, processed twice %d; received by the rejected version %d, of which after the decision %d; rollback pause-to-resume %s",
		tally.Sent, tally.Processed, tally.InDLQ, tally.Lost, tally.Twice, tally.ReceivedByRejected, tally.SeenByRejected, tally.Window)
	if tally.ReceivedByRejected == 0 {
		t.Errorf("the rejected version received no message: the canary did not exercise it")
	}
	if tally.Lost != 0 || tally.Twice != 0 || tally.Processed+tally.InDLQ != tally.Sent {
		t.Errorf("every message must be processed exactly once or sit in the dead-letter queue: %+v", tally)
	}
	if tally.SeenByRejected != 0 {
		t.Errorf("the rejected version received %d messages after the rollback decision", tally.SeenByRejected)
	}
}

// tallyQueue reads the record, the dead-letter queue and the sandbox's
// journal (the provider's calls) after a rollout from good to bad.
func tallyQueue(t testing.TB, f *queueFixture, records []workerRecord, calls []sandbox.Call, sent int) queueTally {
	t.Helper()
	q := queueTally{Sent: sent}
	// The rollback: the provider's last UpdateAlias; its pause, the last
	// UpdateEventSourceMapping before it; its resume, the last
	// GetEventSourceMapping of the apply.
	var rollback, pause, resumed time.Time
	for _, c := range calls {
		if c.AccessKey != acctest.ProviderAccessKey {
			continue
		}
		switch c.Operation {
		case "UpdateAlias":
			rollback = c.Time
		case "GetEventSourceMapping":
			resumed = c.Time
		}
	}
	for _, c := range calls {
		if c.AccessKey == acctest.ProviderAccessKey && c.Operation == "UpdateEventSourceMapping" && c.Time.Before(rollback) {
			pause = c.Time
		}
	}
	if pause.IsZero() || rollback.IsZero() {
		t.Fatalf("the journal shows no rollback with a pause (UpdateAlias at %v, pause at %v)", rollback, pause)
	}
	q.Window = resumed.Sub(pause)
	waited := false
	for _, c := range calls {
		if c.AccessKey == acctest.ProviderAccessKey && c.Operation == "GetEventSourceMapping" && c.Time.After(pause) && c.Time.Before(rollback) {
			waited = true
		}
	}
	if !waited {
		t.Errorf("the rollback's UpdateAlias (%v) did not wait for the paused mapping's state after the pause (%v)", rollback, pause)
	}
	// The batch in flight when the pause arrived: the poller runs one batch
	// at a time and a paused poller receives no more, so at most one batch
	// starts after the pause and before the traffic moves, and it was
	// received before the pause (its handler may start a moment after the
	// pause arrived). It finishes on the version it was routed to, as the
	// interlock means it to; any other batch after the pause is a violation.
	var inFlight time.Time
	for _, r := range records {
		if !r.start.Before(pause) && r.start.Before(rollback) && (inFlight.IsZero() || r.start.Before(inFlight)) {
			inFlight = r.start
		}
	}
	ok := map[string]int{}
	for _, r := range records {
		if r.ok {
			ok[r.body]++
		}
		if r.version == rejectedVersion {
			q.ReceivedByRejected++
			if !r.start.Before(pause) && !r.start.Equal(inFlight) {
				q.SeenByRejected++
			}
		}
	}
	dead := f.dead()
	for i := range sent {
		b := strconv.Itoa(i)
		switch {
		case ok[b] == 1 && dead[b] == 0:
			q.Processed++
		case ok[b] == 0 && dead[b] == 1:
			q.InDLQ++
		case ok[b] > 1:
			q.Twice++
		default:
			q.Lost++
		}
	}
	return q
}

// recordFile is where the worker keeps its record in a test.
func recordFile(t testing.TB) string { return filepath.Join(t.TempDir(), "worker.record") }
