package sandbox_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/google/go-cmp/cmp"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

// The pollers of event source mappings: real batches from a sandbox queue
// to the real test function (internal/testfn), which records every record
// it sees in a file, so a test counts what each version processed.

// seen is one record the test function saw.
type seen struct{ Version, ID, Body, Receives string }

// readSeen reads the test function's record file.
func readSeen(t *testing.T, path string) []seen {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	// A batch's lines are appended in one write, which a read may catch
	// half done: a last line without its newline is not there yet.
	if i := strings.LastIndexByte(string(b), '\n'); i >= 0 {
		b = b[:i+1]
	} else {
		b = nil
	}
	var out []seen
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		if line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			t.Fatalf("record line %q", line)
		}
		out = append(out, seen{f[0], f[1], f[2], f[3]})
	}
	return out
}

// eventually polls cond until it holds, failing after 30s with what.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after 30s: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// recordingWorker deploys the test function as "worker", recording to
// recordFile, and publishes versions 1 and 2 (RELEASE v1, v2).
func recordingWorker(t *testing.T, c *lambda.Client, recordFile string, env map[string]string) {
	t.Helper()
	const fn = "worker"
	vars := map[string]string{"RECORD_FILE": recordFile, "RELEASE": "v1"}
	for k, v := range env {
		vars[k] = v
	}
	deployTestFunction(t, c, fn, 10, vars)
	publish := func() {
		t.Helper()
		if _, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(fn)}); err != nil {
			t.Fatal(err)
		}
	}
	publish()
	vars["RELEASE"] = "v2"
	if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(fn), Environment: &types.Environment{Variables: vars}}); err != nil {
		t.Fatal(err)
	}
	if err := lambda.NewFunctionUpdatedV2Waiter(c).Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn)}, time.Minute); err != nil {
		t.Fatal(err)
	}
	publish()
}

// sendAll sends the bodies in batches of 10.
func sendAll(t *testing.T, c *sqs.Client, url string, bodies []string) {
	t.Helper()
	for len(bodies) > 0 {
		n := min(10, len(bodies))
		var entries []sqstypes.SendMessageBatchRequestEntry
		for i, b := range bodies[:n] {
			entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), MessageBody: aws.String(b)})
		}
		out, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
		if err != nil || len(out.Failed) > 0 {
			t.Fatalf("SendMessageBatch: %v %v", err, out)
		}
		bodies = bodies[n:]
	}
}

// queueDepth is ApproximateNumberOfMessages and ...NotVisible.
func queueDepth(t *testing.T, c *sqs.Client, url string) (visible, hidden int) {
	t.Helper()
	out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fmt.Sscan(out.Attributes["ApproximateNumberOfMessages"], &visible); err != nil {
		t.Fatalf("ApproximateNumberOfMessages: %v", err)
	}
	if _, err := fmt.Sscan(out.Attributes["ApproximateNumberOfMessagesNotVisible"], &hidden); err != nil {
		t.Fatalf("ApproximateNumberOfMessagesNotVisible: %v", err)
	}
	return visible, hidden
}

// metricSum is the Sum of a metric over the hour around at (GetMetricData,
// as the canary gates read it).
func metricSum(t *testing.T, c *cloudwatch.Client, at time.Time, ns, name string, dims map[string]string) float64 {
	t.Helper()
	metric := &cwtypes.Metric{Namespace: aws.String(ns), MetricName: aws.String(name)}
	for k, v := range dims {
		metric.Dimensions = append(metric.Dimensions, cwtypes.Dimension{Name: aws.String(k), Value: aws.String(v)})
	}
	out, err := c.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(at.Add(-time.Hour)), EndTime: aws.Time(at.Add(time.Hour)),
		MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("m"), MetricStat: &cwtypes.MetricStat{Metric: metric, Period: aws.Int32(60), Stat: aws.String("Sum")}}}})
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, r := range out.MetricDataResults {
		for _, v := range r.Values {
			sum += v
		}
	}
	return sum
}

func createMapping(t *testing.T, c *lambda.Client, in *lambda.CreateEventSourceMappingInput) string {
	t.Helper()
	out, err := c.CreateEventSourceMapping(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.UUID)
}

