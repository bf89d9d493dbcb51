package statehistory

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Source code hashes of the golden AWS-provider states
// (testdata/awslambda): base64 of the SHA-256 of each build's code.
const (
	pcLive    = "aws_lambda_provisioned_concurrency_config.live"
	awsHashV1 = "HGg2SMfngcLxo/Nh39zvZZ5Twy2E6anSik/LemiInDs="
	awsHashV2 = "HsRvlVmq37fyAWghuJcA322gdHIDc03UWqjLcmVY6b8="
	awsHashV3 = "vSLCHCBb3ocy5ntfNWGmhS5kRhzVYET5LDwuAV6hhrg="
)

// awsLambdaHistory copies the golden states that manage Lambda with the
// AWS provider only (aws_lambda_function publish = true, aws_lambda_alias,
// aws_lambda_provisioned_concurrency_config; written from that provider's
// public schema) into a snapshot folder an hour apart: v1 live, v2 as a
// 10% canary, v2 promoted, v3 (the bad release) live.
func awsLambdaHistory(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	names := []string{"01-v1-live.tfstate", "02-v2-canary.tfstate", "03-v2-promoted.tfstate", "04-v3-bad.tfstate"}
	for i, n := range names {
		b, err := os.ReadFile(filepath.Join("testdata", "awslambda", n))
		if err != nil {
			t.Fatal(err)
		}
		writeAt(t, dir, n, b, base.Add(time.Duration(i)*time.Hour))
	}
	return dir
}

func TestAWSProviderLambdaViews(t *testing.T) {
	t.Parallel()
	revs, err := DirSource{Dir: awsLambdaHistory(t)}.Revisions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(revs) != 4 {
		t.Fatalf("%d revisions, want 4", len(revs))
	}
	wantAliases := [][]AliasView{
		{{Address: "aws_lambda_alias.live", Resource: "aws_lambda_alias", Function: "orders-api", Name: "live", Primary: "1", Code: awsHashV1, ConcurrencyConfig: pcLive, Concurrency: 5}},
		{{Address: "aws_lambda_alias.live", Resource: "aws_lambda_alias", Function: "orders-api", Name: "live", Primary: "1", Code: awsHashV1,
			RoutingVersion: "2", RoutingWeight: 0.1, ConcurrencyConfig: pcLive, Concurrency: 5}},
		{{Address: "aws_lambda_alias.live", Resource: "aws_lambda_alias", Function: "orders-api", Name: "live", Primary: "2", Code: awsHashV2, ConcurrencyConfig: pcLive, Concurrency: 5}},
		{{Address: "aws_lambda_alias.live", Resource: "aws_lambda_alias", Function: "orders-api", Name: "live", Primary: "3", Code: awsHashV3, ConcurrencyConfig: pcLive, Concurrency: 10}},
	}
	wantFunctions := [][]FunctionView{
		{{Address: "aws_lambda_function.api", Resource: "aws_lambda_function", Function: "orders-api", Version: "1", Code: awsHashV1}},
		{{Address: "aws_lambda_function.api", Resource: "aws_lambda_function", Function: "orders-api", Version: "2", Code: awsHashV2}},
		{{Address: "aws_lambda_function.api", Resource: "aws_lambda_function", Function: "orders-api", Version: "2", Code: awsHashV2}},
		{{Address: "aws_lambda_function.api", Resource: "aws_lambda_function", Function: "orders-api", Version: "3", Code: awsHashV3}},
	}
	for i, r := range revs {
		if diff := cmp.Diff(wantAliases[i], r.Aliases); diff != "" {
			t.Errorf("%s aliases (-want +got):\n%s", r.ID, diff)
		}
		if diff := cmp.Diff(wantFunctions[i], r.Functions); diff != "" {
			t.Errorf("%s functions (-want +got):\n%s", r.ID, diff)
		}
	}
}

