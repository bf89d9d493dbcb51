package sqs

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/wal"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/wire"
)

// SQS durability, like the other services: a write-ahead log
// (sqs/queues.wal, group commit) replayed over a snapshot
// (sqs/snapshot.json) written at start, after which the log is emptied.
// Every operation that changes a queue or a message (a receive too: the
// receive count and visibility) answers once its record is durable.

type snapshot struct {
	Queues []*queue `json:"queues"`
}

// openPersistence loads dir's snapshot and log and compacts them.
func (s *store) openPersistence(dir string, recoverLog bool) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := wal.RemoveStaleTemps(dir); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, err := os.ReadFile(filepath.Join(dir, "snapshot.json")); err == nil {
		var snap snapshot
		if err := json.Unmarshal(b, &snap); err != nil {
			return fmt.Errorf("sqs/snapshot.json is corrupt (%s); move it away to start without the saved queues", wire.JSONProblem(err))
		}
		for _, q := range snap.Queues {
			if q != nil && q.Name != "" {
				s.queues[q.Name] = q
			}
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	log, err := wal.Open(filepath.Join(dir, "queues.wal"), func(b []byte) error {
		var rec record
		if err := json.Unmarshal(b, &rec); err != nil {
			return err
		}
		s.loadLocked(rec)
		return nil
	}, recoverLog)
	if err != nil {
		return fmt.Errorf("replaying queues.wal: %w", err)
	}
	var snap snapshot
	for _, n := range s.sortedNames() {
		snap.Queues = append(snap.Queues, s.queues[n])
	}
	b, err := json.Marshal(snap)
	if err == nil {
		err = wal.WriteFileAtomic(filepath.Join(dir, "snapshot.json"), b)
	}
	if err == nil {
		err = log.Reset()
	}
	if err != nil {
		_ = log.Close()
		return fmt.Errorf("compacting SQS data: %w", err)
	}
	s.log = log
	return nil
}

func (s *store) logLocked(rec record) error {
	if s.log == nil {
		return nil
	}
	b, err := json.Marshal(rec)
	if err == nil {
		_, err = s.log.Write(b)
	}
	return err
}

// durable returns once every record written so far is on disk.
func (s *store) durable() error {
	if s.log == nil {
		return nil
	}
	return s.log.Wait(s.log.Position())
}

func (s *store) closePersistence() error {
	if s.log == nil {
		return nil
	}
	return s.log.Close()
}
