package provider

import "testing"

func TestMutableImageWarning(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		uri  string
		want string
	}{
		"immutable tag": {uri: "123456789012.dkr.ecr.us-east-1.amazonaws.com/orders:v1.2.0"},
		"digest":        {uri: "123456789012.dkr.ecr.us-east-1.amazonaws.com/orders@sha256:abc"},
		"registry port": {uri: "registry:5000/orders:v1"},
		"latest": {uri: "repo/orders:latest",
			want: `image_uri = "repo/orders:latest" uses the tag latest. A release must always mean the same code: use an immutable tag or a digest, for example image_uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/orders@sha256:<digest>".`},
		"no tag behind a registry port": {uri: "registry:5000/orders",
			want: `image_uri = "registry:5000/orders" uses no tag (that is latest). A release must always mean the same code: use an immutable tag or a digest, for example image_uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/orders@sha256:<digest>".`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := mutableImageWarning(tc.uri); got != tc.want {
				t.Errorf("mutableImageWarning(%q) = %q, want %q", tc.uri, got, tc.want)
			}
		})
	}
}
