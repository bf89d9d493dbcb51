package status

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmdutil"
	"github.com/rollout-tf/terraform-provider-rollout/internal/statehistory"
)

// The group view: every member of a rollout_alias_group, each drawn as the
// single-alias view (split, rollout progress, gates, per-version metrics),
// under a header with the group's last release as the state records it.

// member is one alias of a group: its key (empty when given by --member).
type member struct {
	Key      string
	Function string
	Alias    string
}

// memberFlags is --member FUNCTION:ALIAS, repeated.
type memberFlags []member

func (m *memberFlags) String() string {
	if m == nil {
		return ""
	}
	parts := make([]string, 0, len(*m))
	for _, x := range *m {
		parts = append(parts, x.Function+":"+x.Alias)
	}
	return strings.Join(parts, ",")
}

func (m *memberFlags) Set(v string) error {
	fn, alias, ok := strings.Cut(v, ":")
	if !ok || fn == "" || alias == "" || strings.Contains(alias, ":") {
		return fmt.Errorf("want FUNCTION:ALIAS, for example --member orders-api:live")
	}
	*m = append(*m, member{Function: fn, Alias: alias})
	return nil
}

// groupOptions checks a --group command line: its members from one state
// (the positional SOURCE) or from --member, never both.
func (o *Options) groupOptions(pos []string) (*Options, error) {
	switch {
	case o.Group == "":
		return nil, cmdutil.UsageError{Msg: "--member names a member of --group: add --group NAME (for example --group checkout)"}
	case o.Function != "" || o.Alias != "":
		return nil, cmdutil.UsageError{Msg: "status takes --group or --function/--alias, not both: a group names its members' aliases"}
	case len(pos) > 1:
		return nil, cmdutil.UsageError{Msg: "status --group takes one SOURCE: the state that holds the group"}
	case o.State != "" && (len(pos) > 0 || len(o.Members) > 0):
		return nil, cmdutil.UsageError{Msg: "status --state --group reads the group's last release from that state: drop SOURCE and --member"}
	case o.State != "":
		return o, nil
	case len(pos) == 1 && len(o.Members) > 0:
		return nil, cmdutil.UsageError{Msg: "status --group takes its members from a state or from --member, not both"}
	case len(pos) == 0 && len(o.Members) == 0:
		return nil, cmdutil.UsageError{Msg: fmt.Sprintf("status --group needs the group's members: give the state that holds the group (rolloutctl status --group %s terraform.tfstate, "+
			"or - for terraform state pull) or each member (--member orders-api:live --member orders-worker:live)", o.Group)}
	}
	if len(pos) == 1 {
		o.Source = pos[0]
	}
	return o, nil
}

// groupSource returns the group as the newest readable revision of the
// state at src records it.
func groupSource(ctx context.Context, f *cmdutil.Factory, src, name string) (statehistory.GroupView, error) {
	rev, err := cmdutil.SourceOptions{Source: src}.Newest(ctx, f)
	if err != nil {
		return statehistory.GroupView{}, err
	}
	if g, ok := rev.Group(name); ok {
		return g, nil
	}
	var have []string
	for _, g := range rev.Groups {
		have = append(have, g.Name)
	}
	if len(have) == 0 {
		return statehistory.GroupView{}, fmt.Errorf("no rollout_alias_group named %q in %s: it holds no group", name, src)
	}
	return statehistory.GroupView{}, fmt.Errorf("no rollout_alias_group named %q in %s; its groups: %s", name, src, strings.Join(have, ", "))
}

// groupMembers are the members to draw: from the state (with the group's
// last release, for the header) or from --member.
func (o *Options) groupMembers(ctx context.Context) (groupLive, error) {
	if o.Source == "" {
		return groupLive{members: o.Members}, nil
	}
	g, err := groupSource(ctx, o.f, o.Source, o.Group)
	if err != nil {
		return groupLive{}, err
	}
	gl := groupLive{state: &g}
	for _, m := range g.Members {
		gl.members = append(gl.members, member{Key: m.Key, Function: m.Function, Alias: m.Alias})
	}
	return gl, nil
}

// groupLive is what the group view draws: the members, and the group as
// the state recorded it (nil when the members came from --member).
type groupLive struct {
	members []member
	state   *statehistory.GroupView
}

