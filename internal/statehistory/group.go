package statehistory

import (
	"fmt"
	"sort"
	"strings"
)

// groupType is the provider's release group: one resource owning the
// aliases of several functions, moved as one release.
const groupType = "rollout_alias_group"

// GroupView is what one rollout_alias_group says in a revision: its
// members (sorted by key) and its last release.
type GroupView struct {
	Address    string       `json:"address"`
	Name       string       `json:"name"`
	Members    []MemberView `json:"members"`
	Deployment string       `json:"deployment,omitempty"`
	Reason     string       `json:"reason,omitempty"`
	// Member and Gate name what ended the last release, if a gate did.
	Member string `json:"member,omitempty"`
	Gate   string `json:"gate,omitempty"`
}

// MemberView is one member of a group: the alias it owns and what that
// alias serves.
type MemberView struct {
	Key            string  `json:"key"`
	Function       string  `json:"function"`
	Alias          string  `json:"alias"`
	Primary        string  `json:"primary"`
	Release        string  `json:"release,omitempty"`
	RoutingVersion string  `json:"routing_version,omitempty"`
	RoutingWeight  float64 `json:"routing_weight,omitempty"`
	// FromVersion and ToVersion are the member's move in the group's last
	// release (empty when the release left it unchanged).
	FromVersion string `json:"from_version,omitempty"`
	ToVersion   string `json:"to_version,omitempty"`
}

// Groups lists the rollout_alias_group instances of a state.
func Groups(s *State) []GroupView {
	var out []GroupView
	for _, r := range s.Resources {
		if r.Type != groupType || r.Mode != "managed" {
			continue
		}
		for _, i := range r.Instances {
			if i.Deposed != "" {
				continue
			}
			out = append(out, groupView(s, r, i))
		}
	}
	return out
}

func groupView(s *State, r Resource, i Instance) GroupView {
	g := GroupView{Address: r.Address(i), Name: str(i.Attributes, "name")}
	moves := map[string]map[string]any{}
	if d, ok := i.Attributes["deployment"].(map[string]any); ok {
		g.Deployment, g.Reason, g.Member, g.Gate = str(d, "status"), str(d, "reason"), str(d, "member"), str(d, "gate")
		if ms, ok := d["members"].(map[string]any); ok {
			for k, v := range ms {
				if m, ok := v.(map[string]any); ok {
					moves[k] = m
				}
			}
		}
	}
	members, _ := i.Attributes["members"].(map[string]any)
	for k, v := range members {
		m, ok := v.(map[string]any)
		if !ok {
			continue
		}
		mv := MemberView{Key: k, Function: str(m, "function_name"), Alias: str(m, "alias"), Primary: str(m, "function_version")}
		mv.Release = releaseOf(s, mv.Function, mv.Primary)
		if rt, ok := m["routing"].(map[string]any); ok {
			mv.RoutingVersion = str(rt, "version")
			mv.RoutingWeight, _ = rt["weight"].(float64)
		}
		if mo := moves[k]; mo != nil {
			mv.FromVersion, mv.ToVersion = str(mo, "from_version"), str(mo, "to_version")
		}
		g.Members = append(g.Members, mv)
	}
	sort.Slice(g.Members, func(a, b int) bool { return g.Members[a].Key < g.Members[b].Key })
	return g
}

// Describe is the one-line summary of a group: each member's alias and
// version, then the last release's outcome.
func (g GroupView) Describe() string {
	parts := make([]string, 0, len(g.Members))
	for _, m := range g.Members {
		parts = append(parts, m.Describe())
	}
	s := fmt.Sprintf("group %s {%s}", g.Name, strings.Join(parts, ", "))
	if g.Deployment != "" {
		s += " [" + g.Deployment
		if g.Member != "" && g.Deployment != "promoted" {
			s += " by " + g.Member
		}
		s += "]"
	}
	return s
}

// Describe is the summary of one member: key=function:alias version
// (release), and any split.
func (m MemberView) Describe() string {
	s := fmt.Sprintf("%s=%s:%s %s", m.Key, m.Function, m.Alias, m.Primary)
	if m.Release != "" {
		s += " (" + m.Release + ")"
	}
	if m.RoutingVersion != "" {
		s += fmt.Sprintf(" + %g%% on %s", m.RoutingWeight*100, m.RoutingVersion)
	}
	return s
}

