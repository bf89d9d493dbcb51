// Package statehistory reads the stored history of a Terraform state
// (local backups, snapshot folders, S3 object versions, stdin), orders it,
// diffs revisions and picks the newest known-good one to return to, with
// the reasons. It never prints what the state marks sensitive.
package statehistory

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
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

// checkNotEmpty refuses empty input, saying the likely cause: Terraform's
// local backend empties the state file and then writes it, so a Terraform
// killed in between leaves it empty (its .backup is the state before that
// apply).
func checkNotEmpty(b []byte) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return fmt.Errorf("%w: the input is empty (Terraform empties a local state file before it writes it: "+
			"one killed at that moment leaves it empty, and the state from before that apply is in its .backup)", ErrNotState)
	}
	return nil
}

// Parse decodes a state file, with a clear error for truncated, foreign or
// unsupported input.
func Parse(b []byte) (*State, error) {
	if err := checkNotEmpty(b); err != nil {
		return nil, err
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
	if err := formatSupported(s.Version); err != nil {
		return nil, err
	}
	return &s, nil
}

// formatSupported refuses a state format other than 4, saying what reads it.
func formatSupported(v int) error {
	switch {
	case v == 4:
		return nil
	case v < 4:
		// Terraform 0.12 and later (1.11 too) still upgrade formats 1-3 on read.
		return fmt.Errorf("state format version %d was written by Terraform 0.11 or earlier; rolloutctl reads format 4: "+
			"Terraform 0.12 or later upgrades it (terraform state pull prints it as format 4, and the next apply stores it so)", v)
	default:
		return fmt.Errorf("state format version %d is newer than rolloutctl reads (format 4, written by Terraform 0.12 and later, OpenTofu 1.x): upgrade rolloutctl", v)
	}
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

	// The summary every command works from, kept for every revision.
	Aliases   []AliasView    `json:"aliases,omitempty"`
	Groups    []GroupView    `json:"groups,omitempty"`
	Functions []FunctionView `json:"functions,omitempty"`
	Tainted   []string       `json:"tainted,omitempty"`

	// The decoded content, kept only for a revision that cannot be read
	// again (stdin); the others are loaded again on demand (Load), so
	// memory holds summaries only, whatever the number of revisions.
	state *State
	raw   []byte
	load  func(context.Context) ([]byte, error)
}

// newRevision summarises content into a revision; unreadable content gives
// a revision with Error set, so that it shows in history instead of
// vanishing. load, when not nil, reads the content again (a file, an
// object version): then only the summary is decoded and kept.
func newRevision(id, source string, t time.Time, raw []byte, load func(context.Context) ([]byte, error)) Revision {
	sum := sha256.Sum256(raw)
	r := Revision{ID: id, Source: source, Time: t.UTC(), Hash: hex.EncodeToString(sum[:])[:12], load: load}
	keep := load == nil
	var s *State
	var err error
	if keep {
		s, err = Parse(raw)
	} else {
		s, err = parseSummary(raw)
	}
	if err != nil {
		r.Error = err.Error()
		return r
	}
	r.Lineage, r.Serial = s.Lineage, s.Serial
	r.Aliases, r.Groups, r.Functions = Aliases(s), Groups(s), Functions(s)
	for _, res := range s.Resources {
		for _, i := range res.Instances {
			if i.Status == "tainted" {
				r.Tainted = append(r.Tainted, res.Address(i))
			}
		}
	}
	if keep {
		r.state, r.raw = s, raw
	}
	return r
}

// Readable reports whether the revision's content decoded.
func (r Revision) Readable() bool { return r.Error == "" }

// Load returns the decoded state and the raw content, reading them again
// when they were not kept.
func (r Revision) Load(ctx context.Context) (*State, []byte, error) {
	if r.Error != "" {
		return nil, nil, errors.New(r.Error)
	}
	if r.state != nil {
		return r.state, r.raw, nil
	}
	if r.load == nil {
		return nil, nil, fmt.Errorf("revision %s cannot be read again", r.ID)
	}
	raw, err := r.load(ctx)
	if err != nil {
		return nil, nil, err
	}
	s, err := Parse(raw)
	return s, raw, err
}

// order sorts revisions by source time (then serial) and flags lineage
// breaks and duplicate serials.
func order(revs []Revision) []Revision {
	sortRevisions(revs)
	f := flagger{seen: map[string]string{}}
	for i := range revs {
		f.flag(&revs[i])
	}
	fillCode(revs)
	internSummaries(revs)
	shareSummaries(revs)
	return revs
}

// shareSummaries gives a revision whose aliases, groups, functions or
// tainted list equal the previous readable revision's that revision's
// slice: most revisions of a state change none of them (or one), so a
// whole history holds each run of equal summaries once, not once per
// revision. The slices are read, never written, after order.
func shareSummaries(revs []Revision) {
	var prev *Revision
	for i := range revs {
		r := &revs[i]
		if !r.Readable() {
			continue
		}
		if prev != nil {
			share(&r.Aliases, prev.Aliases)
			share(&r.Groups, prev.Groups)
			share(&r.Functions, prev.Functions)
			share(&r.Tainted, prev.Tainted)
		}
		prev = r
	}
}

// share makes *s prev when they hold equal elements.
func share[T any](s *[]T, prev []T) {
	if len(*s) > 0 && reflect.DeepEqual(*s, prev) {
		*s = prev
	}
}

// internSummaries makes the summaries' equal strings one copy: the same
// addresses, names, releases and reasons recur in every revision, so the
// memory a history holds grows by what changed, not by whole summaries.
func internSummaries(revs []Revision) {
	seen := map[string]string{}
	in := func(p *string) {
		if *p == "" {
			return
		}
		if s, ok := seen[*p]; ok {
			*p = s
			return
		}
		seen[*p] = *p
	}
	for i := range revs {
		r := &revs[i]
		in(&r.Lineage)
		in(&r.Source)
		for j := range r.Aliases {
			a := &r.Aliases[j]
			for _, p := range []*string{&a.Address, &a.Resource, &a.Function, &a.Name, &a.Primary, &a.Release, &a.RoutingVersion,
				&a.Deployment, &a.Reason, &a.Code, &a.ConcurrencyConfig, &a.Gate, &a.ToVersion} {
				in(p)
			}
		}
		for j := range r.Functions {
			f := &r.Functions[j]
			for _, p := range []*string{&f.Address, &f.Resource, &f.Function, &f.Version, &f.Release, &f.Code} {
				in(p)
			}
		}
		for j := range r.Groups {
			g := &r.Groups[j]
			for _, p := range []*string{&g.Address, &g.Name, &g.Deployment, &g.Reason, &g.Member, &g.Gate} {
				in(p)
			}
			for k := range g.Members {
				m := &g.Members[k]
				for _, p := range []*string{&m.Key, &m.Function, &m.Alias, &m.Primary, &m.Release, &m.RoutingVersion, &m.FromVersion, &m.ToVersion} {
					in(p)
				}
			}
		}
		for j := range r.Tainted {
			in(&r.Tainted[j])
		}
	}
}

func short(lineage string) string {
	if len(lineage) > 8 {
		return lineage[:8]
	}
	return lineage
}
