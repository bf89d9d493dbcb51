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

// finder finds the revision named by id (a revision id, a content hash,
// or an unambiguous prefix of an id) among the revisions it sees, oldest
// first, holding only the first exact match and the first prefix match.
type finder struct {
	id       string
	exact    *statehistory.Revision
	prefix   statehistory.Revision
	prefixes int
}

func (f *finder) see(r statehistory.Revision) {
	switch {
	case f.exact != nil:
	case r.ID == f.id || r.Hash == f.id:
		f.exact = &r
	case strings.HasPrefix(r.ID, f.id):
		if f.prefixes == 0 {
			f.prefix = r
		}
		f.prefixes++
	}
}

func (f *finder) found() (statehistory.Revision, error) {
	switch {
	case f.exact != nil:
		return *f.exact, nil
	case f.prefixes == 1:
		return f.prefix, nil
	case f.prefixes == 0:
		return statehistory.Revision{}, fmt.Errorf("no revision %q (see rolloutctl history)", f.id)
	}
	return statehistory.Revision{}, fmt.Errorf("revision %q is ambiguous (%d match)", f.id, f.prefixes)
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
	// The history is walked, not held (issue 22): only the two revisions
	// named are kept.
	src, err := o.Open(ctx, o.f)
	if err != nil {
		return err
	}
	fa, fb := finder{id: o.A}, finder{id: o.B}
	if _, err := statehistory.Walk(ctx, src, func(r statehistory.Revision) error {
		fa.see(r)
		fb.see(r)
		return nil
	}); err != nil {
		return err
	}
	a, err := fa.found()
	if err != nil {
		return err
	}
	b, err := fb.found()
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
