package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rollout"
)

// The memory of rolled-back releases. A rollback is recorded in AWS, as a
// tag of the function (lambdaops.RolledBackTagPrefix + the release's
// digest), not in Terraform state: a re-run, a retried job, a state pushed
// back or a fresh working directory all find it. Any plan that would send
// traffic to a version with that digest stops before anything moves,
// unless the alias names that very rollback in retry_rolled_back.

// newTargets are the versions the plan routes to that do not serve the
// alias's traffic today (prior is nil when the alias is created).
func (m aliasModelV0) newTargets(ctx context.Context, prior *aliasModelV0) []target {
	served := map[string]bool{}
	if prior != nil {
		served[prior.FunctionVersion.ValueString()] = true
		if v, _ := prior.routing(ctx); v != "" {
			served[v] = true
		}
	}
	var out []target
	for _, t := range m.targets(ctx) {
		if t.version != "" && t.version != "$LATEST" && !served[t.version] {
			out = append(out, t)
		}
	}
	return out
}

// refuseRolledBack stops a plan (planning) or an apply that would send
// traffic to a rolled-back release. It makes no API call when the plan
// moves no traffic.
func (r *aliasResource) refuseRolledBack(ctx context.Context, c *lambda.Client, m aliasModelV0, prior *aliasModelV0, diags *diag.Diagnostics, planning bool) {
	targets := m.newTargets(ctx, prior)
	if len(targets) == 0 || m.FunctionName.IsUnknown() {
		return
	}
	fn := m.FunctionName.ValueString()
	// Planning may use the tags this walk already read (the apply checks
	// again); the apply reads them fresh.
	read := r.data.reads().functionFresh
	if planning {
		read = r.data.reads().functionSeen
	}
	out, err := read(ctx, c, fn)
	if lambdaops.IsNotFound(err) && planning {
		return // created by the same apply: nothing was rolled back yet
	}
	if err != nil {
		if planning {
			tflog.Warn(ctx, "could not read the rollback memory; the apply checks again", map[string]any{"tf_rollout.error": err.Error()})
			return
		}
		diags.AddError("Rollback Memory Unreadable", apiErrorDetail(
			fmt.Sprintf("The tags of %s, which record rolled-back releases, could not be read, so it is unknown whether the versions this apply routes to were rolled back. No traffic was moved.", fn),
			"Apply again.", err))
		return
	}
	records := lambdaops.RollbackRecords(out.Tags)
	if len(records) == 0 {
		return
	}
	byID := map[string]lambdaops.RollbackRecord{}
	for _, rec := range records {
		byID[rec.Identity] = rec
	}
	retry := m.RetryRolledBack.ValueString()
	used := false
	for _, t := range targets {
		cfg, err := r.data.reads().version(ctx, c, fn, t.version)
		if err != nil {
			continue // checkVersion reports a missing version
		}
		id, release := lambdaops.VersionIdentity(aws.ToString(cfg.Description), t.version)
		rec, ok := byID[id]
		if !ok {
			continue
		}
		if retry != "" && retry == rec.Token() {
			used = true
			if planning {
				diags.AddAttributeWarning(path.Root("retry_rolled_back"), "Retrying A Rolled-Back Release",
					fmt.Sprintf("%s = %q routes to version %s%s, rolled back %s. retry_rolled_back = %q retries it on purpose: the canary runs again with its gates. "+
						"If it is rolled back again, the next plan stops again with a new retry value.", t.label, t.version, t.version, releaseNote(release), describeRollback(rec), retry))
			}
			continue
		}
		diags.AddAttributeError(t.attr, "Release Rolled Back", rolledBackDetail(fn, m.Name.ValueString(), t, release, rec, retry, planning))
	}
	if retry != "" && !used && !diags.HasError() && planning {
		diags.AddAttributeWarning(path.Root("retry_rolled_back"), "Unused Retry",
			fmt.Sprintf("retry_rolled_back = %q names no rollback of the versions this plan routes to; it has no effect and can be removed.", retry))
	}
}

func releaseNote(release string) string {
	if release == "" {
		return ""
	}
	return " (release " + release + ")"
}

func rolledBackDetail(fn, alias string, t target, release string, rec lambdaops.RollbackRecord, retry string, planning bool) string {
	var b strings.Builder
	what := "that release (digest " + rec.Identity + ")"
	if strings.HasPrefix(rec.Identity, "version-") {
		what = "that version"
	}
	fmt.Fprintf(&b, "%s = %q would send traffic to version %s%s of %s, and %s was rolled back %s.\n\n",
		t.label, t.version, t.version, releaseNote(release), fn, what, describeRollback(rec))
	if planning {
		b.WriteString("A rolled-back release is never relaunched on its own: this plan stops here, before any traffic moves.")
	} else {
		b.WriteString("A rolled-back release is never relaunched on its own: the apply stopped before any traffic moved.")
	}
	if retry != "" {
		fmt.Fprintf(&b, " (retry_rolled_back = %q names another rollback of it.)", retry)
	}
	fmt.Fprintf(&b, "\n\nWays forward:\n"+
		"  - Ship a fix: change the code or configuration; the new digest publishes a new version and its canary runs.\n"+
		"  - Return the configuration to a known-good release (rolloutctl pick names it) and apply.\n"+
		"  - Retry this release on purpose: set on the rollout_alias of %s\n"+
		"      retry_rolled_back = %q\n"+
		"    The plan then shows the retry and the canary runs once with its gates; another rollback needs a new value.\n"+
		"To destroy the stack instead, run terraform destroy -refresh=false: terraform destroy first plans the configuration "+
		"to refresh the state, and that plan stops here too.",
		alias, rec.Token())
	return b.String()
}

