package lambdaops

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
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
	// Settings is the rest of what AWS versions (VPC, tracing, logging...),
	// each default left empty, so that versions published before these
	// settings existed keep their digest.
	Settings
}

// Settings is the versioned configuration beyond code, runtime, memory,
// timeout, layers and environment. A zero field is AWS's default: the
// digest of a Spec leaves it out.
type Settings struct {
	VPC              *VPC          `json:",omitempty"`
	DeadLetterTarget string        `json:",omitempty"`
	TracingMode      string        `json:",omitempty"` // "" is PassThrough
	EphemeralStorage int64         `json:",omitempty"` // 0 is 512 MB
	Logging          *Logging      `json:",omitempty"`
	FileSystem       *FileSystem   `json:",omitempty"`
	SnapStart        string        `json:",omitempty"` // "" is None
	Image            *ImageSetting `json:",omitempty"`
	KMSKeyARN        string        `json:",omitempty"`
}

// VPC is where the function's network interfaces live; subnets and
// security groups sorted.
type VPC struct {
	SubnetIDs        []string
	SecurityGroupIDs []string
	IPv6DualStack    bool `json:",omitempty"`
}

// Logging is the function's log format, levels and group; "" is AWS's
// default for each (Text, INFO for JSON's levels, /aws/lambda/<name>).
type Logging struct {
	Format           string `json:",omitempty"`
	ApplicationLevel string `json:",omitempty"`
	SystemLevel      string `json:",omitempty"`
	Group            string `json:",omitempty"`
}

// FileSystem is one EFS access point mounted into the function.
type FileSystem struct {
	ARN            string
	LocalMountPath string
}

// ImageSetting overrides the container image's command, entry point and
// working directory.
type ImageSetting struct {
	Command          []string `json:",omitempty"`
	EntryPoint       []string `json:",omitempty"`
	WorkingDirectory string   `json:",omitempty"`
}

// Canonical returns s with AWS's defaults for function name emptied: the
// same settings written out or left to AWS give the same digest.
func (s Settings) Canonical(name string) Settings {
	c := s
	if c.VPC != nil {
		v := VPC{SubnetIDs: sortedCopy(c.VPC.SubnetIDs), SecurityGroupIDs: sortedCopy(c.VPC.SecurityGroupIDs), IPv6DualStack: c.VPC.IPv6DualStack}
		c.VPC = &v
		if len(v.SubnetIDs) == 0 && len(v.SecurityGroupIDs) == 0 {
			c.VPC = nil
		}
	}
	if c.TracingMode == "PassThrough" {
		c.TracingMode = ""
	}
	if c.EphemeralStorage == 512 {
		c.EphemeralStorage = 0
	}
	if c.Logging != nil {
		l := *c.Logging
		if l.Format == "Text" {
			l.Format = ""
		}
		if l.Format == "" {
			l.ApplicationLevel, l.SystemLevel = "", ""
		}
		if l.ApplicationLevel == "INFO" {
			l.ApplicationLevel = ""
		}
		if l.SystemLevel == "INFO" {
			l.SystemLevel = ""
		}
		if l.Group == "/aws/lambda/"+name {
			l.Group = ""
		}
		c.Logging = &l
		if l == (Logging{}) {
			c.Logging = nil
		}
	}
	if c.FileSystem != nil && *c.FileSystem == (FileSystem{}) {
		c.FileSystem = nil
	}
	if c.SnapStart == "None" {
		c.SnapStart = ""
	}
	if c.Image != nil && len(c.Image.Command) == 0 && len(c.Image.EntryPoint) == 0 && c.Image.WorkingDirectory == "" {
		c.Image = nil
	}
	return c
}

func sortedCopy(l []string) []string {
	c := append([]string{}, l...)
	sort.Strings(c)
	return c
}

// Digest is a short stable hash of s (16 hex digits).
func (s Spec) Digest() string {
	c := s
	c.Architectures = append([]string(nil), s.Architectures...)
	if len(c.Architectures) == 0 {
		c.Architectures = []string{"x86_64"}
	}
	c.Layers = append([]string(nil), s.Layers...)
	if c.VPC != nil {
		v := *c.VPC
		v.SubnetIDs, v.SecurityGroupIDs = sortedCopy(v.SubnetIDs), sortedCopy(v.SecurityGroupIDs)
		c.VPC = &v
	}
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
