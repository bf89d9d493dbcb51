package lambda

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/wire"
)

// Route is one parsed Lambda request.
type Route struct {
	Operation string
	Function  string // raw FunctionName path parameter (decoded)
	Alias     string
	Resource  string // ARN for the tagging API
}

// routes is Lambda's route table: the method-and-path pattern of each
// operation. Match finds a request's operation with it.
var routes = []struct{ pattern, operation string }{
	{"POST /2015-03-31/functions", "CreateFunction"},
	{"GET /2015-03-31/functions", "ListFunctions"},
	{"GET /2015-03-31/functions/{function}", "GetFunction"},
	{"DELETE /2015-03-31/functions/{function}", "DeleteFunction"},
	{"GET /2015-03-31/functions/{function}/configuration", "GetFunctionConfiguration"},
	{"PUT /2015-03-31/functions/{function}/configuration", "UpdateFunctionConfiguration"},
	{"PUT /2015-03-31/functions/{function}/code", "UpdateFunctionCode"},
	{"POST /2015-03-31/functions/{function}/versions", "PublishVersion"},
	{"GET /2015-03-31/functions/{function}/versions", "ListVersionsByFunction"},
	{"POST /2015-03-31/functions/{function}/aliases", "CreateAlias"},
	{"GET /2015-03-31/functions/{function}/aliases", "ListAliases"},
	{"GET /2015-03-31/functions/{function}/aliases/{alias}", "GetAlias"},
	{"PUT /2015-03-31/functions/{function}/aliases/{alias}", "UpdateAlias"},
	{"DELETE /2015-03-31/functions/{function}/aliases/{alias}", "DeleteAlias"},
	{"POST /2015-03-31/functions/{function}/invocations", "Invoke"},
	{"GET /2017-03-31/tags/{resource}", "ListTags"},
	{"POST /2017-03-31/tags/{resource}", "TagResource"},
	{"DELETE /2017-03-31/tags/{resource}", "UntagResource"},
	{"GET /2020-06-30/functions/{function}/code-signing-config", "GetFunctionCodeSigningConfig"},
	{"PUT /2020-06-30/functions/{function}/code-signing-config", "PutFunctionCodeSigningConfig"},
	{"DELETE /2020-06-30/functions/{function}/code-signing-config", "DeleteFunctionCodeSigningConfig"},
	{"PUT /2017-10-31/functions/{function}/concurrency", "PutFunctionConcurrency"},
	{"DELETE /2017-10-31/functions/{function}/concurrency", "DeleteFunctionConcurrency"},
	{"GET /2019-09-30/functions/{function}/concurrency", "GetFunctionConcurrency"},
	{"PUT /2019-09-30/functions/{function}/provisioned-concurrency", "PutProvisionedConcurrencyConfig"},
	{"GET /2019-09-30/functions/{function}/provisioned-concurrency", "GetProvisionedConcurrencyConfig"},
	{"DELETE /2019-09-30/functions/{function}/provisioned-concurrency", "DeleteProvisionedConcurrencyConfig"},
}

type routeKey struct{}

// router matches a request against routes and writes what it found into
// the *Route its context carries.
var router = func() *http.ServeMux {
	mux := http.NewServeMux()
	for _, rt := range routes {
		op := rt.operation
		mux.HandleFunc(rt.pattern, func(_ http.ResponseWriter, r *http.Request) {
			out, _ := r.Context().Value(routeKey{}).(*Route)
			*out = Route{Operation: op, Function: r.PathValue("function"), Alias: r.PathValue("alias"), Resource: r.PathValue("resource")}
		})
	}
	return mux
}()

// Match maps method and path to the Lambda operation; ok is false when the
// path is not Lambda's, and the operation is "" when Lambda has no such
// operation there. Empty path segments are ignored, as Lambda does.
func Match(r *http.Request) (Route, bool) {
	segs := strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/")
	segs = slices.DeleteFunc(segs, func(s string) bool { return s == "" })
	if !lambdaPath(wire.SplitPath(r.URL.EscapedPath())) {
		return Route{}, false
	}
	var rt Route
	u, err := url.Parse("/" + strings.Join(segs, "/"))
	if err != nil || r.Method == http.MethodHead { // a GET pattern would also match HEAD
		return rt, true
	}
	probe := (&http.Request{Method: r.Method, URL: u, Header: http.Header{}}).WithContext(context.WithValue(r.Context(), routeKey{}, &rt))
	router.ServeHTTP(discardResponse{}, probe)
	return rt, true
}

