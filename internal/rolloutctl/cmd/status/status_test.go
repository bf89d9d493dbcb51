package status

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"

	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmdtest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmdutil"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

func TestNew(t *testing.T) {
	t.Parallel()
	cmdtest.CheckNew(t, New, map[string]cmdtest.NewCase[*Options]{
		"live": {Args: []string{"--function", "orders", "--alias", "live", "--endpoint", "http://127.0.0.1:1", "--region", "eu-west-1", "--json"},
			Want: &Options{LiveOptions: cmdutil.LiveOptions{Function: "orders", Alias: "live", Endpoint: "http://127.0.0.1:1", Region: "eu-west-1", JSON: true}, Window: 5 * time.Minute, Interval: 5 * time.Second}},
		"state without function": {Args: []string{"--state", "-", "--alias", "live", "--exit-code"},
			Want: &Options{LiveOptions: cmdutil.LiveOptions{Alias: "live"}, State: "-", ExitCode: true, Window: 5 * time.Minute, Interval: 5 * time.Second}},
		"positionals are ignored": {Args: []string{"whatever", "--function", "orders", "--alias", "live"},
			Want: &Options{LiveOptions: cmdutil.LiveOptions{Function: "orders", Alias: "live"}, Window: 5 * time.Minute, Interval: 5 * time.Second}},
		"watch": {Args: []string{"--function", "orders", "--alias", "live", "--watch", "--interval", "2s", "--window", "10m"},
			Want: &Options{LiveOptions: cmdutil.LiveOptions{Function: "orders", Alias: "live"}, Window: 10 * time.Minute, Watch: true, Interval: 2 * time.Second}},
		"watch with json": {Args: []string{"--function", "orders", "--alias", "live", "--watch", "--json"},
			WantErr: "--watch draws the live terminal view: drop --state and --json (for machines, run status --json in a loop)"},
		"short window": {Args: []string{"--function", "orders", "--alias", "live", "--window", "10s"},
			WantErr: "--window 10s is too short: CloudWatch keeps Lambda metrics per minute; give at least 1m, for example --window 5m"},
		"short interval": {Args: []string{"--function", "orders", "--alias", "live", "--watch", "--interval", "10ms"},
			WantErr: "--interval 10ms is too short; give at least 1s, for example --interval 5s"},
		"exit code without state": {Args: []string{"--function", "orders", "--alias", "live", "--exit-code"},
			WantErr: "--exit-code reads the rollout's outcome from the state: give --state FILE, or --state - with terraform state pull"},
		"no alias":    {Args: []string{"--function", "orders"}, WantErr: "status needs --function and --alias"},
		"no function": {Args: []string{"--alias", "live"}, WantErr: "status needs --function and --alias"},
		"group from a state": {Args: []string{"terraform.tfstate", "--group", "checkout", "--json"},
			Want: &Options{LiveOptions: cmdutil.LiveOptions{JSON: true}, Group: "checkout", Source: "terraform.tfstate", Window: 5 * time.Minute, Interval: 5 * time.Second}},
		"group from members": {Args: []string{"--group", "checkout", "--member", "orders-api:live", "--member", "orders-worker:live", "--watch"},
			Want: &Options{Group: "checkout", Members: memberFlags{{Function: "orders-api", Alias: "live"}, {Function: "orders-worker", Alias: "live"}},
				Window: 5 * time.Minute, Watch: true, Interval: 5 * time.Second}},
		"group outcome from a state": {Args: []string{"--state", "-", "--group", "checkout", "--exit-code"},
			Want: &Options{Group: "checkout", State: "-", ExitCode: true, Window: 5 * time.Minute, Interval: 5 * time.Second}},
		"group without members": {Args: []string{"--group", "checkout"},
			WantErr: "status --group needs the group's members: give the state that holds the group (rolloutctl status --group checkout terraform.tfstate, or - for terraform state pull) or each member (--member orders-api:live --member orders-worker:live)"},
		"group with both": {Args: []string{"terraform.tfstate", "--group", "checkout", "--member", "a:live"},
			WantErr: "status --group takes its members from a state or from --member, not both"},
		"group with alias": {Args: []string{"terraform.tfstate", "--group", "checkout", "--alias", "live"},
			WantErr: "status takes --group or --function/--alias, not both: a group names its members' aliases"},
		"bad member": {Args: []string{"--group", "checkout", "--member", "orders-api"},
			WantErr: `status: invalid value "orders-api" for flag -member: want FUNCTION:ALIAS, for example --member orders-api:live`},
		"member without group": {Args: []string{"--member", "orders-api:live"},
			WantErr: "--member names a member of --group: add --group NAME (for example --group checkout)"},
		"unknown flag": {Args: []string{"--function", "orders", "--alias", "live", "--all"}, WantErr: "status: flag provided but not defined: -all"},
	})
}

