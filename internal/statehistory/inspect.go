package statehistory

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// AliasView is what one rollout_alias or aws_lambda_alias says in a revision.
type AliasView struct {
	Address        string  `json:"address"`
	Resource       string  `json:"resource"`
	Function       string  `json:"function"`
	Name           string  `json:"name"`
	Primary        string  `json:"primary"`
	Release        string  `json:"release,omitempty"`
	RoutingVersion string  `json:"routing_version,omitempty"`
	RoutingWeight  float64 `json:"routing_weight,omitempty"`
	Deployment     string  `json:"deployment,omitempty"`
	Reason         string  `json:"reason,omitempty"`
	// Code is the source_code_hash of the version an aws_lambda_alias
	// serves (the AWS provider records no release).
	Code string `json:"code,omitempty"`
	// ConcurrencyConfig is the aws_lambda_provisioned_concurrency_config
	// on the alias, Concurrency its executions.
	ConcurrencyConfig string `json:"provisioned_concurrency_config,omitempty"`
	Concurrency       int    `json:"provisioned_concurrency,omitempty"`
	// Gate and ToVersion are the deployment's gate (what ended it) and the
	// version it moved to.
	Gate      string `json:"gate,omitempty"`
	ToVersion string `json:"to_version,omitempty"`
}

// FunctionView is what one rollout_function or aws_lambda_function says
// in a revision.
type FunctionView struct {
	Address  string `json:"address"`
	Resource string `json:"resource"`
	Function string `json:"function"`
	Version  string `json:"version"`
	Release  string `json:"release,omitempty"`
	Code     string `json:"code,omitempty"` // aws_lambda_function's source_code_hash
}

func str(m map[string]any, k string) string {
	if v, ok := m[k].(string); ok {
		return v
	}
	return ""
}