// TestEventSourceMappingAliasSplit: a queue mapped to an alias that sends
// half its traffic to version 2: every message is processed exactly once,
// both versions get batches, and the Lambda and SQS metrics count them.
func TestEventSourceMappingAliasSplit(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{RoutingSeed: 7})
	c, q, cw := lambdaClient(inst, 1), sqsAt(inst.URL), cloudWatchAt(inst.URL)
	record := filepath.Join(t.TempDir(), "seen")
	recordingWorker(t, c, record, nil)
	if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("worker"), Name: aws.String("live"), FunctionVersion: aws.String("1"),
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 0.5}}}); err != nil {
		t.Fatal(err)
	}
	url := sqsQueue(t, q, "jobs", nil)
	id := createMapping(t, c, &lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(queueARNPrefix + "jobs"),
		FunctionName: aws.String("worker:live"), BatchSize: aws.Int32(1)})
	waitMappingState(t, c, id, "Enabled")

	const n = 60
	var want []string
	for i := range n {
		want = append(want, fmt.Sprint("job-", i))
	}
	sendAll(t, q, url, want)
	eventually(t, "every message processed and deleted", func() bool {
		v, h := queueDepth(t, q, url)
		return len(readSeen(t, record)) >= n && v == 0 && h == 0
	})
	perVersion := map[string]int{}
	times := map[string]int{}
	for _, s := range readSeen(t, record) {
		perVersion[s.Version]++
		times[s.Body]++
	}
	for _, b := range want {
		if times[b] != 1 {
			t.Errorf("%s processed %d times, want 1", b, times[b])
		}
	}
	if len(times) != n {
		t.Errorf("processed %d distinct messages, want %d: %v", len(times), n, times)
	}
	if perVersion["1"] < n/4 || perVersion["2"] < n/4 || perVersion["1"]+perVersion["2"] != n {
		t.Errorf("split = %v, want both versions near half of %d", perVersion, n)
	}
	now := time.Now()
	for _, v := range []string{"1", "2"} {
		got := metricSum(t, cw, now, "AWS/Lambda", "Invocations", map[string]string{"FunctionName": "worker", "Resource": "worker:live", "ExecutedVersion": v})
		if int(got) != perVersion[v] {
			t.Errorf("Invocations of worker:live on version %s = %v, want %d (what the function saw)", v, got, perVersion[v])
		}
	}
	for name, want := range map[string]float64{"NumberOfMessagesSent": n, "NumberOfMessagesReceived": n, "NumberOfMessagesDeleted": n} {
		if got := metricSum(t, cw, now, "AWS/SQS", name, map[string]string{"QueueName": "jobs"}); got != want {
			t.Errorf("AWS/SQS %s = %v, want %v", name, got, want)
		}
	}
	for _, name := range []string{"ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage"} {
		out, err := cw.ListMetrics(ctx, &cloudwatch.ListMetricsInput{Namespace: aws.String("AWS/SQS"), MetricName: aws.String(name)})
		if err != nil || len(out.Metrics) == 0 {
			t.Errorf("AWS/SQS %s not emitted: %v %v", name, out, err)
		}
	}
}

// TestEventSourceMappingDisableStops: after Update Enabled=false the mapping
// reaches Disabled only once its in-flight batch is done, and from then on
// nothing is invoked; enabled again, it processes the rest exactly once.
func TestEventSourceMappingDisableStops(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{})
	c, q := lambdaClient(inst, 1), sqsAt(inst.URL)
	record := filepath.Join(t.TempDir(), "seen")
	recordingWorker(t, c, record, map[string]string{"LATENCY_MS": "40"})
	url := sqsQueue(t, q, "jobs", nil)
	id := createMapping(t, c, &lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(queueARNPrefix + "jobs"),
		FunctionName: aws.String("worker"), BatchSize: aws.Int32(2)})
	waitMappingState(t, c, id, "Enabled")
	var want []string
	for i := range 40 {
		want = append(want, fmt.Sprint("job-", i))
	}
	sendAll(t, q, url, want)
	eventually(t, "a few batches processed", func() bool { return len(readSeen(t, record)) >= 6 })
	upd, err := c.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: aws.String(id), Enabled: aws.Bool(false)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(upd.State) != "Disabling" {
		t.Fatalf("Update Enabled=false answered %s, want Disabling", aws.ToString(upd.State))
	}
	waitMappingState(t, c, id, "Disabled")
	processed := len(readSeen(t, record))
	visible, hidden := queueDepth(t, q, url)
	if hidden != 0 || visible != len(want)-processed {
		t.Errorf("at Disabled: %d visible, %d in flight, %d processed of %d; want nothing in flight and every processed message deleted", visible, hidden, processed, len(want))
	}
	sendAll(t, q, url, []string{"late-1", "late-2"})
	want = append(want, "late-1", "late-2")
	// Absence over time has no clock to advance: the poller would have
	// taken a batch within milliseconds.
	time.Sleep(300 * time.Millisecond)
	if got := len(readSeen(t, record)); got != processed {
		t.Errorf("%d invocations' records after Disabled, want none (was %d)", got-processed, processed)
	}
	if n := inst.Server.EventSourcePollers(); n != 0 {
		t.Errorf("%d pollers running for a disabled mapping", n)
	}
	if _, err := c.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: aws.String(id), Enabled: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the rest processed", func() bool {
		v, h := queueDepth(t, q, url)
		return v == 0 && h == 0
	})
	times := map[string]int{}
	for _, s := range readSeen(t, record) {
		times[s.Body]++
	}
	for _, b := range want {
		if times[b] != 1 {
			t.Errorf("%s processed %d times, want 1", b, times[b])
		}
	}
}

