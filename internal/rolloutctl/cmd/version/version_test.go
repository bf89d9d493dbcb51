package version

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmdtest"
)

func TestVersion(t *testing.T) {
	t.Parallel()
	// Arguments are ignored, as they always were.
	io, err := cmdtest.Run(New, Run, "", "--json")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("rolloutctl test\n", io.Out.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
