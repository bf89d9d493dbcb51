package statehistory

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	tfe "github.com/hashicorp/go-tfe"
)

// TFESource is every state version of an HCP Terraform or Terraform
// Enterprise workspace, listed through the state-versions API (go-tfe)
// and each downloaded from its hosted-state-download-url.
type TFESource struct {
	Client       *tfe.Client
	Address      string // https://app.terraform.io, or a TFE's address
	Token        string // sent with downloads on the API's own host only
	Organization string
	Workspace    string
	// PageSize is the listing's page size (default and largest: 100).
	PageSize int
	// Parallel downloads (default 8).
	Parallel int
	// Progress, when set, is told how many versions were fetched.
	Progress func(done, total int)
	// HTTP downloads the states (default: a client with a 5-minute timeout).
	HTTP *http.Client
}

// NewTFEClient returns a go-tfe client for address with token. Building
// it asks the API's ping endpoint for its rate limit; go-tfe sends that
// request without a context, so it is bounded by a timeout and abandoned
// when ctx is cancelled.
func NewTFEClient(ctx context.Context, address, token string) (*tfe.Client, error) {
	type built struct {
		c   *tfe.Client
		err error
	}
	done := make(chan built, 1)
	go func() {
		c, err := tfe.NewClient(&tfe.Config{Address: address, Token: token, HTTPClient: &http.Client{Timeout: 2 * time.Minute}})
		done <- built{c, err}
	}()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case b := <-done:
		return b.c, b.err
	}
}

func (s TFESource) String() string { return "tfe://" + s.Organization + "/" + s.Workspace }

// tfeVersion is one state version, as the listing describes it.
type tfeVersion struct {
	id       string
	created  time.Time
	download string
}

// Revisions lists the workspace's state versions page by page (newest
// first, as the API answers; ordered oldest first here) and downloads
// each, Parallel at a time.
func (s TFESource) Revisions(ctx context.Context) ([]Revision, error) {
	size := s.PageSize
	if size <= 0 || size > 100 {
		size = 100
	}
	var refs []tfeVersion
	seen := map[string]bool{}
	for page := 1; ; {
		list, err := s.Client.StateVersions.List(ctx, &tfe.StateVersionListOptions{ListOptions: tfe.ListOptions{PageNumber: page, PageSize: size},
			Organization: s.Organization, Workspace: s.Workspace})
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if errors.Is(err, tfe.ErrResourceNotFound) {
				err = fmt.Errorf("%w (no such organization or workspace, or the token cannot read its state versions)", err)
			}
			return nil, fmt.Errorf("listing state versions of %s: %w", s, err)
		}
		for _, v := range list.Items {
			if v == nil || seen[v.ID] {
				continue
			}
			seen[v.ID] = true
			refs = append(refs, tfeVersion{id: v.ID, created: v.CreatedAt, download: v.DownloadURL})
		}
		if list.Pagination == nil || list.NextPage == 0 {
			break
		}
		if list.NextPage <= page {
			return nil, fmt.Errorf("listing state versions of %s: page %d names %d as the next page; stopping instead of reading pages again", s, page, list.NextPage)
		}
		page = list.NextPage
	}
	if len(refs) == 0 {
		return nil, fmt.Errorf("%s has no state versions", s)
	}
	revs, err := fetchAll(ctx, len(refs), s.Parallel, s.Progress, func(ctx context.Context, i int) Revision {
		v := refs[i]
		load := func(ctx context.Context) ([]byte, error) { return s.download(ctx, v.download) }
		b, err := load(ctx)
		if err != nil {
			return Revision{ID: v.id, Source: s.String(), Time: v.created.UTC(), Error: err.Error()}
		}
		return newRevision(v.id, s.String(), v.created, b, load)
	})
	if err != nil {
		return nil, err
	}
	return order(revs), nil
}

// download reads one state version, no larger than maxStateBytes. The
// token goes only to the API's own host: a download URL elsewhere is
// signed (HCP Terraform's archivist) and must not receive it.
func (s TFESource) download(ctx context.Context, u string) ([]byte, error) {
	if u == "" {
		return nil, errors.New("the state version has no hosted-state-download-url (not finalized yet?)")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	if api, err := url.Parse(s.Address); err == nil && s.Token != "" && api.Host == req.URL.Host {
		req.Header.Set("Authorization", "Bearer "+s.Token)
	}
	c := s.HTTP
	if c == nil {
		c = &http.Client{Timeout: 5 * time.Minute}
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("downloading the state version: %s", resp.Status)
	}
	return readLimited(resp.Body)
}
