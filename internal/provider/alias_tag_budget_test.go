package provider_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/rollout-tf/terraform-provider-rollout/internal/acctest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
)

// userTags renders n tags for a rollout_function.
func userTags(n int) string {
	var b strings.Builder
	b.WriteString("  tags = {\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "    team%02d = \"orders\"\n", i)
	}
	b.WriteString("  }\n")
	return b.String()
}

// TestAccAliasRolledBack_tagBudget rolls back a canary on a function whose
// configuration uses every tag it may (lambdaops.MaxUserTags) while older
// rollback records fill AWS's limit of 50 tags: the rollback must still be
// remembered (the oldest records make room) and a re-apply must not
// relaunch the release. One more user tag is refused at plan time.
func TestAccAliasRolledBack_tagBudget(t *testing.T) {
	t.Parallel()
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "running function code with real metrics")
	zip, _ := testFunctionZip(t)
	c := sdkLambda(be.URL)
	bg := context.Background()
	policy := `  steps    = [{ weight_percent = 20, hold = "3s" }]
  interval = "1s"
  health   = { max_error_rate = 0.1, min_invocations = 3 }`
	cfg := func(release, failRate string, tags int) string {
		s := strings.Replace(canaryStackWith(be.URL, zip, release, policy), `FAIL_RATE = "0"`, fmt.Sprintf(`FAIL_RATE = %q`, failRate), 1)
		return strings.Replace(s, "  environment", userTags(tags)+"  environment", 1)
	}
	load := startLoad(c)
	defer load.stop()
	r := newTFRun(t)
	r.write(cfg("v1", "0", lambdaops.MaxUserTags))
	if out, err := r.run("apply", "-auto-approve"); err != nil {
		t.Fatalf("release v1: %v\n%s", err, out)
	}
	// Earlier rollbacks of other releases fill the function's 50 tags.
	fn, err := c.GetFunction(bg, &lambda.GetFunctionInput{FunctionName: aws.String("canaried")})
	if err != nil {
		t.Fatal(err)
	}
	old := map[string]string{}
	for i := 0; len(fn.Tags)+len(old) < 50; i++ {
		rec := lambdaops.RollbackRecord{Identity: fmt.Sprintf("%016x", 0xa0+i), Alias: "live", Version: "1", At: time.Date(2026, 1, 1+i, 0, 0, 0, 0, time.UTC), Gate: "p99"}
		old[rec.TagKey()] = rec.TagValue()
	}
	if _, err := c.TagResource(bg, &lambda.TagResourceInput{Resource: fn.Configuration.FunctionArn, Tags: old}); err != nil {
		t.Fatal(err)
	}

	r.write(cfg("v2", "1", lambdaops.MaxUserTags))
	out, _ := r.run("apply", "-auto-approve")
	if !strings.Contains(flat(out), "Canary Rolled Back") {
		t.Fatalf("release v2 was not rolled back:\n%s", out)
	}
	if strings.Contains(flat(out), "Rollback Not Remembered") {
		t.Errorf("the rollback was not remembered:\n%s", out)
	}
	tags, err := c.ListTags(bg, &lambda.ListTagsInput{Resource: fn.Configuration.FunctionArn})
	if err != nil {
		t.Fatal(err)
	}
	var versions []string
	for _, rec := range lambdaops.RollbackRecords(tags.Tags) {
		versions = append(versions, rec.Version)
	}
	sort.Strings(versions)
	if !strings.Contains(strings.Join(versions, ","), "2") {
		t.Errorf("no rollback record of version 2 among the function's tags (records of versions %v)", versions)
	}
	t.Logf("after the rollback: %d tags (%d rollback records; records of versions %v)", len(tags.Tags), len(versions), versions)
	if n := len(tags.Tags); n > lambdaops.MaxFunctionTags-1 {
		t.Errorf("the function has %d tags after the rollback: no room is left for rolloutctl override (AWS limit %d)", n, lambdaops.MaxFunctionTags)
	}

	mark := be.Sandbox.Journal.Mark()
	out, err = r.run("apply", "-auto-approve")
	if err == nil {
		t.Fatalf("the re-apply of the rolled-back release succeeded:\n%s", out)
	}
	expectRolledBackRefusal(t, out, "")
	for _, call := range be.Sandbox.Journal.Since(mark) {
		if call.Operation == "UpdateAlias" && call.AccessKey == "AKIDROLLOUTTEST" {
			t.Errorf("the re-apply moved traffic: %+v", call)
		}
	}

	// One tag more than the budget: refused at plan time, naming the
	// attribute, the count, the limit and a valid example.
	r.write(cfg("v3", "0", lambdaops.MaxUserTags+1))
	out, err = r.run("plan")
	if err == nil {
		t.Fatalf("a plan with %d tags succeeded:\n%s", lambdaops.MaxUserTags+1, out)
	}
	for _, w := range []string{"Too Many Tags", "tags", fmt.Sprintf("%d tags", lambdaops.MaxUserTags+1), fmt.Sprintf("at most %d", lambdaops.MaxUserTags), "A valid example"} {
		if !strings.Contains(flat(out), w) {
			t.Errorf("the plan-time refusal does not say %q:\n%s", w, out)
		}
	}
}
