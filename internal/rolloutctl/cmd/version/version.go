// Package version is `rolloutctl version`.
package version

import (
	"context"
	"fmt"

	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmdutil"
)

// Options are version's: it has no flags.
type Options struct {
	f *cmdutil.Factory
}

// New takes version's command line; arguments are ignored, as they always were.
func New(f *cmdutil.Factory, _ []string) (*Options, error) {
	return &Options{f: f}, nil
}

// Run prints the version set at build time.
func Run(_ context.Context, o *Options) error {
	_, err := fmt.Fprintln(o.f.IO.Out, "rolloutctl", o.f.AppVersion)
	return err
}
