package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// lambdaStore keeps functions in memory and on disk: one JSON file per
// function under functions/, code zips by content hash under code/.
// Every change is written (atomically, fsync'd) before the API answers, so
// anything the sandbox acknowledged survives a crash.
type lambdaStore struct {
	dir string // "" keeps everything in memory only

	mu        sync.Mutex // guards functions and every record in it
	functions map[string]*functionRecord

	blobMu sync.Mutex
	blobs  map[string][]byte // code zips when dir is ""
}

func openLambdaStore(dir string) (*lambdaStore, error) {
	s := &lambdaStore{dir: dir, functions: map[string]*functionRecord{}}
	if dir == "" {
		return s, nil
	}
	for _, sub := range []string{"functions", "code"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, err
		}
		if err := removeStaleTemps(filepath.Join(dir, sub)); err != nil {
			return nil, err
		}
	}
	entries, err := os.ReadDir(filepath.Join(dir, "functions"))
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, "functions", e.Name()))
		if err != nil {
			return nil, err
		}
		var f functionRecord
		if err := json.Unmarshal(b, &f); err != nil {
			return nil, fmt.Errorf("function file %s is corrupt: %w", e.Name(), err)
		}
		if f.Aliases == nil {
			f.Aliases = map[string]*aliasRecord{}
		}
		if f.Tags == nil {
			f.Tags = map[string]string{}
		}
		s.functions[f.Name] = &f
	}
	return s, nil
}

// save persists f; the caller holds s.mu.
func (s *lambdaStore) save(f *functionRecord) error {
	if s.dir == "" {
		return nil
	}
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(s.dir, "functions", f.Name+".json"), b)
}

// remove deletes f's file; the caller holds s.mu.
func (s *lambdaStore) remove(name string) error {
	if s.dir == "" {
		return nil
	}
	err := os.Remove(filepath.Join(s.dir, "functions", name+".json"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return syncDir(filepath.Join(s.dir, "functions"))
}

// putCode stores a zip by content and returns its blob id (hex sha256) and
// the CodeSha256 Lambda reports (base64 of the same digest).
func (s *lambdaStore) putCode(zip []byte) (blob string, err error) {
	sum := sha256.Sum256(zip)
	blob = hex.EncodeToString(sum[:])
	if s.dir == "" {
		s.blobMu.Lock()
		if s.blobs == nil {
			s.blobs = map[string][]byte{}
		}
		s.blobs[blob] = append([]byte(nil), zip...)
		s.blobMu.Unlock()
		return blob, nil
	}
	p := filepath.Join(s.dir, "code", blob+".zip")
	if _, err := os.Stat(p); err == nil {
		return blob, nil
	}
	return blob, writeFileAtomic(p, zip)
}

// code returns the zip stored under blob.
func (s *lambdaStore) code(blob string) ([]byte, error) {
	if s.dir == "" {
		s.blobMu.Lock()
		defer s.blobMu.Unlock()
		b, ok := s.blobs[blob]
		if !ok {
			return nil, os.ErrNotExist
		}
		return b, nil
	}
	return os.ReadFile(filepath.Join(s.dir, "code", blob+".zip"))
}

func (s *lambdaStore) names() []string {
	names := make([]string, 0, len(s.functions))
	for n := range s.functions {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