// lambdaPath reports whether the (unescaped) segments are one of Lambda's
// API paths.
func lambdaPath(segs []string) bool {
	switch {
	case len(segs) < 2:
		return false
	case segs[0] == "2017-03-31" && segs[1] == "tags":
		return len(segs) == 3
	case segs[0] == "2020-06-30" && segs[1] == "functions":
		return len(segs) == 4 && segs[3] == "code-signing-config"
	case (segs[0] == "2017-10-31" || segs[0] == "2019-09-30") && segs[1] == "functions":
		return len(segs) == 4 && (segs[3] == "concurrency" || (segs[0] == "2019-09-30" && segs[3] == "provisioned-concurrency"))
	}
	return segs[0] == "2015-03-31" && segs[1] == "functions"
}

// discardResponse is where the router's own answers (not found, method not
// allowed, redirects) go: Match only wants the route.
type discardResponse struct{}

func (discardResponse) Header() http.Header         { return http.Header{} }
func (discardResponse) Write(b []byte) (int, error) { return len(b), nil }
func (discardResponse) WriteHeader(int)             {}

// handler answers one operation; it returns the error to send, if any.
type handler func(c *call) *Error

// handlerTable is the other half of the route table: the handler of each
// operation Match names.
func (api *API) handlerTable() map[string]handler {
	getFunction := func(full bool) handler {
		return api.onFunction(true, func(c *call, f *functionRecord, q string) *Error { return api.getFunction(c, f, q, full) })
	}
	return map[string]handler{
		"CreateFunction":                     lockedWith(api, (*createFunctionIn).check, api.createFunction),
		"ListFunctions":                      api.locked(api.listFunctions),
		"GetFunction":                        getFunction(true),
		"GetFunctionConfiguration":           getFunction(false),
		"DeleteFunction":                     api.locked(api.deleteFunction),
		"UpdateFunctionCode":                 onLatestWith(api, "UpdateFunctionCode", (*updateCodeIn).check, (*updateCodeIn).revision, api.updateFunctionCode),
		"UpdateFunctionConfiguration":        lockedWith(api, (*configIn).check, api.updateFunctionConfiguration),
		"PublishVersion":                     onFunctionWith(api, nil, api.publishVersion),
		"ListVersionsByFunction":             api.onFunction(false, api.listVersions),
		"CreateAlias":                        onFunctionWith(api, (*createAliasIn).check, api.createAlias),
		"GetAlias":                           api.onFunction(false, api.getAlias),
		"UpdateAlias":                        onFunctionWith(api, (*updateAliasIn).check, api.updateAlias),
		"DeleteAlias":                        api.onFunction(false, api.deleteAlias),
		"ListAliases":                        api.onFunction(false, api.listAliases),
		"ListTags":                           api.tags,
		"TagResource":                        api.tags,
		"UntagResource":                      api.tags,
		"GetFunctionCodeSigningConfig":       api.onFunction(false, api.getCodeSigningConfig),
		"PutFunctionCodeSigningConfig":       onFunctionWith(api, (*putCodeSigningIn).check, api.putCodeSigningConfig),
		"DeleteFunctionCodeSigningConfig":    api.onFunction(false, api.deleteCodeSigningConfig),
		"Invoke":                             api.invoke,
		"PutFunctionConcurrency":             onFunctionWith(api, (*putConcurrencyIn).check, api.putFunctionConcurrency),
		"GetFunctionConcurrency":             api.onFunction(false, api.getFunctionConcurrency),
		"DeleteFunctionConcurrency":          api.onFunction(false, api.deleteFunctionConcurrency),
		"PutProvisionedConcurrencyConfig":    onFunctionWith(api, (*putProvisionedIn).check, api.putProvisioned),
		"GetProvisionedConcurrencyConfig":    api.onFunction(false, api.getProvisioned),
		"DeleteProvisionedConcurrencyConfig": api.onFunction(false, api.deleteProvisioned),
	}
}

// locked runs h holding the store lock. Handlers that decode a body take
// the lock themselves, after decoding and validating it.
func (api *API) locked(h handler) handler {
	return func(c *call) *Error {
		api.store.mu.Lock()
		defer api.store.mu.Unlock()
		return h(c)
	}
}

