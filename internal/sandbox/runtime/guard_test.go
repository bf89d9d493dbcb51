package runtime

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestRuntimeAPIAnswersOnlyItsRuntime: the Runtime API (no SigV4: the
// function's runtime calls it) refuses requests a web page could make:
// another Host (DNS rebinding) or browser headers.
func TestRuntimeAPIAnswersOnlyItsRuntime(t *testing.T) {
	t.Parallel()
	const addr = "127.0.0.1:9001"
	h := runtimeGuard(addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) }))
	tests := map[string]struct {
		host    string
		headers map[string]string
		want    int
	}{
		"the runtime":            {host: addr, want: http.StatusAccepted},
		"rebound host":           {host: "evil.example:9001", want: http.StatusForbidden},
		"cross-site fetch":       {host: addr, headers: map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, want: http.StatusForbidden},
		"browser without Origin": {host: addr, headers: map[string]string{"Sec-Fetch-Site": "cross-site"}, want: http.StatusForbidden},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodPost, "http://"+tc.host+"/2018-06-01/runtime/init/error", nil)
			r.RemoteAddr = "127.0.0.1:50000"
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.want {
				t.Errorf("status = %d, want %d", w.Code, tc.want)
			}
		})
	}
}
