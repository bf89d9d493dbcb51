package statehistory

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// AliasView is what one rollout_alias says in a revision.
type AliasView struct {
	Address        string  `json:"address"`
	Function       string  `json:"function"`
	Name           string  `json:"name"`
	Primary        string  `json:"primary"`
	Release        string  `json:"release,omitempty"`
	RoutingVersion string  `json:"routing_version,omitempty"`
	RoutingWeight  float64 `json:"routing_weight,omitempty"`
	Deployment     string  `json:"deployment,omitempty"`
	Reason         string  `json:"reason,omitempty"`
	// Gate and ToVersion are the deployment's gate (what ended it) and the
	// version it moved to.
	Gate      string `json:"gate,omitempty"`
	ToVersion string `json:"to_version,omitempty"`
}

// FunctionView is what one rollout_function says in a revision.
type FunctionView struct {
	Address  string `json:"address"`
	Function string `json:"function"`
	Version  string `json:"version"`
	Release  string `json:"release,omitempty"`
}

func str(m map[string]any, k string) string {
	if v, ok := m[k].(string); ok {
		return v
	}
	return ""
}

// Functions lists the rollout_function instances of a state.
func Functions(s *State) []FunctionView {
	var out []FunctionView
	for _, r := range s.Resources {
		if r.Type != "rollout_function" || r.Mode != "managed" {
			continue
		}
		for _, i := range r.Instances {
			if i.Deposed != "" {
				continue
			}
			out = append(out, FunctionView{Address: r.Address(i), Function: str(i.Attributes, "function_name"),
				Version: str(i.Attributes, "version"), Release: str(i.Attributes, "release")})
		}
	}
	return out
}

// releaseOf finds the release recorded for a function version.
func releaseOf(s *State, function, version string) string {
	for _, r := range s.Resources {
		if r.Type != "rollout_function" {
			continue
		}
		for _, i := range r.Instances {
			if str(i.Attributes, "function_name") != function {
				continue
			}
			if vs, ok := i.Attributes["versions"].([]any); ok {
				for _, v := range vs {
					if m, ok := v.(map[string]any); ok && str(m, "number") == version && str(m, "release") != "" {
						return str(m, "release")
					}
				}
			}
			if str(i.Attributes, "version") == version {
				return str(i.Attributes, "release")
			}
		}
	}
	return ""
}

// Aliases lists the rollout_alias instances of a state.
func Aliases(s *State) []AliasView {
	var out []AliasView
	for _, r := range s.Resources {
		if r.Type != "rollout_alias" || r.Mode != "managed" {
			continue
		}
		for _, i := range r.Instances {
			if i.Deposed != "" {
				continue
			}
			a := AliasView{Address: r.Address(i), Function: str(i.Attributes, "function_name"), Name: str(i.Attributes, "name"),
				Primary: str(i.Attributes, "function_version")}
			a.Release = releaseOf(s, a.Function, a.Primary)
			if rt, ok := i.Attributes["routing"].(map[string]any); ok {
				a.RoutingVersion = str(rt, "version")
				a.RoutingWeight, _ = rt["weight"].(float64)
			}
			if d, ok := i.Attributes["deployment"].(map[string]any); ok {
				a.Deployment, a.Reason = str(d, "status"), str(d, "reason")
				a.Gate, a.ToVersion = str(d, "gate"), str(d, "to_version")
				if a.Deployment == "in_progress" && str(d, "to_version") == a.Primary {
					// A plan-driven rollout: function_version is its target;
					// traffic is on from_version with the canary's weight.
					w, _ := d["weight_percent"].(float64)
					a.Primary, a.RoutingVersion, a.RoutingWeight = str(d, "from_version"), str(d, "to_version"), w/100
					a.Release = releaseOf(s, a.Function, a.Primary)
				}
			}
			out = append(out, a)
		}
	}
	return out
}

