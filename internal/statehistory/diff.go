package statehistory

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Change is one attribute-level difference between two revisions.
type Change struct {
	Address string `json:"address"`
	Type    string `json:"type"`
	Kind    string `json:"kind"` // "+" added, "-" removed, "~" changed
	Path    string `json:"path,omitempty"`
	Old     string `json:"old,omitempty"`
	New     string `json:"new,omitempty"`
}

// Redacted replaces every sensitive value.
const Redacted = "(sensitive)"

// alwaysSensitive are attributes redacted even when a state lacks
// sensitive_attributes: rollout_function's environment (sensitive in its
// schema), and aws_lambda_function's, which the AWS provider does not
// mark but which is where a function's secrets live.
var alwaysSensitive = map[string][]string{"rollout_function": {"environment"}, awsFunction: {"environment"}}

// sensitivePaths lists the instance's sensitive attribute paths, each as
// its attribute and key names without list positions ("settings.token"
// for settings[0].token): a value is redacted wherever its path meets
// one, in any entry of a list, whichever way the list is matched.
func sensitivePaths(r Resource, i Instance) [][]string {
	var out [][]string
	for _, a := range alwaysSensitive[r.Type] {
		out = append(out, []string{a})
	}
	for _, raw := range i.SensitiveAttributes {
		var steps []struct {
			Type  string          `json:"type"`
			Value json.RawMessage `json:"value"`
		}
		if json.Unmarshal(raw, &steps) == nil && len(steps) > 0 {
			var path []string
			for _, st := range steps {
				var name string
				var key struct {
					Value any `json:"value"`
				}
				switch {
				case st.Type == "get_attr" && json.Unmarshal(st.Value, &name) == nil:
					path = append(path, name)
				case st.Type == "index" && json.Unmarshal(st.Value, &key) == nil:
					if k, ok := key.Value.(string); ok {
						path = append(path, k) // a map key; a number is a list position
					}
				}
			}
			if len(path) > 0 {
				out = append(out, path)
			}
			continue
		}
		// Terraform 1.10+ may write a path as a string: environment,
		// settings[0].token, tags["X"].
		var s string
		if json.Unmarshal(raw, &s) == nil && s != "" {
			out = append(out, splitPath(s))
		}
	}
	return out
}

// splitPath turns a path string (a.b[0]["k"]) into its names without list
// positions: [a b k].
func splitPath(p string) []string {
	var out []string
	for p != "" {
		switch p[0] {
		case '.':
			p = p[1:]
		case '[':
			end := strings.IndexByte(p, ']')
			if end < 0 {
				return append(out, p)
			}
			inner := p[1:end]
			p = p[end+1:]
			// A map key names a step; a list position ([0]) or an
			// identity-matched entry ([number="3"]) does not.
			if k, ok := strings.CutPrefix(inner, `"`); ok {
				out = append(out, strings.TrimSuffix(k, `"`))
			}
		default:
			end := strings.IndexAny(p, ".[")
			if end < 0 {
				end = len(p)
			}
			out = append(out, p[:end])
			p = p[end:]
		}
	}
	return out
}

// isSensitive reports whether a change at path touches a sensitive
// value: the path lies inside a sensitive one, or holds one.
func isSensitive(path string, sens [][]string) bool {
	p := splitPath(path)
	for _, s := range sens {
		n := min(len(p), len(s))
		if n > 0 && equalStrings(p[:n], s[:n]) {
			return true
		}
	}
	return false
}

func equalStrings(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// identityKeys are the attributes that name an entry of a list of
// objects, in order of preference: a list whose every entry has one of
// them, with no two alike, is matched entry by entry on it (a promotion
// record by its version number) instead of by position.
var identityKeys = []string{"number", "version", "id", "name", "key", "arn", "qualifier"}

func identityOf(list []any) string {
	for _, k := range identityKeys {
		seen := map[string]bool{}
		ok := len(list) > 0
		for _, e := range list {
			m, isMap := e.(map[string]any)
			if !isMap {
				return ""
			}
			v, scalar := m[k].(string)
			if f, isNum := m[k].(float64); isNum {
				v, scalar = fmt.Sprint(f), true
			}
			if !scalar || seen[v] {
				ok = false
				break
			}
			seen[v] = true
		}
		if ok {
			return k
		}
	}
	return ""
}

// flatten lists the leaves of a decoded JSON value by path: a.b, a[0],
// and list entries with an identity as a[number="3"].
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
		key := identityOf(x)
		for i, val := range x {
			if key != "" {
				m, _ := val.(map[string]any)
				flatten(fmt.Sprintf("%s[%s=%s]", prefix, key, render(m[key])), val, out)
				continue
			}
			flatten(fmt.Sprintf("%s[%d]", prefix, i), val, out)
		}
	default:
		out[prefix] = v
	}
}

type flatInstance struct {
	typ       string
	values    map[string]any
	sensitive [][]string
}

func instances(s *State, all bool) map[string]flatInstance {
	out := map[string]flatInstance{}
	if s == nil {
		return out
	}
	for _, r := range s.Resources {
		if !all && !inView(r.Type) {
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
			out[addr] = flatInstance{typ: r.Type, values: vals, sensitive: sensitivePaths(r, i)}
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

// Diff lists attribute-level differences from a to b: the resources in
// the rollout view (rollout_*, the AWS provider's Lambda resources), or
// every resource with all. Values compare as the leaves of the decoded
// JSON (sameLeaf), lists of records entry by entry on their identity;
// sensitive values are always redacted.
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
			out = append(out, Change{Address: addr, Type: y.typ, Kind: "+"})
			continue
		case !inB:
			out = append(out, Change{Address: addr, Type: x.typ, Kind: "-"})
			continue
		}
		sens := append(append([][]string{}, x.sensitive...), y.sensitive...)
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
			c := Change{Address: addr, Type: x.typ, Kind: "~", Path: p, Old: render(ov), New: render(nv)}
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

// OutsideView counts the resource instances outside the rollout view
// (neither rollout_* nor the AWS provider's Lambda resources) that were
// added, removed or changed from a to b: what a diff without --all does
// not show, and must not pass over in silence.
func OutsideView(a, b *State) int {
	n := 0
	seen := map[string]bool{}
	for _, c := range Diff(a, b, true) {
		if inView(c.Type) || seen[c.Address] {
			continue
		}
		seen[c.Address] = true
		n++
	}
	return n
}
