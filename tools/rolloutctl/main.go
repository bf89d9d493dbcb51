// Command rolloutctl reads the stored history of a Terraform state, diffs
// revisions, picks the known-good one to return to, and steers running
// canaries. Exit codes: 0 success, 1 error, 2 usage, 3 no known-good
// revision found by pick; status --exit-code adds 4, 5 and 6. The commands
// live in internal/rolloutctl/cmd/<command>.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmd/root"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmdutil"
)

var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := root.Run(ctx, os.Args[1:], cmdutil.System(version))
	stop()
	os.Exit(code)
}
