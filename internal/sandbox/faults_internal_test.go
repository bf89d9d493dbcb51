package sandbox

import "testing"

// TestFaultSelectsFunction: a fault with Function fails that function's
// requests only, named in the path or by ARN.
func TestFaultSelectsFunction(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		path string
		want string
	}{
		"alias":           {"/2015-03-31/functions/orders-api/aliases/live", "orders-api"},
		"escaped ARN":     {"/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Aorders-api%3Alive/aliases/live", "orders-api"},
		"not a function":  {"/2015-03-31/tags/x", ""},
		"function itself": {"/2015-03-31/functions/orders-worker", "orders-worker"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := pathFunction(tc.path); got != tc.want {
				t.Errorf("pathFunction(%q) = %q, want %q", tc.path, got, tc.want)
			}
		})
	}
	s := newFaultSet(1)
	s.set([]Fault{{Service: "lambda", Operation: "UpdateAlias", Function: "orders-api", Kind: FaultError, Rate: 1}})
	if _, f := s.pick("lambda", "UpdateAlias", "orders-worker"); f != nil {
		t.Errorf("another function's UpdateAlias failed: %v", f)
	}
	if _, f := s.pick("lambda", "UpdateAlias", "orders-api"); f == nil {
		t.Error("the selected function's UpdateAlias did not fail")
	}
}
