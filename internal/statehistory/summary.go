package statehistory

import (
	"encoding/json"
	"errors"
	"fmt"

	gojson "github.com/goccy/go-json"
)

// The summary parser: one pass over a state that builds only what the
// summary reads (serial, lineage, each resource's address and status, and
// a few attributes of the resources in view), decoding into narrow structs
// so that every other attribute, of every resource, is scanned and
// skipped, never built. The decode is goccy/go-json's, several times
// faster than encoding/json's over the skipped attributes; any error sends
// the state through encoding/json instead, whose answer (a type error after
// everything else was decoded, or the syntax error) is the one the summary
// relies on, and TestSummaryDecodersAgree holds the two to the same
// summaries. Measured against the full decode and a json.Decoder token
// stream in BenchmarkSummaryParse.

// summaryState is the part of a state the summary reads.
type summaryState struct {
	Version   int    `json:"version"`
	Serial    uint64 `json:"serial"`
	Lineage   string `json:"lineage"`
	Resources []struct {
		Module    string `json:"module"`
		Mode      string `json:"mode"`
		Type      string `json:"type"`
		Name      string `json:"name"`
		Instances []struct {
			IndexKey   any          `json:"index_key"`
			Status     string       `json:"status"`
			Deposed    string       `json:"deposed"`
			Attributes summaryAttrs `json:"attributes"`
		} `json:"instances"`
	} `json:"resources"`
}

// summaryAttrs are the attributes the summary reads, of any resource in
// view: rollout_function, rollout_alias, rollout_alias_group and the AWS
// provider's Lambda function, alias and provisioned concurrency.
type summaryAttrs struct {
	FunctionName    *string  `json:"function_name"`
	Name            *string  `json:"name"`
	Version         *string  `json:"version"`
	Release         *string  `json:"release"`
	FunctionVersion *string  `json:"function_version"`
	Qualifier       *string  `json:"qualifier"`
	SourceCodeHash  *string  `json:"source_code_hash"`
	Concurrency     *float64 `json:"provisioned_concurrent_executions"`
	Versions        []struct {
		Number  *string `json:"number"`
		Release *string `json:"release"`
	} `json:"versions"`
	Routing       *summaryRouting `json:"routing"`
	RoutingConfig []struct {
		Weights map[string]float64 `json:"additional_version_weights"`
	} `json:"routing_config"`
	Deployment *struct {
		Status        *string  `json:"status"`
		Reason        *string  `json:"reason"`
		Gate          *string  `json:"gate"`
		Member        *string  `json:"member"`
		FromVersion   *string  `json:"from_version"`
		ToVersion     *string  `json:"to_version"`
		WeightPercent *float64 `json:"weight_percent"`
		Members       map[string]struct {
			FromVersion *string `json:"from_version"`
			ToVersion   *string `json:"to_version"`
		} `json:"members"`
	} `json:"deployment"`
	Members map[string]struct {
		FunctionName    *string         `json:"function_name"`
		Alias           *string         `json:"alias"`
		FunctionVersion *string         `json:"function_version"`
		Routing         *summaryRouting `json:"routing"`
	} `json:"members"`
}

type summaryRouting struct {
	Version *string  `json:"version"`
	Weight  *float64 `json:"weight"`
}

// put sets m[k] to *v when v is set.
func put[T any](m map[string]any, k string, v *T) {
	if v != nil {
		m[k] = *v
	}
}

func (r *summaryRouting) value() any {
	if r == nil {
		return nil
	}
	m := map[string]any{}
	put(m, "version", r.Version)
	put(m, "weight", r.Weight)
	return m
}

