package sqs

import (
	"sort"
	"sync"
	"time"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/wal"
)

// The queues and their messages. Every change is also a log record
// (persist.go); load applies a record read back, apply applies and logs it,
// so the state after a restart is the state that was acknowledged.

type queue struct {
	Name       string            `json:"name"`
	Created    time.Time         `json:"created"`
	Modified   time.Time         `json:"modified"`
	Attributes map[string]string `json:"attributes"`
	Messages   []*message        `json:"messages"`
}

type message struct {
	ID           string    `json:"id"`
	Body         string    `json:"body"`
	MD5          string    `json:"md5"`
	Sent         time.Time `json:"sent"`
	VisibleAt    time.Time `json:"visibleAt"`
	Receives     int       `json:"receives"`
	FirstReceive time.Time `json:"firstReceive,omitzero"`
	Handle       string    `json:"handle,omitempty"`
}

// record is one change: exactly one of its parts is set.
type record struct {
	Queue   *queue   `json:"q,omitempty"`    // created or attributes set (no messages)
	Deleted string   `json:"del,omitempty"`  // queue deleted
	In      string   `json:"in,omitempty"`   // queue the message parts refer to
	Put     *message `json:"put,omitempty"`  // message sent, or its state after a receive / visibility change
	Gone    string   `json:"gone,omitempty"` // message deleted from In
}

type store struct {
	mu     sync.Mutex
	queues map[string]*queue
	// wake is closed (and replaced) when a message is sent, so long polls
	// look again.
	wake chan struct{}
	log  *wal.Log
}

func newStore() *store {
	return &store{queues: map[string]*queue{}, wake: make(chan struct{})}
}

// loadLocked applies a record without logging it.
func (s *store) loadLocked(rec record) {
	switch {
	case rec.Queue != nil:
		if q, ok := s.queues[rec.Queue.Name]; ok {
			q.Attributes, q.Modified = rec.Queue.Attributes, rec.Queue.Modified
			return
		}
		q := *rec.Queue
		s.queues[q.Name] = &q
	case rec.Deleted != "":
		delete(s.queues, rec.Deleted)
	case rec.Put != nil:
		q := s.queues[rec.In]
		if q == nil {
			return
		}
		for i, m := range q.Messages {
			if m.ID == rec.Put.ID {
				q.Messages[i] = rec.Put
				return
			}
		}
		q.Messages = append(q.Messages, rec.Put)
	case rec.Gone != "":
		q := s.queues[rec.In]
		if q == nil {
			return
		}
		for i, m := range q.Messages {
			if m.ID == rec.Gone {
				q.Messages = append(q.Messages[:i], q.Messages[i+1:]...)
				return
			}
		}
	}
}

// applyLocked applies a record and appends it to the log (the caller
// waits for durability before answering).
func (s *store) applyLocked(rec record) error {
	if rec.Put != nil {
		cp := *rec.Put
		rec.Put = &cp
	}
	if rec.Queue != nil {
		cp := *rec.Queue
		cp.Messages = nil
		cp.Attributes = copyAttrs(rec.Queue.Attributes)
		rec.Queue = &cp
	}
	s.loadLocked(rec)
	return s.logLocked(rec)
}

// sortedNames returns the queue names in order.
func (s *store) sortedNames() []string {
	names := make([]string, 0, len(s.queues))
	for n := range s.queues {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func copyAttrs(a map[string]string) map[string]string {
	out := make(map[string]string, len(a))
	for k, v := range a {
		out[k] = v
	}
	return out
}
