package override

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/rollout-tf/terraform-provider-rollout/internal/awsclient"
	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmdtest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmdutil"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

func TestNew(t *testing.T) {
	t.Parallel()
	live := cmdutil.LiveOptions{Function: "orders", Alias: "live"}
	cmdtest.CheckNew(t, New, map[string]cmdtest.NewCase[*Options]{
		"flags first":  {Args: []string{"--function", "orders", "--alias", "live", "pause"}, Want: &Options{LiveOptions: live, Action: "pause"}},
		"action first": {Args: []string{"promote", "--function", "orders", "--alias", "live"}, Want: &Options{LiveOptions: live, Action: "promote"}},
		"action in between": {Args: []string{"--function", "orders", "abort", "--alias=live", "--endpoint", "http://127.0.0.1:1", "--region", "eu-west-1"},
			Want: &Options{LiveOptions: cmdutil.LiveOptions{Function: "orders", Alias: "live", Endpoint: "http://127.0.0.1:1", Region: "eu-west-1"}, Action: "abort"}},
		"clear":          {Args: []string{"clear", "--function", "orders", "--alias", "live", "--json"}, Want: &Options{LiveOptions: cmdutil.LiveOptions{Function: "orders", Alias: "live", JSON: true}, Action: "clear"}},
		"no function":    {Args: []string{"--alias", "live", "pause"}, WantErr: "override needs --function and --alias"},
		"no alias":       {Args: []string{"--function", "orders", "pause"}, WantErr: "override needs --function and --alias"},
		"no action":      {Args: []string{"--function", "orders", "--alias", "live"}, WantErr: "override takes one of promote, pause, abort, clear"},
		"two actions":    {Args: []string{"--function", "orders", "--alias", "live", "pause", "abort"}, WantErr: "override takes one of promote, pause, abort, clear"},
		"unknown action": {Args: []string{"--function", "orders", "--alias", "live", "explode"}, WantErr: `override "explode": want promote, pause, abort or clear`},
		"unknown flag":   {Args: []string{"--function", "orders", "--alias", "live", "--state", "-", "pause"}, WantErr: "override: flag provided but not defined: -state"},
	})
}

