package provider

import (
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/rollout-tf/terraform-provider-rollout/internal/rollout"
)

// rolloutEnd is how a rollout that was not promoted ended, the same in both
// wait modes, so that the gate record and the error text are the same.
type rolloutEnd struct {
	function, alias, from, to string
	status                    string  // rolled_back or aborted
	step                      int64   // 1-based; 0 when no traffic moved
	weight                    float64 // the new version's weight at the end
	reason, gate              string
	value, threshold          *float64
	remembered                bool // the rollback is recorded in the function's tags
}

// gateMeasure renders the gate with its measured value and threshold.
func gateMeasure(gate string, value, threshold *float64) string {
	switch {
	case hasMeasure(gate) && value != nil && threshold != nil:
		return fmt.Sprintf(" (gate %s: measured %.4g, threshold %.4g)", gate, *value, *threshold)
	case gate != "":
		return fmt.Sprintf(" (gate %s)", gate)
	}
	return ""
}

// addError adds the error diagnostic of a rollout that was not promoted.
func (e rolloutEnd) addError(diags *diag.Diagnostics) {
	where := fmt.Sprintf("at step %d with %g%% of the traffic on version %s", e.step, e.weight, e.to)
	if e.step <= 0 {
		where = "before any traffic moved"
	}
	if e.status == rollout.StatusAborted {
		diags.AddError("Rollout Aborted",
			fmt.Sprintf("The rollout of %s:%s from version %s to version %s was aborted %s: %s. All traffic is back on version %s; the state says deployment.status = \"aborted\".",
				e.function, e.alias, e.from, e.to, where, e.reason, e.from))
		return
	}
	next := fmt.Sprintf("the next plan shows %s -> %s again: fix forward, or revert the configuration.", e.from, e.to)
	if e.remembered {
		next = "this release is remembered as rolled back (in the function's tags), so a plan that sends it traffic again stops before anything moves: " +
			"ship a fix, return the configuration to a known-good release, or retry it on purpose with rollout_alias.retry_rolled_back."
	}
	diags.AddError("Canary Rolled Back",
		fmt.Sprintf("The rollout of %s:%s from version %s to version %s was rolled back %s: %s%s.\n\n"+
			"All traffic is back on version %s (one UpdateAlias). The state records version %s and deployment.status = \"rolled_back\"; %s",
			e.function, e.alias, e.from, e.to, where, e.reason, gateMeasure(e.gate, e.value, e.threshold), e.from, e.from, next))
}
