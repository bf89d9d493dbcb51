package sns

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/wal"
)

// store holds the topics, subscriptions and undelivered messages. Every
// change is a log record, written and fsync'd before the request that made
// it is answered; a message stays in the log until it reached every
// subscription it was published to, so a restart delivers what was
// acknowledged and not yet delivered.
type store struct {
	mu       sync.Mutex
	topics   map[string]*Topic        // by ARN
	subs     map[string]*Subscription // by ARN
	messages map[string]*Message      // by ID, undelivered
	log      *wal.Log
}

func newStore() *store {
	return &store{topics: map[string]*Topic{}, subs: map[string]*Subscription{}, messages: map[string]*Message{}}
}

// open replays dir/sns.wal and keeps logging there; "" keeps it in memory.
func (s *store) open(dir string, recoverLog bool) error {
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	log, err := wal.Open(filepath.Join(dir, "sns.wal"), func(b []byte) error {
		var r record
		if err := json.Unmarshal(b, &r); err != nil {
			return fmt.Errorf("sns.wal: %w", err)
		}
		s.apply(r)
		return nil
	}, recoverLog)
	if err != nil {
		return err
	}
	s.log = log
	return nil
}

// apply changes the state as r says. The caller holds mu (or is replaying).
func (s *store) apply(r record) {
	switch r.Op {
	case "topic":
		t := *r.Topic
		s.topics[t.ARN] = &t
	case "delete_topic":
		delete(s.topics, r.ARN)
		for arn, sub := range s.subs {
			if sub.TopicARN == r.ARN {
				delete(s.subs, arn)
			}
		}
	case "subscribe":
		sub := *r.Subscription
		s.subs[sub.ARN] = &sub
	case "confirm":
		if sub, ok := s.subs[r.ARN]; ok {
			sub.Confirmed = true
		}
	case "unsubscribe":
		delete(s.subs, r.ARN)
	case "publish":
		m := *r.Message
		s.messages[m.ID] = &m
	case "delivered":
		if m, ok := s.messages[r.MessageID]; ok {
			for i, arn := range m.Pending {
				if arn == r.ARN {
					m.Pending = append(m.Pending[:i], m.Pending[i+1:]...)
					break
				}
			}
			if len(m.Pending) == 0 {
				delete(s.messages, m.ID)
			}
		}
	}
}

// commit logs r, applies it (in log order: both under mu) and waits for
// the fsync that makes it durable; the caller holds mu and answers only
// after it returns nil. A failed fsync poisons the log, so nothing later
// is acknowledged either.
func (s *store) commit(r record) error {
	if s.log == nil {
		s.apply(r)
		return nil
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	seq, err := s.log.Write(b)
	if err != nil {
		return err
	}
	s.apply(r)
	s.mu.Unlock()
	err = s.log.Wait(seq)
	s.mu.Lock()
	return err
}

// undelivered lists the messages still to deliver, oldest first.
func (s *store) undelivered() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, 0, len(s.messages))
	for _, m := range s.messages {
		c := *m
		c.Pending = append([]string(nil), m.Pending...)
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Timestamp.Before(out[j].Timestamp) || (out[i].Timestamp.Equal(out[j].Timestamp) && out[i].ID < out[j].ID)
	})
	return out
}

func (s *store) close() error {
	if s.log == nil {
		return nil
	}
	return s.log.Close()
}
