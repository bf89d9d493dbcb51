package root

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/google/go-cmp/cmp"

	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmdtest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmdutil"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

// testFactory is the process's factory (the SDK's clients) with the
// streams and environment of a test.
func testFactory(stdin string, out, errOut *bytes.Buffer, getenv func(string) string) *cmdutil.Factory {
	return &cmdutil.Factory{IO: cmdutil.IOStreams{In: strings.NewReader(stdin), Out: out, ErrOut: errOut},
		Getenv: getenv, Clients: cmdutil.SDKClients{Getenv: getenv}, AppVersion: "test"}
}

func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), args, testFactory(stdin, &out, &errOut, func(string) string { return "" }))
	return code, out.String(), errOut.String()
}

// TestExitCodes: each way a command ends maps to its exit code and message.
func TestExitCodes(t *testing.T) {
	t.Parallel()
	dir := cmdtest.Snapshots(t)
	tests := map[string]struct {
		args       []string
		wantCode   int
		wantOut    string
		wantErrOut string // a suffix of stderr
	}{
		"no command":      {wantCode: cmdutil.ExitOK, wantOut: Usage},
		"help":            {args: []string{"help"}, wantCode: cmdutil.ExitOK, wantOut: Usage},
		"--help":          {args: []string{"--help"}, wantCode: cmdutil.ExitOK, wantOut: Usage},
		"version":         {args: []string{"version"}, wantCode: cmdutil.ExitOK, wantOut: "rolloutctl test\n"},
		"unknown command": {args: []string{"rollback"}, wantCode: cmdutil.ExitUsage, wantErrOut: "rolloutctl: unknown command \"rollback\"\n\n" + Usage},
		"usage error":     {args: []string{"diff", dir}, wantCode: cmdutil.ExitUsage, wantErrOut: "rolloutctl: diff takes SOURCE REV_A REV_B\n\n" + Usage},
		"command help":    {args: []string{"pick", dir, "-h"}, wantCode: cmdutil.ExitOK},
		"unknown flag":    {args: []string{"pick", dir, "--bogus"}, wantCode: cmdutil.ExitUsage, wantErrOut: "rolloutctl: pick: flag provided but not defined: -bogus\n\n" + Usage},
		"bad flag value":  {args: []string{"history", dir, "--json=maybe"}, wantCode: cmdutil.ExitUsage, wantErrOut: "rolloutctl: history: invalid boolean value \"maybe\" for -json: parse error\n\n" + Usage},
		"unknown alias":   {args: []string{"history", dir, "--alias", "nosuch"}, wantCode: cmdutil.ExitUsage, wantErrOut: "rolloutctl: no alias \"nosuch\" in this history; its aliases: live\n\n" + Usage},
		"none found":      {args: []string{"pick", dir, "--before", "s1", "--json"}, wantCode: cmdutil.ExitNoneFound},
		"error":           {args: []string{"history", dir + "/missing"}, wantCode: cmdutil.ExitError, wantErrOut: "no such file or directory\n"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCLI(t, "", tc.args...)
			if diff := cmp.Diff(tc.wantCode, code); diff != "" {
				t.Errorf("exit code (-want +got):\n%s\n%s", diff, errOut)
			}
			if tc.wantOut != "" {
				if diff := cmp.Diff(tc.wantOut, out); diff != "" {
					t.Errorf("stdout (-want +got):\n%s", diff)
				}
			}
			if !strings.HasSuffix(errOut, tc.wantErrOut) {
				t.Errorf("stderr ends %q, want %q", errOut, tc.wantErrOut)
			}
		})
	}
}

// TestRegionErrorSpeaksToTheCLI: with no region anywhere, an S3 source
// says how to give one to rolloutctl (its flag, the environment), not a
// provider block the user of a CLI does not have.
func TestRegionErrorSpeaksToTheCLI(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"AWS_CONFIG_FILE": empty, "AWS_SHARED_CREDENTIALS_FILE": empty, "AWS_EC2_METADATA_DISABLED": "true", "AWS_REGION": "", "AWS_DEFAULT_REGION": "", "AWS_PROFILE": ""}
	for k, v := range env {
		t.Setenv(k, v)
	}
	var out, errOut bytes.Buffer
	code := Run(context.Background(), []string{"history", "s3://b/k"}, testFactory("", &out, &errOut, func(k string) string { return env[k] }))
	want := "rolloutctl: no AWS region for s3://b/k: pass --region (e.g. --region us-east-1) or set AWS_REGION, or a region in the shared config profile\n"
	if diff := cmp.Diff(want, errOut.String()); diff != "" || code != cmdutil.ExitError {
		t.Errorf("exit %d, stderr (-want +got):\n%s", code, diff)
	}
}

func TestStdinAndErrors(t *testing.T) {
	t.Parallel()
	code, out, _ := runCLI(t, string(cmdtest.State(3, "4", "v2.0.0", "4", "", "x")), "history", "-", "--json")
	if code != cmdutil.ExitOK || !strings.Contains(out, `"serial": 3`) {
		t.Errorf("history from stdin = %d\n%s", code, out)
	}
	code, _, errOut := runCLI(t, "", "history")
	if code != cmdutil.ExitUsage || !strings.Contains(errOut, "history takes one SOURCE") {
		t.Errorf("missing source = %d %s", code, errOut)
	}
	code, out, _ = runCLI(t, `{"name":"not a state"}`, "history", "-")
	if code != cmdutil.ExitOK || !strings.Contains(out, "unreadable: not a Terraform state file: it has no version and lineage fields") {
		t.Errorf("foreign input = %d\n%s", code, out)
	}
	code, _, errOut = runCLI(t, "", "override", "--function", "f", "--alias", "live", "explode")
	if code != cmdutil.ExitUsage || !strings.Contains(errOut, `override "explode": want promote, pause, abort or clear`) {
		t.Errorf("bad override = %d %s", code, errOut)
	}
}