// TestRunLive drives status through a fake Lambda: the text line and the
// JSON shape for a plain alias, a relabelled release, a running rollout
// under an override, and the alias's rolled-back releases.
func TestRunLive(t *testing.T) {
	t.Parallel()
	v, th := 0.5, 0.05
	rec := lambdaops.RollbackRecord{Identity: "0123456789abcdef", Alias: "live", Version: "2", Release: "v2", At: time.Date(2026, 11, 26, 13, 15, 2, 0, time.UTC),
		Gate: "error_rate", Value: &v, Threshold: &th}
	other := lambdaops.RollbackRecord{Identity: "fedcba9876543210", Alias: "beta", Version: "3", At: time.Date(2026, 11, 26, 14, 0, 0, 0, time.UTC)}
	plain := &lambda.GetAliasOutput{Name: aws.String("live"), FunctionVersion: aws.String("1"), RevisionId: aws.String("rev-1")}
	split := &lambda.GetAliasOutput{Name: aws.String("live"), FunctionVersion: aws.String("1"), RevisionId: aws.String("rev-2"),
		RoutingConfig: &lambdatypes.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 0.1}}}
	tests := map[string]struct {
		alias    *lambda.GetAliasOutput
		tags     map[string]string
		releases map[string]string
		wantText string
		wantJSON map[string]any
		wantErr  string
	}{
		"release from the description": {alias: plain, releases: map[string]string{"1": "v1.0.0"},
			wantText: "orders:live -> version 1 (v1.0.0)\n",
			wantJSON: map[string]any{"alias": "live", "function_version": "1", "revision_id": "rev-1", "override": "", "release": "v1.0.0"}},
		"no release": {alias: plain,
			wantText: "orders:live -> version 1\n",
			wantJSON: map[string]any{"alias": "live", "function_version": "1", "revision_id": "rev-1", "override": ""}},
		"relabelled release": {alias: plain, releases: map[string]string{"1": "v1.0.0"}, tags: map[string]string{lambdaops.ReleaseTagPrefix + "1": "v1.0.1"},
			wantText: "orders:live -> version 1 (v1.0.1)\n",
			wantJSON: map[string]any{"alias": "live", "function_version": "1", "revision_id": "rev-1", "override": "", "release": "v1.0.1"}},
		"running rollout under an override": {alias: split, releases: map[string]string{"1": "v1"}, tags: map[string]string{lambdaops.OverrideTag: "pause alias=live from=1 to=2"},
			wantText: "orders:live -> version 1 (v1) (10% on version 2)  override: pause alias=live from=1 to=2\n",
			wantJSON: map[string]any{"alias": "live", "function_version": "1", "revision_id": "rev-2", "override": "pause alias=live from=1 to=2", "release": "v1",
				"routing": map[string]any{"2": 0.1}}},
		"rolled back releases of this alias": {alias: plain, releases: map[string]string{"1": "v1"},
			tags: map[string]string{rec.TagKey(): rec.TagValue(), other.TagKey(): other.TagValue()},
			wantText: "orders:live -> version 1 (v1)\n" +
				`  rolled back: version 2 (v2) at 2026-11-26T13:15:02Z by gate error_rate (measured 0.5, threshold 0.05); never relaunched unless the alias sets retry_rolled_back = "0123456789abcdef@20261126T131502Z"` + "\n",
			wantJSON: map[string]any{"alias": "live", "function_version": "1", "revision_id": "rev-1", "override": "", "release": "v1",
				"rolled_back": []any{map[string]any{"version": "2", "release": "v2", "digest": "0123456789abcdef", "at": "2026-11-26T13:15:02Z",
					"gate": "error_rate", "value": 0.5, "threshold": 0.05, "retry_rolled_back": "0123456789abcdef@20261126T131502Z"}}}},
		"no alias": {wantErr: "ResourceNotFoundException: Alias not found: arn:aws:lambda:us-east-1:123456789012:function:orders:live"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, asJSON := range []bool{false, true} {
				fake := &cmdtest.FakeLambda{Function: "orders", Alias: tc.alias, Tags: tc.tags, Releases: tc.releases}
				f, io := cmdtest.Factory("", cmdtest.Clients{LambdaClient: fake})
				o := &Options{LiveOptions: cmdutil.LiveOptions{Function: "orders", Alias: "live", JSON: asJSON}, f: f}
				err := Run(context.Background(), o)
				if diff := cmp.Diff(tc.wantErr, cmdtest.ErrString(err)); diff != "" {
					t.Fatalf("error (-want +got):\n%s", diff)
				}
				if err != nil {
					continue
				}
				if !asJSON {
					if diff := cmp.Diff(tc.wantText, io.Out.String()); diff != "" {
						t.Errorf("text (-want +got):\n%s", diff)
					}
					continue
				}
				cmdtest.DiffJSON(t, tc.wantJSON, io.Out.Bytes())
			}
		})
	}
}