// groupFrame draws every member's live view under the group's header; a
// member that cannot be read shows its error in its place, and the frame's
// error names every such member.
func groupFrame(ctx context.Context, o *Options, gl groupLive) ([]byte, error) {
	c, err := o.Lambda(ctx, o.f)
	if err != nil {
		return nil, err
	}
	var text bytes.Buffer
	fmt.Fprintf(&text, "group %s: %d member(s)", o.Group, len(gl.members))
	if gl.state != nil {
		fmt.Fprintf(&text, " from %s", o.Source)
		if line := lastRelease(*gl.state); line != "" {
			fmt.Fprintf(&text, "\n  last release: %s", line)
		}
	}
	fmt.Fprintln(&text)
	var views []map[string]any
	var failed []string
	for _, m := range gl.members {
		name := m.Function + ":" + m.Alias
		if m.Key != "" {
			name = m.Key + " (" + name + ")"
		}
		out, body, err := aliasView(ctx, o, c, m.Function, m.Alias)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			failed = append(failed, name)
			out = map[string]any{"alias": m.Alias, "error": err.Error()}
			body = []byte(fmt.Sprintf("%s:%s: %v\n", m.Function, m.Alias, err))
		}
		out["function"] = m.Function
		if m.Key != "" {
			out["key"] = m.Key
		}
		views = append(views, out)
		fmt.Fprintf(&text, "\nmember %s\n", name)
		text.Write(body)
	}
	var frameErr error
	if len(failed) > 0 {
		frameErr = fmt.Errorf("group %s: %d member(s) could not be read: %s", o.Group, len(failed), strings.Join(failed, ", "))
	}
	if !o.JSON {
		return text.Bytes(), frameErr
	}
	doc := map[string]any{"group": o.Group, "members": views}
	if gl.state != nil {
		doc["source"] = o.Source
		doc["last_release"] = releaseJSON(*gl.state)
	}
	var w bytes.Buffer
	if err := cmdutil.WriteJSON(&w, doc); err != nil {
		return nil, err
	}
	return w.Bytes(), frameErr
}

// lastRelease is the group's last release in one line.
func lastRelease(g statehistory.GroupView) string {
	if g.Deployment == "" {
		return ""
	}
	var moved []string
	for _, m := range g.Members {
		if m.ToVersion != "" {
			moved = append(moved, fmt.Sprintf("%s %s -> %s", m.Key, m.FromVersion, m.ToVersion))
		}
	}
	sort.Strings(moved)
	line := g.Deployment
	if len(moved) > 0 {
		line += " (" + strings.Join(moved, ", ") + ")"
	}
	if g.Member != "" && g.Gate != "" {
		line += fmt.Sprintf(", ended by member %s, gate %s", g.Member, g.Gate)
	}
	if g.Reason != "" {
		line += ": " + g.Reason
	}
	return line
}

func releaseJSON(g statehistory.GroupView) map[string]any {
	moves := map[string]any{}
	for _, m := range g.Members {
		if m.ToVersion != "" {
			moves[m.Key] = map[string]string{"from_version": m.FromVersion, "to_version": m.ToVersion}
		}
	}
	return map[string]any{"status": g.Deployment, "member": g.Member, "gate": g.Gate, "reason": g.Reason, "members": moves}
}

// runGroupState reports the group's last release as the newest readable
// revision of a state records it: each member's version and split, the
// outcome, and with --exit-code the outcome as the exit code (as for one
// alias: 0 done, 4 in progress, 5 rolled back, 6 aborted).
func runGroupState(ctx context.Context, o *Options) error {
	g, err := groupSource(ctx, o.f, o.State, o.Group)
	if err != nil {
		return err
	}
	outcome, code := "done", cmdutil.ExitOK
	switch g.Deployment {
	case "in_progress":
		outcome, code = "in progress", cmdutil.ExitInProgress
	case "rolled_back":
		outcome, code = "rolled back", cmdutil.ExitRolledBack
	case "aborted":
		outcome, code = "aborted", cmdutil.ExitAborted
	}
	if o.JSON {
		if err := cmdutil.WriteJSON(o.f.IO.Out, map[string]any{"group": g.Name, "outcome": outcome, "exit_code": code,
			"last_release": releaseJSON(g), "members": g.Members}); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(o.f.IO.Out, "group %s: %s\n", g.Name, outcome)
		if line := lastRelease(g); line != "" {
			fmt.Fprintf(o.f.IO.Out, "  last release: %s\n", line)
		}
		for _, m := range g.Members {
			fmt.Fprintf(o.f.IO.Out, "  member %s\n", m.Describe())
		}
	}
	if o.ExitCode && code != cmdutil.ExitOK {
		return cmdutil.StatusCode(code)
	}
	return nil
}
