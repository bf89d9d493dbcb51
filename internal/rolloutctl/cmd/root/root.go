// Package root is rolloutctl's entry: it picks the command, runs it, and
// turns its error into the exit code and message.
package root

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmd/diff"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmd/history"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmd/override"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmd/pick"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmd/report"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmd/status"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmd/version"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmdutil"
)

// Usage is rolloutctl's help.
const Usage = `rolloutctl: the state history of rollout_* and aws_lambda_* resources, and live canary helpers.

  rolloutctl history  SOURCE [--alias NAME | --group NAME] [--json]
  rolloutctl diff     SOURCE REV_A REV_B [--all] [--json]
  rolloutctl pick     SOURCE [--group NAME] [--before REV] [--write-state FILE [--drop-new-resources]] [--json]
  rolloutctl report   SOURCE --html FILE [--alias NAME] [--metrics [--endpoint URL] [--region R]]
  rolloutctl status   --function NAME --alias NAME [--window 5m] [--json | --watch [--interval 5s]]
  rolloutctl status   --state SOURCE --alias NAME [--exit-code] [--json]
  rolloutctl status   --group NAME (SOURCE | --member FUNCTION:ALIAS ...) [--window 5m] [--json | --watch [--interval 5s]]
  rolloutctl status   --state SOURCE --group NAME [--exit-code] [--json]
  rolloutctl override --function NAME --alias NAME promote|pause|abort|clear
  rolloutctl version

SOURCE is a state file (its backups are read too), a folder of snapshots,
s3://bucket/key (every object version; --workspace, --endpoint, --region),
tfe://HOST/ORG/WORKSPACE (HCP Terraform or Terraform Enterprise state
versions; token from TF_TOKEN_<host> or terraform login),
gs://bucket/object (every generation; --endpoint for an emulator),
or - for stdin (terraform state pull | rolloutctl history -).
REV is a revision id, an unambiguous prefix of one, or a content hash.
Exit codes: 0 success, 1 error, 2 usage, 3 pick found no known-good revision,
130 interrupted (SIGINT or SIGTERM).
status --exit-code (from the state's rollout_alias.deployment, or with
--group the rollout_alias_group's): 0 done (the alias serves its target:
promoted, or no rollout), 4 in progress (a plan-driven rollout: apply
again after its interval), 5 rolled back, 6 aborted.
`

// command parses a command line into options (New) and runs them (Run).
type command func(ctx context.Context, f *cmdutil.Factory, args []string) error

func newCommand[O any](parse func(*cmdutil.Factory, []string) (O, error), run func(context.Context, O) error) command {
	return func(ctx context.Context, f *cmdutil.Factory, args []string) error {
		o, err := parse(f, args)
		if err != nil {
			return err
		}
		return run(ctx, o)
	}
}

var commands = map[string]command{
	"history":  newCommand(history.New, history.Run),
	"diff":     newCommand(diff.New, diff.Run),
	"pick":     newCommand(pick.New, pick.Run),
	"report":   newCommand(report.New, report.Run),
	"status":   newCommand(status.New, status.Run),
	"override": newCommand(override.New, override.Run),
	"version":  newCommand(version.New, version.Run),
}

// Run runs the command line args (without the program name) and returns
// the exit code.
func Run(ctx context.Context, args []string, f *cmdutil.Factory) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(f.IO.Out, Usage)
		return cmdutil.ExitOK
	}
	var err error
	if cmd, ok := commands[args[0]]; ok {
		err = cmd(ctx, f, args[1:])
	} else {
		err = cmdutil.UsageError{Msg: fmt.Sprintf("unknown command %q", args[0])}
	}
	return exitCode(err, f)
}

// exitCode maps a command's error to the exit code, printing what the
// user needs to see.
func exitCode(err error, f *cmdutil.Factory) int {
	var ue cmdutil.UsageError
	var sc cmdutil.StatusCode
	switch {
	case err == nil:
		return cmdutil.ExitOK
	case errors.As(err, &sc):
		return int(sc)
	case errors.Is(err, flag.ErrHelp):
		return cmdutil.ExitOK
	case errors.As(err, &ue):
		fmt.Fprintf(f.IO.ErrOut, "rolloutctl: %s\n\n%s", ue.Msg, Usage)
		return cmdutil.ExitUsage
	case errors.Is(err, cmdutil.ErrNoneFound):
		return cmdutil.ExitNoneFound
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(f.IO.ErrOut, "rolloutctl: interrupted")
		return cmdutil.ExitInterrupted
	default:
		fmt.Fprintln(f.IO.ErrOut, "rolloutctl:", err)
		return cmdutil.ExitError
	}
}
