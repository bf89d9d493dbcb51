package root

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fsouza/fake-gcs-server/fakestorage"

	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmdtest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmdutil"
	"github.com/rollout-tf/terraform-provider-rollout/internal/statehistory/tfetest"
)

// TestTFESource: tfe://HOST/ORG/WORKSPACE reads a workspace's state
// versions with the token of TF_TOKEN_<host> or of the CLI credentials
// file (terraform login), printing progress on stderr for a long fetch;
// without a token it says how to give one.
func TestTFESource(t *testing.T) {
	t.Parallel()
	srv := tfetest.Start(t, "tok-abc")
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	const n = 1200
	for i := 1; i <= n; i++ {
		v := "1"
		if i > 1100 {
			v = "2"
		}
		srv.Add("acme", "orders", int64(i), at.Add(time.Duration(i)*time.Minute), cmdtest.State(i, v, "v"+v, v, "", "planted-secret"))
	}
	home := t.TempDir()
	creds := filepath.Join(home, ".terraform.d", "credentials.tfrc.json")
	if err := os.MkdirAll(filepath.Dir(creds), 0o700); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{"credentials": map[string]any{"tfe.example.com": map[string]any{"token": "tok-abc"}}})
	if err := os.WriteFile(creds, b, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		env      map[string]string
		wantCode int
		wantErr  string
	}{
		"token from the environment": {env: map[string]string{"TF_TOKEN_tfe_example_com": "tok-abc"}},
		"token from terraform login": {env: map[string]string{"HOME": home}},
		"no token": {env: map[string]string{"HOME": t.TempDir()}, wantCode: cmdutil.ExitError,
			wantErr: "rolloutctl: no API token for tfe.example.com: set TF_TOKEN_tfe_example_com, or run terraform login tfe.example.com\n"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var out, errOut bytes.Buffer
			code := Run(context.Background(), []string{"history", "tfe://tfe.example.com/acme/orders", "--endpoint", srv.URL},
				testFactory("", &out, &errOut, func(k string) string { return tc.env[k] }))
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d\n%s", code, tc.wantCode, errOut.String())
			}
			if tc.wantErr != "" {
				if errOut.String() != tc.wantErr {
					t.Errorf("stderr %q, want %q", errOut.String(), tc.wantErr)
				}
				return
			}
			if lines := strings.Count(out.String(), "\n"); lines != n+1 {
				t.Errorf("%d lines, want %d", lines, n+1)
			}
			for _, want := range []string{"fetched 1000/1200 versions of tfe://acme/orders", "fetched 1200/1200 versions of tfe://acme/orders"} {
				if !strings.Contains(errOut.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, errOut.String())
				}
			}
		})
	}
}

// TestGCSSource: gs://BUCKET/OBJECT reads the object's generations;
// --endpoint points at a storage emulator (fake-gcs-server here).
func TestGCSSource(t *testing.T) {
	t.Parallel()
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{Scheme: "http", Host: "127.0.0.1", Port: 0})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: "tfstate", VersioningEnabled: true})
	for i, v := range []string{"1", "2", "3"} {
		deployment := map[string]string{"1": "", "2": "promoted", "3": "rolled_back"}[v]
		srv.CreateObject(fakestorage.Object{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: "tfstate", Name: "orders/default.tfstate"},
			Content: cmdtest.State(i+1, v, "v"+v, v, deployment, "planted-secret")})
	}
	code, out, errOut := runCLI(t, "", "pick", "gs://tfstate/orders/default.tfstate", "--endpoint", srv.URL(), "--json")
	if code != cmdutil.ExitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	var p struct {
		Chosen struct {
			Serial int `json:"serial"`
		} `json:"chosen"`
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil || p.Chosen.Serial != 2 {
		t.Errorf("pick chose %+v (%v), want serial 2\n%s", p.Chosen, err, out)
	}
	code, _, errOut = runCLI(t, "", "history", "gs://tfstate", "--endpoint", srv.URL())
	if code != cmdutil.ExitUsage || !strings.Contains(errOut, `"gs://tfstate" is not gs://bucket/object`) {
		t.Errorf("bad gs URL: exit %d %s", code, errOut)
	}
	_ = fmt.Sprint()
}
