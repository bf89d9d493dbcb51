package provider_test

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/google/go-cmp/cmp"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/rollout-tf/terraform-provider-rollout/internal/acctest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
)

// crashedApply does what an apply of file with release does up to its
// PublishVersion, and then loses its state save: $LATEST holds the new
// code, the version is published with rollout_function's metadata, and
// Terraform's state still names the version before.
func crashedApply(t *testing.T, c *lambda.Client, name, file, release string) string {
	t.Helper()
	zip, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateFunctionCode(context.Background(), &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(name), ZipFile: zip}); err != nil {
		t.Fatal(err)
	}
	if err := lambdaops.WaitUpdated(context.Background(), c, name, time.Minute); err != nil {
		t.Fatal(err)
	}
	spec := lambdaops.Spec{Code: "zip:" + fileSha(t, file), Runtime: "provided.al2023", Handler: "bootstrap", Role: testRole,
		MemorySize: 128, Timeout: 3, Architectures: []string{"x86_64"}}
	out, err := c.PublishVersion(context.Background(), &lambda.PublishVersionInput{FunctionName: aws.String(name),
		Description: aws.String(lambdaops.FormatDescription("", lambdaops.VersionMeta{Release: release, Digest: spec.Digest()}))})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.Version)
}

func publishedVersions(t *testing.T, be *acctest.Backend, name string) int {
	t.Helper()
	vs, err := lambdaops.ListVersions(context.Background(), sdkLambda(be.URL), name)
	if err != nil {
		t.Fatal(err)
	}
	return len(vs)
}

// TestAccFunction_crashAfterPublish: an apply published a version and its
// state save was lost. AWS answers the re-apply's PublishVersion with that
// version (its $LATEST is unchanged since), so the re-apply adopts it: no
// duplicate, and recorded with the release it carries even when the
// configuration's label changed meanwhile.
func TestAccFunction_crashAfterPublish(t *testing.T) {
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "PublishVersion returning the existing version (moto 5.2.1 publishes a copy; see moto_differences.tsv)")
	v1, v2 := twoZips(t)
	c := sdkLambda(be.URL)
	tfresource.ParallelTest(t, acctest.Case(t, be.URL, []tfresource.TestStep{
		{Config: functionConfig(be.URL, "crashed", v1, `release = "v1"`)},
		{
			PreConfig: func() {
				if got := crashedApply(t, c, "crashed", v2, "v2"); got != "2" {
					t.Fatalf("the crashed apply published version %s, want 2", got)
				}
			},
			// The label changed between the crash and the re-apply: the plan
			// adopts version 2 by its digest and relabels it, as a change of
			// release alone does (the rollout:release:2 tag; its description
			// cannot change).
			Config: functionConfig(be.URL, "crashed", v2, `release = "v2-final"`),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(fnAddr, tfjsonpath.New("version"), knownvalue.StringExact("2")),
				statecheck.ExpectKnownValue(fnAddr, tfjsonpath.New("release"), knownvalue.StringExact("v2-final")),
				statecheck.ExpectKnownValue(fnAddr, tfjsonpath.New("versions").AtSliceIndex(0).AtMapKey("number"), knownvalue.StringExact("2")),
				statecheck.ExpectKnownValue(fnAddr, tfjsonpath.New("versions").AtSliceIndex(0).AtMapKey("release"), knownvalue.StringExact("v2-final")),
			},
			Check: func(*terraform.State) error {
				if n := publishedVersions(t, be, "crashed"); n != 2 {
					return fmt.Errorf("published versions = %d, want 2: the re-apply must adopt version 2, not publish a copy", n)
				}
				return nil
			},
		},
	}))
}

