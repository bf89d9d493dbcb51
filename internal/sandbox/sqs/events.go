package sqs

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// What the event source mappings (package esm) need of SQS, and the
// AWS/SQS metrics every operation emits.

// Metrics is all SQS needs of CloudWatch: somewhere to put the AWS/SQS
// metrics of a queue.
type Metrics interface {
	RecordQueueMetric(queue, name string, value float64, unit string, at time.Time)
}

// SetMetrics makes the service emit AWS/SQS metrics into m: counts of the
// messages sent, received and deleted, and after each of those (and every
// SamplePeriod, StartSampler) the queue's ApproximateNumberOfMessagesVisible
// and ApproximateAgeOfOldestMessage.
func (s *Service) SetMetrics(m Metrics) { s.metrics = m }

// countLocked emits a count metric of q and samples its depth and age
// (sampleLocked); the caller holds the store lock.
func (s *Service) countLocked(q *queue, name string, n int, now time.Time) {
	if s.metrics == nil {
		return
	}
	if n > 0 {
		s.metrics.RecordQueueMetric(q.Name, name, float64(n), "Count", now)
	}
	s.sampleLocked(q, now)
}

// sampleLocked emits q's ApproximateNumberOfMessagesVisible,
// ApproximateNumberOfMessagesNotVisible and ApproximateAgeOfOldestMessage
// (the oldest message not deleted, in flight or not) as they are now.
func (s *Service) sampleLocked(q *queue, now time.Time) {
	if s.metrics == nil {
		return
	}
	visible, oldest := 0, now
	for _, m := range q.Messages {
		if !m.VisibleAt.After(now) {
			visible++
		}
		if m.Sent.Before(oldest) {
			oldest = m.Sent
		}
	}
	s.metrics.RecordQueueMetric(q.Name, "ApproximateNumberOfMessagesVisible", float64(visible), "Count", now)
	s.metrics.RecordQueueMetric(q.Name, "ApproximateNumberOfMessagesNotVisible", float64(len(q.Messages)-visible), "Count", now)
	s.metrics.RecordQueueMetric(q.Name, "ApproximateAgeOfOldestMessage", float64(now.Sub(oldest)/time.Second), "Seconds", now)
}

// SamplePeriod is how often every queue's depth and age are emitted
// whatever happens to it, by the sandbox clock: AWS/SQS publishes them
// once a minute, so a queue no one touches (its mapping paused, say) still
// reports how old its oldest message grows.
const SamplePeriod = time.Minute

// StartSampler emits, for every queue whose last periodic sample is
// SamplePeriod old by the sandbox clock, its depth and age; it looks every
// tick of real time, until Close.
func (s *Service) StartSampler(tick time.Duration) {
	if s.metrics == nil || tick <= 0 {
		return
	}
	s.stopSampler, s.samplerDone, s.sampled = make(chan struct{}), make(chan struct{}), map[string]time.Time{}
	stop, done := s.stopSampler, s.samplerDone
	go func() {
		defer close(done)
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				s.sampleDue(s.clock())
			}
		}
	}()
}

// sampleDue samples the queues whose periodic sample is due at now.
func (s *Service) sampleDue(now time.Time) {
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	for name := range s.sampled {
		if _, ok := s.store.queues[name]; !ok {
			delete(s.sampled, name) // deleted: a queue made again under its name is sampled at once
		}
	}
	for name, q := range s.store.queues {
		if last, ok := s.sampled[name]; ok && now.Sub(last) < SamplePeriod {
			continue
		}
		s.sampled[name] = now
		s.sampleLocked(q, now)
	}
}

// Message is one message an event source received, with the attributes
// Lambda's SQS event carries.
type Message struct {
	ID            string
	ReceiptHandle string
	Body          string
	MD5OfBody     string
	Attributes    map[string]string
}

// QueueExists reports whether arn is the ARN of one of the sandbox's queues.
func (s *Service) QueueExists(arn string) bool {
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	return s.queueByARNLocked(arn) != nil
}