func TestStatusShowsRelabelledRelease(t *testing.T) {
	// The SDK reads credentials from the process environment (not t.Parallel).
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "s")
	inst := sandboxtest.Start(t, sandbox.Options{})
	c := cmdtest.SandboxLambda(inst.URL)
	ctx := context.Background()
	arn := cmdtest.PublishFunction(t, c, "orders", "v1.0.0")
	args := []string{"status", "--function", "orders", "--alias", "live", "--endpoint", inst.URL, "--region", "us-east-1"}
	getenv := func(k string) string {
		return map[string]string{"AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "s"}[k]
	}
	status := func() string {
		var out, errOut bytes.Buffer
		if code := Run(ctx, args, testFactory("", &out, &errOut, getenv)); code != cmdutil.ExitOK {
			t.Fatalf("status exit %d: %s", code, errOut.String())
		}
		return out.String()
	}
	if got := status(); !strings.Contains(got, "orders:live -> version 1 (v1.0.0)") {
		t.Errorf("status = %q; want the label recorded at publish", got)
	}
	if _, err := c.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(arn), Tags: map[string]string{"rollout:release:1": "v1.0.1"}}); err != nil {
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
		"no rollout":  {"", cmdutil.ExitOK, "live: done: version 2 serves all traffic"},
		"promoted":    {"promoted", cmdutil.ExitOK, "live: done: version 2 serves all traffic"},
		"in progress": {"in_progress", cmdutil.ExitInProgress, "live: in progress"},
		"rolled back": {"rolled_back", cmdutil.ExitRolledBack, "live: rolled back"},
		"aborted":     {"aborted", cmdutil.ExitAborted, "live: aborted"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCLI(t, string(cmdtest.State(4, "2", "v2", "2", tc.deployment, "x")), "status", "--state", "-", "--alias", "live", "--exit-code")
			if diff := cmp.Diff(tc.want, code); diff != "" {
				t.Errorf("exit code (-want +got):\n%s\n%s%s", diff, out, errOut)
			}
			if !strings.Contains(out, tc.say) {
				t.Errorf("status says %q, want %q", out, tc.say)
			}
		})
	}
	code, _, errOut := runCLI(t, string(cmdtest.State(4, "2", "v2", "2", "", "x")), "status", "--state", "-", "--alias", "staging", "--exit-code")
	if code != cmdutil.ExitError || !strings.Contains(errOut, `no rollout_alias named "staging"`) {
		t.Errorf("unknown alias = %d %s", code, errOut)
	}
	code, _, errOut = runCLI(t, "", "status", "--function", "f", "--alias", "live", "--exit-code")
	if code != cmdutil.ExitUsage || !strings.Contains(errOut, "--exit-code reads the rollout's outcome from the state: give --state") {
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
	c := cmdtest.SandboxLambda(inst.URL)
	arn := aws.String(cmdtest.PublishFunction(t, c, "orders", "", ""))
	live := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		f := testFactory("", &out, &errOut, func(k string) string {
			return map[string]string{"AWS_ACCESS_KEY_ID": "AKIDOPERATOR", "AWS_SECRET_ACCESS_KEY": "s", "AWS_REGION": "us-east-1"}[k]
		})
		code := Run(ctx, append(args, "--function", "orders", "--alias", "live", "--endpoint", inst.URL, "--region", "us-east-1"), f)
		return code, out.String(), errOut.String()
	}
	tags := func() map[string]string {
		out, err := c.ListTags(ctx, &lambda.ListTagsInput{Resource: arn})
		if err != nil {
			t.Fatal(err)
		}
		return out.Tags
	}
	if code, _, errOut := live("override", "promote"); code != cmdutil.ExitError || !strings.Contains(errOut, "no rollout is running on orders:live") {
		t.Errorf("override without a running rollout = %d %s", code, errOut)
	}
	if _, ok := tags()[lambdaops.OverrideTag]; ok {
		t.Error("override wrote a tag with no rollout running")
	}
	cmdtest.SplitLive(t, c, "orders", "2", 0.1)
	if code, out, errOut := live("override", "pause"); code != cmdutil.ExitOK {
		t.Fatalf("override = %d %s %s", code, out, errOut)
	}
	if diff := cmp.Diff("pause alias=live from=1 to=2", tags()[lambdaops.OverrideTag]); diff != "" {
		t.Errorf("override tag (-want +got):\n%s", diff)
	}
	v, th := 0.5, 0.05
	rec := lambdaops.RollbackRecord{Identity: "0123456789abcdef", Alias: "live", Version: "2", Release: "v2", At: time.Date(2026, 11, 26, 13, 15, 2, 0, time.UTC),
		Gate: "error_rate", Value: &v, Threshold: &th}
	if _, err := c.TagResource(ctx, &lambda.TagResourceInput{Resource: arn, Tags: map[string]string{rec.TagKey(): rec.TagValue()}}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := live("status")
	want := `rolled back: version 2 (v2) at 2026-11-26T13:15:02Z by gate error_rate (measured 0.5, threshold 0.05); never relaunched unless the alias sets retry_rolled_back = "0123456789abcdef@20261126T131502Z"`
	if code != cmdutil.ExitOK || !strings.Contains(out, want) || !strings.Contains(out, "override: pause alias=live from=1 to=2") {
		t.Errorf("status = %d\n%s%s\nwant %s", code, out, errOut, want)
	}
	if code, _, errOut := live("override", "clear"); code != cmdutil.ExitOK {
		t.Errorf("clear = %d %s", code, errOut)
	}
	if _, ok := tags()[lambdaops.OverrideTag]; ok {
		t.Error("clear left the override")
	}
}
