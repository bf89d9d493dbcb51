package statehistory

import (
	"fmt"
	"strconv"
)

// A release a later revision deliberately left is not a target.
//
// A configuration revert (the function's version goes back to an older
// number: an adoption, not a canary rollback, which leaves the function's
// version where it is) says the release it left is bad. Picking that
// release again would undo the revert, so it is rejected until a later
// revision runs it again with every alias settled (promoted again).

// leftReasons says which of the candidate's function versions a revision
// after it (up to the reference) reverted away from, and did not promote
// again since; only names (function names), when not nil, are looked at.
func leftReasons(revs []Revision, candidate, refIdx int, names map[string]bool) []string {
	var why []string
	for _, f := range revs[candidate].Functions {
		if names != nil && !names[f.Function] {
			continue
		}
		v, err := strconv.Atoi(f.Version)
		if err != nil {
			continue
		}
		var leftBy *Revision
		var to string
		for j := candidate + 1; j <= refIdx; j++ {
			r := revs[j]
			if !r.Readable() || r.Lineage != revs[candidate].Lineage {
				continue
			}
			cur := functionVersion(r, f.Address)
			n, err := strconv.Atoi(cur)
			switch {
			case err != nil:
			case n < v:
				leftBy, to = &revs[j], cur
			case n == v && leftBy != nil && settled(r):
				leftBy = nil // promoted again
			}
		}
		if leftBy == nil {
			continue
		}
		what := fmt.Sprintf("%s version %s", f.Address, f.Version)
		if f.Release != "" {
			what = fmt.Sprintf("release %s (%s)", f.Release, what)
		}
		why = append(why, fmt.Sprintf("%s was deliberately left: revision %s reverted the configuration to version %s; promote it again to make it a target",
			what, revisionLabel(*leftBy), to))
	}
	return why
}

func functionVersion(r Revision, address string) string {
	for _, f := range r.Functions {
		if f.Address == address {
			return f.Version
		}
	}
	return ""
}

// settled reports whether every alias of a revision is on one version (or
// a deliberate static split) with no unfinished or failed rollout.
func settled(r Revision) bool {
	for _, a := range r.Aliases {
		switch a.Deployment {
		case "in_progress", "rolled_back", "aborted":
			return false
		}
	}
	for _, g := range r.Groups {
		if len(groupReasons(g)) > 0 {
			return false
		}
	}
	return len(r.Tainted) == 0
}

// revisionLabel names a revision for humans: its file name, or for an S3
// object version (a long id) its content hash.
func revisionLabel(r Revision) string {
	if len(r.ID) > 20 {
		return r.Hash
	}
	return r.ID
}
