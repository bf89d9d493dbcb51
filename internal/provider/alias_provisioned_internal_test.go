package provider

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// TestProvisionedPlanNotice: the plan warns that a canary will wait for
// provisioned concurrency exactly when a version change of an alias with
// a canary and provisioned concurrency is planned.
func TestProvisionedPlanNotice(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		provisioned    types.Int64
		canary, moving bool
		want           bool
	}{
		"canary moving with provisioned": {provisioned: types.Int64Value(10), canary: true, moving: true, want: true},
		"no provisioned":                 {provisioned: types.Int64Null(), canary: true, moving: true},
		"no canary":                      {provisioned: types.Int64Value(10), moving: true},
		"version unchanged":              {provisioned: types.Int64Value(10), canary: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			summary, detail, ok := provisionedPlanNotice("orders", "live", tc.provisioned, tc.canary, tc.moving)
			if diff := cmp.Diff(tc.want, ok); diff != "" {
				t.Fatalf("notice given (-want +got):\n%s", diff)
			}
			if ok && (summary != "Canary Waits For Provisioned Concurrency" || !strings.Contains(detail, "provisioned_concurrent_executions = 10") || !strings.Contains(detail, "READY")) {
				t.Errorf("notice = %q / %q", summary, detail)
			}
		})
	}
}
