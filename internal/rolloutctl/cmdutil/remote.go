package cmdutil

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"cloud.google.com/go/storage"
	"google.golang.org/api/option"

	"github.com/rollout-tf/terraform-provider-rollout/internal/statehistory"
)

// tfeSource opens tfe://HOST/ORG/WORKSPACE: HCP Terraform
// (app.terraform.io) or a Terraform Enterprise, at https://HOST or the
// --endpoint address, with the token Terraform itself would use.
func (s SourceOptions) tfeSource(ctx context.Context, f *Factory) (statehistory.Source, error) {
	parts := strings.Split(strings.TrimPrefix(s.Source, "tfe://"), "/")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return nil, UsageError{fmt.Sprintf("%q is not tfe://HOST/ORGANIZATION/WORKSPACE (e.g. tfe://app.terraform.io/acme/orders-prod)", s.Source)}
	}
	host, org, ws := parts[0], parts[1], parts[2]
	token, err := tfeToken(f, host)
	if err != nil {
		return nil, err
	}
	address := "https://" + host
	if s.Endpoint != "" {
		address = s.Endpoint
	}
	client, err := statehistory.NewTFEClient(ctx, address, token)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", address, err)
	}
	src := statehistory.TFESource{Client: client, Address: address, Token: token, Organization: org, Workspace: ws}
	src.Progress = progress(f, src.String())
	return src, nil
}

// tfeToken finds the API token for host as Terraform does: the
// TF_TOKEN_<host> environment variable (dots as _, dashes as __), then
// TFE_TOKEN, then the credentials file terraform login writes.
func tfeToken(f *Factory, host string) (string, error) {
	env := "TF_TOKEN_" + strings.ReplaceAll(strings.ReplaceAll(host, "-", "__"), ".", "_")
	if t := f.Getenv(env); t != "" {
		return t, nil
	}
	if t := f.Getenv("TFE_TOKEN"); t != "" {
		return t, nil
	}
	if home := f.Getenv("HOME"); home != "" {
		b, err := os.ReadFile(filepath.Join(home, ".terraform.d", "credentials.tfrc.json"))
		if err == nil {
			var file struct {
				Credentials map[string]struct {
					Token string `json:"token"`
				} `json:"credentials"`
			}
			if err := json.Unmarshal(b, &file); err != nil {
				return "", fmt.Errorf("reading ~/.terraform.d/credentials.tfrc.json: %w", err)
			}
			if c, ok := file.Credentials[host]; ok && c.Token != "" {
				return c.Token, nil
			}
		}
	}
	return "", fmt.Errorf("no API token for %s: set %s, or run terraform login %s", host, env, host)
}

// gcsSource opens gs://BUCKET/OBJECT with the application default
// credentials, or --endpoint (a storage emulator) without credentials.
func (s SourceOptions) gcsSource(ctx context.Context, f *Factory) (statehistory.Source, error) {
	bucket, object, ok := strings.Cut(strings.TrimPrefix(s.Source, "gs://"), "/")
	if !ok || bucket == "" || object == "" {
		return nil, UsageError{fmt.Sprintf("%q is not gs://bucket/object (e.g. gs://tfstate/orders/default.tfstate)", s.Source)}
	}
	var opts []option.ClientOption
	if s.Endpoint != "" {
		// JSON reads: an emulator serves the JSON API, not always the XML one.
		opts = append(opts, option.WithEndpoint(strings.TrimSuffix(s.Endpoint, "/")+"/storage/v1/"), option.WithoutAuthentication(), storage.WithJSONReads())
	}
	c, err := storage.NewClient(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("connecting to Cloud Storage: %w", err)
	}
	src := statehistory.GCSSource{Client: c, Bucket: bucket, Object: object}
	src.Progress = progress(f, src.String())
	return src, nil
}

// progressEvery is how many versions pass between two progress lines
// when stderr is not a terminal: only long fetches say anything.
const progressEvery = 1000

// progress reports a remote fetch on stderr: a line redrawn in place on
// a terminal, otherwise a line every progressEvery versions and one at
// the end of a fetch that long. A total below 0 is not known yet (pick
// reads S3's listing as it goes); the last call has done == total.
func progress(f *Factory, what string) func(done, total int) {
	tty := f.IO.ErrOutIsTerminal()
	var mu sync.Mutex
	return func(done, total int) {
		mu.Lock()
		defer mu.Unlock()
		count := fmt.Sprintf("%d/%d", done, total)
		if total < 0 {
			count = fmt.Sprint(done)
		}
		switch {
		case tty:
			fmt.Fprintf(f.IO.ErrOut, "\rfetched %s versions of %s", count, what)
			if done == total {
				fmt.Fprintln(f.IO.ErrOut)
			}
		case done%progressEvery == 0 && done != total || (done == total && total >= progressEvery):
			fmt.Fprintf(f.IO.ErrOut, "fetched %s versions of %s\n", count, what)
		}
	}
}
