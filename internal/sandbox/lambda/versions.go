package lambda

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// publishVersionIn is the body of publishVersion.
type publishVersionIn struct {
	CodeSha256  string `json:"CodeSha256"`
	Description string `json:"Description"`
	RevisionID  string `json:"RevisionId"`
}

func (api *API) publishVersion(c *call, f *functionRecord, in *publishVersionIn) *Error {
	if in.RevisionID != "" && in.RevisionID != f.Latest.RevisionID {
		return errPrecondition()
	}
	if in.CodeSha256 != "" && in.CodeSha256 != f.Latest.CodeSha256 {
		return errInvalidParameter("CodeSHA256 (%s) is different from current CodeSHA256 in $LATEST (%s). Please try again with the CodeSHA256 in $LATEST.", in.CodeSha256, f.Latest.CodeSha256)
	}
	if f.Latest.State == "Pending" {
		return errPending()
	}
	if f.Latest.LastUpdateStatus == "InProgress" {
		return errUpdateInProgress(api.functionARN(f))
	}
	if newest := f.unchangedSincePublish(); newest != nil {
		// The existing version as it is: its own Description and RevisionId,
		// whatever Description the request carries.
		c.note.Qualifier = newest.Version
		writeJSON(c.w, http.StatusCreated, api.configOut(f, newest, newest.Version))
		return nil
	}
	pv := api.newVersion(f, in.Description)
	c.note.Qualifier = pv.Version
	return api.saved(c, f, http.StatusCreated, api.configOut(f, pv, pv.Version))
}

func (api *API) listVersions(c *call, f *functionRecord, _ string) *Error {
	all := []functionConfigurationOut{listItem(api.configOut(f, f.Latest, "$LATEST"))}
	for _, v := range f.Versions {
		all = append(all, listItem(api.configOut(f, v, v.Version)))
	}
	page, next, perr := paginate(len(all), c.r.URL.Query(), func(i int) string { return all[i].Version })
	if perr != nil {
		return perr
	}
	out := map[string]any{"Versions": all[page[0]:page[1]]}
	if next != "" {
		out["NextMarker"] = next
	}
	writeJSON(c.w, http.StatusOK, out)
	return nil
}

// listItem drops the members AWS leaves out of ListVersionsByFunction
// items: State and LastUpdateStatus with their reasons (localstack's AWS
// recording test_publish_version_on_create list_versions_result, 2025-11-25).
func listItem(o functionConfigurationOut) functionConfigurationOut {
	o.State, o.StateReason, o.StateReasonCode = "", "", ""
	o.LastUpdateStatus, o.LastUpdateStatusReason, o.LastUpdateStatusReasonCode = "", "", ""
	return o
}

// paginate applies Marker and MaxItems (at most 50 per page, as AWS) to n
// items; key(i) is the opaque marker of item i.
func paginate(n int, q url.Values, key func(int) string) ([2]int, string, *Error) {
	limit := 50
	if s := q.Get("MaxItems"); s != "" {
		m, err := strconv.Atoi(s)
		if err != nil || m < 1 || m > 10000 {
			return [2]int{}, "", errValidation(fmt.Sprintf("Value '%s' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 10000", s))
		}
		if m < limit {
			limit = m
		}
	}
	start := 0
	if marker := q.Get("Marker"); marker != "" {
		start = -1
		for i := 0; i < n; i++ {
			if base64.RawURLEncoding.EncodeToString([]byte(key(i))) == marker {
				start = i
				break
			}
		}
		if start < 0 {
			return [2]int{}, "", errInvalidParameter("Invalid marker: %s", marker)
		}
	}
	end := start + limit
	next := ""
	if end < n {
		next = base64.RawURLEncoding.EncodeToString([]byte(key(end)))
	} else {
		end = n
	}
	return [2]int{start, end}, next, nil
}