// TestEventSourceMappingFailures: a failed batch stays in the queue for the
// visibility timeout and goes to the dead-letter queue per the redrive
// policy; with ReportBatchItemFailures only the items the function names
// stay. Visibility runs on the sandbox clock, which the test advances.
func TestEventSourceMappingFailures(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	inst := sandboxtest.Start(t, sandbox.Options{Clock: clock.Now})
	c, q, cw := lambdaClient(inst, 1), sqsAt(inst.URL), cloudWatchAt(inst.URL)
	record := filepath.Join(t.TempDir(), "seen")
	recordingWorker(t, c, record, nil)
	dlq := sqsQueue(t, q, "jobs-dlq", nil)
	url := sqsQueue(t, q, "jobs", map[string]string{"VisibilityTimeout": "30",
		"RedrivePolicy": `{"deadLetterTargetArn":"` + queueARNPrefix + `jobs-dlq","maxReceiveCount":"2"}`})
	id := createMapping(t, c, &lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(queueARNPrefix + "jobs"),
		FunctionName: aws.String("worker"), FunctionResponseTypes: []types.FunctionResponseType{types.FunctionResponseTypeReportBatchItemFailures}})
	waitMappingState(t, c, id, "Enabled")

	sendAll(t, q, url, []string{"ok-1", "fail-item", "ok-2"})
	eventually(t, "the batch processed, the failed item left in flight", func() bool {
		v, h := queueDepth(t, q, url)
		return len(readSeen(t, record)) == 3 && v == 0 && h == 1
	})
	clock.Advance(31 * time.Second)
	eventually(t, "the failed item retried", func() bool { return len(readSeen(t, record)) == 4 })
	clock.Advance(31 * time.Second)
	eventually(t, "the failed item in the dead-letter queue", func() bool {
		v, h := queueDepth(t, q, url)
		dv, _ := queueDepth(t, q, dlq)
		return v == 0 && h == 0 && dv == 1
	})
	var got []string
	for _, s := range readSeen(t, record) {
		got = append(got, s.Body+"#"+s.Receives)
	}
	if d := cmp.Diff([]string{"ok-1#1", "fail-item#1", "ok-2#1", "fail-item#2"}, got); d != "" {
		t.Errorf("records seen (-want +got):\n%s", d)
	}
	if moved := sqsReceive(t, q, dlq, 10); len(moved) != 1 || aws.ToString(moved[0].Body) != "fail-item" {
		t.Errorf("dead-letter queue holds %v, want fail-item", bodies(moved))
	}

	// A function error fails the whole batch, and counts in Errors.
	sendAll(t, q, url, []string{"fail"})
	// The invocation's metrics are recorded as it returns, after the
	// function wrote its record.
	eventually(t, "the failing batch invoked, counted in Errors, and left in flight", func() bool {
		_, h := queueDepth(t, q, url)
		errs := metricSum(t, cw, clock.Now(), "AWS/Lambda", "Errors", map[string]string{"FunctionName": "worker"})
		return len(readSeen(t, record)) == 5 && h == 1 && errs == 1
	})
}

