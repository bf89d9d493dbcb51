package lambdaops

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// PausedTagPrefix + <alias> records the event source mappings the data
// interlock holds paused for that alias: written before it disables them,
// removed once it has enabled them again. A provider killed in between
// (SIGKILL, a lost machine) cannot save state, but the record stays in
// AWS, and the next refresh of the alias brings those mappings into
// paused_event_sources, so that the next apply resumes them.
const PausedTagPrefix = ReservedTagPrefix + "paused:"

// pausedPerTag is how many mapping UUIDs (36 characters, space-separated)
// one tag value holds within AWS's 256 characters; more go to further
// tags, <key>/2, <key>/3 and so on ('/' is never in an alias name).
const pausedPerTag = 6

// pausedKey is the record's first tag key for alias, within AWS's 128
// characters for a key (a long alias name is shortened with its hash).
func pausedKey(alias string) string {
	k := PausedTagPrefix + alias
	if len(k) <= 124 {
		return k
	}
	sum := sha256.Sum256([]byte(alias))
	return PausedTagPrefix + alias[:90] + "~" + hex.EncodeToString(sum[:8])
}

// PausedTags is the record of uuids paused for alias, as tags.
func PausedTags(alias string, uuids []string) map[string]string {
	out := map[string]string{}
	key := pausedKey(alias)
	for i := 0; i < len(uuids); i += pausedPerTag {
		k := key
		if i > 0 {
			k = fmt.Sprintf("%s/%d", key, i/pausedPerTag+1)
		}
		out[k] = strings.Join(uuids[i:min(i+pausedPerTag, len(uuids))], " ")
	}
	return out
}

// PausedTagKeys are the tags of alias's record among tags.
func PausedTagKeys(tags map[string]string, alias string) []string {
	key := pausedKey(alias)
	var out []string
	for k := range tags {
		if k == key || strings.HasPrefix(k, key+"/") {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// PausedFromTags reads alias's record from tags: the mappings the
// interlock held paused, in no particular order.
func PausedFromTags(tags map[string]string, alias string) []string {
	var out []string
	for _, k := range PausedTagKeys(tags, alias) {
		for _, u := range strings.Fields(tags[k]) {
			if !slices.Contains(out, u) {
				out = append(out, u)
			}
		}
	}
	return out
}