// describeRollback renders a record: on which alias, when, by which gate,
// with the measured value.
func describeRollback(rec lambdaops.RollbackRecord) string {
	s := fmt.Sprintf("on alias %s at %s", rec.Alias, rec.At.UTC().Format(time.RFC3339))
	if rec.Gate != "" {
		s += " by gate " + rec.Gate
		switch {
		case rec.Value != nil && rec.Threshold != nil:
			s += fmt.Sprintf(" (measured %g, threshold %g)", *rec.Value, *rec.Threshold)
		case rec.Value != nil:
			s += fmt.Sprintf(" (measured %g)", *rec.Value)
		}
	}
	return s
}

// remembersRollback says whether a rollback tells something about the
// release: every rollback does, except a rollout refused before any
// traffic moved because of alarms that were already firing (or could not
// be read) at its start.
func remembersRollback(status string, d rollout.Decision) bool {
	if status != rollout.StatusRolledBack {
		return false
	}
	return d.Step >= 0 || !strings.HasPrefix(d.Gate, "alarm")
}

// rememberRollback records the rollback of version to (traffic is already
// safe when it runs), first removing the oldest reserved tags the tag
// budget needs gone (lambdaops.MakeRoom: at most MaxRollbackRecords
// records, never more than AWS's 50 tags). It adds a warning and returns
// false when the record could not be written.
func rememberRollback(ctx context.Context, c *lambda.Client, fn, alias, to string, d rollout.Decision, at time.Time, diags *diag.Diagnostics) bool {
	ctx = context.WithoutCancel(ctx)
	err := func() error {
		cfg, err := lambdaops.FindVersion(ctx, c, fn, to)
		if err != nil {
			return err
		}
		id, release := lambdaops.VersionIdentity(aws.ToString(cfg.Description), to)
		rec := lambdaops.RollbackRecord{Identity: id, Alias: alias, Version: to, Release: release, At: at, Gate: d.Gate}
		if hasMeasure(d.Gate) {
			v, th := d.Value, d.Threshold
			rec.Value, rec.Threshold = &v, &th
		}
		out, err := lambdaops.FindFunction(ctx, c, fn)
		if err != nil {
			return err
		}
		arn := out.Configuration.FunctionArn
		add := map[string]string{rec.TagKey(): rec.TagValue()}
		// Room first (see lambdaops.MakeRoom): a write past AWS's 50 tags
		// fails, and a rollback that is not remembered can be relaunched.
		drop, err := lambdaops.MakeRoom(out.Tags, add)
		if err != nil {
			return err
		}
		if len(drop) > 0 {
			if _, err := c.UntagResource(ctx, &lambda.UntagResourceInput{Resource: arn, TagKeys: drop}); err != nil {
				return err
			}
			tflog.Info(ctx, "made room for the rollback record", map[string]any{"tf_rollout.removed": drop})
		}
		if _, err := c.TagResource(ctx, &lambda.TagResourceInput{Resource: arn, Tags: add}); err != nil {
			return err
		}
		tflog.Info(ctx, "rollback remembered", map[string]any{"tf_rollout.tag": rec.TagKey(), "tf_rollout.value": rec.TagValue()})
		return nil
	}()
	if err != nil {
		diags.AddWarning("Rollback Not Remembered", apiErrorDetail(
			fmt.Sprintf("The rollback of version %s of %s could not be recorded in the function's tags, so a later plan of the same release will not stop on its own.", to, fn),
			"Do not re-apply this release unchanged; ship a fix or revert the configuration.", err))
	}
	return err == nil
}

// forgetRollback drops the record of version to's release after a
// deliberate retry promoted it.
func forgetRollback(ctx context.Context, c *lambda.Client, fn, to string) {
	ctx = context.WithoutCancel(ctx)
	cfg, err := lambdaops.FindVersion(ctx, c, fn, to)
	if err != nil {
		return
	}
	id, _ := lambdaops.VersionIdentity(aws.ToString(cfg.Description), to)
	out, err := lambdaops.FindFunction(ctx, c, fn)
	if err != nil {
		return
	}
	key := lambdaops.RolledBackTagPrefix + id
	if _, ok := out.Tags[key]; !ok {
		return
	}
	if _, err := c.UntagResource(ctx, &lambda.UntagResourceInput{Resource: out.Configuration.FunctionArn, TagKeys: []string{key}}); err != nil {
		tflog.Warn(ctx, "could not clear a rollback record after the retry was promoted", map[string]any{"tf_rollout.tag": key, "tf_rollout.error": err.Error()})
	}
}

// hasMeasure says whether a gate has a measured value and a threshold.
func hasMeasure(gate string) bool {
	return gate == "error_rate" || gate == "p99" || gate == "insufficient_data"
}
