// Package history is `rolloutctl history SOURCE`: one line per revision of
// a state, or one alias's or one group's timeline.
package history

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

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
	revs, err := o.Revisions(ctx, o.f)
	if err != nil {
		return err
	}
	var lines []line
	names, groups := map[string]bool{}, map[string]bool{}
	for _, r := range revs {
		l := line{Revision: r, Functions: r.Functions}
		for _, a := range r.Aliases {
			names[a.Name] = true
			if o.Alias == "" && o.Group == "" || a.Name == o.Alias {
				l.Aliases = append(l.Aliases, a)
			}
		}
		for _, g := range r.Groups {
			groups[g.Name] = true
			if o.Alias == "" && (o.Group == "" || g.Name == o.Group) {
				l.Groups = append(l.Groups, g)
			}
		}
		lines = append(lines, l)
	}
	if o.Alias != "" && !names[o.Alias] {
		return unknownName("alias", o.Alias, names)
	}
	if o.Group != "" && !groups[o.Group] {
		return unknownName("group", o.Group, groups)
	}
	if o.JSON {
		return cmdutil.WriteJSON(o.f.IO.Out, lines)
	}
	tw := tabwriter.NewWriter(o.f.IO.Out, 0, 4, 2, ' ', 0)
	traffic := "ALIASES"
	for _, l := range lines {
		if len(l.Groups) > 0 {
			traffic = "ALIASES AND GROUPS"
			break
		}
	}
	fmt.Fprintln(tw, "TIME\tREVISION\tLINEAGE\tSERIAL\t"+traffic)
	// REVISION is the content hash: short, unique per content, and accepted
	// wherever a revision is named (diff, pick --before); --json has the
	// source's own version ids.
	prev := ""
	for _, l := range lines {
		if l.Error != "" {
			fmt.Fprintf(tw, "%s\t%s\t-\t-\tunreadable: %s\n", l.Time.Format(time.RFC3339), l.Hash, l.Error)
			continue
		}
		var parts []string
		for _, a := range l.Aliases {
			parts = append(parts, a.Describe())
		}
		for _, g := range l.Groups {
			parts = append(parts, g.Describe())
		}
		summary := strings.Join(parts, "; ")
		if (o.Alias != "" || o.Group != "") && summary == prev && len(l.Flags) == 0 {
			continue // a timeline shows changes only
		}
		prev = summary
		for _, f := range l.Flags {
			summary += "  !! " + f
		}
		fmt.Fprintf(tw, "%s\t%s\t%.8s\t%d\t%s\n", l.Time.Format(time.RFC3339), l.Hash, l.Lineage, l.Serial, summary)
	}
	return tw.Flush()
}