// Describe is the one-line summary of an alias.
func (a AliasView) Describe() string {
	s := fmt.Sprintf("%s: %s", a.Name, a.Primary)
	if a.Release != "" {
		s += " (" + a.Release + ")"
	}
	if a.RoutingVersion != "" {
		s += fmt.Sprintf(" + %g%% on %s", a.RoutingWeight*100, a.RoutingVersion)
	}
	if a.Deployment != "" {
		s += " [" + a.Deployment + "]"
	}
	return s
}

// ---- known-good and pick ----

// Rejection says why a revision is not a known-good target.
type Rejection struct {
	Revision Revision `json:"revision"`
	Reasons  []string `json:"reasons"`
}

// Move is what an alias or a function will do when the picked revision is applied.
type Move struct {
	Address string `json:"address"`
	From    string `json:"from"`
	To      string `json:"to"`
	Release string `json:"release,omitempty"`
}

// Pick is the outcome of choosing a revision to return to.
type Pick struct {
	Reference  Revision    `json:"reference"`
	Chosen     *Revision   `json:"chosen,omitempty"`
	Rejected   []Rejection `json:"rejected"`
	Releases   []string    `json:"releases_to_check_out,omitempty"`
	Functions  []Move      `json:"functions,omitempty"`
	Aliases    []Move      `json:"aliases,omitempty"`
	ExpectPlan []string    `json:"expected_plan,omitempty"`
	// Dropped lists the resources a state written from Chosen would drop
	// (created after it); filled by the caller that writes the state.
	Dropped []string `json:"dropped_resources,omitempty"`
}

// Reasons returns why rev is not known-good relative to ref (none: it is).
func Reasons(rev, ref Revision) []string {
	var why []string
	if !rev.Readable() {
		return []string{"unreadable: " + rev.Error}
	}
	if rev.Lineage != ref.Lineage {
		why = append(why, "different lineage "+short(rev.Lineage)+" (another state; restoring it would replace, not roll back)")
	}
	for _, a := range rev.Tainted {
		why = append(why, a+" is tainted")
	}
	for _, a := range rev.Aliases {
		switch a.Deployment {
		case "in_progress", "rolled_back", "aborted":
			why = append(why, fmt.Sprintf("alias %s: deployment %s (%s)", a.Name, a.Deployment, a.Reason))
			continue
		}
		if a.RoutingVersion != "" && a.Deployment != "" && a.Deployment != "promoted" {
			why = append(why, fmt.Sprintf("alias %s is split mid-rollout", a.Name))
		}
	}
	if ref.Readable() && sameFunctions(rev.Functions, ref.Functions) {
		why = append(why, "runs the same function versions as the reference: nothing to return to")
	}
	return why
}

func sameFunctions(fa, fb []FunctionView) bool {
	if len(fa) == 0 || len(fa) != len(fb) {
		return false
	}
	m := map[string]string{}
	for _, f := range fb {
		m[f.Address] = f.Version
	}
	for _, f := range fa {
		if m[f.Address] != f.Version {
			return false
		}
	}
	return true
}

