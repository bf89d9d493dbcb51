package acctest_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/rollout-tf/terraform-provider-rollout/internal/acctest"
)

// TestCheckDestroy runs the destroy check against a real backend where
// what the state held still exists (it must fail, naming it) and where it
// is gone (it must pass).
func TestCheckDestroy(t *testing.T) {
	t.Parallel()
	fn := map[string]string{"function_name": "left"}
	alias := map[string]string{"function_name": "left", "name": "live"}
	tests := map[string]struct {
		// made out of band before the check: a function "left", and its
		// alias "live" when withAlias
		withFunction, withAlias bool
		madeByTest              []string
		noBackend               bool                         // a plan-only test: CheckDestroy("")
		state                   map[string]map[string]string // address -> attributes
		want                    string                       // "" when the check must pass
	}{
		"function still exists": {withFunction: true, state: map[string]map[string]string{"rollout_function.test": fn},
			want: `rollout_function.test: function "left" still exists after destroy`},
		"function gone": {state: map[string]map[string]string{"rollout_function.test": fn}},
		"alias still exists": {withFunction: true, withAlias: true, state: map[string]map[string]string{"rollout_alias.live": alias},
			want: `rollout_alias.live: alias "live" of function "left" still exists after destroy`},
		"alias gone, function kept": {withFunction: true, state: map[string]map[string]string{"rollout_alias.live": alias}},
		"canary policy, account holds a function": {withFunction: true, state: map[string]map[string]string{"rollout_canary_policy.p": {"id": "p"}},
			want: `rollout_canary_policy.p: a local-only policy was destroyed but the account still holds functions [left] that the test did not make`},
		"canary policy, the account holds a function the test made": {withFunction: true, madeByTest: []string{"left"},
			state: map[string]map[string]string{"rollout_canary_policy.p": {"id": "p"}}},
		"canary policy, empty account": {state: map[string]map[string]string{"rollout_canary_policy.p": {"id": "p"}}},
		"unknown rollout type": {state: map[string]map[string]string{"rollout_thing.x": {"id": "x"}},
			want: "rollout_thing.x: no destroy check for resource type rollout_thing: add one to acctest.CheckDestroyed"},
		"no backend, state empty": {noBackend: true, state: map[string]map[string]string{"null_resource.x": {"id": "x"}}},
		"no backend, a resource in the state": {noBackend: true, state: map[string]map[string]string{"rollout_canary_policy.p": {"id": "p"}},
			want: "rollout_canary_policy.p: in the state of a test without a backend, whose steps must only plan"},
		"other providers ignored": {withFunction: true, state: map[string]map[string]string{"null_resource.x": {"id": "x"}}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			be := acctest.NewBackend(t)
			url := be.URL
			if tc.noBackend {
				url = ""
			}
			if tc.withFunction {
				createFunction(t, be.URL, "left", tc.withAlias)
			}
			st := &terraform.State{Modules: []*terraform.ModuleState{{Path: []string{"root"}, Resources: map[string]*terraform.ResourceState{}}}}
			for addr, attrs := range tc.state {
				st.Modules[0].Resources[addr] = &terraform.ResourceState{Type: strings.SplitN(addr, ".", 2)[0],
					Primary: &terraform.InstanceState{ID: attrs["id"], Attributes: attrs}}
			}
			got := ""
			if err := acctest.CheckDestroy(url, tc.madeByTest...)(st); err != nil {
				got = err.Error()
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("CheckDestroy (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCheckDestroyedState reads the state as `terraform state pull` prints
// it: a function left behind fails the check, a data source is not checked.
func TestCheckDestroyedState(t *testing.T) {
	t.Parallel()
	be := acctest.NewBackend(t)
	createFunction(t, be.URL, "left", false)
	raw := []byte(`{"version":4,"lineage":"l","serial":3,"resources":[
	  {"mode":"data","type":"rollout_function_versions","name":"v","instances":[{"attributes":{"function_name":"left"}}]},
	  {"mode":"managed","type":"rollout_function","name":"test","instances":[{"attributes":{"function_name":"left","retain_versions":10}}]},
	  {"module":"module.m","mode":"managed","type":"rollout_function","name":"gone","instances":[{"attributes":{"function_name":"gone"}}]}]}`)
	got := ""
	if err := acctest.CheckDestroyedState(be.URL, raw); err != nil {
		got = err.Error()
	}
	if diff := cmp.Diff(`rollout_function.test: function "left" still exists after destroy`, got); diff != "" {
		t.Errorf("CheckDestroyedState (-want +got):\n%s", diff)
	}
}

// createFunction creates name (and its alias "live" when withAlias)
// through the AWS SDK, as a destroy that failed would leave it.
func createFunction(t *testing.T, url, name string, withAlias bool) {
	t.Helper()
	c := lambda.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDOUTOFBAND", "s", "")},
		func(o *lambda.Options) { o.BaseEndpoint = aws.String(url) })
	zip, err := os.ReadFile(acctest.WriteZip(t, t.TempDir(), "fn.zip", "#!/bin/sh\n"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(name), Role: aws.String("arn:aws:iam::123456789012:role/lambda-exec"),
		Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), Code: &types.FunctionCode{ZipFile: zip}, Publish: true}); err != nil {
		t.Fatal(err)
	}
	if withAlias {
		if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(name), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestTally: the counts come from what the subtests and checks did.
func TestTally(t *testing.T) {
	t.Parallel()
	var subs acctest.Subtests
	t.Run("table", func(t *testing.T) {
		for _, name := range []string{"ran", "skipped", "ran too"} {
			t.Run(name, func(t *testing.T) {
				subs.Record(t)
				if name == "skipped" {
					t.Skip("counted as not run")
				}
			})
		}
	})
	ran, failed := subs.Counts()
	if diff := cmp.Diff([2]int{2, 0}, [2]int{ran, failed}); diff != "" {
		t.Errorf("Subtests.Counts (-want +got):\n%s", diff)
	}
}

// errorRecorder stands in for a test whose failures are recorded, not reported.
type errorRecorder struct {
	testing.TB
	msgs []string
}

func (r *errorRecorder) Helper() {}
func (r *errorRecorder) Errorf(format string, args ...any) {
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

// TestFailures: Count is the number of failures reported through Errorf.
func TestFailures(t *testing.T) {
	t.Parallel()
	rec := &errorRecorder{TB: t}
	f := acctest.NewFailures(rec)
	f.Errorf("first %d", 1)
	f.Errorf("second")
	if diff := cmp.Diff([]string{"first 1", "second"}, rec.msgs); diff != "" {
		t.Errorf("reported (-want +got):\n%s", diff)
	}
	if got := f.Count(); got != 2 {
		t.Errorf("Count() = %d, want 2", got)
	}
}

// TestCheckDestroyedStateEmpty: a directory with no state yet (state pull
// prints nothing) holds nothing to check.
func TestCheckDestroyedStateEmpty(t *testing.T) {
	t.Parallel()
	if err := acctest.CheckDestroyedState("http://127.0.0.1:1", []byte("\n")); err != nil {
		t.Errorf("CheckDestroyedState(empty) = %v, want nil", err)
	}
}