// Group returns the group named name in the revision.
func (r Revision) Group(name string) (GroupView, bool) {
	for _, g := range r.Groups {
		if g.Name == name {
			return g, true
		}
	}
	return GroupView{}, false
}

// groupReasons says why the group makes a revision no known-good target:
// a release in progress, rolled back or aborted, or a member left split.
func groupReasons(g GroupView) []string {
	var why []string
	switch g.Deployment {
	case "in_progress", "rolled_back", "aborted":
		what := g.Reason
		if g.Member != "" && g.Gate != "" {
			what = fmt.Sprintf("member %s, gate %s: %s", g.Member, g.Gate, g.Reason)
		}
		why = append(why, fmt.Sprintf("group %s: release %s (%s)", g.Name, g.Deployment, what))
	}
	for _, m := range g.Members {
		if m.RoutingVersion != "" {
			why = append(why, fmt.Sprintf("group %s: member %s (%s:%s) is split: %g%% on version %s", g.Name, m.Key, m.Function, m.Alias, m.RoutingWeight*100, m.RoutingVersion))
		}
	}
	return why
}

// sameMembers reports whether two views of a group serve the same
// versions on every member.
func sameMembers(a, b GroupView) bool {
	if len(a.Members) != len(b.Members) {
		return false
	}
	for i := range a.Members {
		if a.Members[i].Key != b.Members[i].Key || a.Members[i].Primary != b.Members[i].Primary {
			return false
		}
	}
	return true
}

// PickGroup returns the newest revision before the reference in which the
// group named name was known-good as a whole: every member on one version,
// the group's release not rolled back, aborted or in progress, and at
// least one member on another version than the reference. The advice
// covers every member: the releases to check out, each member's move, and
// the plan to expect for the group and the members' functions.
func PickGroup(revs []Revision, before, name string) (Pick, error) {
	refIdx, err := referenceIndex(revs, before)
	if err != nil {
		return Pick{}, err
	}
	ref := revs[refIdx]
	refGroup, ok := ref.Group(name)
	if !ok {
		return Pick{}, unknownGroup(name, ref)
	}
	p := Pick{Reference: ref, Group: name}
	for i := refIdx - 1; i >= 0; i-- {
		rev := revs[i]
		why, g := groupCandidateReasons(revs, i, refIdx, name, refGroup)
		if len(why) > 0 {
			p.Rejected = append(p.Rejected, Rejection{Revision: rev, Reasons: why})
			continue
		}
		c := rev
		p.Chosen = &c
		p.advise(g, refGroup)
		break
	}
	return p, nil
}

// groupCandidateReasons says why revs[i] is no known-good target for the
// group named name, whose view in the reference revs[refIdx] is refGroup
// (none: it is), with the group's view in revs[i]; it reads
// revs[i:refIdx+1] only.
func groupCandidateReasons(revs []Revision, i, refIdx int, name string, refGroup GroupView) ([]string, GroupView) {
	rev, ref := revs[i], revs[refIdx]
	g, found := rev.Group(name)
	switch {
	case !rev.Readable():
		return []string{"unreadable: " + rev.Error}, g
	case rev.Lineage != ref.Lineage:
		return []string{"different lineage " + short(rev.Lineage) + " (another state; restoring it would replace, not roll back)"}, g
	case !found:
		return []string{fmt.Sprintf("group %s is not in this revision", name)}, g
	}
	why := groupReasons(g)
	if sameMembers(g, refGroup) && sameFunctionsOf(rev, ref, memberFunctions(g)) {
		why = append(why, "every member and its function run the same version as in the reference: nothing to return to")
	}
	return append(why, leftReasons(revs, i, refIdx, memberFunctions(g))...), g
}

// sameFunctionsOf reports whether the functions named in names have the
// same versions in a and b (a group rolled back serves its old versions
// again, but its functions still hold the bad release: returning means
// adopting the old versions there too).
func sameFunctionsOf(a, b Revision, names map[string]bool) bool {
	pick := func(fs []FunctionView) []FunctionView {
		var out []FunctionView
		for _, f := range fs {
			if names[f.Function] {
				out = append(out, f)
			}
		}
		return out
	}
	fa, fb := pick(a.Functions), pick(b.Functions)
	return len(fa) == 0 && len(fb) == 0 || sameFunctions(fa, fb)
}

