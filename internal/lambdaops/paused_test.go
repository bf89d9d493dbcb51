package lambdaops

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPausedTagsRoundTrip: any number of mappings is recorded in tags AWS
// accepts (keys of at most 128 characters, values of at most 256) and read
// back; another alias's record is not read.
func TestPausedTagsRoundTrip(t *testing.T) {
	t.Parallel()
	for _, n := range []int{1, 6, 7, 20} {
		for _, alias := range []string{"live", strings.Repeat("a", 128)} {
			var uuids []string
			for i := 0; i < n; i++ {
				uuids = append(uuids, fmt.Sprintf("%08d-aaaa-bbbb-cccc-%012d", i, i))
			}
			tags := PausedTags(alias, uuids)
			for k, v := range tags {
				if len(k) > 128 || len(v) > 256 || !IsReservedTag(k) {
					t.Errorf("%d mappings of %q: tag %q = %q (%d, %d characters)", n, alias, k, v, len(k), len(v))
				}
			}
			tags["rollout:paused:other"] = "ffffffff-aaaa-bbbb-cccc-000000000000"
			got := PausedFromTags(tags, alias)
			slices.Sort(got)
			if diff := cmp.Diff(uuids, got); diff != "" {
				t.Errorf("%d mappings of %q read back (-want +got):\n%s", n, alias, diff)
			}
			if keys := PausedTagKeys(tags, alias); len(keys) != (n+pausedPerTag-1)/pausedPerTag {
				t.Errorf("%d mappings of %q: keys %v", n, alias, keys)
			}
		}
	}
}
