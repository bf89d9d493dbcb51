// Package override is `rolloutctl override promote|pause|abort|clear`: the
// scoped override that steers exactly one running rollout.
package override

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/rollout-tf/terraform-provider-rollout/internal/health"
	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmdutil"
)

// Options are override's flags and its action.
type Options struct {
	cmdutil.LiveOptions
	Action string

	f *cmdutil.Factory
}

// New parses override's command line.
func New(f *cmdutil.Factory, args []string) (*Options, error) {
	o := &Options{f: f}
	fs := f.NewFlagSet("override")
	o.Flags(fs)
	pos, err := cmdutil.ParseFlags(fs, args)
	if err != nil {
		return nil, err
	}
	if o.Alias == "" || o.Function == "" {
		return nil, cmdutil.UsageError{Msg: "override needs --function and --alias"}
	}
	if len(pos) != 1 {
		return nil, cmdutil.UsageError{Msg: "override takes one of promote, pause, abort, clear"}
	}
	switch pos[0] {
	case "promote", "pause", "abort", "clear":
		o.Action = pos[0]
	default:
		return nil, cmdutil.UsageError{Msg: fmt.Sprintf("override %q: want promote, pause, abort or clear", pos[0])}
	}
	return o, nil
}

// Run writes the scoped override: the action and the rollout it is for (the
// alias, the version it moves from and the one it moves to, read from the
// alias's split). The provider obeys it only during that rollout and clears
// it when the rollout ends. clear removes it.
func Run(ctx context.Context, o *Options) error {
	c, err := o.Lambda(ctx, o.f)
	if err != nil {
		return err
	}
	fn, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(o.Function)})
	if err != nil {
		return err
	}
	arn := aws.ToString(fn.Configuration.FunctionArn)
	if o.Action == "clear" {
		if err := health.ClearOverride(ctx, c, arn); err != nil {
			return err
		}
		fmt.Fprintf(o.f.IO.Out, "override of %s cleared\n", o.Function)
		return nil
	}
	// Room first: with the function at AWS's 50 tags the override's write
	// would fail in the middle of the rollout it is meant to steer.
	drop, err := lambdaops.MakeRoom(fn.Tags, map[string]string{lambdaops.OverrideTag: o.Action})
	if err != nil {
		return fmt.Errorf("override of %s not set: %w", o.Function, err)
	}
	if len(drop) > 0 {
		if _, err := c.UntagResource(ctx, &lambda.UntagResourceInput{Resource: aws.String(arn), TagKeys: drop}); err != nil {
			return fmt.Errorf("override of %s not set: making room among its tags: %w", o.Function, err)
		}
		fmt.Fprintf(o.f.IO.ErrOut, "removed %s to stay within AWS's %d tags per function\n", strings.Join(drop, ", "), lambdaops.MaxFunctionTags)
	}
	ov, value, err := health.SetOverride(ctx, c, arn, o.Function, o.Alias, o.Action)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.f.IO.Out, "override %s = %q set on %s: the rollout of %s from version %s to version %s reads it at its next interval; it ends with that rollout\n",
		lambdaops.OverrideTag, value, o.Function, o.Alias, ov.From, ov.To)
	return nil
}
