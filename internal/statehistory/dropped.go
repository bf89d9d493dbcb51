package statehistory

import (
	"context"
	"sort"
)

// DroppedBy lists the managed resource instances the reference holds and
// the chosen revision does not: a state written from chosen would drop
// them, and Terraform would forget resources that still exist (orphans
// the next plan does not show). Data sources are not listed: they are read
// again by every plan.
func DroppedBy(ctx context.Context, chosen, reference Revision) ([]string, error) {
	cs, _, err := chosen.Load(ctx)
	if err != nil {
		return nil, err
	}
	rs, _, err := reference.Load(ctx)
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, a := range managedAddresses(cs) {
		have[a] = true
	}
	var out []string
	for _, a := range managedAddresses(rs) {
		if !have[a] {
			out = append(out, a)
		}
	}
	sort.Strings(out)
	return out, nil
}

func managedAddresses(s *State) []string {
	var out []string
	for _, r := range s.Resources {
		if r.Mode != "managed" {
			continue
		}
		for _, i := range r.Instances {
			if i.Deposed == "" {
				out = append(out, r.Address(i))
			}
		}
	}
	return out
}