// TestEventSourceMappingDurable: mappings and their states survive a
// restart, and the enabled one polls again.
func TestEventSourceMappingDurable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	record := filepath.Join(t.TempDir(), "seen")
	inst := sandboxtest.Start(t, sandbox.Options{DataDir: dir})
	c, q := lambdaClient(inst, 1), sqsAt(inst.URL)
	recordingWorker(t, c, record, nil)
	sqsQueue(t, q, "jobs", nil)
	sqsQueue(t, q, "parked", nil)
	on := createMapping(t, c, &lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(queueARNPrefix + "jobs"),
		FunctionName: aws.String("worker:2"), BatchSize: aws.Int32(3)})
	off := createMapping(t, c, &lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(queueARNPrefix + "parked"),
		FunctionName: aws.String("worker"), Enabled: aws.Bool(false)})
	before := []*lambda.GetEventSourceMappingOutput{waitMappingState(t, c, on, "Enabled"), waitMappingState(t, c, off, "Disabled")}
	if err := inst.Server.Close(); err != nil {
		t.Fatal(err)
	}
	if n := inst.Server.EventSourcePollers(); n != 0 {
		t.Errorf("%d pollers still running after Close", n)
	}

	again := sandboxtest.Start(t, sandbox.Options{DataDir: dir})
	c, q = lambdaClient(again, 1), sqsAt(again.URL)
	for _, b := range before {
		after, err := c.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: b.UUID})
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(mappingSummary(b), mappingSummary(after)); d != "" {
			t.Errorf("mapping %s after restart (-before +after):\n%s", aws.ToString(b.UUID), d)
		}
	}
	url := sqsQueue(t, q, "jobs", nil)
	sendAll(t, q, url, []string{"after-restart"})
	eventually(t, "the enabled mapping polls after the restart", func() bool {
		s := readSeen(t, record)
		return len(s) == 1 && s[0].Body == "after-restart" && s[0].Version == "2"
	})
}

func mappingSummary(m *lambda.GetEventSourceMappingOutput) string {
	return fmt.Sprintf("%s %s %s %d %s %s", aws.ToString(m.State), aws.ToString(m.EventSourceArn), aws.ToString(m.FunctionArn),
		aws.ToInt32(m.BatchSize), aws.ToTime(m.LastModified).UTC().Format(time.RFC3339Nano), aws.ToString(m.StateTransitionReason))
}

// TestEventSourcePollersStopOnClose is not parallel: no other test's
// sandbox runs meanwhile, so every esm goroutine in the process is this
// sandbox's, and none may outlive Close, even one in a long poll or with
// an invocation in flight.
func TestEventSourcePollersStopOnClose(t *testing.T) {
	inst := sandboxtest.Start(t, sandbox.Options{})
	c, q := lambdaClient(inst, 1), sqsAt(inst.URL)
	record := filepath.Join(t.TempDir(), "seen")
	recordingWorker(t, c, record, nil)
	url := sqsQueue(t, q, "busy", nil)
	sqsQueue(t, q, "idle", nil)
	busy := createMapping(t, c, &lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(queueARNPrefix + "busy"), FunctionName: aws.String("worker")})
	idle := createMapping(t, c, &lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(queueARNPrefix + "idle"), FunctionName: aws.String("worker")})
	waitMappingState(t, c, busy, "Enabled")
	waitMappingState(t, c, idle, "Enabled")
	if n := inst.Server.EventSourcePollers(); n != 2 {
		t.Errorf("%d pollers for two enabled mappings, want 2", n)
	}
	if esmGoroutines() == 0 {
		t.Fatal("no esm goroutine found while two mappings poll: the stack scan sees nothing")
	}
	sendAll(t, q, url, []string{`sleepy`})
	eventually(t, "an invocation", func() bool { return len(readSeen(t, record)) == 1 })
	if err := inst.Server.Close(); err != nil {
		t.Fatal(err)
	}
	if n := inst.Server.EventSourcePollers(); n != 0 {
		t.Errorf("%d pollers after Close", n)
	}
	if n := esmGoroutines(); n != 0 {
		t.Errorf("%d esm goroutines after Close", n)
	}
}

// esmGoroutines counts the goroutines running code of package esm.
func esmGoroutines() int {
	buf := make([]byte, 1<<22)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "internal/sandbox/esm.") {
			n++
		}
	}
	return n
}

