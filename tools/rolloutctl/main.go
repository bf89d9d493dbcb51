// Command rolloutctl reads the stored history of a Terraform state, diffs
// revisions, picks the known-good one to return to, and steers running
// canaries. Exit codes: 0 success, 1 error, 2 usage, 3 no known-good
// revision found by pick.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/rollout-tf/terraform-provider-rollout/internal/awsclient"
	"github.com/rollout-tf/terraform-provider-rollout/internal/health"
	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/statehistory"
)

var version = "dev"

// Exit codes.
const (
	exitOK        = 0
	exitError     = 1
	exitUsage     = 2
	exitNoneFound = 3
	// status --exit-code: how the alias's last rollout stands.
	exitInProgress = 4 // a plan-driven rollout is running: apply again after its interval
	exitRolledBack = 5 // the last rollout was rolled back
	exitAborted    = 6 // the last rollout was aborted
)

// statusCode ends a command with an exit code that is a result, not an error.
type statusCode int

func (c statusCode) Error() string { return fmt.Sprintf("exit %d", int(c)) }

// env is what a command runs with: its IO and how to build AWS clients.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}))
}

const usage = `rolloutctl: the state history of rollout_* resources, and live canary helpers.

  rolloutctl history  SOURCE [--alias NAME] [--json]
  rolloutctl diff     SOURCE REV_A REV_B [--all] [--json]
  rolloutctl pick     SOURCE [--before REV] [--write-state FILE [--drop-new-resources]] [--json]
  rolloutctl status   --function NAME --alias NAME [--json]
  rolloutctl status   --state SOURCE --alias NAME [--exit-code] [--json]
  rolloutctl override --function NAME --alias NAME promote|pause|abort|clear
  rolloutctl version

SOURCE is a state file (its backups are read too), a folder of snapshots,
s3://bucket/key (every object version; --workspace, --endpoint, --region),
or - for stdin (terraform state pull | rolloutctl history -).
REV is a revision id, an unambiguous prefix of one, or a content hash.
Exit codes: 0 success, 1 error, 2 usage, 3 pick found no known-good revision.
status --exit-code (from the state's rollout_alias.deployment): 0 done (the
alias serves its target: promoted, or no rollout), 4 in progress (a
plan-driven rollout: apply again after its interval), 5 rolled back,
6 aborted.
`

func run(ctx context.Context, args []string, e env) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(e.stdout, usage)
		return exitOK
	}
	var err error
	switch args[0] {
	case "version":
		fmt.Fprintln(e.stdout, "rolloutctl", version)
		return exitOK
	case "history":
		var o historyOptions
		if err = o.parse(args[1:], e); err == nil {
			err = runHistory(ctx, o, e)
		}
	case "diff":
		var o diffOptions
		if err = o.parse(args[1:], e); err == nil {
			err = runDiff(ctx, o, e)
		}
	case "pick":
		var o pickOptions
		if err = o.parse(args[1:], e); err == nil {
			err = runPick(ctx, o, e)
		}
	case "status":
		var o liveOptions
		if err = o.parse("status", args[1:], e, false); err == nil {
			err = runStatus(ctx, o, e)
		}
	case "override":
		var o liveOptions
		if err = o.parse("override", args[1:], e, true); err == nil {
			err = runOverride(ctx, o, e)
		}
	default:
		err = usageError{fmt.Sprintf("unknown command %q", args[0])}
	}
	var ue usageError
	var sc statusCode
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &sc):
		return int(sc)
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(e.stderr, "rolloutctl: %s\n\n%s", ue.msg, usage)
		return exitUsage
	case errors.Is(err, errNoneFound):
		return exitNoneFound
	default:
		fmt.Fprintln(e.stderr, "rolloutctl:", err)
		return exitError
	}
}

type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

var errNoneFound = errors.New("no known-good revision")

// sourceOptions are the flags that locate a state's history.
type sourceOptions struct {
	source    string
	workspace string
	endpoint  string
	region    string
	json      bool
}

func (s *sourceOptions) flags(fs *flag.FlagSet) {
	fs.StringVar(&s.workspace, "workspace", "", "workspace of an S3 state (reads env:/<workspace>/<key>)")
	fs.StringVar(&s.endpoint, "endpoint", "", "S3 endpoint, e.g. http://127.0.0.1:4599 for the sandbox (default: AWS_ENDPOINT_URL_S3, AWS)")
	fs.StringVar(&s.region, "region", "", "AWS region (default: the SDK's resolution)")
	fs.BoolVar(&s.json, "json", false, "print JSON")
}

