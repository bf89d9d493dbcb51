package lambdaops

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The provider's operational tags on a function. They live in AWS, not in
// Terraform state, so that no state file (an old one pushed back, a lost
// one) can erase them. Tag keys starting with ReservedTagPrefix belong to
// the provider and rolloutctl: rollout_function refuses them in `tags` and
// never shows them as drift or removes them.
const (
	ReservedTagPrefix = "rollout:"
	// OverrideTag steers one running rollout; its value is written by
	// `rolloutctl override` as FormatOverride does.
	OverrideTag = ReservedTagPrefix + "override"
	// RolledBackTagPrefix + <identity> records that the release with that
	// identity (its 16-hex digest, or version-<n> for a version published
	// by another tool) was rolled back; the value is a RollbackRecord.
	RolledBackTagPrefix = ReservedTagPrefix + "rolled-back:"
	// ReleaseTagPrefix + <version> relabels one version whose release
	// changed after it was published (a description cannot change).
	ReleaseTagPrefix = ReservedTagPrefix + "release:"
)

// IsReservedTag reports whether a tag key belongs to the provider.
func IsReservedTag(key string) bool { return strings.HasPrefix(key, ReservedTagPrefix) }

// MaxRollbackRecords is how many rollback records a function keeps (AWS
// allows 50 tags per function); the oldest goes first.
const MaxRollbackRecords = 10

// RollbackRecord is the memory of one rollback of a release.
type RollbackRecord struct {
	Identity  string // digest, or version-<n>
	Alias     string
	Version   string
	Release   string
	At        time.Time
	Gate      string
	Value     *float64
	Threshold *float64
}

const compactTime = "20060102T150405Z"

// Token is the value of rollout_alias.retry_rolled_back that retries this
// rollback, and only this one: the identity and the time of the rollback.
func (r RollbackRecord) Token() string {
	return r.Identity + "@" + r.At.UTC().Format(compactTime)
}

// TokenRE is what a retry token looks like.
var TokenRE = regexp.MustCompile(`^([0-9a-f]{16}|version-[0-9]+)@[0-9]{8}T[0-9]{6}Z$`)

// TagKey is the record's tag key.
func (r RollbackRecord) TagKey() string { return RolledBackTagPrefix + r.Identity }

// tagValueRE is what AWS accepts in a tag value.
var tagUnsafe = regexp.MustCompile(`[^\p{L}\p{Z}\p{N}_.:/=+\-@]`)

// TagValue renders the record in the characters and the 256 characters
// AWS allows in a tag value; the least important fields are dropped first.
func (r RollbackRecord) TagValue() string {
	fields := []string{"version=" + r.Version, "at=" + r.At.UTC().Format(compactTime)}
	if r.Gate != "" {
		fields = append(fields, "gate="+r.Gate)
	}
	if r.Value != nil {
		fields = append(fields, "value="+strconv.FormatFloat(*r.Value, 'g', 6, 64))
	}
	if r.Threshold != nil {
		fields = append(fields, "threshold="+strconv.FormatFloat(*r.Threshold, 'g', 6, 64))
	}
	fields = append(fields, "alias="+r.Alias)
	if r.Release != "" {
		fields = append(fields, "release="+r.Release)
	}
	out := ""
	for _, f := range fields {
		f = tagUnsafe.ReplaceAllString(strings.ReplaceAll(f, " ", "_"), "_")
		if len(out)+len(f)+1 > 256 {
			break
		}
		if out != "" {
			out += " "
		}
		out += f
	}
	return out
}

// ParseRollbackRecord reads a record back from its tag; ok is false for
// other tags and unreadable values.
func ParseRollbackRecord(key, value string) (RollbackRecord, bool) {
	id, found := strings.CutPrefix(key, RolledBackTagPrefix)
	if !found || id == "" {
		return RollbackRecord{}, false
	}
	r := RollbackRecord{Identity: id}
	for _, f := range strings.Fields(value) {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "version":
			r.Version = v
		case "at":
			t, err := time.Parse(compactTime, v)
			if err != nil {
				return RollbackRecord{}, false
			}
			r.At = t
		case "gate":
			r.Gate = v
		case "value", "threshold":
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				continue
			}
			if k == "value" {
				r.Value = &n
			} else {
				r.Threshold = &n
			}
		case "alias":
			r.Alias = v
		case "release":
			r.Release = v
		}
	}
	if r.At.IsZero() {
		return RollbackRecord{}, false
	}
	return r, true
}

// RollbackRecords reads every record among a function's tags, oldest first.
func RollbackRecords(tags map[string]string) []RollbackRecord {
	var out []RollbackRecord
	for k, v := range tags {
		if r, ok := ParseRollbackRecord(k, v); ok {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].At.Equal(out[j].At) {
			return out[i].At.Before(out[j].At)
		}
		return out[i].Identity < out[j].Identity
	})
	return out
}

// VersionIdentity is how a rollback record names a version: the digest
// rollout_function wrote in its description, else its number.
func VersionIdentity(description, version string) (identity, release string) {
	if _, m, ok := ParseDescription(description); ok && m.Digest != "" {
		return m.Digest, m.Release
	}
	return "version-" + version, ""
}

// Override is a parsed rollout:override tag: an action bound to the
// rollout of one alias from one version to another.
type Override struct {
	Action   string // promote, pause or abort
	Alias    string
	From, To string
}

// FormatOverride writes the scoped form: "promote alias=live from=1 to=2".
func FormatOverride(o Override) string {
	return fmt.Sprintf("%s alias=%s from=%s to=%s", o.Action, o.Alias, o.From, o.To)
}

// ParseOverride reads a tag value; scoped is false for the bare form
// ("promote") that older rolloutctl versions wrote, which names no rollout.
func ParseOverride(value string) (o Override, scoped bool) {
	fields := strings.Fields(value)
	if len(fields) == 0 {
		return Override{}, false
	}
	o.Action = fields[0]
	for _, f := range fields[1:] {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "alias":
			o.Alias = v
		case "from":
			o.From = v
		case "to":
			o.To = v
		}
	}
	return o, o.Alias != "" && o.To != ""
}

// For reports whether the override names the rollout of alias from one
// version to another.
func (o Override) For(alias, from, to string) bool {
	return o.Alias == alias && o.To == to && (o.From == "" || o.From == from)
}
