package provider_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/rollout-tf/terraform-provider-rollout/internal/acctest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

func TestAccProvider_configuresAgainstLoopback(t *testing.T) {
	sts := sandboxtest.Start(t, sandbox.Options{AccountID: "210987654321"})
	tfresource.ParallelTest(t, acctest.Case(t, sts.URL, []tfresource.TestStep{{
		Config: acctest.ConfigCompose(
			acctest.ProviderConfig("eu-central-1", acctest.Endpoints{"sts": sts.URL}, "max_retries = 0"),
			`data "rollout_caller_identity" "this" {}`,
		),
		ConfigStateChecks: []statecheck.StateCheck{
			statecheck.ExpectKnownValue("data.rollout_caller_identity.this", tfjsonpath.New("account_id"), knownvalue.StringExact("210987654321")),
			statecheck.ExpectKnownValue("data.rollout_caller_identity.this", tfjsonpath.New("arn"), knownvalue.StringExact("arn:aws:iam::210987654321:user/rollout-sandbox")),
			statecheck.ExpectKnownValue("data.rollout_caller_identity.this", tfjsonpath.New("region"), knownvalue.StringExact("eu-central-1")),
			statecheck.ExpectKnownValue("data.rollout_caller_identity.this", tfjsonpath.New("endpoints"),
				knownvalue.MapExact(map[string]knownvalue.Check{"sts": knownvalue.StringExact(sts.URL)})),
		},
	}}))
	calls := sts.Journal.Calls()
	if len(calls) == 0 {
		t.Fatal("the sandbox received no request")
	}
	for _, c := range calls {
		want := sandbox.Call{Service: "sts", Operation: "GetCallerIdentity", AccessKey: "AKIDROLLOUTTEST", Region: "eu-central-1", Status: 200}
		got := sandbox.Call{Service: c.Service, Operation: c.Operation, AccessKey: c.AccessKey, Region: c.Region, Status: c.Status}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("request mismatch (-want +got):\n%s", diff)
		}
	}
}

func TestAccProvider_skipCredentialsValidation(t *testing.T) {
	// With validation skipped, configuring makes no STS call at all; the data
	// source's own read is then the only one.
	sts := sandboxtest.Start(t, sandbox.Options{})
	tfresource.ParallelTest(t, acctest.Case(t, sts.URL, []tfresource.TestStep{{
		Config: acctest.ProviderConfig("us-east-1", acctest.Endpoints{"sts": sts.URL}, "skip_credentials_validation = true"),
		// A provider with no resources is still validated and configured
		// by plan; an empty plan is the expected result.
		PlanOnly: true,
	}}))
	if n := len(sts.Journal.Calls()); n != 0 {
		t.Errorf("skip_credentials_validation = true made %d STS calls, want 0", n)
	}
}

func TestAccProvider_invalidConfig(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		extra []string
		want  string
	}{
		"endpoint without scheme": {
			extra: []string{`endpoints { lambda = "127.0.0.1:4599" }`},
			want:  `endpoints.lambda = "127.0.0.1:4599" is not valid: "127.0.0.1:4599" has no http:// or https:// scheme and host. A valid example: endpoints { lambda = "http://127.0.0.1:4599" }`,
		},
		"negative retry count": {
			extra: []string{`max_retries = -1`},
			want:  `max_retries = -1 is not valid: it must be at least 0. A valid example: max_retries = 5`,
		},
		"malformed role ARN": {
			extra: []string{`assume_role { role_arn = "arn:aws:iam::1234:role/deployer" }`},
			want:  `assume_role.role_arn = "arn:aws:iam::1234:role/deployer" is not valid: it must be an IAM role ARN of the form arn:aws:iam::<12-digit account>:role/<name>. A valid example: role_arn = "arn:aws:iam::123456789012:role/deployer"`,
		},
		"assume_role without role": {
			extra: []string{`assume_role { session_name = "ci" }`},
			want:  `assume_role.role_arn = null is not valid: an assume_role block needs the role to assume.`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			tfresource.ParallelTest(t, acctest.Case(t, "", []tfresource.TestStep{{
				Config: acctest.ConfigCompose(
					acctest.ProviderConfig("us-east-1", nil, append([]string{"skip_credentials_validation = true"}, tc.extra...)...),
					`data "rollout_caller_identity" "this" {}`,
				),
				PlanOnly:    true,
				ExpectError: acctest.ExpectErrorText(tc.want),
			}}))
		})
	}
}

func TestAccProvider_invalidRegion(t *testing.T) {
	tfresource.ParallelTest(t, acctest.Case(t, "", []tfresource.TestStep{{
		Config: acctest.ConfigCompose(
			acctest.ProviderConfig("US-EAST-1", nil, "skip_credentials_validation = true"),
			`data "rollout_caller_identity" "this" {}`,
		),
		PlanOnly:    true,
		ExpectError: acctest.ExpectErrorText(`region = "US-EAST-1" is not valid: it must be an AWS region name such as us-east-1 or eu-central-1. A valid example: region = "us-east-1"`),
	}}))
}

// TestSchemaDescriptions checks, through the same GetProviderSchema RPC
// Terraform and tfplugindocs use, that every schema, attribute and block
// (nested ones included) carries a Markdown description: they feed docs/
// and editors.
func TestSchemaDescriptions(t *testing.T) {
	t.Parallel()
	server, err := acctest.ProtoV6ProviderFactories[acctest.ProviderName]()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := server.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range resp.Diagnostics {
		t.Errorf("GetProviderSchema diagnostic: %s: %s", d.Summary, d.Detail)
	}
	checkBlock(t, "provider", resp.Provider.Block)
	for name, s := range resp.ResourceSchemas {
		checkBlock(t, name, s.Block)
	}
	for name, s := range resp.DataSourceSchemas {
		checkBlock(t, "data."+name, s.Block)
	}
	if len(resp.DataSourceSchemas) == 0 {
		t.Error("the provider serves no data source schema; the walk checked nothing")
	}
}

func checkBlock(t *testing.T, where string, b *tfprotov6.SchemaBlock) {
	t.Helper()
	if b.Description == "" || b.DescriptionKind != tfprotov6.StringKindMarkdown {
		t.Errorf("%s: no MarkdownDescription", where)
	}
	for _, a := range b.Attributes {
		checkAttribute(t, where+"."+a.Name, a)
	}
	for _, nb := range b.BlockTypes {
		checkBlock(t, where+"."+nb.TypeName, nb.Block)
	}
}

func checkAttribute(t *testing.T, where string, a *tfprotov6.SchemaAttribute) {
	t.Helper()
	if a.Description == "" || a.DescriptionKind != tfprotov6.StringKindMarkdown {
		t.Errorf("%s: attribute has no MarkdownDescription", where)
	}
	if a.NestedType != nil {
		for _, na := range a.NestedType.Attributes {
			checkAttribute(t, where+"."+na.Name, na)
		}
	}
}
