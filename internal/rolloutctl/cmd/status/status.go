// Package status is `rolloutctl status`: what an alias serves now (from
// Lambda), or with --state how its last rollout ended (from a state), as
// text, JSON or an exit code.
package status

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/rollout-tf/terraform-provider-rollout/internal/health"
	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmdutil"
	"github.com/rollout-tf/terraform-provider-rollout/internal/statehistory"
)

// Options are status's flags.
type Options struct {
	cmdutil.LiveOptions
	State    string
	ExitCode bool

	f *cmdutil.Factory
}

// New parses status's command line. Positional arguments are ignored.
func New(f *cmdutil.Factory, args []string) (*Options, error) {
	o := &Options{f: f}
	fs := f.NewFlagSet("status")
	o.Flags(fs)
	fs.StringVar(&o.State, "state", "", "read the alias's last rollout from a state (a file, or - for terraform state pull) instead of AWS")
	fs.BoolVar(&o.ExitCode, "exit-code", false, "exit 0 done, 4 in progress, 5 rolled back, 6 aborted (needs --state)")
	if _, err := cmdutil.ParseFlags(fs, args); err != nil {
		return nil, err
	}
	if o.ExitCode && o.State == "" {
		return nil, cmdutil.UsageError{Msg: "--exit-code reads the rollout's outcome from the state: give --state FILE, or --state - with terraform state pull"}
	}
	if o.Alias == "" || (o.Function == "" && o.State == "") {
		return nil, cmdutil.UsageError{Msg: "status needs --function and --alias"}
	}
	return o, nil
}

// Run prints the status: from the state with --state, else from Lambda.
func Run(ctx context.Context, o *Options) error {
	if o.State != "" {
		return runState(ctx, o)
	}
	return runLive(ctx, o)
}

func runLive(ctx context.Context, o *Options) error {
	c, err := o.Lambda(ctx, o.f)
	if err != nil {
		return err
	}
	a, err := c.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(o.Function), Name: aws.String(o.Alias)})
	if err != nil {
		return err
	}
	fn, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(o.Function)})
	if err != nil {
		return err
	}
	out := map[string]any{"alias": o.Alias, "function_version": aws.ToString(a.FunctionVersion), "revision_id": aws.ToString(a.RevisionId),
		"override": health.CurrentOverride(fn.Tags)}
	release := releaseLabel(ctx, c, o.Function, aws.ToString(a.FunctionVersion), fn.Tags)
	if release != "" {
		out["release"] = release
	}
	if a.RoutingConfig != nil {
		out["routing"] = a.RoutingConfig.AdditionalVersionWeights
	}
	var rolledBack []map[string]any
	var lines []string
	for _, rec := range lambdaops.RollbackRecords(fn.Tags) {
		if rec.Alias != o.Alias {
			continue
		}
		rolledBack = append(rolledBack, map[string]any{"version": rec.Version, "release": rec.Release, "digest": rec.Identity, "at": rec.At,
			"gate": rec.Gate, "value": rec.Value, "threshold": rec.Threshold, "retry_rolled_back": rec.Token()})
		line := fmt.Sprintf("  rolled back: version %s", rec.Version)
		if rec.Release != "" {
			line += " (" + rec.Release + ")"
		}
		line += " at " + rec.At.UTC().Format(time.RFC3339)
		if rec.Gate != "" {
			line += " by gate " + rec.Gate
			if rec.Value != nil && rec.Threshold != nil {
				line += fmt.Sprintf(" (measured %g, threshold %g)", *rec.Value, *rec.Threshold)
			}
		}
		lines = append(lines, line+fmt.Sprintf("; never relaunched unless the alias sets retry_rolled_back = %q", rec.Token()))
	}
	if rolledBack != nil {
		out["rolled_back"] = rolledBack
	}
	w := o.f.IO.Out
	if o.JSON {
		return cmdutil.WriteJSON(w, out)
	}
	fmt.Fprintf(w, "%s:%s -> version %s", o.Function, o.Alias, aws.ToString(a.FunctionVersion))
	if release != "" {
		fmt.Fprintf(w, " (%s)", release)
	}
	if a.RoutingConfig != nil {
		for v, wt := range a.RoutingConfig.AdditionalVersionWeights {
			fmt.Fprintf(w, " (%g%% on version %s)", wt*100, v)
		}
	}
	if ov := health.CurrentOverride(fn.Tags); ov != "" {
		fmt.Fprintf(w, "  override: %s", ov)
	}
	fmt.Fprintln(w)
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
	return nil
}

// releaseLabel is a version's release label: the rollout:release:<N> tag
// when the label was changed after publish, else the one its description
// recorded at publish.
func releaseLabel(ctx context.Context, c cmdutil.LambdaAPI, function, version string, tags map[string]string) string {
	if l, ok := tags[lambdaops.ReleaseTagPrefix+version]; ok {
		return l
	}
	cfg, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(function), Qualifier: aws.String(version)})
	if err != nil {
		return ""
	}
	_, meta, _ := lambdaops.ParseDescription(aws.ToString(cfg.Description))
	return meta.Release
}

// runState reports the last rollout of an alias as the newest readable
// revision of a state records it; with --exit-code the outcome is also the
// exit code, so a pipeline needs no text parsing.
func runState(ctx context.Context, o *Options) error {
	revs, err := cmdutil.SourceOptions{Source: o.State}.Revisions(ctx, o.f)
	if err != nil {
		return err
	}
	var rev *statehistory.Revision
	for i := len(revs) - 1; i >= 0 && rev == nil; i-- {
		if revs[i].Error == "" {
			rev = &revs[i]
		}
	}
	if rev == nil {
		return fmt.Errorf("%s holds no readable state", o.State)
	}
	var view *statehistory.AliasView
	for i, a := range rev.Aliases {
		if a.Name == o.Alias && (o.Function == "" || a.Function == o.Function) {
			view = &rev.Aliases[i]
		}
	}
	if view == nil {
		return fmt.Errorf("no rollout_alias named %q in %s", o.Alias, o.State)
	}
	outcome, code := "done", cmdutil.ExitOK
	switch view.Deployment {
	case "in_progress":
		outcome, code = "in progress", cmdutil.ExitInProgress
	case "rolled_back":
		outcome, code = "rolled back", cmdutil.ExitRolledBack
	case "aborted":
		outcome, code = "aborted", cmdutil.ExitAborted
	}
	if o.JSON {
		if err := cmdutil.WriteJSON(o.f.IO.Out, map[string]any{"alias": view.Name, "function": view.Function, "outcome": outcome, "exit_code": code,
			"deployment": view.Deployment, "primary": view.Primary, "routing_version": view.RoutingVersion, "routing_weight": view.RoutingWeight, "reason": view.Reason}); err != nil {
			return err
		}
	} else {
		line := fmt.Sprintf("%s: %s", view.Name, outcome)
		switch {
		case code == cmdutil.ExitOK:
			line += fmt.Sprintf(": version %s serves all traffic", view.Primary)
		case view.RoutingVersion != "":
			line += fmt.Sprintf(": version %s with %g%% on version %s", view.Primary, view.RoutingWeight*100, view.RoutingVersion)
		default:
			line += fmt.Sprintf(": version %s serves all traffic", view.Primary)
		}
		if view.Reason != "" {
			line += " (" + view.Reason + ")"
		}
		fmt.Fprintln(o.f.IO.Out, line)
	}
	if o.ExitCode && code != cmdutil.ExitOK {
		return cmdutil.StatusCode(code)
	}
	return nil
}
