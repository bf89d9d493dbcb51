package cmdutil

import (
	"errors"
	"fmt"
)

// Exit codes.
const (
	ExitOK        = 0
	ExitError     = 1
	ExitUsage     = 2
	ExitNoneFound = 3
	// status --exit-code: how the alias's last rollout stands.
	ExitInProgress = 4 // a plan-driven rollout is running: apply again after its interval
	ExitRolledBack = 5 // the last rollout was rolled back
	ExitAborted    = 6 // the last rollout was aborted
	// SIGINT or SIGTERM stopped the command (128 + SIGINT, as shells report it).
	ExitInterrupted = 130
)

// StatusCode ends a command with an exit code that is a result, not an error.
type StatusCode int

func (c StatusCode) Error() string { return fmt.Sprintf("exit %d", int(c)) }

// UsageError is a command line that cannot be run: rolloutctl prints it
// with the usage and exits 2.
type UsageError struct{ Msg string }

func (u UsageError) Error() string { return u.Msg }

// ErrNoneFound is pick finding no known-good revision: exit 3.
var ErrNoneFound = errors.New("no known-good revision")
