package esm

import (
	"context"
	"encoding/json"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sqs"
)

// run is the poller of one mapping: it receives a batch, invokes the
// function with it, deletes what was processed, and again, until stopCtx
// ends (the mapping is disabled or deleted, or the sandbox closes). A batch
// it received is always finished before it exits; then it settles the
// mapping's state.
func (m *Manager) run(uuid string, p *poller, stopCtx context.Context) {
	defer func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.pollers[uuid] == p {
			delete(m.pollers, uuid)
		}
		if mp := m.mappings[uuid]; mp != nil && !m.closed {
			m.stoppedLocked(mp)
			_ = m.durable()
		}
	}()
	defer p.stop()
	for stopCtx.Err() == nil {
		cfg, receiveCtx, ok := m.acknowledge(uuid, p, stopCtx)
		if !ok {
			return
		}
		msgs, qerr := m.deps.Queues.ReceiveBatch(receiveCtx, cfg.EventSourceArn, cfg.BatchSize, m.deps.PollWait, time.Duration(cfg.Window)*time.Second)
		if len(msgs) > 0 {
			m.process(cfg, msgs)
		}
		if qerr != nil {
			m.pause(stopCtx)
		}
	}
}

// acknowledge settles a transition the poller now runs with (Creating,
// Enabling or Updating become Enabled) and returns the mapping's settings
// and the context of the next receive, which an update cuts short.
func (m *Manager) acknowledge(uuid string, p *poller, stopCtx context.Context) (mapping, context.Context, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	mp := m.mappings[uuid]
	if mp == nil || !mp.Enabled || mp.State == "Deleting" || mp.State == "Disabling" {
		return mapping{}, nil, false
	}
	switch mp.State {
	case "Creating", "Enabling", "Updating":
		mp.State, mp.LastModified = "Enabled", m.deps.Now()
		if m.saveLocked(mp) == nil {
			_ = m.durable()
		}
	}
	p.kick()
	ctx, kick := context.WithCancel(stopCtx)
	p.kick = kick
	return *mp, ctx, true
}

// pause waits RetryDelay, or until ctx ends.
func (m *Manager) pause(ctx context.Context) {
	t := time.NewTimer(m.deps.RetryDelay)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// sqsRecord is one record of the event Lambda sends for SQS.
type sqsRecord struct {
	MessageID         string            `json:"messageId"`
	ReceiptHandle     string            `json:"receiptHandle"`
	Body              string            `json:"body"`
	Attributes        map[string]string `json:"attributes"`
	MessageAttributes map[string]any    `json:"messageAttributes"`
	MD5OfBody         string            `json:"md5OfBody"`
	EventSource       string            `json:"eventSource"`
	EventSourceARN    string            `json:"eventSourceARN"`
	AWSRegion         string            `json:"awsRegion"`
}

// process invokes the function with one batch and deletes the messages it
// processed: all of them on success, none on a failure (they come back
// after the visibility timeout and go to the dead-letter queue per the
// redrive policy), and with ReportBatchItemFailures all but those the
// function names. The invocation runs to its end even when the mapping is
// disabled meanwhile; only Close cancels it.
func (m *Manager) process(cfg mapping, msgs []sqs.Message) {
	records := make([]sqsRecord, 0, len(msgs))
	region := regionOf(cfg.EventSourceArn)
	for _, msg := range msgs {
		records = append(records, sqsRecord{MessageID: msg.ID, ReceiptHandle: msg.ReceiptHandle, Body: msg.Body, Attributes: msg.Attributes,
			MessageAttributes: map[string]any{}, MD5OfBody: msg.MD5OfBody, EventSource: "aws:sqs", EventSourceARN: cfg.EventSourceArn, AWSRegion: region})
	}
	payload, _ := json.Marshal(map[string]any{"Records": records})
	res, ierr := m.deps.Functions.InvokeFromSource(m.ctx, cfg.FunctionArn, payload)
	if ierr != nil {
		m.pause(m.ctx)
		return
	}
	if res.FunctionError {
		return
	}
	done := make([]string, 0, len(msgs))
	failed, ok := itemFailures(cfg, res.Payload, msgs)
	if !ok {
		return // a malformed answer fails the whole batch, as on AWS
	}
	for _, msg := range msgs {
		if !failed[msg.ID] {
			done = append(done, msg.ReceiptHandle)
		}
	}
	if len(done) > 0 {
		_ = m.deps.Queues.DeleteBatch(cfg.EventSourceArn, done)
	}
}

// itemFailures reads the batchItemFailures of a function's answer when the
// mapping has ReportBatchItemFailures; ok is false when the answer names a
// message that is not in the batch, or none by its ID.
func itemFailures(cfg mapping, payload []byte, msgs []sqs.Message) (map[string]bool, bool) {
	failed := map[string]bool{}
	if len(cfg.ResponseTypes) == 0 {
		return failed, true
	}
	var out struct {
		BatchItemFailures []struct {
			ItemIdentifier *string `json:"itemIdentifier"`
		} `json:"batchItemFailures"`
	}
	if json.Unmarshal(payload, &out) != nil {
		return failed, true // not a document with failures: all succeeded
	}
	inBatch := map[string]bool{}
	for _, msg := range msgs {
		inBatch[msg.ID] = true
	}
	for _, f := range out.BatchItemFailures {
		if f.ItemIdentifier == nil || !inBatch[*f.ItemIdentifier] {
			return nil, false
		}
		failed[*f.ItemIdentifier] = true
	}
	return failed, true
}

// regionOf is the region of an ARN ("" when it is not one).
func regionOf(s string) string {
	a, err := arn.Parse(s)
	if err != nil {
		return ""
	}
	return a.Region
}