func (s *Service) queueByARNLocked(arn string) *queue {
	name := arn[strings.LastIndex(arn, ":")+1:]
	if s.queueArn(name) != arn {
		return nil
	}
	return s.store.queues[name]
}

// ReceiveBatch receives up to most messages (more than ReceiveMessage's 10
// when asked) from the queue arn names, with the queue's visibility
// timeout, as an event source mapping's poller does: it waits up to wait
// for a first message, then up to window for the batch to fill (both real
// time; visibility runs on the sandbox clock). It returns
// early, with what it holds, when ctx ends; what it returns is durable
// (received, its receive count counted).
func (s *Service) ReceiveBatch(ctx context.Context, arn string, most int, wait, window time.Duration) ([]Message, *Error) {
	st := s.store
	start := time.Now()
	var got []message
	var fill time.Time
	for {
		st.mu.Lock()
		q := s.queueByARNLocked(arn)
		if q == nil {
			st.mu.Unlock()
			return toMessages(got), noQueue()
		}
		vt, _ := strconv.Atoi(q.Attributes["VisibilityTimeout"])
		now := s.clock()
		more, err := s.receiveLocked(ctxOp{now: now}, q, most-len(got), time.Duration(vt)*time.Second)
		if len(more) > 0 {
			s.countLocked(q, "NumberOfMessagesReceived", len(more), now)
		}
		wake := st.wake
		st.mu.Unlock()
		if err != nil {
			return toMessages(got), InternalFault("Could not store the change durably.")
		}
		if len(more) > 0 {
			if derr := st.durable(); derr != nil {
				return toMessages(got), InternalFault("Could not store the change durably.")
			}
		}
		if len(got) == 0 && len(more) > 0 {
			fill = time.Now().Add(window)
		}
		got = append(got, more...)
		switch {
		case len(got) >= most:
			return toMessages(got), nil
		case len(got) > 0 && !time.Now().Before(fill):
			return toMessages(got), nil
		case len(got) == 0 && time.Since(start) >= wait:
			// An empty poll samples the depth and age too, so a mapped
			// queue's gauges stay current while nothing moves.
			st.mu.Lock()
			if q := s.queueByARNLocked(arn); q != nil {
				s.sampleLocked(q, s.clock())
			}
			st.mu.Unlock()
			return nil, nil
		}
		t := time.NewTimer(s.pollEvery)
		select {
		case <-ctx.Done():
			t.Stop()
			return toMessages(got), nil
		case <-wake:
		case <-t.C:
		}
		t.Stop()
	}
}

func toMessages(got []message) []Message {
	out := make([]Message, 0, len(got))
	for _, m := range got {
		out = append(out, Message{ID: m.ID, ReceiptHandle: m.Handle, Body: m.Body, MD5OfBody: m.MD5, Attributes: map[string]string{
			"ApproximateReceiveCount":          strconv.Itoa(m.Receives),
			"SentTimestamp":                    strconv.FormatInt(m.Sent.UnixMilli(), 10),
			"SenderId":                         "AIDAROLLOUTSANDBOX",
			"ApproximateFirstReceiveTimestamp": strconv.FormatInt(m.FirstReceive.UnixMilli(), 10),
		}})
	}
	return out
}

// DeleteBatch deletes the messages the receipt handles name from the queue
// arn names and returns once that is durable. A handle whose message is
// gone is no error, as DeleteMessage.
func (s *Service) DeleteBatch(arn string, handles []string) *Error {
	st := s.store
	st.mu.Lock()
	q := s.queueByARNLocked(arn)
	if q == nil {
		st.mu.Unlock()
		return noQueue()
	}
	c := ctxOp{now: s.clock()}
	deleted := 0
	for _, h := range handles {
		ok, err := s.deleteLocked(q, h)
		if err != nil {
			st.mu.Unlock()
			return err
		}
		if ok {
			deleted++
		}
	}
	s.countLocked(q, "NumberOfMessagesDeleted", deleted, c.now)
	st.mu.Unlock()
	if st.durable() != nil {
		return InternalFault("Could not store the change durably.")
	}
	return nil
}
