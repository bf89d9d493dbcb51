package status

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmdtest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmdutil"
)

// groupState is the newest state the real terraform wrote for a
// two-member rollout_alias_group "hist" (members m0 = hist-0:live and
// m1 = hist-1:live; its last release rolled back by m1's error rate).
var groupState = filepath.Join("..", "..", "..", "..", "internal", "statehistory", "testdata", "group-terraform-1.11.4", "03.tfstate")

// TestGroupGolden: status --group draws every member's live view (split,
// per-version metrics) at a frozen time, with the members from a state
// (the header names the group's last release) or from --member.
func TestGroupGolden(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		args    []string
		primary string
		routing map[string]float64
	}{
		"group_from_state":  {args: []string{groupState, "--group", "hist"}, primary: "2"},
		"group_mid_release": {args: []string{"--group", "hist", "--member", "hist-0:live", "--member", "hist-1:live"}, primary: "1", routing: map[string]float64{"2": 0.2}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, cw, _ := liveSandboxWith(t, "hist-0", "hist-1")
			setAliasOf(t, c, "hist-0", tc.primary, tc.routing)
			setAliasOf(t, c, "hist-1", tc.primary, tc.routing)
			for _, asJSON := range []bool{false, true} {
				f, io := cmdtest.Factory("", cmdtest.Clients{LambdaClient: c, CloudWatchClient: cw})
				f.Clock = &frozen{now: t0}
				args := tc.args
				if asJSON {
					args = append(args, "--json")
				}
				o, err := New(f, args)
				if err != nil {
					t.Fatal(err)
				}
				if err := Run(context.Background(), o); err != nil {
					t.Fatal(err)
				}
				ext := ".txt"
				if asJSON {
					ext = ".json"
				}
				golden(t, name+ext, normalise(strings.ReplaceAll(io.Out.String(), groupState, "STATE")))
			}
		})
	}
}

// TestGroupWatchAndErrors: --watch redraws the whole group in place on the
// injected clock; a member that cannot be read shows its error in its
// place, the others are still drawn, and the command fails naming it.
func TestGroupWatchAndErrors(t *testing.T) {
	t.Parallel()
	c, cw, _ := liveSandboxWith(t, "hist-0", "hist-1")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f, io := cmdtest.Factory("", cmdtest.Clients{LambdaClient: c, CloudWatchClient: cw})
	clk := &frozen{now: t0, frames: 2, cancel: cancel}
	f.Clock = clk
	o, err := New(f, []string{groupState, "--group", "hist", "--watch", "--interval", "3s"})
	if err != nil {
		t.Fatal(err)
	}
	if err := Run(ctx, o); err != nil {
		t.Fatalf("a cancelled watch returns nil, got %v", err)
	}
	frames := strings.Split(io.Out.String(), cursorHome)[1:]
	if len(frames) != 2 || clk.now.Sub(t0) != 6*time.Second {
		t.Fatalf("want 2 frames 3s apart, got %d over %s", len(frames), clk.now.Sub(t0))
	}
	for i, fr := range frames {
		for _, want := range []string{"group hist: 2 member(s) from " + groupState + clearToEOL + "\n", "member m0 (hist-0:live)" + clearToEOL,
			"member m1 (hist-1:live)" + clearToEOL, "hist-1:live -> version 2 (v2)" + clearToEOL} {
			if !strings.Contains(fr, want) {
				t.Errorf("frame %d lacks %q:\n%s", i, want, fr)
			}
		}
	}

	f, io = cmdtest.Factory("", cmdtest.Clients{LambdaClient: c, CloudWatchClient: cw})
	f.Clock = &frozen{now: t0}
	o, err = New(f, []string{"--group", "hist", "--member", "hist-0:live", "--member", "gone:live"})
	if err != nil {
		t.Fatal(err)
	}
	err = Run(context.Background(), o)
	if diff := cmp.Diff("group hist: 1 member(s) could not be read: gone:live", cmdtest.ErrString(err)); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
	for _, want := range []string{"hist-0:live -> version 2 (v2)", "member gone:live\ngone:live: "} {
		if !strings.Contains(io.Out.String(), want) {
			t.Errorf("the frame lacks %q:\n%s", want, io.Out)
		}
	}

	f, _ = cmdtest.Factory("", cmdtest.Clients{LambdaClient: c})
	o, _ = New(f, []string{groupState, "--group", "checkout"})
	if diff := cmp.Diff(`no rollout_alias_group named "checkout" in `+groupState+"; its groups: hist", cmdtest.ErrString(Run(context.Background(), o))); diff != "" {
		t.Errorf("an unknown group (-want +got):\n%s", diff)
	}
}

// TestGroupState: --state --group reports the group's last release from
// the state, and with --exit-code returns it as the exit code.
func TestGroupState(t *testing.T) {
	t.Parallel()
	f, io := cmdtest.Factory("", cmdtest.Clients{})
	o, err := New(f, []string{"--state", groupState, "--group", "hist", "--exit-code"})
	if err != nil {
		t.Fatal(err)
	}
	err = Run(context.Background(), o)
	var sc cmdutil.StatusCode
	if !errors.As(err, &sc) || int(sc) != cmdutil.ExitRolledBack {
		t.Errorf("exit = %v, want %d (rolled back)", err, cmdutil.ExitRolledBack)
	}
	out := io.Out.String()
	for _, want := range []string{"group hist: rolled back\n", "  last release: rolled_back (m0 2 -> 3, m1 2 -> 3), ended by member m1, gate error_rate: ",
		"  member m0=hist-0:live 2 (v1.1.0)\n", "  member m1=hist-1:live 2 (v1.1.0)\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("status --state --group lacks %q:\n%s", want, out)
		}
	}
}