// PickKnownGood returns the newest known-good revision strictly older than
// the reference (the revision with id before, or the newest one).
func PickKnownGood(revs []Revision, before string) (Pick, error) {
	if len(revs) == 0 {
		return Pick{}, fmt.Errorf("no revisions")
	}
	refIdx := len(revs) - 1
	if before != "" {
		refIdx = -1
		for i, r := range revs {
			if r.ID == before || strings.HasPrefix(r.ID, before) || r.Hash == before {
				refIdx = i
			}
		}
		if refIdx < 0 {
			return Pick{}, fmt.Errorf("no revision %q", before)
		}
	}
	ref := revs[refIdx]
	if !ref.Readable() {
		return Pick{}, fmt.Errorf("the reference revision %s is unreadable: %s", ref.ID, ref.Error)
	}
	p := Pick{Reference: ref}
	for i := refIdx - 1; i >= 0; i-- {
		why := Reasons(revs[i], ref)
		if revs[i].Readable() {
			why = append(why, leftReasons(revs, i, refIdx)...)
		}
		if len(why) > 0 {
			p.Rejected = append(p.Rejected, Rejection{Revision: revs[i], Reasons: why})
			continue
		}
		c := revs[i]
		p.Chosen = &c
		break
	}
	if p.Chosen == nil {
		return p, nil
	}
	refFns := map[string]FunctionView{}
	for _, f := range ref.Functions {
		refFns[f.Address] = f
	}
	releases := map[string]bool{}
	for _, f := range p.Chosen.Functions {
		from := refFns[f.Address].Version
		p.Functions = append(p.Functions, Move{Address: f.Address, From: from, To: f.Version, Release: f.Release})
		if f.Release != "" {
			releases[f.Release] = true
		}
		if from != f.Version {
			p.ExpectPlan = append(p.ExpectPlan, fmt.Sprintf("~ %s: version %q -> %q (a retained version: adopted, nothing published)", f.Address, from, f.Version))
		}
	}
	refAliases := map[string]AliasView{}
	for _, a := range ref.Aliases {
		refAliases[a.Address] = a
	}
	for _, a := range p.Chosen.Aliases {
		from := refAliases[a.Address].Primary
		p.Aliases = append(p.Aliases, Move{Address: a.Address, From: from, To: a.Primary, Release: a.Release})
		if from != a.Primary {
			p.ExpectPlan = append(p.ExpectPlan, fmt.Sprintf("~ %s: function_version %q -> %q (a recent promotion moves at once; otherwise the canary policy runs)", a.Address, from, a.Primary))
		}
	}
	for r := range releases {
		p.Releases = append(p.Releases, r)
	}
	sort.Strings(p.Releases)
	return p, nil
}

// WriteState returns the picked revision's content with the reference's
// lineage and the next serial, so that `terraform state push FILE` accepts
// it without -force: a new state version with the old content, never a
// raw copy that Terraform would refuse (older serial) or that would fork
// the lineage.
func WriteState(ctx context.Context, chosen, reference Revision, revs []Revision) ([]byte, error) {
	if chosen.Lineage != reference.Lineage {
		return nil, fmt.Errorf("revision %s has lineage %s, not the current %s: refusing to write it", chosen.ID, short(chosen.Lineage), short(reference.Lineage))
	}
	_, raw, err := chosen.Load(ctx)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	maxSerial := reference.Serial
	for _, r := range revs {
		if r.Lineage == reference.Lineage && r.Serial > maxSerial {
			maxSerial = r.Serial
		}
	}
	doc["serial"] = maxSerial + 1
	doc["lineage"] = reference.Lineage
	return json.MarshalIndent(doc, "", "  ")
}

// ---- diff ----

// Change is one attribute-level difference between two revisions.
type Change struct {
	Address string `json:"address"`
	Kind    string `json:"kind"` // "+" added, "-" removed, "~" changed
	Path    string `json:"path,omitempty"`
	Old     string `json:"old,omitempty"`
	New     string `json:"new,omitempty"`
}

// Redacted replaces every sensitive value.
const Redacted = "(sensitive)"

// alwaysSensitive are attributes this provider marks sensitive, redacted
// even when a state lacks sensitive_attributes.
var alwaysSensitive = map[string]map[string]bool{"rollout_function": {"environment": true}}

