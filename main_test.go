package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestQuietLogsUnlessAsked(t *testing.T) {
	t.Parallel()
	off := map[string]string{"TF_LOG_SDK": "off", "TF_LOG_SDK_PROTO": "off", "TF_LOG_SDK_FRAMEWORK": "off", "TF_LOG_PROVIDER_ROLLOUT": "off"}
	cases := map[string]struct {
		env  map[string]string
		want map[string]string
	}{
		"no log variable: every logger off": {env: map[string]string{}, want: off},
		"TF_LOG set: untouched":             {env: map[string]string{"TF_LOG": "DEBUG"}, want: map[string]string{"TF_LOG": "DEBUG"}},
		"provider logs asked: untouched":    {env: map[string]string{"TF_LOG_PROVIDER": "TRACE"}, want: map[string]string{"TF_LOG_PROVIDER": "TRACE"}},
		"SDK logs asked: untouched":         {env: map[string]string{"TF_LOG_SDK_FRAMEWORK": "TRACE"}, want: map[string]string{"TF_LOG_SDK_FRAMEWORK": "TRACE"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{}
			for k, v := range tc.env {
				env[k] = v
			}
			quietLogsUnlessAsked(func(k string) string { return env[k] }, func(k, v string) error { env[k] = v; return nil })
			if diff := cmp.Diff(tc.want, env); diff != "" {
				t.Errorf("environment (-want +got):\n%s", diff)
			}
		})
	}
}
