// Package history is `rolloutctl history SOURCE`: one line per revision of
// a state, or one alias's or one group's timeline.
package history

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmdutil"
	"github.com/rollout-tf/terraform-provider-rollout/internal/statehistory"
)

// Options are history's flags and arguments.
type Options struct {
	cmdutil.SourceOptions
	Alias string
	Group string

	f *cmdutil.Factory
}

// New parses history's command line.
func New(f *cmdutil.Factory, args []string) (*Options, error) {
	o := &Options{f: f}
	fs := f.NewFlagSet("history")
	o.Flags(fs)
	fs.StringVar(&o.Alias, "alias", "", "follow one alias (by name) as a timeline of what served traffic")
	fs.StringVar(&o.Group, "group", "", "follow one rollout_alias_group (by name) as a timeline of what its members served")
	pos, err := cmdutil.ParseFlags(fs, args)
	if err != nil {
		return nil, err
	}
	if o.Alias != "" && o.Group != "" {
		return nil, cmdutil.UsageError{Msg: "history takes --alias or --group, not both: --alias follows one alias, --group one release group"}
	}
	if len(pos) != 1 {
		return nil, cmdutil.UsageError{Msg: "history takes one SOURCE"}
	}
	o.Source = pos[0]
	return o, nil
}

// unknownName is --alias or --group naming one no revision holds.
func unknownName(kind, name string, names map[string]bool) error {
	if len(names) == 0 {
		what := "an alias (rollout_alias or aws_lambda_alias)"
		if kind == "group" {
			what = "a group (rollout_alias_group)"
		}
		return cmdutil.UsageError{Msg: fmt.Sprintf("no %s %q in this history: no revision holds %s", kind, name, what)}
	}
	have := make([]string, 0, len(names))
	for n := range names {
		have = append(have, n)
	}
	sort.Strings(have)
	return cmdutil.UsageError{Msg: fmt.Sprintf("no %s %q in this history; its %s: %s", kind, name, plural[kind], strings.Join(have, ", "))}
}

var plural = map[string]string{"alias": "aliases", "group": "groups"}

type line struct {
	statehistory.Revision
	Aliases   []statehistory.AliasView    `json:"aliases"`
	Groups    []statehistory.GroupView    `json:"groups,omitempty"`
	Functions []statehistory.FunctionView `json:"functions"`
}

// Run prints the history.
func Run(ctx context.Context, o *Options) error {
	if o.JSON {
		return runJSON(ctx, o)
	}
	src, err := o.Open(ctx, o.f)
	if err != nil {
		return err
	}
	t := table{o: o, names: map[string]bool{}, groups: map[string]bool{}}
	codes, err := statehistory.Walk(ctx, src, func(r statehistory.Revision) error {
		t.add(r)
		return nil
	})
	if err != nil {
		return err
	}
	if o.Alias != "" && !t.names[o.Alias] {
		return unknownName("alias", o.Alias, t.names)
	}
	if o.Group != "" && !t.groups[o.Group] {
		return unknownName("group", o.Group, t.groups)
	}
	return t.print(o.f.IO.Out, codes)
}