func sensitiveTop(r Resource, i Instance) map[string]bool {
	out := map[string]bool{}
	for k := range alwaysSensitive[r.Type] {
		out[k] = true
	}
	for _, raw := range i.SensitiveAttributes {
		var steps []struct {
			Type  string          `json:"type"`
			Value json.RawMessage `json:"value"`
		}
		if json.Unmarshal(raw, &steps) == nil && len(steps) > 0 && steps[0].Type == "get_attr" {
			var name string
			if json.Unmarshal(steps[0].Value, &name) == nil {
				out[name] = true
			}
		}
		// Terraform 1.10+ writes paths as strings: "environment" or "environment[\"X\"]".
		var path string
		if json.Unmarshal(raw, &path) == nil && path != "" {
			name := path
			if i := strings.IndexAny(name, ".["); i >= 0 {
				name = name[:i]
			}
			out[name] = true
		}
	}
	return out
}

func flatten(prefix string, v any, out map[string]any) {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			flatten(p, val, out)
		}
	case []any:
		if len(x) == 0 {
			out[prefix] = x
		}
		for i, val := range x {
			flatten(fmt.Sprintf("%s[%d]", prefix, i), val, out)
		}
	default:
		out[prefix] = v
	}
}

type flatInstance struct {
	values    map[string]any
	sensitive map[string]bool
}

func instances(s *State, all bool) map[string]flatInstance {
	out := map[string]flatInstance{}
	if s == nil {
		return out
	}
	for _, r := range s.Resources {
		if !all && !strings.HasPrefix(r.Type, "rollout_") {
			continue
		}
		for _, i := range r.Instances {
			addr := r.Address(i)
			if i.Deposed != "" {
				addr += " (deposed " + i.Deposed + ")"
			}
			vals := map[string]any{}
			flatten("", i.Attributes, vals)
			if i.Status != "" {
				vals["(status)"] = i.Status
			}
			out[addr] = flatInstance{values: vals, sensitive: sensitiveTop(r, i)}
		}
	}
	return out
}

// sameLeaf compares two leaves of flatten: JSON scalars compare with ==,
// anything else (an empty list) by its JSON.
func sameLeaf(a, b any) bool {
	switch a.(type) {
	case nil, string, float64, bool, json.Number:
		return a == b
	}
	return render(a) == render(b)
}

func render(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func isSensitive(path string, sens map[string]bool) bool {
	top := path
	if i := strings.IndexAny(top, ".["); i >= 0 {
		top = top[:i]
	}
	return sens[top]
}

// Diff lists attribute-level differences from a to b: the rollout
// resources, or every resource with all. Values compare as the leaves of
// the decoded JSON (sameLeaf); sensitive values are always redacted.
func Diff(a, b *State, all bool) []Change {
	ia, ib := instances(a, all), instances(b, all)
	addrs := map[string]bool{}
	for k := range ia {
		addrs[k] = true
	}
	for k := range ib {
		addrs[k] = true
	}
	sorted := make([]string, 0, len(addrs))
	for k := range addrs {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	var out []Change
	for _, addr := range sorted {
		x, inA := ia[addr]
		y, inB := ib[addr]
		switch {
		case !inA:
			out = append(out, Change{Address: addr, Kind: "+"})
			continue
		case !inB:
			out = append(out, Change{Address: addr, Kind: "-"})
			continue
		}
		sens := map[string]bool{}
		for k := range x.sensitive {
			sens[k] = true
		}
		for k := range y.sensitive {
			sens[k] = true
		}
		paths := map[string]bool{}
		for p := range x.values {
			paths[p] = true
		}
		for p := range y.values {
			paths[p] = true
		}
		ps := make([]string, 0, len(paths))
		for p := range paths {
			ps = append(ps, p)
		}
		sort.Strings(ps)
		for _, p := range ps {
			ov, okA := x.values[p]
			nv, okB := y.values[p]
			if okA && okB && sameLeaf(ov, nv) {
				continue
			}
			c := Change{Address: addr, Kind: "~", Path: p, Old: render(ov), New: render(nv)}
			if !okA {
				c.Old = "(absent)"
			}
			if !okB {
				c.New = "(absent)"
			}
			if isSensitive(p, sens) {
				c.Old, c.New = Redacted, Redacted
			}
			out = append(out, c)
		}
	}
	return out
}
