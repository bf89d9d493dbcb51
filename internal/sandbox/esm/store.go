package esm

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/wal"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/wire"
)

// Durability, like the other services: a write-ahead log (esm/mappings.wal,
// whole mapping records and deletions, group commit) replayed over a
// snapshot (esm/snapshot.json) written at start, after which the log is
// emptied. A change is answered once its record is durable; a state the
// pollers reach (Enabled, Disabled, a deletion done) is logged as well.

// mapping is one event source mapping as the sandbox stores it.
type mapping struct {
	UUID           string    `json:"uuid"`
	Region         string    `json:"region"`
	EventSourceArn string    `json:"event_source_arn"`
	FunctionArn    string    `json:"function_arn"`
	BatchSize      int       `json:"batch_size"`
	Window         int       `json:"window"` // MaximumBatchingWindowInSeconds
	ResponseTypes  []string  `json:"response_types,omitempty"`
	Enabled        bool      `json:"enabled"` // what the user asked for
	State          string    `json:"state"`
	Reason         string    `json:"reason"`
	LastModified   time.Time `json:"last_modified"`
	Created        time.Time `json:"created"`
	Seq            uint64    `json:"seq"` // creation order, for List
}

type logRecord struct {
	Mapping *mapping `json:"m,omitempty"`
	Delete  string   `json:"del,omitempty"`
}

type snapshot struct {
	Mappings []*mapping `json:"mappings"`
}

// openLog loads dir's snapshot and log into mappings and compacts them.
func openLog(dir string, recoverLog bool, mappings map[string]*mapping) (*wal.Log, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := wal.RemoveStaleTemps(dir); err != nil {
		return nil, err
	}
	if b, err := os.ReadFile(filepath.Join(dir, "snapshot.json")); err == nil {
		var snap snapshot
		if err := json.Unmarshal(b, &snap); err != nil {
			return nil, fmt.Errorf("esm/snapshot.json is corrupt (%s); move it away to start without the saved event source mappings", wire.JSONProblem(err))
		}
		for _, m := range snap.Mappings {
			if m != nil && m.UUID != "" {
				mappings[m.UUID] = m
			}
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	log, err := wal.Open(filepath.Join(dir, "mappings.wal"), func(b []byte) error {
		var rec logRecord
		if err := json.Unmarshal(b, &rec); err != nil {
			return err
		}
		switch {
		case rec.Mapping != nil:
			mappings[rec.Mapping.UUID] = rec.Mapping
		case rec.Delete != "":
			delete(mappings, rec.Delete)
		}
		return nil
	}, recoverLog)
	if err != nil {
		return nil, fmt.Errorf("replaying mappings.wal: %w", err)
	}
	snap := snapshot{Mappings: sorted(mappings)}
	b, err := json.Marshal(snap)
	if err == nil {
		err = wal.WriteFileAtomic(filepath.Join(dir, "snapshot.json"), b)
	}
	if err == nil {
		err = log.Reset()
	}
	if err != nil {
		_ = log.Close()
		return nil, fmt.Errorf("compacting event source mapping data: %w", err)
	}
	return log, wal.SyncDir(dir)
}

// sorted returns the mappings in creation order.
func sorted(mappings map[string]*mapping) []*mapping {
	out := make([]*mapping, 0, len(mappings))
	for _, m := range mappings {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Seq != out[j].Seq {
			return out[i].Seq < out[j].Seq
		}
		return out[i].UUID < out[j].UUID
	})
	return out
}