// Functions lists the rollout_function and aws_lambda_function instances
// of a state.
func Functions(s *State) []FunctionView {
	var out []FunctionView
	for _, r := range s.Resources {
		if (r.Type != "rollout_function" && r.Type != awsFunction) || r.Mode != "managed" {
			continue
		}
		for _, i := range r.Instances {
			if i.Deposed != "" {
				continue
			}
			if r.Type == awsFunction {
				out = append(out, awsFunctionView(r, i))
				continue
			}
			out = append(out, FunctionView{Address: r.Address(i), Resource: r.Type, Function: str(i.Attributes, "function_name"),
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

// Aliases lists the rollout_alias and aws_lambda_alias instances of a state.
func Aliases(s *State) []AliasView {
	var out []AliasView
	for _, r := range s.Resources {
		if (r.Type != "rollout_alias" && r.Type != awsAlias) || r.Mode != "managed" {
			continue
		}
		for _, i := range r.Instances {
			if i.Deposed != "" {
				continue
			}
			if r.Type == awsAlias {
				out = append(out, awsAliasView(s, r, i))
				continue
			}
			a := AliasView{Address: r.Address(i), Resource: r.Type, Function: str(i.Attributes, "function_name"), Name: str(i.Attributes, "name"),
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
	switch {
	case a.Release != "":
		s += " (" + a.Release + ")"
	case len(a.Code) >= 8:
		s += " (code " + a.Code[:8] + ")"
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
	Code    string `json:"code,omitempty"`
}

// Pick is the outcome of choosing a revision to return to.
type Pick struct {
	Reference Revision    `json:"reference"`
	Chosen    *Revision   `json:"chosen,omitempty"`
	Rejected  []Rejection `json:"rejected"`
	Releases  []string    `json:"releases_to_check_out,omitempty"`
	// Checkout names the configuration to check out where no release is
	// recorded (the AWS provider's functions: by source_code_hash).
	Checkout  []string `json:"configuration_to_check_out,omitempty"`
	Functions []Move   `json:"functions,omitempty"`
	Aliases   []Move   `json:"aliases,omitempty"`
	// Group is the group a pick --group chose for; Members are the moves
	// of every group member (of that group, or of every group).
	Group      string       `json:"group,omitempty"`
	Members    []MemberMove `json:"members,omitempty"`
	ExpectPlan []string     `json:"expected_plan,omitempty"`
	// Notes say what else returning means (the AWS provider: a pushed state moves no traffic).
	Notes []string `json:"notes,omitempty"`
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
		if a.Resource == awsAlias && a.RoutingVersion != "" {
			why = append(why, awsSplit(a))
		}
	}
	for _, g := range rev.Groups {
		why = append(why, groupReasons(g)...)
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
	refIdx, err := referenceIndex(revs, before)
	if err != nil {
		return Pick{}, err
	}
	ref := revs[refIdx]
	p := Pick{Reference: ref}
	for i := refIdx - 1; i >= 0; i-- {
		why := knownGoodReasons(revs, i, refIdx)
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
		p.Functions = append(p.Functions, Move{Address: f.Address, From: from, To: f.Version, Release: f.Release, Code: f.Code})
		if f.Release != "" {
			releases[f.Release] = true
		}
		if from != f.Version && f.Resource != awsFunction {
			p.ExpectPlan = append(p.ExpectPlan, fmt.Sprintf("~ %s: version %q -> %q (a retained version: adopted, nothing published)", f.Address, from, f.Version))
		}
	}
	refAliases := map[string]AliasView{}
	for _, a := range ref.Aliases {
		refAliases[a.Address] = a
	}
	for _, a := range p.Chosen.Aliases {
		from := refAliases[a.Address].Primary
		p.Aliases = append(p.Aliases, Move{Address: a.Address, From: from, To: a.Primary, Release: a.Release, Code: a.Code})
		if from != a.Primary && a.Resource != awsAlias {
			p.ExpectPlan = append(p.ExpectPlan, fmt.Sprintf("~ %s: function_version %q -> %q (a recent promotion moves at once; otherwise the canary policy runs)", a.Address, from, a.Primary))
		}
	}
	for _, g := range p.Chosen.Groups {
		refGroup, _ := ref.Group(g.Name)
		p.adviseMembers(g, refGroup, releases)
	}
	p.Releases = sortedKeys(releases)
	awsAdvice(&p, ref)
	return p, nil
}

// knownGoodReasons says why revs[i] is no known-good target for the
// reference revs[refIdx] (none: it is); it reads revs[i:refIdx+1] only.
func knownGoodReasons(revs []Revision, i, refIdx int) []string {
	why := Reasons(revs[i], revs[refIdx])
	if revs[i].Readable() {
		why = append(why, leftReasons(revs, i, refIdx, nil)...)
	}
	return why
}

// referenceIndex finds the reference revision: the one named by before
// (an id, a prefix of one, or a content hash), or the newest.
func referenceIndex(revs []Revision, before string) (int, error) {
	if len(revs) == 0 {
		return 0, fmt.Errorf("no revisions")
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
			return 0, fmt.Errorf("no revision %q", before)
		}
	}
	if ref := revs[refIdx]; !ref.Readable() {
		return 0, fmt.Errorf("the reference revision %s is unreadable: %s", ref.ID, ref.Error)
	}
	return refIdx, nil
}

// WriteState returns the picked revision's content with the reference's
// lineage and the next serial, so that `terraform state push FILE` accepts
// it without -force: a new state version with the old content, never a
// raw copy that Terraform would refuse (older serial) or that would fork
// the lineage.
func WriteState(ctx context.Context, chosen, reference Revision, revs []Revision) ([]byte, error) {
	return WriteStateAt(ctx, chosen, reference, topSerial(revs, reference))
}

// WriteStateAt is WriteState given the highest serial of the reference's
// lineage (PickFrom returns it): the state written has the next one.
func WriteStateAt(ctx context.Context, chosen, reference Revision, top uint64) ([]byte, error) {
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
	doc["serial"] = max(top, reference.Serial) + 1
	doc["lineage"] = reference.Lineage
	return json.MarshalIndent(doc, "", "  ")
}
