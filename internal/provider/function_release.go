package provider

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
)

// Where the release label lives.
//
// A version's label is written into its description at publish, and a
// description cannot change. A change of release alone publishes nothing
// (it is metadata, not identity), so the new label of the same version is
// recorded in a function tag, rollout:release:<version> = <label>, which
// overrides the description's label wherever the provider and rolloutctl
// read a version's label: rollout_function's versions (so rolloutctl's
// history and pick, which read the state), the rollout_function_versions
// data source and rolloutctl status. The tag is operational: never shown
// as drift in tags, never removed by them. Tags of versions no longer
// retained are removed when they are pruned and with the next relabel;
// labels share the tag budget (lambdaops.MakeRoom) and are the first
// reserved tags to go when room is needed (the oldest versions first: the
// description still holds the label the version was published with).

// ReleaseTagPrefix starts the tag that relabels one version.
const ReleaseTagPrefix = lambdaops.ReleaseTagPrefix

// relabelled returns versions with the label of number set to release
// (unknown while release is).
func relabelled(ctx context.Context, versions types.List, number string, release types.String) types.List {
	if versions.IsUnknown() || versions.IsNull() {
		return versions
	}
	if release.IsUnknown() {
		return types.ListUnknown(versionEntryType)
	}
	entries := entriesFromList(ctx, versions)
	e := findEntry(entries, number)
	if e == nil || e.Release == release.ValueString() {
		return versions
	}
	e.Release = release.ValueString()
	return entriesValue(entries)
}

// unqualifiedARN is the function's ARN from a version's configuration
// (tags belong to the function, not to its versions).
func unqualifiedARN(v lambdatypes.FunctionConfiguration) *string {
	return aws.String(lambdaops.UnqualifiedFunctionARN(aws.ToString(v.FunctionArn)))
}

// applyReleaseTags overrides the labels of entries with the function's
// rollout:release:<N> tags.
func applyReleaseTags(entries []versionEntry, tags map[string]string) []versionEntry {
	for i := range entries {
		if l, ok := tags[ReleaseTagPrefix+entries[i].Number]; ok {
			entries[i].Release = l
		}
	}
	return entries
}

// relabel records, in the function's tags, a label that differs from the
// one the version carries in AWS (its tag, else its description), and
// removes the label tags of versions no longer retained. It is called only
// when the state does not already record the planned label, and writes
// nothing when AWS already carries it.
func (r *functionResource) relabel(ctx context.Context, c *lambda.Client, arn, name, number, release string, retained []versionEntry, prune bool, diags *diag.Diagnostics) {
	tags, err := c.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(arn)})
	if err != nil {
		diags.AddError("Release Label Error", apiErrorDetail(fmt.Sprintf("Reading the tags of %s failed; the label of version %s was not changed.", arn, number), "Apply again.", err))
		return
	}
	current, tagged := tags.Tags[ReleaseTagPrefix+number]
	if !tagged {
		v, err := lambdaops.FindVersion(ctx, c, name, number)
		if err != nil {
			diags.AddError("Release Label Error", apiErrorDetail(fmt.Sprintf("Reading version %s of %s failed; its label was not changed.", number, name), "Apply again.", err))
			return
		}
		_, meta, _ := lambdaops.ParseDescription(aws.ToString(v.Description))
		current = meta.Release
	}
	if current == release {
		return
	}
	keep := map[string]bool{}
	for _, e := range retained {
		keep[ReleaseTagPrefix+e.Number] = true
	}
	var stale []string
	for k := range tags.Tags {
		if prune && strings.HasPrefix(k, ReleaseTagPrefix) && !keep[k] {
			stale = append(stale, k)
		}
	}
	add := map[string]string{ReleaseTagPrefix + number: release}
	rest := map[string]string{}
	for k, v := range tags.Tags {
		rest[k] = v
	}
	for _, k := range stale {
		delete(rest, k)
	}
	room, err := lambdaops.MakeRoom(rest, add)
	if err != nil {
		diags.AddError("Release Label Error", apiErrorDetail(fmt.Sprintf("The label %q of version %s cannot be recorded in the tags of %s.", release, number, arn),
			"Remove tags of your own from the function, then apply again.", err))
		return
	}
	stale = append(stale, room...)
	sort.Strings(stale)
	if len(stale) > 0 {
		if _, err := c.UntagResource(ctx, &lambda.UntagResourceInput{Resource: aws.String(arn), TagKeys: stale}); err != nil {
			diags.AddWarning("Release Label Cleanup Incomplete", apiErrorDetail("Removing the label tags of deleted versions failed.", "The next relabel retries.", err))
		}
	}
	if _, err := c.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(arn), Tags: map[string]string{ReleaseTagPrefix + number: release}}); err != nil {
		diags.AddError("Release Label Error", apiErrorDetail(fmt.Sprintf("Tagging %s with the label %q of version %s failed.", arn, release, number), "Apply again.", err))
		return
	}
	tflog.Info(ctx, "relabelled a version", map[string]any{"tf_rollout.version": number, "tf_rollout.release": release})
}