// runJSON prints every revision with its aliases, groups and functions,
// as one JSON array. The history is walked, not held: each line is
// written compact to a spool file as it is read, and the array is
// written from the spool once the walk has ended (an unknown --alias or
// --group, or a failed read, prints nothing). A line with an AWS provider
// alias whose code hash no revision read so far records is held until
// the end instead, when the whole history's hashes are known (as
// Revisions fills them).
func runJSON(ctx context.Context, o *Options) error {
	src, err := o.Open(ctx, o.f)
	if err != nil {
		return err
	}
	spool, err := os.CreateTemp("", "rolloutctl-history-*.jsonl")
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(spool.Name()) }()
	defer func() { _ = spool.Close() }()
	w := bufio.NewWriter(spool)
	late := map[int]*line{} // by line number: lines waiting for the whole history's hashes
	n := 0
	names, groups := map[string]bool{}, map[string]bool{}
	codes, err := statehistory.Walk(ctx, src, func(r statehistory.Revision) error {
		l := line{Revision: r, Functions: r.Functions}
		l.Aliases, l.Groups = o.filter(r, names, groups)
		n++
		for _, a := range l.Aliases {
			if a.Resource == "aws_lambda_alias" && a.Code == "" {
				late[n-1] = &l
				_, err := w.WriteString("\n")
				return err
			}
		}
		b, err := json.Marshal(l)
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	})
	if err != nil {
		return err
	}
	if o.Alias != "" && !names[o.Alias] {
		return unknownName("alias", o.Alias, names)
	}
	if o.Group != "" && !groups[o.Group] {
		return unknownName("group", o.Group, groups)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		return err
	}
	return writeArray(o.f.IO.Out, n, bufio.NewReader(spool), func(i int) ([]byte, bool, error) {
		l, ok := late[i]
		if !ok {
			return nil, false, nil
		}
		codes.Fill(l.Aliases)
		b, err := json.Marshal(l)
		return b, true, err
	})
}

// writeArray writes n elements as cmdutil.WriteJSON writes a slice of
// them (two-space indent, a newline at the end; null when there are
// none): element i is the spool's next line, or what held returns for it
// (its spool line is empty).
func writeArray(out io.Writer, n int, spool *bufio.Reader, held func(i int) ([]byte, bool, error)) error {
	bw := bufio.NewWriter(out)
	if n == 0 {
		_, _ = bw.WriteString("null\n")
		return bw.Flush()
	}
	_, _ = bw.WriteString("[\n  ")
	var ind bytes.Buffer
	for i := range n {
		compact, err := spool.ReadBytes('\n')
		if err != nil {
			return fmt.Errorf("reading back the history's lines: %w", err)
		}
		if b, ok, err := held(i); err != nil {
			return err
		} else if ok {
			compact = b
		}
		ind.Reset()
		if err := json.Indent(&ind, bytes.TrimSuffix(compact, []byte("\n")), "  ", "  "); err != nil {
			return err
		}
		_, _ = ind.WriteTo(bw)
		if i < n-1 {
			_, _ = bw.WriteString(",\n  ")
		}
	}
	_, _ = bw.WriteString("\n]\n")
	return bw.Flush()
}

// filter is what of r the history shows (every alias and group, the
// alias of --alias, or the group of --group), noting in names and groups
// the aliases and groups r holds.
func (o *Options) filter(r statehistory.Revision, names, groups map[string]bool) ([]statehistory.AliasView, []statehistory.GroupView) {
	var as []statehistory.AliasView
	var gs []statehistory.GroupView
	for _, a := range r.Aliases {
		names[a.Name] = true
		if o.Alias == "" && o.Group == "" || a.Name == o.Alias {
			as = append(as, a)
		}
	}
	for _, g := range r.Groups {
		groups[g.Name] = true
		if o.Alias == "" && (o.Group == "" || g.Name == o.Group) {
			gs = append(gs, g)
		}
	}
	return as, gs
}

// table is history's table, built while the history is walked: a small
// row per revision (its time, hash, lineage, serial, flags and the line's
// text, shared with the previous row when equal), printed once the
// columns' widths are known.
type table struct {
	o             *Options
	names, groups map[string]bool
	rows          []row
	hasGroups     bool // some row shows a group: the last column says so
}

type row struct {
	time                  time.Time
	hash, lineage, errMsg string
	serial                uint64
	flags                 []string
	summary               string
	// late keeps what a row shows when it has an AWS provider alias,
	// whose code hash a later revision may record: the text is made
	// once the whole history's hashes are known.
	late *lateRow
}

type lateRow struct {
	aliases []statehistory.AliasView
	groups  []statehistory.GroupView
}

