package provider

// Publishing a version: the checked PublishVersion of $LATEST, adopting
// the existing version AWS answers with, and saving the state.

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
)

// publishAttempts bounds the publishes refused with 412 on a $LATEST whose
// code and configuration are still the planned ones (a tag write changes
// the RevisionId too).
const publishAttempts = 3

// publishAndSave publishes $LATEST, after checking that it holds exactly
// the planned code and configuration, with the CodeSha256 and RevisionId
// just read, so that a concurrent writer makes the publish fail instead of
// releasing someone else's code. A 412 on a $LATEST that still holds the
// planned code and configuration (an operator's tag write, which changes
// the RevisionId on AWS) is retried after reading and checking it again.
// AWS answers a publish of a $LATEST unchanged since the newest version
// with that version (a re-apply after a crash between publish and state
// save): it is adopted with the release and digest it carries, or refused
// when it is not the planned code and configuration. Then it prunes and
// saves the state.
//
// read, when not nil, is $LATEST as the caller read it after its last
// write (the wait for that write ends with it): the first attempt checks and
// publishes it instead of reading it again. The publish carries its
// CodeSha256 and RevisionId, so a change since that read is refused (412)
// and the next attempt reads afresh.
func (r *functionResource) publishAndSave(ctx context.Context, c *lambda.Client, code codeSource, read *lambda.GetFunctionOutput, plan *functionModelV0, prior *functionModelV0,
	set func(context.Context, any) diag.Diagnostics, diags *diag.Diagnostics) {
	name := plan.FunctionName.ValueString()
	fn := read
	var out *lambda.PublishVersionOutput
	var digest, sent string
	for attempt := 1; ; attempt++ {
		if attempt > 1 || fn == nil {
			var err error
			fn, err = lambdaops.FindFunction(ctx, c, name)
			if err != nil {
				diags.AddError("Function Publish Error", apiErrorDetail(fmt.Sprintf("GetFunction %s failed.", name), "Apply again.", err))
				return
			}
		}
		want, _ := plan.spec(ctx, code.identity(fn))
		latestCode := "zip:" + aws.ToString(fn.Configuration.CodeSha256)
		if fn.Configuration.PackageType == lambdatypes.PackageTypeImage && fn.Code != nil {
			latestCode = "image:" + aws.ToString(fn.Code.ImageUri)
		}
		got := specFromConfig(*fn.Configuration, latestCode)
		if got.Digest() != want.Digest() {
			if prior == nil {
				r.saveUnpublished(ctx, plan, set, diags)
			}
			diags.AddError("Concurrent Change Of $LATEST",
				fmt.Sprintf("$LATEST of %s no longer holds the code and configuration this apply put there (code %s, expected %s). "+
					"Another writer changed the function while this apply ran. Nothing was published. Run terraform plan and apply again.",
					name, strings.TrimPrefix(got.Code, "zip:"), strings.TrimPrefix(want.Code, "zip:")))
			return
		}
		digest = want.Digest()
		sent = lambdaops.FormatDescription(plan.Description.ValueString(), plan.meta(ctx, digest))
		var err error
		out, err = c.PublishVersion(ctx, &lambda.PublishVersionInput{
			FunctionName: aws.String(name), CodeSha256: fn.Configuration.CodeSha256, RevisionId: fn.Configuration.RevisionId,
			Description: aws.String(sent),
		})
		if err == nil {
			break
		}
		var pre *lambdatypes.PreconditionFailedException
		var inv *lambdatypes.InvalidParameterValueException
		if errors.As(err, &pre) && attempt < publishAttempts {
			tflog.Info(ctx, "PublishVersion refused on the RevisionId; reading $LATEST again", map[string]any{"tf_rollout.function": name, "tf_rollout.attempt": attempt})
			continue
		}
		if prior == nil {
			r.saveUnpublished(ctx, plan, set, diags)
		}
		if errors.As(err, &pre) || (errors.As(err, &inv) && strings.Contains(aws.ToString(inv.Message), "CodeSHA256")) {
			diags.AddError("Concurrent Change Of $LATEST", apiErrorDetail(
				fmt.Sprintf("$LATEST of %s changed between the check and PublishVersion: another writer is updating the function. Nothing was published.", name),
				"Run terraform plan and apply again.", err))
			return
		}
		diags.AddError("Function Publish Error", apiErrorDetail(fmt.Sprintf("PublishVersion %s failed.", name), "Apply again.", err))
		return
	}
	r.data.reads().storeVersion(name, publishedConfig(out))
	published := entryFromConfig(publishedConfig(out))
	if aws.ToString(out.Description) == sent {
		published.Digest = digest
	} else {
		adopted, ok := r.adoptExisting(ctx, c, aws.ToString(fn.Configuration.FunctionArn), published, digest, plan, prior, set, diags)
		if !ok {
			return
		}
		published = adopted
	}
	tflog.Info(ctx, "published a version", map[string]any{"tf_rollout.function": name, "tf_rollout.version": published.Number})
	var known []versionEntry
	if prior != nil {
		known = entriesFromList(ctx, prior.Versions)
	}
	known = append(dropEntry(known, published.Number), published)
	entries, err := r.prune(ctx, c, name, published.Number, plan.RetainVersions.ValueInt64(), known)
	if err != nil {
		diags.AddWarning("Version Retention Incomplete", apiErrorDetail(fmt.Sprintf("Pruning old versions of %s failed; they are kept.", name), "The next publish retries.", err))
		entries = known
	}
	plan.ID, plan.ARN = types.StringValue(name), types.StringValue(aws.ToString(fn.Configuration.FunctionArn))
	plan.Version = types.StringValue(published.Number)
	plan.QualifiedARN = types.StringValue(aws.ToString(out.FunctionArn))
	plan.CodeSha256 = types.StringValue(published.CodeSha256)
	plan.Versions = entriesValue(entries)
	diags.Append(set(ctx, plan)...)
}

