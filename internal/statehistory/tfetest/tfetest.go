// Package tfetest is a local HCP Terraform / Terraform Enterprise API
// server holding the state versions of workspaces, with the endpoints
// rolloutctl uses as the public API documentation specifies them:
//
//   - GET /api/v2/ping (the client reads the API version and rate limit
//     headers when it is built);
//   - GET /api/v2/state-versions?filter[organization][name]=ORG&filter[workspace][name]=WS
//     with page[number] and page[size] (default 20, at most 100): a JSON:API
//     document of state-versions, newest first, with meta.pagination
//     (current-page, prev-page, next-page, total-pages, total-count);
//   - GET the hosted-state-download-url of a version: the raw state.
//
// Every /api/v2 request needs "Authorization: Bearer TOKEN" (401
// otherwise); an unknown organization or workspace is a 404, as the API
// answers for a workspace the token cannot see.
package tfetest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Server is a running API server.
type Server struct {
	URL   string
	Token string

	mu         sync.Mutex
	workspaces map[string][]version // org/ws -> versions, oldest first
	// ListCalls and Downloads count the requests served.
	ListCalls, Downloads atomic.Int64
}

type version struct {
	id      string
	created time.Time
	serial  int64
	body    []byte
}

// Start runs a server on the loopback interface, stopped at the end of
// the test; token is the one API token it accepts.
func Start(t testing.TB, token string) *Server {
	t.Helper()
	s := &Server{Token: token, workspaces: map[string][]version{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v2/ping", s.auth(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("TFP-API-Version", "2.6")
		w.WriteHeader(http.StatusNoContent)
	}))
	mux.HandleFunc("GET /api/v2/state-versions", s.auth(s.list))
	mux.HandleFunc("GET /_archivist/state/{id}", s.download)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Add stores a new state version of org/workspace, created at at.
func (s *Server) Add(org, workspace string, serial int64, at time.Time, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := org + "/" + workspace
	id := fmt.Sprintf("sv-%s-%06d", workspace, len(s.workspaces[k])+1)
	s.workspaces[k] = append(s.workspaces[k], version{id: id, created: at, serial: serial, body: body})
}

func (s *Server) auth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+s.Token {
			writeErrors(w, http.StatusUnauthorized, "unauthorized")
			return
		}
		h(w, r)
	}
}

func writeErrors(w http.ResponseWriter, status int, title string) {
	w.Header().Set("Content-Type", "application/vnd.api+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []any{map[string]any{"status": strconv.Itoa(status), "title": title}}})
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	s.ListCalls.Add(1)
	q := r.URL.Query()
	org, ws := q.Get("filter[organization][name]"), q.Get("filter[workspace][name]")
	if org == "" || ws == "" {
		writeErrors(w, http.StatusUnprocessableEntity, "filter[organization][name] and filter[workspace][name] are required")
		return
	}
	s.mu.Lock()
	versions, ok := s.workspaces[org+"/"+ws]
	s.mu.Unlock()
	if !ok {
		writeErrors(w, http.StatusNotFound, "not found")
		return
	}
	page, size := 1, 20
	if v, err := strconv.Atoi(q.Get("page[number]")); err == nil && v > 0 {
		page = v
	}
	if v, err := strconv.Atoi(q.Get("page[size]")); err == nil && v > 0 {
		size = min(v, 100)
	}
	total := len(versions)
	pages := max(1, (total+size-1)/size)
	var data []any
	for i := (page - 1) * size; i < min(page*size, total); i++ {
		v := versions[total-1-i] // newest first
		data = append(data, map[string]any{"id": v.id, "type": "state-versions", "attributes": map[string]any{
			"created-at": v.created.UTC().Format(time.RFC3339Nano), "serial": v.serial, "size": len(v.body), "status": "finalized",
			"hosted-state-download-url": s.URL + "/_archivist/state/" + v.id, "resources-processed": true,
		}})
	}
	if data == nil {
		data = []any{}
	}
	var next, prev any
	if page < pages {
		next = page + 1
	}
	if page > 1 {
		prev = page - 1
	}
	w.Header().Set("Content-Type", "application/vnd.api+json")
	_ = json.NewEncoder(w).Encode(map[string]any{"data": data, "meta": map[string]any{"pagination": map[string]any{
		"current-page": page, "page-size": size, "prev-page": prev, "next-page": next, "total-pages": pages, "total-count": total}}})
}

// download serves a version's raw state, as the archivist's signed
// hosted-state-download-url does (no token needed).
func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	s.Downloads.Add(1)
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, versions := range s.workspaces {
		for _, v := range versions {
			if v.id == id {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write(v.body)
				return
			}
		}
	}
	http.NotFound(w, r)
}
