package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
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

func TestPickNoOpAndDroppedResources(t *testing.T) {
	t.Parallel()
	dir := snapshots(t)
	// The alias stays on version 2 (the rolled-back rollout left it there): not a return.
	code, out, errOut := runCLI(t, "", "pick", dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if strings.Contains(out, "returns to version 2 (v1.1.0), from 2") || !strings.Contains(out, "alias rollout_alias.live stays on version 2 (v1.1.0)") {
		t.Errorf("pick describes a no-op as a return:\n%s", out)
	}
	// A resource created after the picked revision: --write-state lists it and refuses.
	var doc map[string]any
	b, _ := os.ReadFile(filepath.Join(dir, "s3.tfstate"))
	_ = json.Unmarshal(b, &doc)
	doc["resources"] = append(doc["resources"].([]any), map[string]any{"mode": "managed", "type": "rollout_alias", "name": "beta",
		"instances": []any{map[string]any{"attributes": map[string]any{"name": "beta"}}}})
	b, _ = json.Marshal(doc)
	if err := os.WriteFile(filepath.Join(dir, "s3.tfstate"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	written := filepath.Join(t.TempDir(), "restore.tfstate")
	code, out, errOut = runCLI(t, "", "pick", dir, "--write-state", written)
	if code != exitError || !strings.Contains(errOut, "rollout_alias.beta") || !strings.Contains(errOut, "--drop-new-resources") {
		t.Errorf("pick --write-state dropping a resource = exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if _, err := os.Stat(written); err == nil {
		t.Errorf("the refused pick wrote %s", written)
	}
	code, out, errOut = runCLI(t, "", "pick", dir, "--write-state", written, "--drop-new-resources")
	if code != exitOK || !strings.Contains(out, "rollout_alias.beta") {
		t.Errorf("pick --write-state --drop-new-resources = exit %d\n%s%s", code, out, errOut)
	}
	if _, err := os.Stat(written); err != nil {
		t.Errorf("--drop-new-resources did not write the state: %v", err)
	}
}

func TestStatusShowsRelabelledRelease(t *testing.T) {
	// The SDK reads credentials from the process environment (not t.Parallel).
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "s")
	inst := sandbox.Start(t, sandbox.Options{})
	c := lambda.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "s", "")},
		func(o *lambda.Options) { o.BaseEndpoint = aws.String(inst.URL) })
	ctx := context.Background()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("bootstrap")
	_, _ = w.Write([]byte("code"))
	_ = zw.Close()
	fn, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("orders"), Role: aws.String("arn:aws:iam::123456789012:role/x"),
		Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), Code: &lambdatypes.FunctionCode{ZipFile: buf.Bytes()}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("orders"),
		Description: aws.String(lambdaops.FormatDescription("", lambdaops.VersionMeta{Release: "v1.0.0"}))}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("orders"), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	args := []string{"status", "--function", "orders", "--alias", "live", "--endpoint", inst.URL, "--region", "us-east-1"}
	getenv := func(k string) string {
		return map[string]string{"AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "s"}[k]
	}
	status := func() string {
		var out, errOut bytes.Buffer
		if code := run(ctx, args, env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: getenv}); code != exitOK {
			t.Fatalf("status exit %d: %s", code, errOut.String())
		}
		return out.String()
	}
	if got := status(); !strings.Contains(got, "orders:live -> version 1 (v1.0.0)") {
		t.Errorf("status = %q; want the label recorded at publish", got)
	}
	if _, err := c.TagResource(ctx, &lambda.TagResourceInput{Resource: fn.FunctionArn, Tags: map[string]string{"rollout:release:1": "v1.0.1"}}); err != nil {
		t.Fatal(err)
	}
	if got := status(); !strings.Contains(got, "orders:live -> version 1 (v1.0.1)") {
		t.Errorf("status = %q; want the relabelled release", got)
	}
}