// adoptExisting decides about a version PublishVersion returned with
// another description than the one sent: AWS publishes nothing when
// $LATEST is unchanged since the newest version and answers with that
// version as it is. It is adopted when its digest (recorded in its
// description, or computed from its configuration) is the planned one,
// and relabelled with the planned release (the rollout:release:<n> tag, as
// the plan-time adoption and a change of release alone do); otherwise
// nothing is recorded as current and the error says how to get a version
// of one's own. It returns the version as it is to be recorded.
func (r *functionResource) adoptExisting(ctx context.Context, c *lambda.Client, arn string, existing versionEntry, digest string, plan *functionModelV0, prior *functionModelV0,
	set func(context.Context, any) diag.Diagnostics, diags *diag.Diagnostics) (versionEntry, bool) {
	name := plan.FunctionName.ValueString()
	if existing.Digest != digest {
		if prior == nil {
			r.saveUnpublished(ctx, plan, set, diags)
		}
		diags.AddError("Existing Version Differs",
			fmt.Sprintf("PublishVersion of %s answered with version %s, which already exists: AWS publishes no new version while $LATEST is unchanged since the newest one. "+
				"Version %s is not the planned code and configuration (its digest is %s, the plan's is %s; it was probably published by hand or by another tool). "+
				"Nothing was recorded. Delete that version (aws lambda delete-function --function-name %s --qualifier %s) or change the configuration, then apply again.",
				name, existing.Number, existing.Number, existing.Digest, digest, name, existing.Number))
		return existing, false
	}
	tflog.Info(ctx, "PublishVersion returned an existing version; adopted", map[string]any{"tf_rollout.function": name, "tf_rollout.version": existing.Number, "tf_rollout.release": existing.Release})
	// The label AWS carries may be a tag's (an earlier relabel), not the
	// description's: relabel reads both and writes only when neither is
	// the planned one. Without a prior state the other versions' label
	// tags are not known to be stale, so none is pruned.
	want := plan.Release.ValueString()
	var retained []versionEntry
	if prior != nil {
		retained = entriesFromList(ctx, prior.Versions)
	}
	errs := diags.ErrorsCount()
	r.relabel(ctx, c, arn, name, existing.Number, want, append(retained, existing), prior != nil, diags)
	if diags.ErrorsCount() > errs {
		return existing, true // recorded with the label it carries; the error says the relabel failed
	}
	if existing.Release != want {
		diags.AddWarning("Existing Version Adopted",
			fmt.Sprintf("$LATEST of %s was already published as version %s (by an earlier apply that stopped before saving its state, or by hand), and AWS does not publish it again. "+
				"Its code and configuration are the planned ones, so version %s is adopted and labelled %q (in the function's %s%s tag; its description, which cannot change, keeps %q).",
				name, existing.Number, existing.Number, want, ReleaseTagPrefix, existing.Number, existing.Release))
		existing.Release = want
	}
	return existing, true
}

// saveUnpublished records a created function that has no published
// version yet, so that it is never orphaned outside the state.
func (r *functionResource) saveUnpublished(ctx context.Context, plan *functionModelV0, set func(context.Context, any) diag.Diagnostics, diags *diag.Diagnostics) {
	plan.Version, plan.QualifiedARN = types.StringNull(), types.StringNull()
	if plan.CodeSha256.IsUnknown() {
		plan.CodeSha256 = types.StringNull()
	}
	plan.Versions = entriesValue(nil)
	diags.Append(set(ctx, plan)...)
}

// concurrentOr reports a failed update of $LATEST: as a concurrent change
// when AWS refused it on the RevisionId (another writer got there first),
// otherwise as the API error it is.
func concurrentOr(diags *diag.Diagnostics, err error, name, op string) {
	var pre *lambdatypes.PreconditionFailedException
	var conflict *lambdatypes.ResourceConflictException
	if errors.As(err, &pre) || errors.As(err, &conflict) {
		diags.AddError("Concurrent Change Of $LATEST", apiErrorDetail(
			fmt.Sprintf("%s of %s was refused: another writer changed the function since this apply read it. Nothing was published and no alias moved.", op, name),
			"Run terraform plan again to see the function as it is now, then apply. (A tag write also changes the RevisionId, so an operator's tag can cause this too.)", err))
		return
	}
	diags.AddError("Function Update Error", apiErrorDetail(fmt.Sprintf("%s %s failed.", op, name), "Apply again.", err))
}
