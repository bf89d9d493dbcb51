// Package pick is `rolloutctl pick SOURCE`: the newest known-good revision
// to return to, what to do about it, and optionally the state to push.
package pick

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmdutil"
	"github.com/rollout-tf/terraform-provider-rollout/internal/statehistory"
)

// Options are pick's flags and arguments.
type Options struct {
	cmdutil.SourceOptions
	Before     string
	Group      string
	WriteState string
	DropNew    bool

	f *cmdutil.Factory
}

// New parses pick's command line.
func New(f *cmdutil.Factory, args []string) (*Options, error) {
	o := &Options{f: f}
	fs := f.NewFlagSet("pick")
	o.Flags(fs)
	fs.StringVar(&o.Before, "before", "", "pick before this revision (default: the newest)")
	fs.StringVar(&o.Group, "group", "", "pick for one rollout_alias_group (by name): the newest revision in which every member was known-good, all members together")
	fs.StringVar(&o.WriteState, "write-state", "", "write the picked revision, with the current lineage and the next serial, for terraform state push")
	fs.BoolVar(&o.DropNew, "drop-new-resources", false, "with --write-state: write it even though it drops resources created after the picked revision (they are listed)")
	pos, err := cmdutil.ParseFlags(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) != 1 {
		return nil, cmdutil.UsageError{Msg: "pick takes one SOURCE"}
	}
	o.Source = pos[0]
	return o, nil
}

// Run picks, prints, and with --write-state writes the state to push;
// cmdutil.ErrNoneFound when no revision is known-good.
func Run(ctx context.Context, o *Options) error {
	src, err := o.Open(ctx, o.f)
	if err != nil {
		return err
	}
	// Read newest first, holding only the revisions the pick looks at.
	p, top, err := statehistory.PickFrom(ctx, src, o.Before, o.Group)
	if err != nil {
		return err
	}
	written := o.WriteState
	if p.Chosen != nil && o.WriteState != "" {
		if p.Dropped, err = statehistory.DroppedBy(ctx, *p.Chosen, p.Reference); err != nil {
			return err
		}
		if len(p.Dropped) > 0 && !o.DropNew {
			written = ""
			err = fmt.Errorf("not writing %s: the picked revision %s does not hold %d resource(s) the current state holds (created after it):\n  %s\n"+
				"Pushed, that state would drop them: Terraform would forget resources that still exist and the next plan would not show them. "+
				"Destroy or move them first, or pass --drop-new-resources to write it anyway (then import them again if they are to stay)",
				o.WriteState, label(*p.Chosen), len(p.Dropped), strings.Join(p.Dropped, "\n  "))
		} else {
			b, werr := statehistory.WriteStateAt(ctx, *p.Chosen, p.Reference, top)
			if werr != nil {
				return werr
			}
			if werr := os.WriteFile(o.WriteState, b, 0o600); werr != nil {
				return werr
			}
		}
	}
	if o.JSON {
		if err := cmdutil.WriteJSON(o.f.IO.Out, p); err != nil {
			return err
		}
	} else {
		printPick(o.f.IO.Out, p, written)
	}
	if err != nil {
		return err
	}
	if p.Chosen == nil {
		return cmdutil.ErrNoneFound
	}
	return nil
}

// label names a revision for humans: its file name, or for an S3 object
// version (long ids with a common prefix) its content hash.
func label(r statehistory.Revision) string {
	if len(r.ID) > 20 {
		return r.Hash
	}
	return r.ID
}

func printPick(w io.Writer, p statehistory.Pick, written string) {
	fmt.Fprintf(w, "Reference: revision %s (serial %d, %s)\n", label(p.Reference), p.Reference.Serial, p.Reference.Time.Format(time.RFC3339))
	if p.Group != "" {
		fmt.Fprintf(w, "Group: %s (every member returns together)\n", p.Group)
	}
	for _, r := range p.Rejected {
		fmt.Fprintf(w, "  rejected %s (serial %d): %s\n", label(r.Revision), r.Revision.Serial, strings.Join(r.Reasons, "; "))
	}
	if p.Chosen == nil {
		fmt.Fprintln(w, "No known-good revision before the reference.")
		return
	}
	fmt.Fprintf(w, "Known-good: revision %s (serial %d, %s)\n\n", label(*p.Chosen), p.Chosen.Serial, p.Chosen.Time.Format(time.RFC3339))
	if len(p.Releases) > 0 {
		fmt.Fprintf(w, "Check out release %s of the configuration and apply it.\n", strings.Join(p.Releases, ", "))
	}
	for _, c := range p.Checkout {
		fmt.Fprintf(w, "Check out %s, and apply it.\n", c)
	}
	for _, a := range p.Aliases {
		release := ""
		switch {
		case a.Release != "":
			release = " (" + a.Release + ")"
		case len(a.Code) >= 8:
			release = " (code " + a.Code[:8] + ")"
		}
		if a.From == a.To {
			fmt.Fprintf(w, "  alias %s stays on version %s%s\n", a.Address, a.To, release)
			continue
		}
		fmt.Fprintf(w, "  alias %s returns to version %s%s, from %s\n", a.Address, a.To, release, a.From)
	}
	for _, m := range p.Members {
		release := ""
		if m.Release != "" {
			release = " (" + m.Release + ")"
		}
		switch m.From {
		case "":
			fmt.Fprintf(w, "  group %s member %s (%s:%s) comes back on version %s%s\n", m.Group, m.Key, m.Function, m.Alias, m.To, release)
		case m.To:
			fmt.Fprintf(w, "  group %s member %s (%s:%s) stays on version %s%s\n", m.Group, m.Key, m.Function, m.Alias, m.To, release)
		default:
			fmt.Fprintf(w, "  group %s member %s (%s:%s) returns to version %s%s, from %s\n", m.Group, m.Key, m.Function, m.Alias, m.To, release, m.From)
		}
	}
	if len(p.ExpectPlan) > 0 {
		fmt.Fprintln(w, "\nThe plan to expect:")
		for _, l := range p.ExpectPlan {
			fmt.Fprintln(w, "  "+l)
		}
	}
	for _, n := range p.Notes {
		fmt.Fprintln(w, "\n"+n)
	}
	if written != "" {
		fmt.Fprintf(w, "\nWrote %s (lineage kept, serial bumped): terraform state push %s\n", written, written)
		if len(p.Dropped) > 0 {
			fmt.Fprintf(w, "It drops %d resource(s) created after the picked revision (--drop-new-resources); Terraform will no longer manage them:\n  %s\n",
				len(p.Dropped), strings.Join(p.Dropped, "\n  "))
		}
	}
}
