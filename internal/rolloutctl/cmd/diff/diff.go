// Package diff is `rolloutctl diff SOURCE REV_A REV_B`: what changed between
// two revisions of a state, secrets redacted.
package diff

import (
	"context"
	"fmt"
	"strings"

	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmdutil"
	"github.com/rollout-tf/terraform-provider-rollout/internal/statehistory"
)

// Options are diff's flags and arguments.
type Options struct {
	cmdutil.SourceOptions
	A, B string
	All  bool

	f *cmdutil.Factory
}

// New parses diff's command line.
func New(f *cmdutil.Factory, args []string) (*Options, error) {
	o := &Options{f: f}
	fs := f.NewFlagSet("diff")
	o.Flags(fs)
	fs.BoolVar(&o.All, "all", false, "every resource, not only rollout_*")
	pos, err := cmdutil.ParseFlags(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) != 3 {
		return nil, cmdutil.UsageError{Msg: "diff takes SOURCE REV_A REV_B"}
	}
	o.Source, o.A, o.B = pos[0], pos[1], pos[2]
	return o, nil
}

// find returns the revision named by id: a revision id, a content hash, or
// an unambiguous prefix of an id.
func find(revs []statehistory.Revision, id string) (statehistory.Revision, error) {
	var match []statehistory.Revision
	for _, r := range revs {
		if r.ID == id || r.Hash == id {
			return r, nil
		}
		if strings.HasPrefix(r.ID, id) {
			match = append(match, r)
		}
	}
	switch len(match) {
	case 1:
		return match[0], nil
	case 0:
		return statehistory.Revision{}, fmt.Errorf("no revision %q (see rolloutctl history)", id)
	}
	return statehistory.Revision{}, fmt.Errorf("revision %q is ambiguous (%d match)", id, len(match))
}

// outsideLine says how many resources outside the rollout view changed.
func outsideLine(n int) string {
	if n == 1 {
		return "1 resource outside it changed (--all shows it)"
	}
	return fmt.Sprintf("%d resources outside it changed (--all shows them)", n)
}

// Run prints the differences: the rollout view (rollout_* and the AWS
// provider's Lambda resources) attribute by attribute, and how many other
// resources changed; with --all, every resource.
func Run(ctx context.Context, o *Options) error {
	revs, err := o.Revisions(ctx, o.f)
	if err != nil {
		return err
	}
	a, err := find(revs, o.A)
	if err != nil {
		return err
	}
	b, err := find(revs, o.B)
	if err != nil {
		return err
	}
	sa, _, err := a.Load(ctx)
	if err != nil {
		return fmt.Errorf("revision %s: %w", a.ID, err)
	}
	sb, _, err := b.Load(ctx)
	if err != nil {
		return fmt.Errorf("revision %s: %w", b.ID, err)
	}
	changes := statehistory.Diff(sa, sb, o.All)
	outside := 0
	if !o.All {
		outside = statehistory.OutsideView(sa, sb)
	}
	out := o.f.IO.Out
	if o.JSON {
		if outside > 0 {
			// stdout stays the list of changes; the count goes to stderr.
			fmt.Fprintln(o.f.IO.ErrOut, outsideLine(outside))
		}
		return cmdutil.WriteJSON(out, changes)
	}
	switch {
	case len(changes) == 0 && outside == 0:
		fmt.Fprintln(out, "no differences")
		return nil
	case len(changes) == 0:
		fmt.Fprintf(out, "no differences in the rollout view; %s\n", outsideLine(outside))
		return nil
	}
	defer func() {
		if outside > 0 {
			fmt.Fprintf(out, "\nand %s\n", outsideLine(outside))
		}
	}()
	last := ""
	for _, c := range changes {
		if c.Kind != "~" {
			fmt.Fprintf(out, "%s %s\n", c.Kind, c.Address)
			continue
		}
		if c.Address != last {
			fmt.Fprintf(out, "~ %s\n", c.Address)
			last = c.Address
		}
		fmt.Fprintf(out, "    %s: %s -> %s\n", c.Path, c.Old, c.New)
	}
	return nil
}
