package lambdaops

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFunctionARN(t *testing.T) {
	t.Parallel()
	type parsed struct {
		Name, Qualifier string
		OK              bool
		Unqualified     string
	}
	tests := map[string]struct {
		in   string
		want parsed
	}{
		"unqualified": {"arn:aws:lambda:us-east-1:123456789012:function:orders-api",
			parsed{"orders-api", "", true, "arn:aws:lambda:us-east-1:123456789012:function:orders-api"}},
		"version": {"arn:aws:lambda:us-east-1:123456789012:function:orders-api:7",
			parsed{"orders-api", "7", true, "arn:aws:lambda:us-east-1:123456789012:function:orders-api"}},
		"alias in another partition": {"arn:aws-cn:lambda:cn-north-1:123456789012:function:orders-api:live",
			parsed{"orders-api", "live", true, "arn:aws-cn:lambda:cn-north-1:123456789012:function:orders-api"}},
		"$LATEST": {"arn:aws:lambda:us-east-1:123456789012:function:orders-api:$LATEST",
			parsed{"orders-api", "$LATEST", true, "arn:aws:lambda:us-east-1:123456789012:function:orders-api"}},
		"a layer":         {"arn:aws:lambda:us-east-1:123456789012:layer:deps:3", parsed{Unqualified: "arn:aws:lambda:us-east-1:123456789012:layer:deps:3"}},
		"another service": {"arn:aws:iam::123456789012:role/function:x", parsed{Unqualified: "arn:aws:iam::123456789012:role/function:x"}},
		"a name":          {"orders-api:7", parsed{Unqualified: "orders-api:7"}},
		"empty name":      {"arn:aws:lambda:us-east-1:123456789012:function:", parsed{Unqualified: "arn:aws:lambda:us-east-1:123456789012:function:"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var got parsed
			got.Name, got.Qualifier, got.OK = ParseFunctionARN(tc.in)
			got.Unqualified = UnqualifiedFunctionARN(tc.in)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}
