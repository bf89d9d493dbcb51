package cmdutil

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/rollout-tf/terraform-provider-rollout/internal/awsclient"
	"github.com/rollout-tf/terraform-provider-rollout/internal/statehistory"
)

// SourceOptions are the flags that locate a state's history (history,
// diff, pick; status --state).
type SourceOptions struct {
	Source    string
	Workspace string
	Endpoint  string
	Region    string
	JSON      bool
}

// Flags registers the source flags and --json.
func (s *SourceOptions) Flags(fs *flag.FlagSet) {
	fs.StringVar(&s.Workspace, "workspace", "", "workspace of an S3 state (reads env:/<workspace>/<key>)")
	fs.StringVar(&s.Endpoint, "endpoint", "", "the source's service address: S3 (e.g. http://127.0.0.1:4599 for the sandbox; default AWS_ENDPOINT_URL_S3, then AWS), "+
		"a Terraform Enterprise API for tfe:// (default https://HOST), a storage emulator for gs://")
	fs.StringVar(&s.Region, "region", "", "AWS region (default: the SDK's resolution)")
	fs.BoolVar(&s.JSON, "json", false, "print JSON")
}

// Open returns the history source: - for stdin, s3://bucket/key,
// tfe://host/organization/workspace, gs://bucket/object, a folder of
// snapshots, or a state file with its backups.
func (s SourceOptions) Open(ctx context.Context, f *Factory) (statehistory.Source, error) {
	switch {
	case s.Source == "-":
		return statehistory.ReaderSource{R: f.IO.In, Name: "stdin"}, nil
	case strings.HasPrefix(s.Source, "tfe://"):
		return s.tfeSource(ctx, f)
	case strings.HasPrefix(s.Source, "gs://"):
		return s.gcsSource(ctx, f)
	case strings.HasPrefix(s.Source, "s3://"):
		bucket, key, ok := strings.Cut(strings.TrimPrefix(s.Source, "s3://"), "/")
		if !ok || bucket == "" || key == "" {
			return nil, UsageError{fmt.Sprintf("%q is not s3://bucket/key", s.Source)}
		}
		c, err := f.Clients.S3(ctx, AWSConfig{Region: s.Region, Endpoints: map[awsclient.Service]string{awsclient.S3: s.Endpoint}})
		if err != nil {
			return nil, cliError(err, s.Source)
		}
		// Object versions never change: cache their summaries.
		src := statehistory.S3Source{Client: c, Bucket: bucket, Key: key, Workspace: s.Workspace, CacheDir: cacheDir(f)}
		src.Progress = progress(f, src.String())
		return src, nil
	}
	info, err := os.Stat(s.Source)
	if err != nil {
		return nil, err
	}
	// Local snapshots' summaries are cached by path, size and time.
	if info.IsDir() {
		return statehistory.DirSource{Dir: s.Source, CacheDir: cacheDir(f)}, nil
	}
	return statehistory.LocalSource{Path: s.Source, CacheDir: cacheDir(f)}, nil
}

// cacheDir is where summaries are cached: rolloutctl under the user's
// cache folder ($XDG_CACHE_HOME, else $HOME/.cache), read from the
// command's environment; none with ROLLOUTCTL_NO_CACHE=1 or without either.
func cacheDir(f *Factory) string {
	if f.Getenv("ROLLOUTCTL_NO_CACHE") != "" {
		return ""
	}
	if dir := f.Getenv("XDG_CACHE_HOME"); filepath.IsAbs(dir) {
		return filepath.Join(dir, "rolloutctl")
	}
	if home := f.Getenv("HOME"); home != "" {
		return filepath.Join(home, ".cache", "rolloutctl")
	}
	return ""
}

// cliError rewords an AWS configuration error for a CLI user: the region
// comes from --region or the environment, there is no provider block.
func cliError(err error, what string) error {
	if errors.Is(err, awsclient.ErrNoRegion) {
		return fmt.Errorf("no AWS region for %s: pass --region (e.g. --region us-east-1) or set AWS_REGION, or a region in the shared config profile", what)
	}
	return err
}

// Revisions opens the source and reads its revisions, oldest first.
func (s SourceOptions) Revisions(ctx context.Context, f *Factory) ([]statehistory.Revision, error) {
	src, err := s.Open(ctx, f)
	if err != nil {
		return nil, err
	}
	return src.Revisions(ctx)
}

// Newest opens the source and reads its newest readable revision, and no
// older one where the source lists its revisions (statehistory.Newest).
func (s SourceOptions) Newest(ctx context.Context, f *Factory) (statehistory.Revision, error) {
	src, err := s.Open(ctx, f)
	if err != nil {
		return statehistory.Revision{}, err
	}
	rev, ok, err := statehistory.Newest(ctx, src)
	if err == nil && !ok {
		err = fmt.Errorf("%s holds no readable state", s.Source)
	}
	return rev, err
}

// WriteJSON prints v as indented JSON (the shape of every --json).
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
