package sandbox

import (
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/cloudwatch"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/lambda"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/s3"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sqs"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/wire"
)

// The sandbox accepts any credentials and runs the code it is given, so a
// web page the user visits must never be able to reach it. Browsers can
// send a cross-site request without asking first only when it is "simple"
// (GET, HEAD or POST, no custom headers, a text/plain, form or multipart
// body) and always say where it comes from (Origin, Sec-Fetch-Site). AWS
// clients sign every request (an Authorization header, or a presigned
// query for URLs handed around) and name the host they were given. So a
// request reaches the AWS APIs only when:
//
//   - its Host is a loopback name (127.0.0.0/8, ::1, localhost, *.localhost),
//     which defeats DNS rebinding; --allow-remote lifts this rule;
//   - it carries no Origin other than the sandbox's own, and no
//     Sec-Fetch-Site other than same-origin or none;
//   - it is signed with SigV4 (any signature is accepted): an Authorization
//     header, or for GET, HEAD, PUT and DELETE a presigned query. A POST
//     must carry the Authorization header, which no page can add without a
//     CORS preflight, and preflights (OPTIONS) are refused; so no simple
//     request (text/plain, form or multipart body) can write anything.
//
// --allow-unsigned (Options.AllowUnsigned) lifts the signature rules for
// clients that cannot sign; the Host and Origin rules still hold, so a web
// page still cannot reach the sandbox unless --allow-remote is also given.

// guardVerdict is why a request is refused; "" lets it through.
type guardVerdict string

func (s *Server) checkRequest(r *http.Request) guardVerdict {
	if !s.allowRemote && !isLoopbackHost(r.Host) {
		return guardVerdict(fmt.Sprintf("its Host header %q is not a loopback name; the sandbox answers only requests addressed to 127.0.0.1, ::1 or localhost, so a web page cannot reach it by DNS rebinding (start it with --allow-remote to serve other host names)", wire.Clip(r.Host, 100)))
	}
	if o := r.Header.Get("Origin"); o != "" && o != "http://"+r.Host && o != "https://"+r.Host {
		return guardVerdict(fmt.Sprintf("it comes from a web page (Origin %q); the sandbox runs code and holds state, so it answers no browser requests from other sites", wire.Clip(o, 100)))
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return guardVerdict(fmt.Sprintf("it comes from a web page (Sec-Fetch-Site %q); the sandbox answers no browser requests from other sites", wire.Clip(site, 40)))
	}
	if s.allowUnsigned {
		return ""
	}
	header := strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") && credentialRE.MatchString(r.Header.Get("Authorization"))
	if header {
		return ""
	}
	q := r.URL.Query()
	presigned := q.Get("X-Amz-Algorithm") == "AWS4-HMAC-SHA256" && q.Get("X-Amz-Credential") != "" && q.Get("X-Amz-Signature") != ""
	switch {
	case !presigned:
		return "it carries no AWS Signature Version 4 (no Authorization header and no presigned X-Amz-Signature query); sign it as AWS clients do (any credentials work, for example AWS_ACCESS_KEY_ID=sandbox AWS_SECRET_ACCESS_KEY=sandbox), or start the sandbox with --allow-unsigned for a client that cannot sign"
	case r.Method == http.MethodPost || r.Method == http.MethodOptions:
		return guardVerdict(fmt.Sprintf("a %s must carry its signature in the Authorization header, not in a presigned query (a web page can send a presigned POST, it cannot add an Authorization header)", r.Method))
	}
	return ""
}

// isLoopbackHost reports whether a Host header names this machine.
func isLoopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// refuse answers a refused request with 403 in the protocol of the service
// it targets, saying why, and returns that service.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, why guardVerdict) string {
	msg := "rollout-sandbox refused this request: " + string(why) + "."
	who := parseCaller(r, s.region)
	if _, ok := lambda.Match(r); ok {
		lambda.WriteError(w, &lambda.Error{Status: http.StatusForbidden, Code: "AccessDeniedException", Message: msg})
		return "lambda"
	}
	if _, ok := sqs.Route(r); ok {
		sqs.WriteError(w, sqs.JSON, &sqs.Error{Status: http.StatusForbidden, Shape: "AccessDenied", Code: "AccessDenied", Message: msg})
		return "sqs"
	}
	if proto, _, ok := cloudwatch.Route(r, who.Service); ok && proto != cloudwatch.Query {
		cloudwatch.WriteError(w, proto, &cloudwatch.Error{Status: http.StatusForbidden, Shape: "AccessDenied", Code: "AccessDenied", Message: msg})
		return "cloudwatch"
	}
	if r.Method == http.MethodPost && r.URL.Path == "/" && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		writeQueryError(w, http.StatusForbidden, "AccessDenied", msg)
		return "sts/cloudwatch/sqs"
	}
	s3.WriteError(w, http.StatusForbidden, "AccessDenied", msg)
	return "s3"
}

// serveInternal answers /_sandbox/: only from this machine, only to a
// loopback Host, read-only, and naming nothing but content-addressed blobs.
func (s *Server) serveInternal(w http.ResponseWriter, r *http.Request) {
	if !wire.IsLoopbackPeer(r) || !isLoopbackHost(r.Host) {
		http.Error(w, "rollout-sandbox: the /_sandbox/ endpoints answer only loopback clients addressing a loopback host", http.StatusForbidden)
		return
	}
	if o := r.Header.Get("Origin"); o != "" && o != "http://"+r.Host {
		http.Error(w, "rollout-sandbox: the /_sandbox/ endpoints answer no browser requests from other sites", http.StatusForbidden)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "rollout-sandbox: the /_sandbox/ endpoints are read-only (GET, HEAD)", http.StatusMethodNotAllowed)
		return
	}
	switch {
	case r.URL.Path == "/_sandbox/health":
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, "{\"status\":\"ok\",\"account_id\":%q}\n", s.accountID)
	case strings.HasPrefix(r.URL.Path, "/_sandbox/code/"):
		name, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/_sandbox/code/"), ".zip")
		if !ok || !lambda.IsBlobName(name) {
			http.Error(w, "rollout-sandbox: a code URL names a package by its SHA-256, for example /_sandbox/code/<64 hex digits>.zip", http.StatusNotFound)
			return
		}
		s.lambda.ServeCode(w, name)
	default:
		http.NotFound(w, r)
	}
}