func (t *table) add(r statehistory.Revision) {
	if r.Error != "" {
		t.rows = append(t.rows, row{time: r.Time, hash: r.Hash, errMsg: r.Error})
		return
	}
	as, gs := t.o.filter(r, t.names, t.groups)
	t.hasGroups = t.hasGroups || len(gs) > 0
	w := row{time: r.Time, hash: r.Hash, lineage: r.Lineage, serial: r.Serial, flags: r.Flags}
	if n := len(t.rows); n > 0 && t.rows[n-1].lineage == w.lineage {
		w.lineage = t.rows[n-1].lineage // one copy per run of a lineage
	}
	for _, a := range as {
		if a.Resource == "aws_lambda_alias" {
			w.late = &lateRow{as, gs}
			break
		}
	}
	if w.late == nil {
		w.summary = t.shared(describe(as, gs))
	}
	t.rows = append(t.rows, w)
}

// shared is s, as the previous row's string when equal (most rows show
// what the one before showed).
func (t *table) shared(s string) string {
	for i := len(t.rows) - 1; i >= 0; i-- {
		if t.rows[i].errMsg == "" {
			if t.rows[i].summary == s {
				return t.rows[i].summary
			}
			break
		}
	}
	return s
}

func describe(as []statehistory.AliasView, gs []statehistory.GroupView) string {
	parts := make([]string, 0, len(as)+len(gs))
	for _, a := range as {
		parts = append(parts, a.Describe())
	}
	for _, g := range gs {
		parts = append(parts, g.Describe())
	}
	return strings.Join(parts, "; ")
}

// print writes the table: the columns as text/tabwriter aligns them
// (padding 2), each line written as it is made.
func (t *table) print(w io.Writer, codes statehistory.Codes) error {
	for i := range t.rows {
		if l := t.rows[i].late; l != nil {
			codes.Fill(l.aliases)
			t.rows[i].summary, t.rows[i].late = describe(l.aliases, l.groups), nil
		}
	}
	header := [5]string{"TIME", "REVISION", "LINEAGE", "SERIAL", "ALIASES"}
	if t.hasGroups {
		header[4] = "ALIASES AND GROUPS"
	}
	// REVISION is the content hash: short, unique per content, and accepted
	// wherever a revision is named (diff, pick --before); --json has the
	// source's own version ids.
	var widths [4]int
	plain := true
	t.lines(func(cells [5]string) {
		for c, cell := range cells {
			plain = plain && !strings.ContainsAny(cell, "\t\n\v\f")
			if c < 4 {
				widths[c] = max(widths[c], utf8.RuneCountInString(cell))
			}
		}
	}, header)
	if !plain {
		// A cell that tabwriter would split: let it.
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		t.lines(func(cells [5]string) { fmt.Fprintln(tw, strings.Join(cells[:], "\t")) }, header)
		return tw.Flush()
	}
	bw := bufio.NewWriter(w)
	t.lines(func(cells [5]string) {
		// fmt pads to a width in runes, as tabwriter measures cells.
		fmt.Fprintf(bw, "%-*s%-*s%-*s%-*s%s\n", widths[0]+2, cells[0], widths[1]+2, cells[1], widths[2]+2, cells[2], widths[3]+2, cells[3], cells[4])
	}, header)
	return bw.Flush()
}

// lines hands each line's cells to fn: the header, then each row shown
// (a timeline, --alias or --group, shows changes only).
func (t *table) lines(fn func([5]string), header [5]string) {
	fn(header)
	prev := ""
	for _, r := range t.rows {
		at := r.time.Format(time.RFC3339)
		if r.errMsg != "" {
			fn([5]string{at, r.hash, "-", "-", "unreadable: " + r.errMsg})
			continue
		}
		summary := r.summary
		if (t.o.Alias != "" || t.o.Group != "") && summary == prev && len(r.flags) == 0 {
			continue
		}
		prev = summary
		for _, f := range r.flags {
			summary += "  !! " + f
		}
		fn([5]string{at, r.hash, fmt.Sprintf("%.8s", r.lineage), strconv.FormatUint(r.serial, 10), summary})
	}
}