// TestRun drives override through a fake Lambda: the scoped value written
// for the running rollout, nothing written when none runs, clear, and API
// errors passed on.
func TestRun(t *testing.T) {
	t.Parallel()
	split := &lambda.GetAliasOutput{Name: aws.String("live"), FunctionVersion: aws.String("3"),
		RoutingConfig: &lambdatypes.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"4": 0.25}}}
	whole := &lambda.GetAliasOutput{Name: aws.String("live"), FunctionVersion: aws.String("3")}
	const arn = "arn:aws:lambda:us-east-1:123456789012:function:orders"
	tests := map[string]struct {
		action   string
		alias    *lambda.GetAliasOutput
		tags     map[string]string
		err      map[string]error
		wantTags map[string]string
		wantOut  string
		wantErr  string
		wantCall []string
	}{
		"pause a running rollout": {action: "pause", alias: split, tags: map[string]string{"team": "orders"},
			wantTags: map[string]string{"team": "orders", lambdaops.OverrideTag: "pause alias=live from=3 to=4"},
			wantOut:  `override rollout:override = "pause alias=live from=3 to=4" set on orders: the rollout of live from version 3 to version 4 reads it at its next interval; it ends with that rollout` + "\n",
			wantCall: []string{"GetFunction orders", "GetAlias orders", "TagResource " + arn}},
		"promote replaces an older override": {action: "promote", alias: split, tags: map[string]string{lambdaops.OverrideTag: "pause alias=live from=1 to=2"},
			wantTags: map[string]string{lambdaops.OverrideTag: "promote alias=live from=3 to=4"},
			wantOut:  `override rollout:override = "promote alias=live from=3 to=4" set on orders: the rollout of live from version 3 to version 4 reads it at its next interval; it ends with that rollout` + "\n",
			wantCall: []string{"GetFunction orders", "GetAlias orders", "TagResource " + arn}},
		"no rollout running": {action: "abort", alias: whole, tags: map[string]string{"team": "orders"},
			wantTags: map[string]string{"team": "orders"},
			wantErr:  "no rollout is running on orders:live (all traffic is on version 3): an override steers exactly one running rollout, so there is nothing to abort",
			wantCall: []string{"GetFunction orders", "GetAlias orders"}},
		"clear": {action: "clear", alias: whole, tags: map[string]string{"team": "orders", lambdaops.OverrideTag: "pause alias=live from=3 to=4"},
			wantTags: map[string]string{"team": "orders"},
			wantOut:  "override of orders cleared\n",
			wantCall: []string{"GetFunction orders", "UntagResource " + arn}},
		"no alias": {action: "pause", tags: map[string]string{},
			wantTags: map[string]string{},
			wantErr:  "ResourceNotFoundException: Alias not found: " + arn + ":live",
			wantCall: []string{"GetFunction orders", "GetAlias orders"}},
		"tag write fails": {action: "pause", alias: split, tags: map[string]string{}, err: map[string]error{"TagResource": errors.New("throttled")},
			wantTags: map[string]string{},
			wantErr:  "throttled",
			wantCall: []string{"GetFunction orders", "GetAlias orders", "TagResource " + arn}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fake := &cmdtest.FakeLambda{Function: "orders", Alias: tc.alias, Tags: tc.tags, Err: tc.err}
			var asked []cmdutil.AWSConfig
			f, io := cmdtest.Factory("", cmdtest.Clients{LambdaClient: fake, Asked: &asked})
			o := &Options{LiveOptions: cmdutil.LiveOptions{Function: "orders", Alias: "live", Endpoint: "http://127.0.0.1:9", Region: "eu-west-1"}, Action: tc.action, f: f}
			err := Run(context.Background(), o)
			if diff := cmp.Diff(tc.wantErr, cmdtest.ErrString(err)); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantOut, io.Out.String()); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantTags, fake.Tags); diff != "" {
				t.Errorf("tags (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantCall, fake.Calls); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			wantAsked := []cmdutil.AWSConfig{{Region: "eu-west-1", Endpoints: map[awsclient.Service]string{awsclient.Lambda: "http://127.0.0.1:9", awsclient.CloudWatch: "http://127.0.0.1:9"}}}
			if diff := cmp.Diff(wantAsked, asked); diff != "" {
				t.Errorf("clients asked for (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRunSandbox runs override against an in-process sandbox through the
// injected client factory: the tag AWS holds is the scoped value.
func TestRunSandbox(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{})
	c := cmdtest.SandboxLambda(inst.URL)
	arn := cmdtest.PublishFunction(t, c, "orders", "v1", "v2")
	ctx := context.Background()
	cmdtest.SplitLive(t, c, "orders", "2", 0.1)
	f, io := cmdtest.Factory("", cmdtest.Clients{LambdaClient: c})
	for _, action := range []string{"abort", "clear"} {
		o, err := New(f, []string{action, "--function", "orders", "--alias", "live"})
		if err != nil {
			t.Fatal(err)
		}
		if err := Run(ctx, o); err != nil {
			t.Fatalf("%s: %v", action, err)
		}
		tags, err := c.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(arn)})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{lambdaops.OverrideTag: "abort alias=live from=1 to=2"}
		if action == "clear" {
			want = map[string]string{}
		}
		if diff := cmp.Diff(want, tags.Tags, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("tags after %s (-want +got):\n%s", action, diff)
		}
	}
	if !strings.Contains(io.Out.String(), "override of orders cleared") {
		t.Errorf("stdout:\n%s", io.Out.String())
	}
}

// TestRunSandbox_fullFunction sets an override on a function already at
// AWS's 50 tags (its own tags and older rollback records): the oldest
// record above the kept minimum makes room, and the override is written.
func TestRunSandbox_fullFunction(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{})
	c := cmdtest.SandboxLambda(inst.URL)
	arn := cmdtest.PublishFunction(t, c, "orders", "v1", "v2")
	ctx := context.Background()
	cmdtest.SplitLive(t, c, "orders", "2", 0.1)
	full := map[string]string{}
	for i := 0; i < lambdaops.MaxUserTags; i++ {
		full[fmt.Sprintf("team%02d", i)] = "orders"
	}
	var oldest string
	for i := 0; len(full) < lambdaops.MaxFunctionTags; i++ {
		rec := lambdaops.RollbackRecord{Identity: fmt.Sprintf("%016x", 0xa0+i), Alias: "live", Version: "1", At: time.Date(2026, 1, 1+i, 0, 0, 0, 0, time.UTC), Gate: "p99"}
		full[rec.TagKey()] = rec.TagValue()
		if i == 0 {
			oldest = rec.TagKey()
		}
	}
	if _, err := c.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(arn), Tags: full}); err != nil {
		t.Fatal(err)
	}
	f, _ := cmdtest.Factory("", cmdtest.Clients{LambdaClient: c})
	o, err := New(f, []string{"pause", "--function", "orders", "--alias", "live"})
	if err != nil {
		t.Fatal(err)
	}
	if err := Run(ctx, o); err != nil {
		t.Fatalf("override on a function with %d tags: %v", len(full), err)
	}
	tags, err := c.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for k, v := range full {
		want[k] = v
	}
	delete(want, oldest)
	want[lambdaops.OverrideTag] = "pause alias=live from=1 to=2"
	if diff := cmp.Diff(want, tags.Tags); diff != "" {
		t.Errorf("tags after the override (-want +got):\n%s", diff)
	}
}