// TestAWSProviderLambdaPick: pick returns to version 2 (the promoted
// revision), names the code to check out by its source_code_hash, and
// says what the AWS provider's plan will do; before it, the canary
// revision (traffic split) is refused and version 1 is the target.
func TestAWSProviderLambdaPick(t *testing.T) {
	t.Parallel()
	revs, err := DirSource{Dir: awsLambdaHistory(t)}.Revisions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	p, err := PickKnownGood(revs, "")
	if err != nil || p.Chosen == nil {
		t.Fatalf("pick = %+v, %v", p, err)
	}
	if p.Chosen.ID != "03-v2-promoted.tfstate" {
		t.Errorf("chose %s, want 03-v2-promoted.tfstate", p.Chosen.ID)
	}
	type advice struct {
		Checkout   []string
		Functions  []Move
		Aliases    []Move
		ExpectPlan []string
	}
	want := advice{
		Checkout:  []string{`the configuration that built aws_lambda_function.api version 2: source_code_hash "` + awsHashV2 + `" (the code's base64 SHA-256)`},
		Functions: []Move{{Address: "aws_lambda_function.api", From: "3", To: "2", Code: awsHashV2}},
		Aliases:   []Move{{Address: "aws_lambda_alias.live", From: "3", To: "2", Code: awsHashV2}},
		ExpectPlan: []string{
			`~ aws_lambda_function.api: source_code_hash "` + awsHashV3 + `" -> "` + awsHashV2 + `"; with publish = true the AWS provider publishes that code as a new version (after 3), it does not reuse version 2`,
			`~ aws_lambda_alias.live: function_version "3" -> the new version if it follows aws_lambda_function.api.version; to return traffic at once without publishing, set function_version = "2" (a retained version: only the alias moves)`,
			`aws_lambda_provisioned_concurrency_config.live (qualifier live) follows the alias: 10 -> 5 executions, allocated again for the new version (requests spill over to on-demand, cold, until it is ready)`,
		},
	}
	got := advice{Checkout: p.Checkout, Functions: p.Functions, Aliases: p.Aliases, ExpectPlan: p.ExpectPlan}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pick (-want +got):\n%s", diff)
	}

	before, err := PickKnownGood(revs, "03-v2-promoted.tfstate")
	if err != nil || before.Chosen == nil || before.Chosen.ID != "01-v1-live.tfstate" {
		t.Fatalf("pick --before 03 = %+v, %v; want 01-v1-live.tfstate", before.Chosen, err)
	}
	if len(before.Rejected) != 1 || !strings.Contains(strings.Join(before.Rejected[0].Reasons, "; "),
		"alias live splits traffic (10% on version 2, no rollout status): a canary was running, not a state to return to") {
		t.Errorf("rejected %+v, want the canary revision refused for its split", before.Rejected)
	}
}

// TestAWSProviderLambdaWriteState: the state written from the picked
// revision keeps the reference's lineage, takes the next serial and
// holds the AWS provider's resources unchanged.
func TestAWSProviderLambdaWriteState(t *testing.T) {
	t.Parallel()
	revs, err := DirSource{Dir: awsLambdaHistory(t)}.Revisions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	p, err := PickKnownGood(revs, "")
	if err != nil || p.Chosen == nil {
		t.Fatal(p, err)
	}
	b, err := WriteState(context.Background(), *p.Chosen, p.Reference, revs)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if s.Serial != 12 || s.Lineage != p.Reference.Lineage {
		t.Errorf("serial %d lineage %s, want 12 and %s", s.Serial, s.Lineage, p.Reference.Lineage)
	}
	if fns := Functions(s); len(fns) != 1 || fns[0].Version != "2" {
		t.Errorf("written functions %+v, want version 2", fns)
	}
	var doc map[string]any
	_ = json.Unmarshal(b, &doc)
	if resources, ok := doc["resources"].([]any); !ok || len(resources) != 4 {
		t.Errorf("%d resources written, want 4", len(resources))
	}
}