// attributes is the map the views read, holding only what was decoded.
func (a summaryAttrs) attributes() map[string]any {
	m := map[string]any{}
	put(m, "function_name", a.FunctionName)
	put(m, "name", a.Name)
	put(m, "version", a.Version)
	put(m, "release", a.Release)
	put(m, "function_version", a.FunctionVersion)
	put(m, "qualifier", a.Qualifier)
	put(m, "source_code_hash", a.SourceCodeHash)
	put(m, "provisioned_concurrent_executions", a.Concurrency)
	if a.Versions != nil {
		vs := make([]any, 0, len(a.Versions))
		for _, v := range a.Versions {
			e := map[string]any{}
			put(e, "number", v.Number)
			put(e, "release", v.Release)
			vs = append(vs, e)
		}
		m["versions"] = vs
	}
	if a.Routing != nil {
		m["routing"] = a.Routing.value()
	}
	if a.RoutingConfig != nil {
		rc := make([]any, 0, len(a.RoutingConfig))
		for _, c := range a.RoutingConfig {
			w := map[string]any{}
			for k, v := range c.Weights {
				w[k] = v
			}
			rc = append(rc, map[string]any{"additional_version_weights": w})
		}
		m["routing_config"] = rc
	}
	if d := a.Deployment; d != nil {
		dm := map[string]any{}
		put(dm, "status", d.Status)
		put(dm, "reason", d.Reason)
		put(dm, "gate", d.Gate)
		put(dm, "member", d.Member)
		put(dm, "from_version", d.FromVersion)
		put(dm, "to_version", d.ToVersion)
		put(dm, "weight_percent", d.WeightPercent)
		if d.Members != nil {
			ms := map[string]any{}
			for k, v := range d.Members {
				e := map[string]any{}
				put(e, "from_version", v.FromVersion)
				put(e, "to_version", v.ToVersion)
				ms[k] = e
			}
			dm["members"] = ms
		}
		m["deployment"] = dm
	}
	if a.Members != nil {
		ms := map[string]any{}
		for k, v := range a.Members {
			e := map[string]any{}
			put(e, "function_name", v.FunctionName)
			put(e, "alias", v.Alias)
			put(e, "function_version", v.FunctionVersion)
			if v.Routing != nil {
				e["routing"] = v.Routing.value()
			}
			ms[k] = e
		}
		m["members"] = ms
	}
	return m
}

// parseSummary decodes the summary's part of a state: every resource with
// its instances' index keys and status, and for the resources in view the
// attributes the summary reads. An attribute of another shape (a resource
// out of view may use the same name for something else) is skipped.
func parseSummary(b []byte) (*State, error) { return parseSummaryWith(b, decodeSummary) }

// parseSummaryWith is parseSummary with the given decode into the narrow
// structs (BenchmarkSummaryParse compares decoders through it).
func parseSummaryWith(b []byte, decode func([]byte, *summaryState) error) (*State, error) {
	if err := checkNotEmpty(b); err != nil {
		return nil, err
	}
	var light summaryState
	if err := decode(b, &light); err != nil {
		var typeErr *json.UnmarshalTypeError
		if !errors.As(err, &typeErr) {
			return nil, fmt.Errorf("%w: the JSON is truncated or corrupt (%v)", ErrNotState, err)
		}
		// Unmarshal decoded everything else: a field of another type is
		// not one the summary reads.
	}
	if light.Version == 0 || light.Lineage == "" {
		return nil, fmt.Errorf("%w: it has no version and lineage fields", ErrNotState)
	}
	if err := formatSupported(light.Version); err != nil {
		return nil, err
	}
	s := &State{Version: light.Version, Serial: light.Serial, Lineage: light.Lineage, Resources: make([]Resource, 0, len(light.Resources))}
	for _, lr := range light.Resources {
		r := Resource{Module: lr.Module, Mode: lr.Mode, Type: lr.Type, Name: lr.Name, Instances: make([]Instance, 0, len(lr.Instances))}
		for _, li := range lr.Instances {
			i := Instance{IndexKey: li.IndexKey, Status: li.Status, Deposed: li.Deposed}
			if inView(lr.Type) {
				i.Attributes = li.Attributes.attributes()
			}
			r.Instances = append(r.Instances, i)
		}
		s.Resources = append(s.Resources, r)
	}
	return s, nil
}

// decodeSummary decodes b into light: the fast decoder first, and on any
// error encoding/json over a fresh value, so errors and partial decodes
// are encoding/json's.
func decodeSummary(b []byte, light *summaryState) error {
	if err := gojson.Unmarshal(b, light); err == nil {
		return nil
	}
	*light = summaryState{}
	return json.Unmarshal(b, light)
}