// TestRunState reads the outcome from a state: the JSON shape, and the
// exit code only with --exit-code.
func TestRunState(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		stdin    string
		function string
		exitCode bool
		wantJSON map[string]any
		wantErr  string
		wantCode int
	}{
		"rolled back": {stdin: string(cmdtest.State(4, "3", "v3", "2", "rolled_back", "x")), exitCode: true, wantCode: cmdutil.ExitRolledBack,
			wantErr: "exit 5",
			wantJSON: map[string]any{"alias": "live", "function": "orders", "outcome": "rolled back", "exit_code": float64(5), "deployment": "rolled_back",
				"primary": "2", "routing_version": "", "routing_weight": float64(0), "reason": "error rate 40% is above the maximum 5%"}},
		"rolled back, no exit code": {stdin: string(cmdtest.State(4, "3", "v3", "2", "rolled_back", "x")),
			wantJSON: map[string]any{"alias": "live", "function": "orders", "outcome": "rolled back", "exit_code": float64(5), "deployment": "rolled_back",
				"primary": "2", "routing_version": "", "routing_weight": float64(0), "reason": "error rate 40% is above the maximum 5%"}},
		"done": {stdin: string(cmdtest.State(4, "2", "v2", "2", "promoted", "x")), function: "orders", exitCode: true,
			wantJSON: map[string]any{"alias": "live", "function": "orders", "outcome": "done", "exit_code": float64(0), "deployment": "promoted",
				"primary": "2", "routing_version": "", "routing_weight": float64(0), "reason": "error rate 40% is above the maximum 5%"}},
		"another function's alias": {stdin: string(cmdtest.State(4, "2", "v2", "2", "", "x")), function: "payments", wantErr: `no rollout_alias named "live" in -`},
		"not a state":              {stdin: `{"name":"not a state"}`, wantErr: "- holds no readable state"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f, io := cmdtest.Factory(tc.stdin, cmdtest.Clients{})
			o := &Options{LiveOptions: cmdutil.LiveOptions{Function: tc.function, Alias: "live", JSON: true}, State: "-", ExitCode: tc.exitCode, f: f}
			err := Run(context.Background(), o)
			if diff := cmp.Diff(tc.wantErr, cmdtest.ErrString(err)); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			var sc cmdutil.StatusCode
			if errors.As(err, &sc) && int(sc) != tc.wantCode {
				t.Errorf("exit code %d, want %d", sc, tc.wantCode)
			}
			if tc.wantJSON == nil {
				return
			}
			cmdtest.DiffJSON(t, tc.wantJSON, io.Out.Bytes())
		})
	}
}

// TestRunSandbox runs status against an in-process sandbox through the
// injected client factory: the SDK's answers make the same line.
func TestRunSandbox(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{})
	c := cmdtest.SandboxLambda(inst.URL)
	arn := cmdtest.PublishFunction(t, c, "orders", "v1.0.0", "v1.1.0")
	ctx := context.Background()
	cmdtest.SplitLive(t, c, "orders", "2", 0.25)
	if _, err := c.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(arn), Tags: map[string]string{lambdaops.OverrideTag: "promote alias=live from=1 to=2"}}); err != nil {
		t.Fatal(err)
	}
	f, io := cmdtest.Factory("", cmdtest.Clients{LambdaClient: c})
	o, err := New(f, []string{"--function", "orders", "--alias", "live"})
	if err != nil {
		t.Fatal(err)
	}
	if err := Run(ctx, o); err != nil {
		t.Fatal(err)
	}
	want := "orders:live -> version 1 (v1.0.0) (25% on version 2)  override: promote alias=live from=1 to=2\n"
	if diff := cmp.Diff(want, io.Out.String()); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
}
