package sandbox

import (
	"net/http"
	"regexp"
)

// caller is what the SigV4 Authorization header says about a request. Any
// signature is accepted; the scope gives the region (for ARNs) and the
// service (for routing).
type caller struct {
	AccessKey string
	Region    string
	Service   string
}

var credentialRE = regexp.MustCompile(`Credential=([^/,\s]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request`)

func parseCaller(r *http.Request, defaultRegion string) caller {
	c := caller{Region: defaultRegion}
	if m := credentialRE.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		c.AccessKey, c.Region, c.Service = m[1], m[3], m[4]
		return c
	}
	// Presigned URLs carry the scope in the query string.
	if cred := r.URL.Query().Get("X-Amz-Credential"); cred != "" {
		if m := credentialRE.FindStringSubmatch("Credential=" + cred + ","); m != nil {
			c.AccessKey, c.Region, c.Service = m[1], m[3], m[4]
		}
	}
	return c
}
