// Package status is `rolloutctl status`: what an alias, or every member of
// a rollout_alias_group, serves now (from Lambda), or with --state how its
// last rollout ended (from a state), as text, JSON or an exit code.
package status

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
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
	// Window is how far back the per-version metrics reach.
	Window time.Duration
	// Watch redraws the view every Interval until the context ends.
	Watch    bool
	Interval time.Duration
	// Group is a rollout_alias_group's name; its members come from the
	// state at Source (the positional argument) or from Members.
	Group   string
	Members memberFlags
	Source  string

	f *cmdutil.Factory
}

// New parses status's command line. Positional arguments are ignored.
func New(f *cmdutil.Factory, args []string) (*Options, error) {
	o := &Options{f: f}
	fs := f.NewFlagSet("status")
	o.Flags(fs)
	fs.StringVar(&o.State, "state", "", "read the alias's last rollout from a state (a file, or - for terraform state pull) instead of AWS")
	fs.BoolVar(&o.ExitCode, "exit-code", false, "exit 0 done, 4 in progress, 5 rolled back, 6 aborted (needs --state)")
	fs.DurationVar(&o.Window, "window", 5*time.Minute, "how far back the per-version invocations, error rate and p99 reach")
	fs.BoolVar(&o.Watch, "watch", false, "redraw the view in place every --interval until Ctrl-C")
	fs.DurationVar(&o.Interval, "interval", 5*time.Second, "how often --watch redraws")
	fs.StringVar(&o.Group, "group", "", "every member of a rollout_alias_group: its members from the state given as SOURCE (its newest revision), or from --member")
	fs.Var(&o.Members, "member", "a member of --group as FUNCTION:ALIAS (repeat it), when no state is given")
	pos, err := cmdutil.ParseFlags(fs, args)
	if err != nil {
		return nil, err
	}
	if o.Window < time.Minute {
		return nil, cmdutil.UsageError{Msg: fmt.Sprintf("--window %s is too short: CloudWatch keeps Lambda metrics per minute; give at least 1m, for example --window 5m", o.Window)}
	}
	if o.Watch && (o.State != "" || o.JSON) {
		return nil, cmdutil.UsageError{Msg: "--watch draws the live terminal view: drop --state and --json (for machines, run status --json in a loop)"}
	}
	if o.Interval < time.Second {
		return nil, cmdutil.UsageError{Msg: fmt.Sprintf("--interval %s is too short; give at least 1s, for example --interval 5s", o.Interval)}
	}
	if o.ExitCode && o.State == "" {
		return nil, cmdutil.UsageError{Msg: "--exit-code reads the rollout's outcome from the state: give --state FILE, or --state - with terraform state pull"}
	}
	if o.Group != "" || len(o.Members) > 0 {
		return o.groupOptions(pos)
	}
	if o.Alias == "" || (o.Function == "" && o.State == "") {
		return nil, cmdutil.UsageError{Msg: "status needs --function and --alias"}
	}
	return o, nil
}

// Run prints the status: from the state with --state, else from Lambda.
func Run(ctx context.Context, o *Options) error {
	switch {
	case o.Group != "" && o.State != "":
		return runGroupState(ctx, o)
	case o.State != "":
		return runState(ctx, o)
	case o.Group != "":
		members, err := o.groupMembers(ctx)
		if err != nil {
			return err
		}
		return runLive(ctx, o, func(ctx context.Context) ([]byte, error) { return groupFrame(ctx, o, members) })
	}
	return runLive(ctx, o, func(ctx context.Context) ([]byte, error) { return liveFrame(ctx, o) })
}

// Terminal control for --watch: cursor home, then each line cleared to
// its end, then the rest of the screen cleared, so a redraw overwrites the
// previous frame in place without blanking it first (no flicker).
const (
	cursorHome = "\x1b[H"
	clearToEOL = "\x1b[K"
	clearToEnd = "\x1b[J"
)

// runLive draws frame once, or with --watch every interval until Ctrl-C.
func runLive(ctx context.Context, o *Options, frame func(context.Context) ([]byte, error)) error {
	if !o.Watch {
		// A group's frame comes with the error of a member it could not
		// read: the others are still shown.
		frame, err := frame(ctx)
		if _, werr := o.f.IO.Out.Write(frame); werr != nil {
			return werr
		}
		return err
	}
	for {
		frame, err := frame(ctx)
		if ctx.Err() != nil {
			return nil //nolint:nilerr // Ctrl-C ends the watch cleanly: the last frame stays on screen
		}
		if err != nil {
			what := o.Function + ":" + o.Alias
			if o.Group != "" {
				what = "group " + o.Group
			}
			frame = append(frame, fmt.Sprintf("%s: %v\n", what, err)...)
		}
		var b strings.Builder
		b.WriteString(cursorHome)
		for _, line := range strings.SplitAfter(strings.TrimSuffix(string(frame), "\n"), "\n") {
			b.WriteString(strings.TrimSuffix(line, "\n") + clearToEOL + "\n")
		}
		b.WriteString(clearToEnd)
		if _, err := io.WriteString(o.f.IO.Out, b.String()); err != nil {
			return err
		}
		if err := o.f.Sleep(ctx, o.Interval); err != nil {
			return nil //nolint:nilerr // the sleep ends only on Ctrl-C, which ends the watch cleanly
		}
	}
}

