package lambda

import (
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestMatch: the route table names the operation and its path parameters
// as Lambda's REST paths do; paths that are not Lambda's are left to the
// other services, and Lambda paths with no operation get an empty one.
func TestMatch(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		method, path string
		want         Route
		ok           bool
	}{
		"create":               {"POST", "/2015-03-31/functions/", Route{Operation: "CreateFunction"}, true},
		"list":                 {"GET", "/2015-03-31/functions", Route{Operation: "ListFunctions"}, true},
		"get by ARN":           {"GET", "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Afn", Route{Operation: "GetFunction", Function: "arn:aws:lambda:us-east-1:123456789012:function:fn"}, true},
		"configuration":        {"PUT", "/2015-03-31/functions/fn/configuration", Route{Operation: "UpdateFunctionConfiguration", Function: "fn"}, true},
		"publish":              {"POST", "/2015-03-31/functions/fn/versions", Route{Operation: "PublishVersion", Function: "fn"}, true},
		"alias":                {"DELETE", "/2015-03-31/functions/fn/aliases/live", Route{Operation: "DeleteAlias", Function: "fn", Alias: "live"}, true},
		"invoke":               {"POST", "/2015-03-31/functions/fn/invocations", Route{Operation: "Invoke", Function: "fn"}, true},
		"tags":                 {"POST", "/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Afn", Route{Operation: "TagResource", Resource: "arn:aws:lambda:us-east-1:123456789012:function:fn"}, true},
		"code signing":         {"GET", "/2020-06-30/functions/fn/code-signing-config", Route{Operation: "GetFunctionCodeSigningConfig", Function: "fn"}, true},
		"empty segments":       {"GET", "//2015-03-31//functions/fn/", Route{Operation: "GetFunction", Function: "fn"}, true},
		"escaped slash":        {"GET", "/2015-03-31/functions/a%2Fb", Route{Operation: "GetFunction", Function: "a/b"}, true},
		"method not allowed":   {"PATCH", "/2015-03-31/functions/fn", Route{}, true},
		"HEAD is no operation": {"HEAD", "/2015-03-31/functions/fn", Route{}, true},
		"unknown sub-resource": {"GET", "/2015-03-31/functions/fn/policy/x/y", Route{}, true},
		"S3 bucket":            {"GET", "/bucket/key", Route{}, false},
		"tags without ARN":     {"GET", "/2017-03-31/tags", Route{}, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, ok := Match(httptest.NewRequest(tc.method, "http://127.0.0.1"+tc.path, nil))
			if ok != tc.ok {
				t.Fatalf("Match(%s %s) ok = %v, want %v", tc.method, tc.path, ok, tc.ok)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Match(%s %s) (-want +got):\n%s", tc.method, tc.path, diff)
			}
		})
	}
}
