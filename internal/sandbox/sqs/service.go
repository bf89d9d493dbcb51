package sqs

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Service is the sandbox's SQS: standard queues, their messages with
// visibility timeouts, long polling and redrive to a dead-letter queue,
// answering in the protocol each request speaks.
type Service struct {
	store   *store
	clock   func() time.Time
	region  string
	account string
	// pollEvery is how often a long poll looks again besides when a
	// message is sent (visibility timeouts expire by the sandbox clock).
	pollEvery time.Duration
	metrics   Metrics // nil: no AWS/SQS metrics

	stopSampler chan struct{} // closed by Close (StartSampler)
	samplerDone chan struct{} // closed when the sampler has returned
	sampled     map[string]time.Time
}

// New returns an in-memory service; Open makes it durable. clock is the
// sandbox clock (UTC).
func New(clock func() time.Time, region, account string) *Service {
	return &Service{store: newStore(), clock: clock, region: region, account: account, pollEvery: 20 * time.Millisecond}
}

// Open loads the queues persisted under dir and keeps every later change
// there (see persist.go).
func (s *Service) Open(dir string, recoverLog bool) error {
	return s.store.openPersistence(dir, recoverLog)
}

// Close closes the data files.
func (s *Service) Close() error {
	if s.stopSampler != nil {
		close(s.stopSampler)
		<-s.samplerDone // no sample after Close returns
		s.stopSampler = nil
	}
	return s.store.closePersistence()
}

// Serve answers one SQS request that Route recognised. admit is called
// once the operation is known; an error it returns (an injected fault) is
// answered instead.
func (s *Service) Serve(w http.ResponseWriter, r *http.Request, proto Protocol, op string, admit func(op string) *Error) {
	in, op, err := decode(r, proto, op)
	if err != nil {
		WriteError(w, proto, err)
		return
	}
	if err := admit(op); err != nil {
		WriteError(w, proto, err)
		return
	}
	c := ctxOp{base: "http://" + r.Host, now: s.clock()}
	var out map[string]any
	if op == "ReceiveMessage" {
		out, err = s.receiveMessage(r.Context(), c, in)
	} else {
		out, err = s.op(op, c, in)
	}
	if err == nil && s.store.durable() != nil {
		err = InternalFault("Could not store the change durably.")
	}
	if err != nil {
		WriteError(w, proto, err)
		return
	}
	writeResult(w, proto, op, out)
}

// op dispatches an operation.
func (s *Service) op(op string, c ctxOp, in map[string]any) (map[string]any, *Error) {
	switch op {
	case "CreateQueue":
		return s.createQueue(c, in)
	case "GetQueueUrl":
		return s.getQueueURL(c, in)
	case "ListQueues":
		return s.listQueues(c, in)
	case "DeleteQueue":
		return s.onQueue(s.deleteQueue)(c, in)
	case "GetQueueAttributes":
		return s.onQueue(s.getQueueAttributes)(c, in)
	case "SetQueueAttributes":
		return s.onQueue(s.setQueueAttributes)(c, in)
	case "SendMessage":
		return s.onQueue(s.sendMessage)(c, in)
	case "SendMessageBatch":
		return s.onQueue(s.sendMessageBatch)(c, in)
	case "DeleteMessage":
		return s.onQueue(s.deleteMessage)(c, in)
	case "ChangeMessageVisibility":
		return s.onQueue(s.changeMessageVisibility)(c, in)
	}
	return nil, &Error{Status: 400, Shape: "InvalidAction", Code: "InvalidAction", Message: fmt.Sprintf("The action %s is not valid for this endpoint.", op)}
}

// receiveMessage returns visible messages, waiting up to WaitTimeSeconds
// (or the queue's ReceiveMessageWaitTimeSeconds) for one to arrive, and
// stopping early when the client goes away.
func (s *Service) receiveMessage(ctx context.Context, c ctxOp, in map[string]any) (map[string]any, *Error) {
	most := 1
	if v, present := in["MaxNumberOfMessages"]; present {
		n, ok := whole(v)
		if !ok || n < 1 || n > 10 {
			return nil, invalid("Value %v for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.", v)
		}
		most = n
	}
	st := s.store
	st.mu.Lock()
	q, err := s.queueLocked(in)
	if err != nil {
		st.mu.Unlock()
		return nil, err
	}
	vt, _ := strconv.Atoi(q.Attributes["VisibilityTimeout"])
	wait, _ := strconv.Atoi(q.Attributes["ReceiveMessageWaitTimeSeconds"])
	st.mu.Unlock()
	if v, present := in["VisibilityTimeout"]; present {
		n, ok := whole(v)
		if !ok || n < 0 || n > 43200 {
			return nil, invalid("Value %v for parameter VisibilityTimeout is invalid. Reason: must be between 0 and 43200.", v)
		}
		vt = n
	}
	if v, present := in["WaitTimeSeconds"]; present {
		n, ok := whole(v)
		if !ok || n < 0 || n > 20 {
			return nil, invalid("Value %v for parameter WaitTimeSeconds is invalid. Reason: must be between 0 and 20, if provided.", v)
		}
		wait = n
	}
	names := map[string]bool{}
	for _, n := range append(strList(in, "AttributeNames"), strList(in, "MessageSystemAttributeNames")...) {
		names[n] = true
	}
	deadline := time.NewTimer(time.Duration(wait) * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(s.pollEvery)
	defer tick.Stop()
	for {
		st.mu.Lock()
		q := st.queues[q.Name]
		if q == nil {
			st.mu.Unlock()
			return nil, noQueue()
		}
		c.now = s.clock()
		got, lerr := s.receiveLocked(c, q, most, time.Duration(vt)*time.Second)
		if len(got) > 0 {
			s.countLocked(q, "NumberOfMessagesReceived", len(got), c.now)
		}
		wake := st.wake
		st.mu.Unlock()
		if lerr != nil {
			return nil, InternalFault("Could not store the change durably.")
		}
		if len(got) > 0 || wait == 0 {
			return receiveResult(got, names), nil
		}
		select {
		case <-ctx.Done():
			return map[string]any{}, nil
		case <-deadline.C:
			wait = 0
		case <-wake:
		case <-tick.C:
		}
	}
}

func receiveResult(got []message, names map[string]bool) map[string]any {
	if len(got) == 0 {
		return map[string]any{}
	}
	all := names["All"]
	msgs := make([]any, 0, len(got))
	for _, m := range got {
		attrs := map[string]any{}
		if all || names["ApproximateReceiveCount"] {
			attrs["ApproximateReceiveCount"] = strconv.Itoa(m.Receives)
		}
		if all || names["SentTimestamp"] {
			attrs["SentTimestamp"] = strconv.FormatInt(m.Sent.UnixMilli(), 10)
		}
		if all || names["ApproximateFirstReceiveTimestamp"] {
			attrs["ApproximateFirstReceiveTimestamp"] = strconv.FormatInt(m.FirstReceive.UnixMilli(), 10)
		}
		out := map[string]any{"MessageId": m.ID, "ReceiptHandle": m.Handle, "MD5OfBody": m.MD5, "Body": m.Body}
		if len(attrs) > 0 {
			out["Attributes"] = attrs
		}
		msgs = append(msgs, out)
	}
	return map[string]any{"Messages": msgs}
}
