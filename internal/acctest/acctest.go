// Package acctest is the shared acceptance-test harness: provider factories,
// the pre-check and helpers to compose configurations. Acceptance tests run a
// real terraform binary (TF_ACC_TERRAFORM_PATH, set by the GNUmakefile)
// against servers on loopback; nothing on this path is mocked in-process.
package acctest

import (
	"archive/zip"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/rollout-tf/terraform-provider-rollout/internal/provider"
)

// ProviderName is the local name of the provider in test configurations.
const ProviderName = "rollout"

// ProtoV6ProviderFactories serves the in-tree provider over protocol 6, as
// main.go does.
var ProtoV6ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	ProviderName: func() (tfprotov6.ProviderServer, error) { return provider.NewServer("acctest")(), nil },
}

// OpenTofuHost is the registry host OpenTofu gives a provider source
// address without one (rollout-tf/rollout is registry.opentofu.org/rollout-tf/rollout).
const OpenTofuHost = "registry.opentofu.org"

// ProviderHost is the registry host of provider source addresses in the
// terraform under test: TF_ACC_PROVIDER_HOST, which terraform-plugin-testing
// also reads to register the providers it serves (make testacc-tofu sets it
// to registry.opentofu.org), else registry.terraform.io.
func ProviderHost() string {
	if h := os.Getenv("TF_ACC_PROVIDER_HOST"); h != "" {
		return strings.TrimSuffix(h, "/")
	}
	return "registry.terraform.io"
}

// ProviderAddress is this provider's full address (rollout-tf/rollout on
// ProviderHost), as the terraform under test writes it in state and
// TF_REATTACH_PROVIDERS.
func ProviderAddress() string {
	return ProviderHost() + "/rollout-tf/rollout"
}

var openTofu struct {
	once sync.Once
	is   bool
	err  error
}

// IsOpenTofu reports whether the binary at TF_ACC_TERRAFORM_PATH is
// OpenTofu (its `version` output has a line "OpenTofu v..."); it asks once
// per test process.
func IsOpenTofu(t testing.TB) bool {
	t.Helper()
	openTofu.once.Do(func() {
		out, err := exec.Command(os.Getenv("TF_ACC_TERRAFORM_PATH"), "version").Output()
		if err != nil {
			openTofu.err = fmt.Errorf("%s version: %w", os.Getenv("TF_ACC_TERRAFORM_PATH"), err)
			return
		}
		// A warning about the CLI configuration may come first (OpenTofu
		// 1.12 prints it on stdout).
		openTofu.is = regexp.MustCompile(`(?m)^OpenTofu v`).Match(out)
	})
	if openTofu.err != nil {
		t.Fatal(openTofu.err)
	}
	return openTofu.is
}

// PreCheck fails the test when the acceptance environment is incomplete.
// resource.Test itself skips unless TF_ACC is set; when it is set, a missing
// Terraform is a failure, never a skip, and so is OpenTofu without its
// registry host (its configurations would not find the providers served).
func PreCheck(t *testing.T) {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		return
	}
	p := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if p == "" {
		t.Fatal("TF_ACC_TERRAFORM_PATH is not set: run acceptance tests through `make testacc` or `make test`, which find Terraform >= 1.5 on PATH or build it into .cache/")
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("TF_ACC_TERRAFORM_PATH=%s: %v", p, err)
	}
	if IsOpenTofu(t) && ProviderHost() != OpenTofuHost {
		t.Fatalf("TF_ACC_TERRAFORM_PATH=%s is OpenTofu but TF_ACC_PROVIDER_HOST is %q: set TF_ACC_PROVIDER_HOST=%s (make testacc-tofu does)", p, os.Getenv("TF_ACC_PROVIDER_HOST"), OpenTofuHost)
	}
}

// SkipUnlessAcc gates a test that runs terraform itself (as a subprocess)
// the way resource.Test gates the others: skipped unless TF_ACC is set,
// and then held to PreCheck.
func SkipUnlessAcc(t *testing.T) {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: runs with TF_ACC=1 (make test and make testacc set it)")
	}
	PreCheck(t)
}

// ConfigCompose joins configuration fragments.
func ConfigCompose(parts ...string) string {
	return strings.Join(parts, "\n\n")
}

// Endpoints are service base URLs for a provider block.
type Endpoints map[string]string

// ProviderConfig renders a provider block with static test credentials, the
// given region and endpoints, and extra attributes (raw HCL lines).
func ProviderConfig(region string, endpoints Endpoints, extra ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "provider %q {\n", ProviderName)
	fmt.Fprintf(&b, "  region     = %q\n", region)
	fmt.Fprintf(&b, "  access_key = %q\n", ProviderAccessKey)
	b.WriteString("  secret_key = \"rollout-test-secret\"\n")
	for _, line := range extra {
		fmt.Fprintf(&b, "  %s\n", line)
	}
	if len(endpoints) > 0 {
		keys := make([]string, 0, len(endpoints))
		for k := range endpoints {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString("  endpoints {\n")
		for _, k := range keys {
			fmt.Fprintf(&b, "    %s = %q\n", k, endpoints[k])
		}
		b.WriteString("  }\n")
	}
	b.WriteString("}\n")
	return b.String()
}

// ExpectErrorText matches text in Terraform's output even where Terraform
// wrapped it across lines: each run of spaces in text matches any whitespace.
func ExpectErrorText(text string) *regexp.Regexp {
	words := strings.Fields(text)
	for i, w := range words {
		words[i] = regexp.QuoteMeta(w)
	}
	return regexp.MustCompile(strings.Join(words, `\s+`))
}

// SandboxConfig renders a provider block for a sandbox at url.
func SandboxConfig(url string, extra ...string) string {
	return ProviderConfig("us-east-1", Endpoints{"lambda": url, "cloudwatch": url, "s3": url, "sts": url, "sns": url}, append([]string{"max_retries = 3"}, extra...)...)
}

// WriteZip writes a deployment package holding one bootstrap file with
// content and returns its path.
func WriteZip(t *testing.T, dir, name, content string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "bootstrap", Method: zip.Deflate})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
