package lambdaops

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// VersionMeta is what rollout_function records about a published version in
// the version's own description, so that it survives the loss of Terraform
// state and can be read from AWS by rollout_alias and rolloutctl.
//
// The description of a version published by rollout_function reads
//
//	[rollout release=v1.2.0 schemas=3..5 digest=0123456789abcdef] user description
//
// release and schemas are omitted when unset; digest identifies the code and
// configuration (see Spec.Digest); the user's description follows, cut to
// fit the 256-character limit of a Lambda description.
type VersionMeta struct {
	Release   string
	SchemaMin *int64
	SchemaMax *int64
	Digest    string
}

// MaxDescription is Lambda's limit for a description.
const MaxDescription = 256

var metaRE = regexp.MustCompile(`^\[rollout((?: [a-z]+=[^ \]]+)*)\](?: (.*))?$`)

// ReleaseRE is what a release label may contain: no spaces or brackets, so
// that it reads back unambiguously.
var ReleaseRE = regexp.MustCompile(`^[A-Za-z0-9._/+@:=-]{1,64}$`)

// FormatDescription composes a version description from the user's
// description and the metadata.
func FormatDescription(user string, m VersionMeta) string {
	var b strings.Builder
	b.WriteString("[rollout")
	if m.Release != "" {
		b.WriteString(" release=" + m.Release)
	}
	if m.SchemaMin != nil || m.SchemaMax != nil {
		b.WriteString(" schemas=")
		if m.SchemaMin != nil {
			b.WriteString(strconv.FormatInt(*m.SchemaMin, 10))
		}
		b.WriteString("..")
		if m.SchemaMax != nil {
			b.WriteString(strconv.FormatInt(*m.SchemaMax, 10))
		}
	}
	if m.Digest != "" {
		b.WriteString(" digest=" + m.Digest)
	}
	b.WriteString("]")
	head := b.String()
	if user == "" {
		return head
	}
	room := MaxDescription - len(head) - 1
	if room <= 0 {
		return head
	}
	if len(user) > room {
		user = user[:room]
	}
	return head + " " + user
}

// ParseDescription reads the metadata back; ok is false for descriptions
// not written by rollout_function (versions published by other tools).
func ParseDescription(desc string) (user string, m VersionMeta, ok bool) {
	g := metaRE.FindStringSubmatch(desc)
	if g == nil {
		return desc, VersionMeta{}, false
	}
	for _, field := range strings.Fields(g[1]) {
		k, v, _ := strings.Cut(field, "=")
		switch k {
		case "release":
			m.Release = v
		case "digest":
			m.Digest = v
		case "schemas":
			lo, hi, found := strings.Cut(v, "..")
			if !found {
				return desc, VersionMeta{}, false
			}
			if lo != "" {
				n, err := strconv.ParseInt(lo, 10, 64)
				if err != nil {
					return desc, VersionMeta{}, false
				}
				m.SchemaMin = &n
			}
			if hi != "" {
				n, err := strconv.ParseInt(hi, 10, 64)
				if err != nil {
					return desc, VersionMeta{}, false
				}
				m.SchemaMax = &n
			}
		}
	}
	return g[2], m, true
}

// Spec is the code and configuration that a published version freezes.
// Two versions with the same Spec behave the same; rollout_function adopts
// an existing version instead of publishing a copy when the Specs match.
type Spec struct {
	// Code is "zip:<base64 sha256>" or "image:<uri>".
	Code          string
	Runtime       string
	Handler       string
	Role          string
	Description   string
	MemorySize    int64
	Timeout       int64
	Architectures []string
	Layers        []string
	Environment   map[string]string
}

// Digest is a short stable hash of s (16 hex digits).
func (s Spec) Digest() string {
	c := s
	c.Architectures = append([]string(nil), s.Architectures...)
	if len(c.Architectures) == 0 {
		c.Architectures = []string{"x86_64"}
	}
	c.Layers = append([]string(nil), s.Layers...)
	if len(c.Environment) == 0 {
		c.Environment = nil
	}
	// encoding/json sorts map keys; the struct order is fixed.
	b, err := json.Marshal(c)
	if err != nil {
		panic(fmt.Sprintf("lambdaops: spec digest: %v", err))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}