// parseInterleaved lets flags follow positional arguments.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func (s sourceOptions) open(ctx context.Context, e env) (statehistory.Source, error) {
	switch {
	case s.source == "-":
		return statehistory.ReaderSource{R: e.stdin, Name: "stdin"}, nil
	case strings.HasPrefix(s.source, "s3://"):
		bucket, key, ok := strings.Cut(strings.TrimPrefix(s.source, "s3://"), "/")
		if !ok || bucket == "" || key == "" {
			return nil, usageError{fmt.Sprintf("%q is not s3://bucket/key", s.source)}
		}
		opts := awsclient.Options{Region: s.region, Getenv: e.getenv, Endpoints: map[awsclient.Service]string{}}
		if s.endpoint != "" {
			opts.Endpoints[awsclient.S3] = s.endpoint
		}
		c, err := awsclient.New(opts).S3(ctx)
		if err != nil {
			return nil, err
		}
		src := statehistory.S3Source{Client: c, Bucket: bucket, Key: key, Workspace: s.workspace}
		if dir, err := os.UserCacheDir(); err == nil && e.getenv("ROLLOUTCTL_NO_CACHE") == "" {
			// Object versions never change: cache them (ROLLOUTCTL_NO_CACHE=1 disables).
			src.CacheDir = filepath.Join(dir, "rolloutctl")
		}
		if f, ok := e.stderr.(*os.File); ok && isTerminal(f) {
			src.Progress = func(done, total int) { fmt.Fprintf(e.stderr, "\rfetching %d/%d versions", done, total) }
		}
		return src, nil
	}
	info, err := os.Stat(s.source)
	if err != nil {
		return nil, err
	}
	if info.IsDir() {
		return statehistory.DirSource{Dir: s.source}, nil
	}
	return statehistory.LocalSource{Path: s.source}, nil
}

func isTerminal(f *os.File) bool {
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// label names a revision for humans: its file name, or for an S3 object
// version (long ids with a common prefix) its content hash.
func label(r statehistory.Revision) string {
	if len(r.ID) > 20 {
		return r.Hash
	}
	return r.ID
}

// ---- history ----

type historyOptions struct {
	sourceOptions
	alias string
}

func (o *historyOptions) parse(args []string, e env) error {
	fs := flag.NewFlagSet("history", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	o.flags(fs)
	fs.StringVar(&o.alias, "alias", "", "follow one alias (by name) as a timeline of what served traffic")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"history takes one SOURCE"}
	}
	o.source = pos[0]
	return nil
}

type historyLine struct {
	statehistory.Revision
	Aliases   []statehistory.AliasView    `json:"aliases"`
	Functions []statehistory.FunctionView `json:"functions"`
}

