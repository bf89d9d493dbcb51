package lambda

import (
	"sort"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// lastModifiedLayout is the format AWS uses for LastModified.
const lastModifiedLayout = "2006-01-02T15:04:05.000-0700"

// functionRecord is everything the sandbox stores about one function; it is
// persisted as one JSON file, replaced atomically on every change.
type functionRecord struct {
	Name        string                  `json:"name"`
	Region      string                  `json:"region"`
	Latest      *versionRecord          `json:"latest"`
	Versions    []*versionRecord        `json:"versions"` // ascending by number
	LastVersion int                     `json:"last_version"`
	Aliases     map[string]*aliasRecord `json:"aliases"`
	Tags        map[string]string       `json:"tags"`
	// ReservedConcurrency is the function's reserved concurrency; nil
	// when it has none.
	ReservedConcurrency *int `json:"reserved_concurrency,omitempty"`
	// CodeSigningConfigARN is the attached code signing configuration.
	CodeSigningConfigARN string `json:"code_signing_config_arn,omitempty"`
	// Provisioned is the provisioned concurrency by qualifier (alias or
	// version).
	Provisioned map[string]*provisionedRecord `json:"provisioned,omitempty"`
}

// versionRecord is $LATEST or one published version.
type versionRecord struct {
	Version     string            `json:"version"`
	Runtime     string            `json:"runtime,omitempty"`
	Role        string            `json:"role"`
	Handler     string            `json:"handler,omitempty"`
	Description string            `json:"description"`
	Timeout     int32             `json:"timeout"`
	MemorySize  int32             `json:"memory_size"`
	Environment map[string]string `json:"environment,omitempty"`
	// EnvironmentSet records that the function was given an Environment,
	// even an empty one: AWS then echoes {"Variables":{}}.
	EnvironmentSet bool           `json:"environment_set,omitempty"`
	Architectures  []string       `json:"architectures"`
	Layers         []string       `json:"layers,omitempty"`
	PackageType    string         `json:"package_type"`
	ImageURI       string         `json:"image_uri,omitempty"`
	CodeSha256     string         `json:"code_sha256"`
	CodeSize       int64          `json:"code_size"`
	CodeBlob       string         `json:"code_blob,omitempty"` // hex sha256 of the zip in code/
	TracingMode    string         `json:"tracing_mode"`
	EphemeralSize  int32          `json:"ephemeral_size"`
	Settings       settingsRecord `json:"settings"`

	RevisionID                 string    `json:"revision_id"`
	LastModified               time.Time `json:"last_modified"`
	State                      string    `json:"state"`
	StateReason                string    `json:"state_reason,omitempty"`
	StateReasonCode            string    `json:"state_reason_code,omitempty"`
	LastUpdateStatus           string    `json:"last_update_status,omitempty"`
	LastUpdateStatusReason     string    `json:"last_update_status_reason,omitempty"`
	LastUpdateStatusReasonCode string    `json:"last_update_status_reason_code,omitempty"`
	SettleAt                   time.Time `json:"settle_at,omitzero"`
	// ChangeID identifies the last create or update of $LATEST; a published
	// version keeps the ChangeID of the $LATEST it was cut from. PublishVersion
	// returns the newest version instead of a new one while they are equal.
	ChangeID string `json:"change_id,omitempty"`
}

type aliasRecord struct {
	Name            string             `json:"name"`
	FunctionVersion string             `json:"function_version"`
	Description     string             `json:"description"`
	Weights         map[string]float64 `json:"weights,omitempty"`
	RevisionID      string             `json:"revision_id"`
}

func newRevisionID() string { return uuid.NewString() }

func newChangeID() string { return uuid.NewString() }

// unchangedSincePublish returns the version PublishVersion answers with
// when $LATEST has not been created or updated since it was published: the
// highest-numbered version, if it still exists and was cut from the current
// $LATEST. AWS does not compare contents: an update that changes nothing
// still counts (moto PR #8379, checked against AWS), and a new Description
// in the request does not make a new version (localstack's AWS recording
// test_version_lifecycle, third_publish_response, 2025-11-25).
func (f *functionRecord) unchangedSincePublish() *versionRecord {
	newest := f.findVersion(strconv.Itoa(f.LastVersion))
	if newest == nil || newest.ChangeID == "" || newest.ChangeID != f.Latest.ChangeID {
		return nil
	}
	return newest
}

func (v *versionRecord) clone() *versionRecord {
	c := *v
	if v.Environment != nil {
		c.Environment = make(map[string]string, len(v.Environment))
		for k, val := range v.Environment {
			c.Environment[k] = val
		}
	}
	c.Architectures = append([]string(nil), v.Architectures...)
	c.Layers = append([]string(nil), v.Layers...)
	c.Settings.SubnetIDs = append([]string(nil), v.Settings.SubnetIDs...)
	c.Settings.SecurityGroupIDs = append([]string(nil), v.Settings.SecurityGroupIDs...)
	c.Settings.FileSystems = append([]fileSystemConfig(nil), v.Settings.FileSystems...)
	if v.Settings.Image != nil {
		img := *v.Settings.Image
		c.Settings.Image = &img
	}
	return &c
}

// settle completes pending work whose time has come: Pending -> Active on
// creation, InProgress -> Successful on update, each with a new RevisionId
// for $LATEST, as AWS does. It reports whether anything changed.
func (f *functionRecord) settle(now time.Time) bool {
	changed := false
	all := append([]*versionRecord{f.Latest}, f.Versions...)
	for _, v := range all {
		if v.SettleAt.IsZero() || now.Before(v.SettleAt) {
			continue
		}
		v.SettleAt = time.Time{}
		if v.State == "Pending" {
			v.State, v.StateReason, v.StateReasonCode = "Active", "", ""
		}
		v.LastUpdateStatus, v.LastUpdateStatusReason, v.LastUpdateStatusReasonCode = "Successful", "", ""
		if v.Version == "$LATEST" {
			v.RevisionID = newRevisionID()
		}
		changed = true
	}
	return changed
}

func (f *functionRecord) findVersion(q string) *versionRecord {
	if q == "" || q == "$LATEST" {
		return f.Latest
	}
	for _, v := range f.Versions {
		if v.Version == q {
			return v
		}
	}
	return nil
}

// aliasesUsing lists, sorted, the aliases that route to version v (as
// primary or as the weighted extra version).
func (f *functionRecord) aliasesUsing(v string) []string {
	var names []string
	for name, a := range f.Aliases {
		if a.FunctionVersion == v {
			names = append(names, name)
			continue
		}
		if _, ok := a.Weights[v]; ok {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

func isVersionNumber(s string) bool {
	if s == "" || len(s) > 10 {
		return false
	}
	_, err := strconv.Atoi(s)
	return err == nil && s[0] != '-' && s[0] != '+'
}
