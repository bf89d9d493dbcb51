package cmdutil

import (
	"errors"
	"flag"
	"io"
)

// NewFlagSet is a command's flag set: errors are returned, not fatal, and
// flag diagnostics and -h go to ErrOut.
func (f *Factory) NewFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(f.IO.ErrOut)
	return fs
}

// ParseFlags parses args with fs and returns the positional arguments.
// Flags may follow positional arguments (rolloutctl pick SOURCE
// --write-state F): the standard parser stops at the first positional,
// so it is taken aside and parsing resumes after it. A flag that is not
// defined or whose value does not parse is a UsageError (exit 2); -h
// prints the command's flags.
func ParseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	out := fs.Output()
	fs.SetOutput(io.Discard)
	defer fs.SetOutput(out)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.SetOutput(out)
				fs.Usage()
				return nil, err
			}
			return nil, UsageError{Msg: fs.Name() + ": " + err.Error()}
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