// TestAccFunction_publishAnsweredWithEqualVersion: between the plan and the
// apply's PublishVersion, $LATEST (already the planned code, as an apply
// interrupted after its upload leaves it) is published by hand, with no
// description. The plan could not see that version, so the apply's
// PublishVersion is answered with it (AWS publishes nothing when $LATEST is
// unchanged since the newest version). Its configuration is the planned
// one, so it is adopted, not refused, and relabelled with the planned
// release (its rollout:release:2 tag), as the plan-time adoption does.
func TestAccFunction_publishAnsweredWithEqualVersion(t *testing.T) {
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "PublishVersion returning the existing version at an exact point of the apply")
	v1, v2 := twoZips(t)
	c := sdkLambda(be.URL)
	publishByHand := func() {
		if _, err := c.PublishVersion(context.Background(), &lambda.PublishVersionInput{FunctionName: aws.String("raced")}); err != nil {
			t.Errorf("publishing by hand: %v", err)
		}
	}
	tfresource.ParallelTest(t, acctest.Case(t, be.URL, []tfresource.TestStep{
		{Config: functionConfig(be.URL, "raced", v1, `release = "v1"`)},
		{
			PreConfig: func() {
				zip, err := os.ReadFile(v2)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := c.UpdateFunctionCode(context.Background(), &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("raced"), ZipFile: zip}); err != nil {
					t.Fatal(err)
				}
				if err := lambdaops.WaitUpdated(context.Background(), c, "raced", time.Minute); err != nil {
					t.Fatal(err)
				}
				be.OnceBeforeProvider("PublishVersion", publishByHand)
			},
			Config: functionConfig(be.URL, "raced", v2, `release = "v2"`),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(fnAddr, tfjsonpath.New("version"), knownvalue.StringExact("2")),
				statecheck.ExpectKnownValue(fnAddr, tfjsonpath.New("versions").AtSliceIndex(0).AtMapKey("number"), knownvalue.StringExact("2")),
				statecheck.ExpectKnownValue(fnAddr, tfjsonpath.New("versions").AtSliceIndex(0).AtMapKey("release"), knownvalue.StringExact("v2")),
			},
			Check: func(*terraform.State) error {
				if n := publishedVersions(t, be, "raced"); n != 2 {
					return fmt.Errorf("published versions = %d, want 2 (version 1, and version 2 published by hand and adopted)", n)
				}
				fn, err := c.GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String("raced")})
				if err != nil {
					return err
				}
				if got := fn.Tags[lambdaops.ReleaseTagPrefix+"2"]; got != "v2" {
					return fmt.Errorf("tag %s2 = %q, want \"v2\" (the adopted version relabelled where rolloutctl reads labels)", lambdaops.ReleaseTagPrefix, got)
				}
				return nil
			},
		},
		// The next plan is empty: the adopted version is the configuration's.
		{Config: functionConfig(be.URL, "raced", v2, `release = "v2"`), PlanOnly: true},
	}))
}

// TestAccFunction_publishReturnsForeignVersion: someone published $LATEST
// by hand after the code upload of an interrupted apply. AWS answers the
// re-apply's PublishVersion with that version, whose description is not
// the planned one: the provider must not record it as the planned code and
// configuration, and says how to get a version of its own.
func TestAccFunction_publishReturnsForeignVersion(t *testing.T) {
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "PublishVersion returning the existing version (moto 5.2.1 publishes a copy; see moto_differences.tsv)")
	v1, v2 := twoZips(t)
	c := sdkLambda(be.URL)
	tfresource.ParallelTest(t, acctest.Case(t, be.URL, []tfresource.TestStep{
		{Config: functionConfig(be.URL, "foreign", v1)},
		{
			PreConfig: func() {
				zip, err := os.ReadFile(v2)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := c.UpdateFunctionCode(context.Background(), &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("foreign"), ZipFile: zip}); err != nil {
					t.Fatal(err)
				}
				if err := lambdaops.WaitUpdated(context.Background(), c, "foreign", time.Minute); err != nil {
					t.Fatal(err)
				}
				if _, err := c.PublishVersion(context.Background(), &lambda.PublishVersionInput{FunctionName: aws.String("foreign"), Description: aws.String("manual hotfix")}); err != nil {
					t.Fatal(err)
				}
			},
			Config:      functionConfig(be.URL, "foreign", v2),
			ExpectError: regexp.MustCompile(`Existing Version Differs(.|\n)*version\s+2`),
		},
		{
			// The advice of the error: delete that version, and apply again.
			PreConfig: func() {
				if _, err := c.DeleteFunction(context.Background(), &lambda.DeleteFunctionInput{FunctionName: aws.String("foreign"), Qualifier: aws.String("2")}); err != nil {
					t.Fatal(err)
				}
			},
			Config: functionConfig(be.URL, "foreign", v2),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(fnAddr, tfjsonpath.New("version"), knownvalue.StringExact("3")),
				statecheck.ExpectKnownValue(fnAddr, tfjsonpath.New("description"), knownvalue.StringExact("")),
			},
		},
	}))
}