// memberFunctions is the set of function names a group's members belong to.
func memberFunctions(g GroupView) map[string]bool {
	out := map[string]bool{}
	for _, m := range g.Members {
		out[m.Function] = true
	}
	return out
}

// advise fills a group pick's moves, releases and expected plan: the
// members' functions, then the members.
func (p *Pick) advise(g, refGroup GroupView) {
	fns := memberFunctions(g)
	refFns := map[string]FunctionView{}
	for _, f := range p.Reference.Functions {
		refFns[f.Address] = f
	}
	releases := map[string]bool{}
	for _, f := range p.Chosen.Functions {
		if !fns[f.Function] {
			continue
		}
		from := refFns[f.Address].Version
		p.Functions = append(p.Functions, Move{Address: f.Address, From: from, To: f.Version, Release: f.Release, Code: f.Code})
		if f.Release != "" {
			releases[f.Release] = true
		}
		if from != f.Version && f.Resource != awsFunction {
			p.ExpectPlan = append(p.ExpectPlan, fmt.Sprintf("~ %s: version %q -> %q (a retained version: adopted, nothing published)", f.Address, from, f.Version))
		}
	}
	p.adviseMembers(g, refGroup, releases)
	p.Releases = sortedKeys(releases)
}

// adviseMembers adds each member's move and its line of the plan to
// expect, and the members' releases to releases.
func (p *Pick) adviseMembers(g, refGroup GroupView, releases map[string]bool) {
	refMembers := map[string]MemberView{}
	for _, m := range refGroup.Members {
		refMembers[m.Key] = m
	}
	for _, m := range g.Members {
		from := refMembers[m.Key]
		p.Members = append(p.Members, MemberMove{Group: g.Name, Key: m.Key, Function: m.Function, Alias: m.Alias,
			Move: Move{Address: fmt.Sprintf("%s.members[%q]", g.Address, m.Key), From: from.Primary, To: m.Primary, Release: m.Release}})
		if m.Release != "" {
			releases[m.Release] = true
		}
		switch {
		case from.Key == "":
			p.ExpectPlan = append(p.ExpectPlan, fmt.Sprintf("~ %s: members[%q] added (%s:%s on version %q)", g.Address, m.Key, m.Function, m.Alias, m.Primary))
		case from.Primary != m.Primary:
			p.ExpectPlan = append(p.ExpectPlan, fmt.Sprintf("~ %s: members[%q].function_version %q -> %q (%s:%s; the members that change move together: at once if promoted recently, otherwise through the canary policy)",
				g.Address, m.Key, from.Primary, m.Primary, m.Function, m.Alias))
		}
	}
	for _, m := range refGroup.Members {
		if _, ok := g.MemberByKey(m.Key); !ok {
			p.ExpectPlan = append(p.ExpectPlan, fmt.Sprintf("~ %s: members[%q] removed (its alias %s:%s is deleted)", g.Address, m.Key, m.Function, m.Alias))
		}
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// MemberByKey returns the member with key.
func (g GroupView) MemberByKey(key string) (MemberView, bool) {
	for _, m := range g.Members {
		if m.Key == key {
			return m, true
		}
	}
	return MemberView{}, false
}

// MemberMove is what one group member does when the picked revision is applied.
type MemberMove struct {
	Group    string `json:"group"`
	Key      string `json:"key"`
	Function string `json:"function"`
	Alias    string `json:"alias"`
	Move
}

// unknownGroup is --group naming a group the reference does not hold.
func unknownGroup(name string, ref Revision) error {
	if len(ref.Groups) == 0 {
		return fmt.Errorf("no group %q in revision %s: it holds no rollout_alias_group", name, revisionLabel(ref))
	}
	have := make([]string, 0, len(ref.Groups))
	for _, g := range ref.Groups {
		have = append(have, g.Name)
	}
	return fmt.Errorf("no group %q in revision %s; its groups: %s", name, revisionLabel(ref), strings.Join(have, ", "))
}