// liveFrame reads the alias, its function's tags and the metrics, and
// renders them: text or JSON.
func liveFrame(ctx context.Context, o *Options) ([]byte, error) {
	c, err := o.Lambda(ctx, o.f)
	if err != nil {
		return nil, err
	}
	out, text, err := aliasView(ctx, o, c, o.Function, o.Alias)
	if err != nil {
		return nil, err
	}
	if o.JSON {
		var w bytes.Buffer
		if err := cmdutil.WriteJSON(&w, out); err != nil {
			return nil, err
		}
		return w.Bytes(), nil
	}
	return text, nil
}

// aliasView reads one alias, its function's tags and the metrics through
// it: the JSON object and the text of the view.
func aliasView(ctx context.Context, o *Options, c cmdutil.LambdaAPI, function, alias string) (map[string]any, []byte, error) {
	a, err := c.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(function), Name: aws.String(alias)})
	if err != nil {
		return nil, nil, err
	}
	fn, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(function)})
	if err != nil {
		return nil, nil, err
	}
	now := o.f.Now()
	out := map[string]any{"alias": alias, "function_version": aws.ToString(a.FunctionVersion), "revision_id": aws.ToString(a.RevisionId),
		"override": health.CurrentOverride(fn.Tags)}
	release := releaseLabel(ctx, c, function, aws.ToString(a.FunctionVersion), fn.Tags)
	if release != "" {
		out["release"] = release
	}
	if a.RoutingConfig != nil {
		out["routing"] = a.RoutingConfig.AdditionalVersionWeights
	}
	var rolledBack []map[string]any
	var lines []string
	for _, rec := range lambdaops.RollbackRecords(fn.Tags) {
		if rec.Alias != alias {
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
	var routing map[string]float64
	if a.RoutingConfig != nil {
		routing = a.RoutingConfig.AdditionalVersionWeights
	}
	var progress *lambdaops.Progress
	if p, ok := lambdaops.ParseProgress(fn.Tags[lambdaops.ProgressTagPrefix+alias]); ok {
		progress = &p
	}
	versions := routedVersions(aws.ToString(a.FunctionVersion), routing, progress)
	releases := map[string]string{}
	for _, v := range versions {
		if v == aws.ToString(a.FunctionVersion) {
			releases[v] = release
			continue
		}
		releases[v] = releaseLabel(ctx, c, function, v, fn.Tags)
	}
	var rv *rolloutView
	if progress != nil {
		rv = progressView(*progress, now)
		out["rollout"] = rv
	}
	var metrics []versionMetrics
	cw, metricsErr := o.CloudWatch(ctx, o.f)
	if metricsErr == nil && cw != nil {
		metrics, metricsErr = metricsQuery(ctx, cw, function, alias, versions, now.Add(-o.Window), now)
		if metricsErr == nil && progress != nil && progress.Status == "in_progress" {
			since := progress.StepStarted
			if since.IsZero() || since.After(now) {
				since = now
			}
			b, err := metricsQuery(ctx, cw, function, alias, []string{progress.To}, since, now)
			if err == nil {
				rv.Gates = gatesOf(*progress, b[0])
			}
		}
	}
	if metricsErr != nil {
		out["metrics_error"] = metricsErr.Error()
	} else if metrics != nil {
		out["window_seconds"] = o.Window.Seconds()
		out["metrics"] = metrics
	}
	var w bytes.Buffer
	fmt.Fprintf(&w, "%s:%s -> version %s", function, alias, aws.ToString(a.FunctionVersion))
	if release != "" {
		fmt.Fprintf(&w, " (%s)", release)
	}
	for _, v := range versions[1:] {
		if wt, ok := routing[v]; ok {
			fmt.Fprintf(&w, " (%g%% on version %s)", wt*100, v)
		}
	}
	if ov := health.CurrentOverride(fn.Tags); ov != "" {
		fmt.Fprintf(&w, "  override: %s", ov)
	}
	fmt.Fprintln(&w)
	for _, l := range lines {
		fmt.Fprintln(&w, l)
	}
	renderDetails(&w, rv, metrics, metricsErr, o.Window, releases)
	return out, w.Bytes(), nil
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
	rev, err := cmdutil.SourceOptions{Source: o.State}.Newest(ctx, o.f)
	if err != nil {
		return err
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