// TestAccFunction_tagBetweenReadAndPublish: an operator tags the function
// between the apply's read of $LATEST and its guarded PublishVersion. The
// tag changes $LATEST's RevisionId (as on AWS), so the publish fails with
// 412; the code and configuration did not change, so the provider reads
// $LATEST again, checks it, and publishes.
func TestAccFunction_tagBetweenReadAndPublish(t *testing.T) {
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "an operator's tag at an exact point of the apply")
	v1, v2 := twoZips(t)
	c := sdkLambda(be.URL)
	var arn string
	tfresource.ParallelTest(t, acctest.Case(t, be.URL, []tfresource.TestStep{
		{Config: functionConfig(be.URL, "tagged", v1), Check: tfresource.TestCheckResourceAttrWith(fnAddr, "arn", func(v string) error { arn = v; return nil })},
		{
			PreConfig: func() { be.OnceBeforeProvider("PublishVersion", func() { operatorTag(t, c, arn) }) },
			Config:    functionConfig(be.URL, "tagged", v2),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(fnAddr, tfjsonpath.New("version"), knownvalue.StringExact("2")),
			},
			Check: func(*terraform.State) error {
				var statuses []int
				for _, call := range be.Sandbox.Journal.Calls() {
					if call.Operation == "PublishVersion" && call.Function == "tagged" {
						statuses = append(statuses, call.Status)
					}
				}
				if diff := cmp.Diff([]int{201, 412, 201}, statuses); diff != "" {
					return fmt.Errorf("PublishVersion answers (create, the refused one, the retry) (-want +got):\n%s", diff)
				}
				tags, err := c.ListTags(context.Background(), &lambda.ListTagsInput{Resource: aws.String(arn)})
				if err != nil {
					return err
				}
				if tags.Tags[lambdaops.OverrideTag] != "pause" {
					return fmt.Errorf("the operator's tag was lost: %v", tags.Tags)
				}
				return nil
			},
		},
	}))
}

// TestAccFunction_tagBetweenReadAndCodeUpload: an operator's tag between the
// apply's read of $LATEST and its guarded UpdateFunctionCode makes AWS
// refuse the upload with 412. The provider does not guess: it stops with
// an error that names the cause, nothing is published, and the next apply
// goes through.
func TestAccFunction_tagBetweenReadAndCodeUpload(t *testing.T) {
	be := acctest.NewBackend(t)
	be.SandboxOnly(t, "an operator's tag at an exact point of the apply")
	v1, v2 := twoZips(t)
	c := sdkLambda(be.URL)
	var arn string
	tfresource.ParallelTest(t, acctest.Case(t, be.URL, []tfresource.TestStep{
		{Config: functionConfig(be.URL, "uploaded", v1), Check: tfresource.TestCheckResourceAttrWith(fnAddr, "arn", func(v string) error { arn = v; return nil })},
		{
			PreConfig:   func() { be.OnceBeforeProvider("UpdateFunctionCode", func() { operatorTag(t, c, arn) }) },
			Config:      functionConfig(be.URL, "uploaded", v2),
			ExpectError: regexp.MustCompile(`Concurrent Change Of \$LATEST(.|\n)*tag\s+write\s+also\s+changes`),
		},
		{
			Config: functionConfig(be.URL, "uploaded", v2),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(fnAddr, tfjsonpath.New("version"), knownvalue.StringExact("2")),
			},
		},
	}))
}

// operatorTag is an operator's tag write on the function arn (an override
// tag, as rolloutctl writes): it changes $LATEST's RevisionId, as on AWS.
func operatorTag(t *testing.T, c *lambda.Client, arn string) {
	t.Helper()
	if _, err := c.TagResource(context.Background(), &lambda.TagResourceInput{Resource: aws.String(arn),
		Tags: map[string]string{lambdaops.OverrideTag: "pause"}}); err != nil {
		t.Errorf("operator tag: %v", err)
	}
}