// onFunction runs h holding the store lock, on the function the path
// names, looked up and settled; with queryQualifier, ?Qualifier= applies,
// and q is the qualifier asked for.
func (api *API) onFunction(queryQualifier bool, h func(c *call, f *functionRecord, q string) *Error) handler {
	return api.locked(func(c *call) *Error {
		qq := ""
		if queryQualifier {
			qq = c.r.URL.Query().Get("Qualifier")
		}
		f, q, err := api.lookup(c, c.route.Function, qq)
		if err != nil {
			return err
		}
		return h(c, f, q)
	})
}

// lockedWith decodes the request body into an In and validates it with
// check (nil: no check) before any lock is taken, then runs h holding the
// store lock; h looks up what it needs itself (CreateFunction has no
// function yet, UpdateFunctionConfiguration applies the rules of an
// update to $LATEST).
func lockedWith[In any](api *API, check func(in *In) *Error, h func(c *call, in *In) *Error) handler {
	return func(c *call) *Error {
		in := new(In)
		if err := decodeBody(c.r, in); err != nil {
			return err
		}
		if check != nil {
			if err := check(in); err != nil {
				return err
			}
		}
		return api.locked(func(c *call) *Error { return h(c, in) })(c)
	}
}

// onFunctionWith decodes the request body into an In and validates it with
// check (nil: no check) before any lock is taken, then runs h holding the
// store lock on the function the path names.
func onFunctionWith[In any](api *API, check func(in *In) *Error, h func(c *call, f *functionRecord, in *In) *Error) handler {
	return func(c *call) *Error {
		in, err := decodeChecked(c, check)
		if err != nil {
			return err
		}
		return api.onFunction(false, func(c *call, f *functionRecord, _ string) *Error { return h(c, f, in) })(c)
	}
}

// decodeChecked decodes the request body into an In and validates it with
// check (nil: no check).
func decodeChecked[In any](c *call, check func(in *In) *Error) (*In, *Error) {
	in := new(In)
	if err := decodeBody(c.r, in); err != nil {
		return nil, err
	}
	if check != nil {
		if err := check(in); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// onLatestWith is onFunctionWith for a write to $LATEST: the path may name
// the function or its $LATEST only, and the write is refused while the
// function is not writable or when the RevisionId the body carries
// (revision) is not $LATEST's. operation names the write in its refusal.
func onLatestWith[In any](api *API, operation string, check func(in *In) *Error, revision func(in *In) string, h func(c *call, f *functionRecord, in *In) *Error) handler {
	return func(c *call) *Error {
		in, err := decodeChecked(c, check)
		if err != nil {
			return err
		}
		api.store.mu.Lock()
		defer api.store.mu.Unlock()
		f, ferr := api.latestForUpdate(c, operation, revision(in))
		if ferr != nil {
			return ferr
		}
		return h(c, f, in)
	}
}

func (api *API) serve(c *call) {
	// The answer is held back until every change it may reflect is durable.
	out := c.w
	held := &heldResponse{header: http.Header{}}
	c.w = held
	defer func() {
		if derr := api.store.durable(); derr != nil {
			WriteError(out, errService(derr))
			return
		}
		held.flush(out)
	}()
	var err *Error
	if h := api.handlers[c.route.Operation]; h != nil {
		err = h(c)
	} else {
		err = &Error{Status: 404, Code: "UnknownOperationException", Message: "Unknown operation " + c.r.Method + " " + c.r.URL.Path}
	}
	if err != nil {
		WriteError(c.w, err)
	}
}

// heldResponse buffers an answer until it may be sent.
type heldResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (h *heldResponse) Header() http.Header { return h.header }

func (h *heldResponse) WriteHeader(code int) {
	if h.status == 0 {
		h.status = code
	}
}

func (h *heldResponse) Write(b []byte) (int, error) {
	if h.status == 0 {
		h.status = http.StatusOK
	}
	return h.body.Write(b)
}

func (h *heldResponse) flush(w http.ResponseWriter) {
	for k, v := range h.header {
		w.Header()[k] = v
	}
	if h.status == 0 {
		h.status = http.StatusOK
	}
	w.WriteHeader(h.status)
	_, _ = w.Write(h.body.Bytes())
}
