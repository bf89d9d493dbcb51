// Package statehistory reads the stored history of a Terraform state
// (local backups, snapshot folders, S3 object versions, stdin), orders it,
// diffs revisions and picks the newest known-good one to return to, with
// the reasons. It never prints what the state marks sensitive.
package statehistory

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// State is the part of a state file (format version 4) the inspector reads.
type State struct {
	Version          int        `json:"version"`
	TerraformVersion string     `json:"terraform_version"`
	Serial           uint64     `json:"serial"`
	Lineage          string     `json:"lineage"`
	Resources        []Resource `json:"resources"`
}

// Resource is one resource block of a state.
type Resource struct {
	Module    string     `json:"module,omitempty"`
	Mode      string     `json:"mode"`
	Type      string     `json:"type"`
	Name      string     `json:"name"`
	Provider  string     `json:"provider"`
	Instances []Instance `json:"instances"`
}

// Instance is one instance of a resource.
type Instance struct {
	IndexKey            any               `json:"index_key,omitempty"`
	Status              string            `json:"status,omitempty"`
	Deposed             string            `json:"deposed,omitempty"`
	Attributes          map[string]any    `json:"attributes"`
	SensitiveAttributes []json.RawMessage `json:"sensitive_attributes,omitempty"`
}

// Address is the resource address of an instance.
func (r Resource) Address(i Instance) string {
	a := r.Type + "." + r.Name
	if r.Mode == "data" {
		a = "data." + a
	}
	if r.Module != "" {
		a = r.Module + "." + a
	}
	switch k := i.IndexKey.(type) {
	case string:
		a += fmt.Sprintf("[%q]", k)
	case float64:
		a += fmt.Sprintf("[%d]", int(k))
	}
	return a
}

// ErrNotState is returned for input that is not a Terraform state.
var ErrNotState = errors.New("not a Terraform state file")

// Parse decodes a state file, with a clear error for truncated, foreign or
// unsupported input.
func Parse(b []byte) (*State, error) {
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil, fmt.Errorf("%w: the input is empty", ErrNotState)
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) || errors.Is(err, errors.New("unexpected end of JSON input")) || strings.Contains(err.Error(), "unexpected end") {
			return nil, fmt.Errorf("%w: the JSON is truncated or corrupt (%v)", ErrNotState, err)
		}
		return nil, fmt.Errorf("%w: %v", ErrNotState, err)
	}
	if s.Version == 0 || s.Lineage == "" {
		return nil, fmt.Errorf("%w: it has no version and lineage fields", ErrNotState)
	}
	if s.Version != 4 {
		return nil, fmt.Errorf("state format version %d is not supported (only 4, written by Terraform 0.12 and later)", s.Version)
	}
	return &s, nil
}

// Revision is one stored version of the state.
type Revision struct {
	ID      string    `json:"id"`   // S3 version id, file name, or "stdin"
	Time    time.Time `json:"time"` // when the source stored it
	Source  string    `json:"source"`
	Lineage string    `json:"lineage"`
	Serial  uint64    `json:"serial"`
	Hash    string    `json:"hash"` // sha256 of the content, 12 hex digits
	Flags   []string  `json:"flags,omitempty"`
	Error   string    `json:"error,omitempty"` // why the content could not be read

	State *State `json:"-"`
	Raw   []byte `json:"-"`
}

// newRevision decodes content into a revision; unreadable content gives a
// revision with Error set, so that it shows in history instead of vanishing.
func newRevision(id, source string, t time.Time, raw []byte) Revision {
	sum := sha256.Sum256(raw)
	r := Revision{ID: id, Source: source, Time: t.UTC(), Hash: hex.EncodeToString(sum[:])[:12], Raw: raw}
	s, err := Parse(raw)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	r.State, r.Lineage, r.Serial = s, s.Lineage, s.Serial
	return r
}

// order sorts revisions by source time (then serial) and flags lineage
// breaks and duplicate serials.
func order(revs []Revision) []Revision {
	sort.SliceStable(revs, func(i, j int) bool {
		if !revs[i].Time.Equal(revs[j].Time) {
			return revs[i].Time.Before(revs[j].Time)
		}
		return revs[i].Serial < revs[j].Serial
	})
	seen := map[string]string{} // lineage/serial -> hash
	prevLineage := ""
	for i := range revs {
		r := &revs[i]
		if r.State == nil {
			continue
		}
		if prevLineage != "" && r.Lineage != prevLineage {
			r.Flags = append(r.Flags, "lineage break: "+short(prevLineage)+" -> "+short(r.Lineage))
		}
		prevLineage = r.Lineage
		key := fmt.Sprintf("%s/%d", r.Lineage, r.Serial)
		if h, ok := seen[key]; ok && h != r.Hash {
			r.Flags = append(r.Flags, fmt.Sprintf("duplicate serial %d with different content", r.Serial))
		}
		seen[key] = r.Hash
	}
	return revs
}

func short(lineage string) string {
	if len(lineage) > 8 {
		return lineage[:8]
	}
	return lineage
}
