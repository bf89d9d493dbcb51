package lambda

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"sync"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/wal"
)

// functionStore keeps functions in memory and on disk. On disk it is a
// snapshot (snapshot.json, code/<sha256>.zip) plus a write-ahead log of
// every change since (lambda.wal: whole-function records, deletions, new
// code). A change is written to the log under the store lock and the
// request is answered only once the log is fsync'd past it, so anything
// acknowledged survives a crash. Opening the store replays the log over the
// snapshot, then compacts: a new snapshot, an empty log.
type functionStore struct {
	dir string // "" keeps everything in memory only
	log *wal.Log

	mu        sync.Mutex // guards functions and every record in it
	functions map[string]*functionRecord

	blobMu sync.Mutex
	blobs  map[string][]byte // code not yet compacted into code/ (all code when dir is "")
}

type lambdaLogRecord struct {
	Function *functionRecord `json:"fn,omitempty"`
	Delete   string          `json:"del,omitempty"`
	Blob     string          `json:"blob,omitempty"`
	Zip      []byte          `json:"zip,omitempty"`
}

func openStore(dir string, recoverLog bool) (*functionStore, error) {
	s := &functionStore{dir: dir, functions: map[string]*functionRecord{}, blobs: map[string][]byte{}}
	if dir == "" {
		return s, nil
	}
	if err := os.MkdirAll(filepath.Join(dir, "code"), 0o755); err != nil {
		return nil, err
	}
	for _, d := range []string{dir, filepath.Join(dir, "code")} {
		if err := wal.RemoveStaleTemps(d); err != nil {
			return nil, err
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "snapshot.json")); err == nil {
		if err := json.Unmarshal(b, &s.functions); err != nil {
			return nil, fmt.Errorf("snapshot.json is corrupt: %w", err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	log, err := wal.Open(filepath.Join(dir, "lambda.wal"), func(b []byte) error {
		var rec lambdaLogRecord
		if err := json.Unmarshal(b, &rec); err != nil {
			return err
		}
		switch {
		case rec.Function != nil:
			s.functions[rec.Function.Name] = rec.Function
		case rec.Delete != "":
			delete(s.functions, rec.Delete)
		case rec.Blob != "":
			s.blobs[rec.Blob] = rec.Zip
		}
		return nil
	}, recoverLog)
	if err != nil {
		return nil, fmt.Errorf("replaying lambda.wal: %w", err)
	}
	s.log = log
	for _, f := range s.functions {
		if f.Aliases == nil {
			f.Aliases = map[string]*aliasRecord{}
		}
		if f.Tags == nil {
			f.Tags = map[string]string{}
		}
	}
	if err := s.compact(); err != nil {
		_ = log.Close()
		return nil, fmt.Errorf("compacting Lambda data: %w", err)
	}
	return s, wal.SyncDir(dir)
}

// compact writes code and a snapshot of every function, then empties the log.
func (s *functionStore) compact() error {
	for blob, zip := range s.blobs {
		p := filepath.Join(s.dir, "code", blob+".zip")
		if _, err := os.Stat(p); err != nil {
			if err := wal.WriteFileAtomic(p, zip); err != nil {
				return err
			}
		}
	}
	s.blobs = map[string][]byte{}
	b, err := json.Marshal(s.functions)
	if err != nil {
		return err
	}
	if err := wal.WriteFileAtomic(filepath.Join(s.dir, "snapshot.json"), b); err != nil {
		return err
	}
	return s.log.Reset()
}

func (s *functionStore) append(rec lambdaLogRecord) error {
	if s.log == nil {
		return nil
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	_, err = s.log.Write(b)
	return err
}

// save records f; the caller holds s.mu and, before answering, calls durable.
func (s *functionStore) save(f *functionRecord) error {
	return s.append(lambdaLogRecord{Function: f})
}

// remove records the deletion of a function; the caller holds s.mu.
func (s *functionStore) remove(name string) error {
	return s.append(lambdaLogRecord{Delete: name})
}

// durable returns once every change written so far is on disk.
func (s *functionStore) durable() error {
	if s.log == nil {
		return nil
	}
	return s.log.Wait(s.log.Position())
}

// putCode stores a zip by content and returns its blob id (hex sha256).
func (s *functionStore) putCode(zip []byte) (string, error) {
	sum := sha256.Sum256(zip)
	blob := hex.EncodeToString(sum[:])
	s.blobMu.Lock()
	_, known := s.blobs[blob]
	if !known {
		s.blobs[blob] = append([]byte(nil), zip...)
	}
	s.blobMu.Unlock()
	if known || s.dir == "" {
		return blob, nil
	}
	if _, err := os.Stat(filepath.Join(s.dir, "code", blob+".zip")); err == nil {
		return blob, nil
	}
	return blob, s.append(lambdaLogRecord{Blob: blob, Zip: zip})
}

var blobNameRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// IsBlobName reports whether name is a content address (a SHA-256 in hex),
// the only name a stored package has.
func IsBlobName(name string) bool { return blobNameRE.MatchString(name) }

// code returns the zip stored under blob.
func (s *functionStore) code(blob string) ([]byte, error) {
	if !blobNameRE.MatchString(blob) {
		return nil, os.ErrNotExist // never a path: only a content address
	}
	s.blobMu.Lock()
	b, ok := s.blobs[blob]
	s.blobMu.Unlock()
	if ok {
		return b, nil
	}
	if s.dir == "" {
		return nil, os.ErrNotExist
	}
	return os.ReadFile(filepath.Join(s.dir, "code", blob+".zip"))
}

func (s *functionStore) close() error { return s.log.Close() }

func (s *functionStore) names() []string {
	names := make([]string, 0, len(s.functions))
	for n := range s.functions {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
