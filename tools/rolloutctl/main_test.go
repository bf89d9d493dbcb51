package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func state(serial int, fnVersion, release, aliasVersion, deployment, secret string) []byte {
	alias := map[string]any{"function_name": "orders", "name": "live", "function_version": aliasVersion}
	if deployment != "" {
		alias["deployment"] = map[string]any{"status": deployment, "reason": "error rate 40% is above the maximum 5%"}
	}
	b, _ := json.Marshal(map[string]any{"version": 4, "serial": serial, "lineage": "lin-a", "resources": []any{
		map[string]any{"mode": "managed", "type": "rollout_function", "name": "orders", "instances": []any{map[string]any{"attributes": map[string]any{
			"function_name": "orders", "version": fnVersion, "release": release, "environment": map[string]any{"API_KEY": secret},
			"versions": []any{map[string]any{"number": fnVersion, "release": release}}}}}},
		map[string]any{"mode": "managed", "type": "rollout_alias", "name": "live", "instances": []any{map[string]any{"attributes": alias}}},
	}})
	return b
}

func snapshots(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	at := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	for i, s := range [][]byte{
		state(1, "1", "v1.0.0", "1", "", "planted-secret-1"),
		state(5, "2", "v1.1.0", "2", "promoted", "planted-secret-2"),
		state(9, "3", "v1.2.0", "2", "rolled_back", "planted-secret-3"),
	} {
		p := filepath.Join(dir, []string{"s1.tfstate", "s2.tfstate", "s3.tfstate"}[i])
		if err := os.WriteFile(p, s, 0o600); err != nil {
			t.Fatal(err)
		}
		tm := at.Add(time.Duration(i) * time.Hour)
		_ = os.Chtimes(p, tm, tm)
	}
	return dir
}

func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }})
	return code, out.String(), errOut.String()
}

func TestHistory(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCLI(t, "", "history", snapshots(t))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"live: 1 (v1.0.0)", "live: 2 (v1.1.0) [promoted]", "live: 2 [rolled_back]", "lin-a"} {
		if !strings.Contains(out, want) {
			t.Errorf("history lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "planted-secret") {
		t.Fatalf("history printed a secret:\n%s", out)
	}
}

func TestPickAndWriteState(t *testing.T) {
	t.Parallel()
	dir := snapshots(t)
	written := filepath.Join(t.TempDir(), "restore.tfstate")
	code, out, errOut := runCLI(t, "", "pick", dir, "--write-state", written)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"Reference: revision s3.tfstate (serial 9",
		"Known-good: revision s2.tfstate (serial 5",
		"Check out release v1.1.0 of the configuration and apply it.",
		`~ rollout_function.orders: version "3" -> "2" (a retained version: adopted, nothing published)`,
		"terraform state push " + written,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("pick output lacks %q:\n%s", want, out)
		}
	}
	b, err := os.ReadFile(written)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	_ = json.Unmarshal(b, &doc)
	if doc["serial"] != float64(10) || doc["lineage"] != "lin-a" {
		t.Errorf("written state serial %v lineage %v; want 10 and lin-a", doc["serial"], doc["lineage"])
	}
	// Nothing older than the first revision: exit code 3.
	code, out, _ = runCLI(t, "", "pick", dir, "--before", "s1")
	if code != exitNoneFound || !strings.Contains(out, "No known-good revision") {
		t.Errorf("pick before the first revision = exit %d\n%s", code, out)
	}
}

func TestDiffNeverPrintsSecrets(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"diff", "s1", "s3"}, {"diff", "s1", "s3", "--all", "--json"}} {
		full := append([]string{args[0], snapshots(t)}, args[1:]...)
		code, out, errOut := runCLI(t, "", full...)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		if strings.Contains(out, "planted-secret") {
			t.Fatalf("diff printed a secret:\n%s", out)
		}
		if !strings.Contains(out, "(sensitive)") || !strings.Contains(out, "function_version") {
			t.Errorf("diff output:\n%s", out)
		}
	}
}

func TestStdinAndErrors(t *testing.T) {
	t.Parallel()
	code, out, _ := runCLI(t, string(state(3, "4", "v2.0.0", "4", "", "x")), "history", "-", "--json")
	if code != exitOK || !strings.Contains(out, `"serial": 3`) {
		t.Errorf("history from stdin = %d\n%s", code, out)
	}
	code, _, errOut := runCLI(t, "", "history")
	if code != exitUsage || !strings.Contains(errOut, "history takes one SOURCE") {
		t.Errorf("missing source = %d %s", code, errOut)
	}
	code, out, _ = runCLI(t, `{"name":"not a state"}`, "history", "-")
	if code != exitOK || !strings.Contains(out, "unreadable: not a Terraform state file: it has no version and lineage fields") {
		t.Errorf("foreign input = %d\n%s", code, out)
	}
	code, _, errOut = runCLI(t, "", "override", "--function", "f", "--alias", "live", "explode")
	if code != exitUsage || !strings.Contains(errOut, `override "explode": want promote, pause, abort or clear`) {
		t.Errorf("bad override = %d %s", code, errOut)
	}
}

// TestStatusExitCode: a pipeline tells done from in progress from rolled
// back by the exit code alone, in both wait modes (the state says it).
func TestStatusExitCode(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		deployment string
		want       int
		say        string
	}{
		"no rollout":  {"", exitOK, "live: done: version 2 serves all traffic"},
		"promoted":    {"promoted", exitOK, "live: done: version 2 serves all traffic"},
		"in progress": {"in_progress", exitInProgress, "live: in progress"},
		"rolled back": {"rolled_back", exitRolledBack, "live: rolled back"},
		"aborted":     {"aborted", exitAborted, "live: aborted"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCLI(t, string(state(4, "2", "v2", "2", tc.deployment, "x")), "status", "--state", "-", "--alias", "live", "--exit-code")
			if diff := cmp.Diff(tc.want, code); diff != "" {
				t.Errorf("exit code (-want +got):\n%s\n%s%s", diff, out, errOut)
			}
			if !strings.Contains(out, tc.say) {
				t.Errorf("status says %q, want %q", out, tc.say)
			}
		})
	}
	code, _, errOut := runCLI(t, string(state(4, "2", "v2", "2", "", "x")), "status", "--state", "-", "--alias", "staging", "--exit-code")
	if code != exitError || !strings.Contains(errOut, `no rollout_alias named "staging"`) {
		t.Errorf("unknown alias = %d %s", code, errOut)
	}
	code, _, errOut = runCLI(t, "", "status", "--function", "f", "--alias", "live", "--exit-code")
	if code != exitUsage || !strings.Contains(errOut, "--exit-code reads the rollout's outcome from the state: give --state") {
		t.Errorf("--exit-code without --state = %d %s", code, errOut)
	}
}
