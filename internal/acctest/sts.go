package acctest

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// STSCall is one request the loopback STS server received.
type STSCall struct {
	Action    string
	AccessKey string
	Region    string
	Service   string
}

// LoopbackSTS is a minimal STS endpoint on 127.0.0.1 that answers
// GetCallerIdentity in the awsQuery wire format the SDK sends and records
// the signing scope of every request. It proves the provider configures
// against a custom loopback endpoint with the credentials and region it was
// given; the full AWS surface is served by internal/sandbox.
type LoopbackSTS struct {
	URL       string
	AccountID string

	mu    sync.Mutex
	calls []STSCall
}

var credentialScope = regexp.MustCompile(`Credential=([^/]+)/\d{8}/([^/]+)/([^/]+)/aws4_request`)

// StartLoopbackSTS starts the server; it stops when the test ends.
func StartLoopbackSTS(t *testing.T, accountID string) *LoopbackSTS {
	t.Helper()
	s := &LoopbackSTS{AccountID: accountID}
	srv := httptest.NewServer(http.HandlerFunc(s.serve)) // httptest listens on 127.0.0.1 only
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Calls returns the requests received so far.
func (s *LoopbackSTS) Calls() []STSCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]STSCall(nil), s.calls...)
}

func (s *LoopbackSTS) serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	call := STSCall{Action: r.PostForm.Get("Action")}
	if m := credentialScope.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		call.AccessKey, call.Region, call.Service = m[1], m[2], m[3]
	}
	s.mu.Lock()
	s.calls = append(s.calls, call)
	s.mu.Unlock()

	w.Header().Set("Content-Type", "text/xml")
	if call.Action != "GetCallerIdentity" {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>Could not find operation %s for version 2011-06-15</Message></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>`, xmlEscape(call.Action))
		return
	}
	fmt.Fprintf(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>arn:aws:iam::%[1]s:user/rollout-test</Arn>
    <UserId>AIDAROLLOUTTEST</UserId>
    <Account>%[1]s</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000001</RequestId></ResponseMetadata>
</GetCallerIdentityResponse>`, s.AccountID)
}

func xmlEscape(v string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(v))
	return b.String()
}