func runHistory(ctx context.Context, o historyOptions, e env) error {
	src, err := o.open(ctx, e)
	if err != nil {
		return err
	}
	revs, err := src.Revisions(ctx)
	if err != nil {
		return err
	}
	var lines []historyLine
	for _, r := range revs {
		l := historyLine{Revision: r, Functions: r.Functions}
		for _, a := range r.Aliases {
			if o.alias == "" || a.Name == o.alias {
				l.Aliases = append(l.Aliases, a)
			}
		}
		lines = append(lines, l)
	}
	if o.json {
		return writeJSON(e.stdout, lines)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tREVISION\tLINEAGE\tSERIAL\tALIASES")
	// REVISION is the content hash: short, unique per content, and accepted
	// wherever a revision is named (diff, pick --before); --json has the
	// source's own version ids.
	prev := ""
	for _, l := range lines {
		if l.Error != "" {
			fmt.Fprintf(tw, "%s\t%s\t-\t-\tunreadable: %s\n", l.Time.Format(time.RFC3339), l.Hash, l.Error)
			continue
		}
		var parts []string
		for _, a := range l.Aliases {
			parts = append(parts, a.Describe())
		}
		summary := strings.Join(parts, "; ")
		if o.alias != "" && summary == prev && len(l.Flags) == 0 {
			continue // a timeline shows changes only
		}
		prev = summary
		for _, f := range l.Flags {
			summary += "  !! " + f
		}
		fmt.Fprintf(tw, "%s\t%s\t%.8s\t%d\t%s\n", l.Time.Format(time.RFC3339), l.Hash, l.Lineage, l.Serial, summary)
	}
	return tw.Flush()
}

// ---- diff ----

type diffOptions struct {
	sourceOptions
	a, b string
	all  bool
}

func (o *diffOptions) parse(args []string, e env) error {
	fs := flag.NewFlagSet("diff", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	o.flags(fs)
	fs.BoolVar(&o.all, "all", false, "every resource, not only rollout_*")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 3 {
		return usageError{"diff takes SOURCE REV_A REV_B"}
	}
	o.source, o.a, o.b = pos[0], pos[1], pos[2]
	return nil
}

func find(revs []statehistory.Revision, id string) (statehistory.Revision, error) {
	var match []statehistory.Revision
	for _, r := range revs {
		if r.ID == id || r.Hash == id {
			return r, nil
		}
		if strings.HasPrefix(r.ID, id) {
			match = append(match, r)
		}
	}
	switch len(match) {
	case 1:
		return match[0], nil
	case 0:
		return statehistory.Revision{}, fmt.Errorf("no revision %q (see rolloutctl history)", id)
	}
	return statehistory.Revision{}, fmt.Errorf("revision %q is ambiguous (%d match)", id, len(match))
}

func runDiff(ctx context.Context, o diffOptions, e env) error {
	src, err := o.open(ctx, e)
	if err != nil {
		return err
	}
	revs, err := src.Revisions(ctx)
	if err != nil {
		return err
	}
	a, err := find(revs, o.a)
	if err != nil {
		return err
	}
	b, err := find(revs, o.b)
	if err != nil {
		return err
	}
	sa, _, err := a.Load(ctx)
	if err != nil {
		return fmt.Errorf("revision %s: %w", a.ID, err)
	}
	sb, _, err := b.Load(ctx)
	if err != nil {
		return fmt.Errorf("revision %s: %w", b.ID, err)
	}
	changes := statehistory.Diff(sa, sb, o.all)
	if o.json {
		return writeJSON(e.stdout, changes)
	}
	if len(changes) == 0 {
		fmt.Fprintln(e.stdout, "no differences")
		return nil
	}
	last := ""
	for _, c := range changes {
		if c.Kind != "~" {
			fmt.Fprintf(e.stdout, "%s %s\n", c.Kind, c.Address)
			continue
		}
		if c.Address != last {
			fmt.Fprintf(e.stdout, "~ %s\n", c.Address)
			last = c.Address
		}
		fmt.Fprintf(e.stdout, "    %s: %s -> %s\n", c.Path, c.Old, c.New)
	}
	return nil
}

// ---- pick ----

type pickOptions struct {
	sourceOptions
	before     string
	writeState string
	dropNew    bool
}

func (o *pickOptions) parse(args []string, e env) error {
	fs := flag.NewFlagSet("pick", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	o.flags(fs)
	fs.StringVar(&o.before, "before", "", "pick before this revision (default: the newest)")
	fs.StringVar(&o.writeState, "write-state", "", "write the picked revision, with the current lineage and the next serial, for terraform state push")
	fs.BoolVar(&o.dropNew, "drop-new-resources", false, "with --write-state: write it even though it drops resources created after the picked revision (they are listed)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"pick takes one SOURCE"}
	}
	o.source = pos[0]
	return nil
}

func runPick(ctx context.Context, o pickOptions, e env) error {
	src, err := o.open(ctx, e)
	if err != nil {
		return err
	}
	revs, err := src.Revisions(ctx)
	if err != nil {
		return err
	}
	p, err := statehistory.PickKnownGood(revs, o.before)
	if err != nil {
		return err
	}
	written := o.writeState
	if p.Chosen != nil && o.writeState != "" {
		if p.Dropped, err = statehistory.DroppedBy(ctx, *p.Chosen, p.Reference); err != nil {
			return err
		}
		if len(p.Dropped) > 0 && !o.dropNew {
			written = ""
			err = fmt.Errorf("not writing %s: the picked revision %s does not hold %d resource(s) the current state holds (created after it):\n  %s\n"+
				"Pushed, that state would drop them: Terraform would forget resources that still exist and the next plan would not show them. "+
				"Destroy or move them first, or pass --drop-new-resources to write it anyway (then import them again if they are to stay)",
				o.writeState, label(*p.Chosen), len(p.Dropped), strings.Join(p.Dropped, "\n  "))
		} else {
			b, werr := statehistory.WriteState(ctx, *p.Chosen, p.Reference, revs)
			if werr != nil {
				return werr
			}
			if werr := os.WriteFile(o.writeState, b, 0o600); werr != nil {
				return werr
			}
		}
	}
	if o.json {
		if err := writeJSON(e.stdout, p); err != nil {
			return err
		}
	} else {
		printPick(e.stdout, p, written)
	}
	if err != nil {
		return err
	}
	if p.Chosen == nil {
		return errNoneFound
	}
	return nil
}

func printPick(w io.Writer, p statehistory.Pick, written string) {
	fmt.Fprintf(w, "Reference: revision %s (serial %d, %s)\n", label(p.Reference), p.Reference.Serial, p.Reference.Time.Format(time.RFC3339))
	for _, r := range p.Rejected {
		fmt.Fprintf(w, "  rejected %s (serial %d): %s\n", label(r.Revision), r.Revision.Serial, strings.Join(r.Reasons, "; "))
	}
	if p.Chosen == nil {
		fmt.Fprintln(w, "No known-good revision before the reference.")
		return
	}
	fmt.Fprintf(w, "Known-good: revision %s (serial %d, %s)\n\n", label(*p.Chosen), p.Chosen.Serial, p.Chosen.Time.Format(time.RFC3339))
	if len(p.Releases) > 0 {
		fmt.Fprintf(w, "Check out release %s of the configuration and apply it.\n", strings.Join(p.Releases, ", "))
	}
	for _, a := range p.Aliases {
		release := ""
		if a.Release != "" {
			release = " (" + a.Release + ")"
		}
		if a.From == a.To {
			fmt.Fprintf(w, "  alias %s stays on version %s%s\n", a.Address, a.To, release)
			continue
		}
		fmt.Fprintf(w, "  alias %s returns to version %s%s, from %s\n", a.Address, a.To, release, a.From)
	}
	if len(p.ExpectPlan) > 0 {
		fmt.Fprintln(w, "\nThe plan to expect:")
		for _, l := range p.ExpectPlan {
			fmt.Fprintln(w, "  "+l)
		}
	}
	if written != "" {
		fmt.Fprintf(w, "\nWrote %s (lineage kept, serial bumped): terraform state push %s\n", written, written)
		if len(p.Dropped) > 0 {
			fmt.Fprintf(w, "It drops %d resource(s) created after the picked revision (--drop-new-resources); Terraform will no longer manage them:\n  %s\n",
				len(p.Dropped), strings.Join(p.Dropped, "\n  "))
		}
	}
}

// ---- live helpers ----

type liveOptions struct {
	function, alias, endpoint, region, action string
	state                                     string
	json, exitCode                            bool
}

func (o *liveOptions) parse(cmd string, args []string, e env, needAction bool) error {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.StringVar(&o.function, "function", "", "function name")
	fs.StringVar(&o.alias, "alias", "", "alias name")
	fs.StringVar(&o.endpoint, "endpoint", "", "Lambda and CloudWatch endpoint (the sandbox: http://127.0.0.1:4599)")
	fs.StringVar(&o.region, "region", "", "AWS region")
	fs.BoolVar(&o.json, "json", false, "print JSON")
	if cmd == "status" {
		fs.StringVar(&o.state, "state", "", "read the alias's last rollout from a state (a file, or - for terraform state pull) instead of AWS")
		fs.BoolVar(&o.exitCode, "exit-code", false, "exit 0 done, 4 in progress, 5 rolled back, 6 aborted (needs --state)")
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if o.exitCode && o.state == "" {
		return usageError{"--exit-code reads the rollout's outcome from the state: give --state FILE, or --state - with terraform state pull"}
	}
	if o.alias == "" || (o.function == "" && o.state == "") {
		return usageError{cmd + " needs --function and --alias"}
	}
	if needAction {
		if len(pos) != 1 {
			return usageError{"override takes one of promote, pause, abort, clear"}
		}
		switch pos[0] {
		case "promote", "pause", "abort", "clear":
			o.action = pos[0]
		default:
			return usageError{fmt.Sprintf("override %q: want promote, pause, abort or clear", pos[0])}
		}
	}
	return nil
}

func (o liveOptions) lambda(ctx context.Context, e env) (*lambda.Client, error) {
	opts := awsclient.Options{Region: o.region, Getenv: e.getenv, Endpoints: map[awsclient.Service]string{}}
	if o.endpoint != "" {
		opts.Endpoints[awsclient.Lambda] = o.endpoint
		opts.Endpoints[awsclient.CloudWatch] = o.endpoint
	}
	return awsclient.New(opts).Lambda(ctx)
}

func runStatus(ctx context.Context, o liveOptions, e env) error {
	if o.state != "" {
		return runStateStatus(ctx, o, e)
	}
	c, err := o.lambda(ctx, e)
	if err != nil {
		return err
	}
	a, err := c.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(o.function), Name: aws.String(o.alias)})
	if err != nil {
		return err
	}
	fn, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(o.function)})
	if err != nil {
		return err
	}
	out := map[string]any{"alias": o.alias, "function_version": aws.ToString(a.FunctionVersion), "revision_id": aws.ToString(a.RevisionId),
		"override": health.CurrentOverride(fn.Tags)}
	release := releaseLabel(ctx, c, o.function, aws.ToString(a.FunctionVersion), fn.Tags)
	if release != "" {
		out["release"] = release
	}
	if a.RoutingConfig != nil {
		out["routing"] = a.RoutingConfig.AdditionalVersionWeights
	}
	var rolledBack []map[string]any
	var lines []string
	for _, rec := range lambdaops.RollbackRecords(fn.Tags) {
		if rec.Alias != o.alias {
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
	if o.json {
		return writeJSON(e.stdout, out)
	}
	fmt.Fprintf(e.stdout, "%s:%s -> version %s", o.function, o.alias, aws.ToString(a.FunctionVersion))
	if release != "" {
		fmt.Fprintf(e.stdout, " (%s)", release)
	}
	if a.RoutingConfig != nil {
		for v, w := range a.RoutingConfig.AdditionalVersionWeights {
			fmt.Fprintf(e.stdout, " (%g%% on version %s)", w*100, v)
		}
	}
	if ov := health.CurrentOverride(fn.Tags); ov != "" {
		fmt.Fprintf(e.stdout, "  override: %s", ov)
	}
	fmt.Fprintln(e.stdout)
	for _, l := range lines {
		fmt.Fprintln(e.stdout, l)
	}
	return nil
}

// releaseLabel is a version's release label: the rollout:release:<N> tag
// when the label was changed after publish, else the one its description
// recorded at publish.
func releaseLabel(ctx context.Context, c *lambda.Client, function, version string, tags map[string]string) string {
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

// runStateStatus reports the last rollout of an alias as the newest
// readable revision of a state records it; with --exit-code the outcome
// is also the exit code, so a pipeline needs no text parsing.
func runStateStatus(ctx context.Context, o liveOptions, e env) error {
	src, err := sourceOptions{source: o.state}.open(ctx, e)
	if err != nil {
		return err
	}
	revs, err := src.Revisions(ctx)
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
		return fmt.Errorf("%s holds no readable state", o.state)
	}
	var view *statehistory.AliasView
	for i, a := range rev.Aliases {
		if a.Name == o.alias && (o.function == "" || a.Function == o.function) {
			view = &rev.Aliases[i]
		}
	}
	if view == nil {
		return fmt.Errorf("no rollout_alias named %q in %s", o.alias, o.state)
	}
	outcome, code := "done", exitOK
	switch view.Deployment {
	case "in_progress":
		outcome, code = "in progress", exitInProgress
	case "rolled_back":
		outcome, code = "rolled back", exitRolledBack
	case "aborted":
		outcome, code = "aborted", exitAborted
	}
	if o.json {
		if err := writeJSON(e.stdout, map[string]any{"alias": view.Name, "function": view.Function, "outcome": outcome, "exit_code": code,
			"deployment": view.Deployment, "primary": view.Primary, "routing_version": view.RoutingVersion, "routing_weight": view.RoutingWeight, "reason": view.Reason}); err != nil {
			return err
		}
	} else {
		line := fmt.Sprintf("%s: %s", view.Name, outcome)
		switch {
		case code == exitOK:
			line += fmt.Sprintf(": version %s serves all traffic", view.Primary)
		case view.RoutingVersion != "":
			line += fmt.Sprintf(": version %s with %g%% on version %s", view.Primary, view.RoutingWeight*100, view.RoutingVersion)
		default:
			line += fmt.Sprintf(": version %s serves all traffic", view.Primary)
		}
		if view.Reason != "" {
			line += " (" + view.Reason + ")"
		}
		fmt.Fprintln(e.stdout, line)
	}
	if o.exitCode && code != exitOK {
		return statusCode(code)
	}
	return nil
}

// runOverride writes the scoped override: the action and the rollout it
// is for (the alias, the version it moves from and the one it moves to,
// read from the alias's split). The provider obeys it only during that
// rollout and clears it when the rollout ends.
func runOverride(ctx context.Context, o liveOptions, e env) error {
	c, err := o.lambda(ctx, e)
	if err != nil {
		return err
	}
	fn, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(o.function)})
	if err != nil {
		return err
	}
	arn := aws.ToString(fn.Configuration.FunctionArn)
	if o.action == "clear" {
		if err := health.ClearOverride(ctx, c, arn); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "override of %s cleared\n", o.function)
		return nil
	}
	ov, value, err := health.SetOverride(ctx, c, arn, o.function, o.alias, o.action)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "override %s = %q set on %s: the rollout of %s from version %s to version %s reads it at its next interval; it ends with that rollout\n",
		lambdaops.OverrideTag, value, o.function, o.alias, ov.From, ov.To)
	return nil
}
