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

// TestSpecDigestStable pins the digest of a Spec without settings to the
// value computed before Settings existed (commit 825845e): versions
// published by earlier releases must keep being adopted.
func TestSpecDigestStable(t *testing.T) {
	t.Parallel()
	s := Spec{Code: "zip:abc", Runtime: "provided.al2023", Handler: "bootstrap", Role: "r", MemorySize: 128, Timeout: 3, Layers: []string{"l"}, Environment: map[string]string{"A": "1"}}
	if got, want := s.Digest(), "fe8e62c280ac66c5"; got != want {
		t.Errorf("Digest = %s, want %s (the digest before settings existed)", got, want)
	}
	s.Settings = Settings{TracingMode: "PassThrough", EphemeralStorage: 512, SnapStart: "None", VPC: &VPC{},
		Logging: &Logging{Format: "Text", Group: "/aws/lambda/orders"}, Image: &ImageSetting{}}.Canonical("orders")
	if got, want := s.Digest(), "fe8e62c280ac66c5"; got != want {
		t.Errorf("Digest with AWS's defaults written out = %s, want %s", got, want)
	}
}

func TestSettingsCanonical(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in, want Settings
	}{
		"defaults vanish":   {in: Settings{TracingMode: "PassThrough", EphemeralStorage: 512, SnapStart: "None"}, want: Settings{}},
		"vpc sorted":        {in: Settings{VPC: &VPC{SubnetIDs: []string{"subnet-b", "subnet-a"}, SecurityGroupIDs: []string{"sg-1"}}}, want: Settings{VPC: &VPC{SubnetIDs: []string{"subnet-a", "subnet-b"}, SecurityGroupIDs: []string{"sg-1"}}}},
		"json defaults":     {in: Settings{Logging: &Logging{Format: "JSON", ApplicationLevel: "INFO", SystemLevel: "INFO", Group: "/aws/lambda/fn"}}, want: Settings{Logging: &Logging{Format: "JSON"}}},
		"text drops levels": {in: Settings{Logging: &Logging{Format: "Text", ApplicationLevel: "DEBUG"}}, want: Settings{}},
		"own log group":     {in: Settings{Logging: &Logging{Group: "/shared/orders"}}, want: Settings{Logging: &Logging{Group: "/shared/orders"}}},
		"active tracing":    {in: Settings{TracingMode: "Active", EphemeralStorage: 1024}, want: Settings{TracingMode: "Active", EphemeralStorage: 1024}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, tc.in.Canonical("fn")); diff != "" {
				t.Errorf("Canonical (-want +got):\n%s", diff)
			}
		})
	}
	base := Spec{Code: "zip:abc", Role: "r"}
	for name, set := range map[string]Settings{
		"vpc": {VPC: &VPC{SubnetIDs: []string{"subnet-a"}}}, "dlq": {DeadLetterTarget: "arn:aws:sqs:us-east-1:123456789012:dlq"},
		"tracing": {TracingMode: "Active"}, "storage": {EphemeralStorage: 1024}, "logging": {Logging: &Logging{Format: "JSON"}},
		"efs": {FileSystem: &FileSystem{ARN: "a", LocalMountPath: "/mnt/x"}}, "snapstart": {SnapStart: "PublishedVersions"},
		"image": {Image: &ImageSetting{Command: []string{"x"}}}, "kms": {KMSKeyARN: "arn:aws:kms:us-east-1:123456789012:key/k"},
	} {
		c := base
		c.Settings = set
		if c.Digest() == base.Digest() {
			t.Errorf("setting %s kept the digest", name)
		}
	}
}
