package provider_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/rollout-tf/terraform-provider-rollout/internal/acctest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
)

// TestAccAliasGroup_notifications releases two functions together under a
// policy that notifies a webhook on loopback: one bad member's rollback
// is told in order with the group, its members, the member, the gate and
// its values; every member's progress tag records it; then the fix's
// promotion is told the same way.
func TestAccAliasGroup_notifications(t *testing.T) {
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "running function code with real metrics")
	zip, _ := testFunctionZip(t)
	const prefix, n = "grpn", 2
	hook := newReceiver(t)
	policy := fmt.Sprintf(`  steps    = [{ weight_percent = 20, hold = "3s" }]
  interval = "1s"
  health   = { max_error_rate = 0.1, min_invocations = 3 }
  notifications = { webhook_url = %q }`, hook.srv.URL)
	ctx, stopLoad := context.WithCancel(context.Background())
	defer stopLoad()
	tfresource.ParallelTest(t, tfresource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckDestroy(be.URL),
		Steps: []tfresource.TestStep{
			{Config: groupStack(be.URL, zip, prefix, n, "v1.0.0", nil, policy)},
			{
				PreConfig:   func() { groupLoad(ctx, t, be, prefix, n, 40) },
				Config:      groupStack(be.URL, zip, prefix, n, "v1.1.0", map[int]string{1: "1"}, policy),
				ExpectError: regexp.MustCompile(`Group Release Rolled Back`),
			},
			{
				PreConfig: func() {
					bodies := hook.snapshot()
					if len(bodies) == 0 {
						t.Fatal("the webhook received nothing")
					}
					want := []string{"started step=1 gate=", "rolled_back step=1 gate=error_rate"}
					if diff := cmp.Diff(want, events(t, bodies)); diff != "" {
						t.Errorf("webhook events (-want +got):\n%s", diff)
					}
					checkGroupPayload(t, bodies[len(bodies)-1], prefix, "m1", 0.1)
					checkProgressTags(t, be, prefix, n, "rolled_back", "2")
				},
				Config: groupStack(be.URL, zip, prefix, n, "v1.1.1", nil, policy),
				Check: func(*terraform.State) error {
					want := []string{"started step=1 gate=", "rolled_back step=1 gate=error_rate", "started step=1 gate=", "promoted step=1 gate="}
					if diff := cmp.Diff(want, events(t, hook.snapshot())); diff != "" {
						return fmt.Errorf("webhook events (-want +got):\n%s", diff)
					}
					checkProgressTags(t, be, prefix, n, "promoted", "3")
					return nil
				},
			},
		},
	})
}

// checkGroupPayload checks a rolled_back payload of group prefix: the
// group, every changed member, the member that breached, the gate's
// measured value and threshold, and a text naming them.
func checkGroupPayload(t *testing.T, p map[string]any, group, member string, threshold float64) {
	t.Helper()
	members, _ := p["members"].([]any)
	text, _ := p["text"].(string)
	if p["group"] != group || p["member"] != member || len(members) != 2 || p["value"] == nil || p["threshold"] != threshold ||
		!strings.Contains(text, "Release of group "+group) || !strings.Contains(text, "ROLLED BACK") || !strings.Contains(text, "member "+member) {
		t.Errorf("rolled_back payload: %v", p)
	}
	for _, m := range members {
		mm, _ := m.(map[string]any)
		if mm["key"] == nil || mm["function"] == nil || mm["from_version"] == nil || mm["to_version"] == nil {
			t.Errorf("payload member: %v", mm)
		}
	}
}

// checkProgressTags checks every member's rollout:progress:live tag.
func checkProgressTags(t *testing.T, be *acctest.Backend, prefix string, n int, status, to string) {
	t.Helper()
	for i := 0; i < n; i++ {
		fn, err := lambdaops.FindFunction(context.Background(), sdkLambda(be.URL), fmt.Sprintf("%s-%d", prefix, i))
		if err != nil {
			t.Fatal(err)
		}
		tag := fn.Tags[lambdaops.ProgressTagPrefix+"live"]
		if p, ok := lambdaops.ParseProgress(tag); !ok || p.Status != status || p.To != to {
			t.Errorf("%s-%d progress tag = %q, want status %s to %s", prefix, i, tag, status, to)
		}
	}
}
