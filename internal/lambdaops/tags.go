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

// The tag budget. AWS allows MaxFunctionTags tags per function, and a
// write past it fails. The provider reserves ReservedTagSlots of them: one
// for the override, MinRollbackRecords for the newest rollback records and
// one for a release label; the configuration's tags may use the other
// MaxUserTags (rollout_function refuses more at plan time). Reserved tags
// grow into whatever room the user's tags leave (at most
// MaxRollbackRecords rollback records), and MakeRoom trims the oldest
// before each write so that no write exceeds the limit.
const (
	MaxFunctionTags    = 50
	MaxRollbackRecords = 10
	MinRollbackRecords = 3
	ReservedTagSlots   = 1 + MinRollbackRecords + 1
	MaxUserTags        = MaxFunctionTags - ReservedTagSlots
)

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

// TagBudgetError says a reserved tag cannot be written without passing
// AWS's limit of tags per function, even after trimming what may go.
type TagBudgetError struct {
	Tags, UserTags, Adding int
}

func (e TagBudgetError) Error() string {
	return fmt.Sprintf("the function has %d tags, %d of them not the provider's: writing %d more would pass AWS's limit of %d tags per function "+
		"even after removing the oldest rollout: tags that may go; keep at most %d tags of your own on it", e.Tags, e.UserTags, e.Adding, MaxFunctionTags, MaxUserTags)
}

// MakeRoom returns the reserved tags to remove before add is written to a
// function carrying tags, so that the function keeps at most
// MaxFunctionTags tags with a slot left for the override, and at most
// MaxRollbackRecords rollback records. Release labels go first (the
// oldest versions first: a label is also in the version's description),
// then the oldest rollback records; a rollback record is removed to make
// room for a tag other than a rollback record only while more than
// MinRollbackRecords remain. Progress tags (rolloutctl status's view of a
// rollout, informational) go before anything else, and a progress tag
// never removes a rollback record: without room it is not written. The
// tags in add are never removed.
func MakeRoom(tags, add map[string]string) ([]string, error) {
	after := map[string]bool{}
	for k := range tags {
		after[k] = true
	}
	addsRecord, onlyProgress := false, len(add) > 0
	for k := range add {
		after[k] = true
		if strings.HasPrefix(k, RolledBackTagPrefix) {
			addsRecord = true
		}
		if !strings.HasPrefix(k, ProgressTagPrefix) {
			onlyProgress = false
		}
	}
	count := len(after)
	if !after[OverrideTag] {
		count++ // the override's slot
	}
	var progress, labels, records []string
	for k := range after {
		if _, adding := add[k]; adding {
			continue
		}
		switch {
		case strings.HasPrefix(k, ProgressTagPrefix):
			progress = append(progress, k)
		case strings.HasPrefix(k, ReleaseTagPrefix):
			labels = append(labels, k)
		case strings.HasPrefix(k, RolledBackTagPrefix):
			records = append(records, k)
		}
	}
	sort.Slice(labels, func(i, j int) bool {
		a, _ := strconv.Atoi(strings.TrimPrefix(labels[i], ReleaseTagPrefix))
		b, _ := strconv.Atoi(strings.TrimPrefix(labels[j], ReleaseTagPrefix))
		return a < b
	})
	var oldest []string // records, the oldest first
	for _, r := range RollbackRecords(tags) {
		if _, adding := add[r.TagKey()]; !adding {
			oldest = append(oldest, r.TagKey())
		}
	}
	keep := map[string]bool{}
	for _, k := range oldest {
		keep[k] = true
	}
	for _, k := range records {
		if !keep[k] {
			oldest = append([]string{k}, oldest...) // unreadable records go first
		}
	}
	nRecords := len(oldest)
	if addsRecord {
		nRecords++
	}
	var drop []string
	for nRecords > MaxRollbackRecords && len(oldest) > 0 {
		drop, oldest, nRecords, count = append(drop, oldest[0]), oldest[1:], nRecords-1, count-1
	}
	sort.Strings(progress)
	for count > MaxFunctionTags {
		switch {
		case len(progress) > 0:
			drop, progress = append(drop, progress[0]), progress[1:]
		case len(labels) > 0:
			drop, labels = append(drop, labels[0]), labels[1:]
		case len(oldest) > 0 && !onlyProgress && (addsRecord || nRecords > MinRollbackRecords):
			drop, oldest, nRecords = append(drop, oldest[0]), oldest[1:], nRecords-1
		default:
			user := 0
			for k := range tags {
				if !IsReservedTag(k) {
					user++
				}
			}
			return nil, TagBudgetError{Tags: len(tags), UserTags: user, Adding: len(add)}
		}
		count--
	}
	return drop, nil
}