// TestEventSourceMappingInUseWhileDisabling: while a batch is in flight the
// mapping stays Disabling, and a change asked for meanwhile is refused with
// ResourceInUseException; Disabled comes once the batch is done (invoked
// and deleted).
func TestEventSourceMappingInUseWhileDisabling(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{})
	c, q := lambdaClient(inst, 1), sqsAt(inst.URL)
	record := filepath.Join(t.TempDir(), "seen")
	recordingWorker(t, c, record, map[string]string{"LATENCY_MS": "1500"})
	url := sqsQueue(t, q, "jobs", nil)
	id := createMapping(t, c, &lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(queueARNPrefix + "jobs"), FunctionName: aws.String("worker")})
	waitMappingState(t, c, id, "Enabled")
	sendAll(t, q, url, []string{"slow"})
	eventually(t, "the batch in flight", func() bool {
		_, h := queueDepth(t, q, url)
		return h == 1
	})
	if _, err := c.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: aws.String(id), Enabled: aws.Bool(false)}); err != nil {
		t.Fatal(err)
	}
	_, err := c.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: aws.String(id), Enabled: aws.Bool(true)})
	if code, msg := apiError(t, err); code != "ResourceInUseException" || !strings.Contains(msg, "Disabling") {
		t.Errorf("Update while Disabling: %s %q, want ResourceInUseException naming the state", code, msg)
	}
	_, err = c.DeleteEventSourceMapping(ctx, &lambda.DeleteEventSourceMappingInput{UUID: aws.String(id)})
	if code, _ := apiError(t, err); code != "ResourceInUseException" {
		t.Errorf("Delete while Disabling: %s, want ResourceInUseException", code)
	}
	got, err := c.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(id)})
	if err != nil || aws.ToString(got.State) != "Disabling" {
		t.Errorf("with the batch in flight: %v %v, want Disabling", got, err)
	}
	waitMappingState(t, c, id, "Disabled")
	v, h := queueDepth(t, q, url)
	if s := readSeen(t, record); len(s) != 1 || v != 0 || h != 0 {
		t.Errorf("at Disabled: seen %v, queue %d visible %d in flight; want the batch processed and deleted", s, v, h)
	}
}

// metricMax is the Maximum of a metric over the hour around at.
func metricMax(t *testing.T, c *cloudwatch.Client, at time.Time, ns, name string, dims map[string]string) float64 {
	t.Helper()
	metric := &cwtypes.Metric{Namespace: aws.String(ns), MetricName: aws.String(name)}
	for k, v := range dims {
		metric.Dimensions = append(metric.Dimensions, cwtypes.Dimension{Name: aws.String(k), Value: aws.String(v)})
	}
	out, err := c.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(at.Add(-time.Hour)), EndTime: aws.Time(at.Add(time.Hour)),
		MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("m"), MetricStat: &cwtypes.MetricStat{Metric: metric, Period: aws.Int32(7200), Stat: aws.String("Maximum")}}}})
	if err != nil {
		t.Fatal(err)
	}
	most := -1.0
	for _, r := range out.MetricDataResults {
		for _, v := range r.Values {
			most = max(most, v)
		}
	}
	return most
}

// TestSQSQueueMetricsSampledWhileIdle: a queue no one touches (its mapping
// paused, say) still reports, once a minute by the sandbox clock, how old
// its oldest message grows, as AWS/SQS does; a gate on the age is never
// left reading the age the queue had at its last operation.
func TestSQSQueueMetricsSampledWhileIdle(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	inst := sandboxtest.Start(t, sandbox.Options{Clock: clock.Now, AlarmEvaluationInterval: 10 * time.Millisecond})
	q, cw := sqsAt(inst.URL), cloudWatchAt(inst.URL)
	url := sqsQueue(t, q, "idle", nil)
	sendAll(t, q, url, []string{"waiting"})
	clock.Advance(5 * time.Minute)
	dims := map[string]string{"QueueName": "idle"}
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := metricMax(t, cw, clock.Now(), "AWS/SQS", "ApproximateAgeOfOldestMessage", dims)
		if got >= 300 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Maximum of AWS/SQS ApproximateAgeOfOldestMessage = %v five minutes after the only send, want 300 (sampled while idle)", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSQSQueueMetrics: the AWS/SQS depth and age gauges a gate reads,
// sampled by the operations on the sandbox clock.
func TestSQSQueueMetrics(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	inst := sandboxtest.Start(t, sandbox.Options{Clock: clock.Now})
	q, cw := sqsAt(inst.URL), cloudWatchAt(inst.URL)
	url := sqsQueue(t, q, "aging", map[string]string{"VisibilityTimeout": "600"})
	sendAll(t, q, url, []string{"old"})
	clock.Advance(2 * time.Minute)
	sendAll(t, q, url, []string{"new-1", "new-2"})
	sqsReceive(t, q, url, 1)
	dims := map[string]string{"QueueName": "aging"}
	for name, want := range map[string]float64{
		"ApproximateAgeOfOldestMessage":         120,
		"ApproximateNumberOfMessagesVisible":    3,
		"ApproximateNumberOfMessagesNotVisible": 1,
		"NumberOfMessagesSent":                  2, // the Maximum of one send's count
		"NumberOfMessagesReceived":              1,
	} {
		if got := metricMax(t, cw, clock.Now(), "AWS/SQS", name, dims); got != want {
			t.Errorf("Maximum of AWS/SQS %s = %v, want %v", name, got, want)
		}
	}
}
