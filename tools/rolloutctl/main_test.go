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
	"github.com/google/go-cmp/cmp"

	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
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
	inst := sandboxtest.Start(t, sandbox.Options{})
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

// TestLiveStatusAndOverride runs status and override against an
// in-process sandbox: override writes the scoped form for the running
// rollout and refuses when none runs; status lists the alias's
// rolled-back releases with the value that retries each.
func TestLiveStatusAndOverride(t *testing.T) {
	// The SDK reads static credentials from the process environment.
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDOPERATOR")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "s")
	inst := sandboxtest.Start(t, sandbox.Options{})
	ctx := context.Background()
	c := lambda.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "s", "")},
		func(o *lambda.Options) { o.BaseEndpoint = aws.String(inst.URL) })
	var zipped bytes.Buffer
	zw := zip.NewWriter(&zipped)
	w, _ := zw.Create("bootstrap")
	_, _ = w.Write([]byte("code"))
	_ = zw.Close()
	fn, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("orders"), Role: aws.String("arn:aws:iam::123456789012:role/x"),
		Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), Code: &lambdatypes.FunctionCode{ZipFile: zipped.Bytes()}})
	if err != nil {
		t.Fatal(err)
	}
	if err := lambdaops.WaitActive(ctx, c, "orders", time.Minute); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("orders"), Description: aws.String(strings.Repeat("d", i+1))}); err != nil {
			t.Fatal(err)
		}
		if err := lambdaops.WaitUpdated(ctx, c, "orders", time.Minute); err != nil {
			t.Fatal(err)
		}
		if _, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("orders")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("orders"), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	live := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		env := env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: func(k string) string {
			return map[string]string{"AWS_ACCESS_KEY_ID": "AKIDOPERATOR", "AWS_SECRET_ACCESS_KEY": "s", "AWS_REGION": "us-east-1"}[k]
		}}
		code := run(ctx, append(args, "--function", "orders", "--alias", "live", "--endpoint", inst.URL, "--region", "us-east-1"), env)
		return code, out.String(), errOut.String()
	}
	tags := func() map[string]string {
		out, err := c.ListTags(ctx, &lambda.ListTagsInput{Resource: fn.FunctionArn})
		if err != nil {
			t.Fatal(err)
		}
		return out.Tags
	}
	if code, _, errOut := live("override", "promote"); code != exitError || !strings.Contains(errOut, "no rollout is running on orders:live") {
		t.Errorf("override without a running rollout = %d %s", code, errOut)
	}
	if _, ok := tags()[lambdaops.OverrideTag]; ok {
		t.Error("override wrote a tag with no rollout running")
	}
	if _, err := c.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("orders"), Name: aws.String("live"),
		RoutingConfig: &lambdatypes.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 0.1}}}); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := live("override", "pause"); code != exitOK {
		t.Fatalf("override = %d %s %s", code, out, errOut)
	}
	if diff := cmp.Diff("pause alias=live from=1 to=2", tags()[lambdaops.OverrideTag]); diff != "" {
		t.Errorf("override tag (-want +got):\n%s", diff)
	}
	v, th := 0.5, 0.05
	rec := lambdaops.RollbackRecord{Identity: "0123456789abcdef", Alias: "live", Version: "2", Release: "v2", At: time.Date(2026, 11, 26, 13, 15, 2, 0, time.UTC),
		Gate: "error_rate", Value: &v, Threshold: &th}
	if _, err := c.TagResource(ctx, &lambda.TagResourceInput{Resource: fn.FunctionArn, Tags: map[string]string{rec.TagKey(): rec.TagValue()}}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := live("status")
	want := `rolled back: version 2 (v2) at 2026-11-26T13:15:02Z by gate error_rate (measured 0.5, threshold 0.05); never relaunched unless the alias sets retry_rolled_back = "0123456789abcdef@20261126T131502Z"`
	if code != exitOK || !strings.Contains(out, want) || !strings.Contains(out, "override: pause alias=live from=1 to=2") {
		t.Errorf("status = %d\n%s%s\nwant %s", code, out, errOut, want)
	}
	if code, _, errOut := live("override", "clear"); code != exitOK {
		t.Errorf("clear = %d %s", code, errOut)
	}
	if _, ok := tags()[lambdaops.OverrideTag]; ok {
		t.Error("clear left the override")
	}
}
