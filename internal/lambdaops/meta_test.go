package lambdaops

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func ptr(n int64) *int64 { return &n }

func TestDescriptionRoundTrip(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		user string
		meta VersionMeta
		want string
	}{
		"everything": {user: "orders API", meta: VersionMeta{Release: "v1.2.0", SchemaMin: ptr(3), SchemaMax: ptr(5), Digest: "0123456789abcdef"},
			want: "[rollout release=v1.2.0 schemas=3..5 digest=0123456789abcdef] orders API"},
		"open range":      {meta: VersionMeta{SchemaMin: ptr(2), Digest: "ab"}, want: "[rollout schemas=2.. digest=ab]"},
		"digest only":     {meta: VersionMeta{Digest: "ab"}, want: "[rollout digest=ab]"},
		"git ref release": {user: "x", meta: VersionMeta{Release: "refs/tags/v2", Digest: "ab"}, want: "[rollout release=refs/tags/v2 digest=ab] x"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := FormatDescription(tc.user, tc.meta)
			if got != tc.want {
				t.Fatalf("FormatDescription = %q, want %q", got, tc.want)
			}
			user, meta, ok := ParseDescription(got)
			if !ok || user != tc.user {
				t.Fatalf("ParseDescription(%q) = %q, %v", got, user, ok)
			}
			if diff := cmp.Diff(tc.meta, meta); diff != "" {
				t.Errorf("metadata round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDescriptionLimits(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("d", 300)
	got := FormatDescription(long, VersionMeta{Release: "v1", Digest: "0123456789abcdef"})
	if len(got) != MaxDescription {
		t.Errorf("len = %d, want %d", len(got), MaxDescription)
	}
	for _, foreign := range []string{"", "hand-made version", "[rollout release=a b]", "[rollout schemas=x..2]"} {
		if _, _, ok := ParseDescription(foreign); ok {
			t.Errorf("ParseDescription(%q) claimed rollout metadata", foreign)
		}
	}
}

func TestSpecDigest(t *testing.T) {
	t.Parallel()
	base := Spec{Code: "zip:abc", Runtime: "provided.al2023", Handler: "bootstrap", Role: "r", MemorySize: 128, Timeout: 3}
	same := base
	same.Architectures = []string{"x86_64"}
	same.Environment = map[string]string{}
	if base.Digest() != same.Digest() {
		t.Error("default architecture and empty environment must not change the digest")
	}
	for name, change := range map[string]func(*Spec){
		"code":        func(s *Spec) { s.Code = "zip:def" },
		"memory":      func(s *Spec) { s.MemorySize = 256 },
		"environment": func(s *Spec) { s.Environment = map[string]string{"A": "1"} },
		"description": func(s *Spec) { s.Description = "x" },
		"arch":        func(s *Spec) { s.Architectures = []string{"arm64"} },
	} {
		c := base
		change(&c)
		if c.Digest() == base.Digest() {
			t.Errorf("changing %s kept the digest", name)
		}
	}
}
