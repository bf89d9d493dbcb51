package provider

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
)

// Adoption that survives any state.
//
// The state's versions list can be older than AWS: a state pushed back
// (rolloutctl pick --write-state, terraform state push), a state restored
// from a backup, a lost apply. The plan must not publish a duplicate of a
// version AWS still holds. So when the plan would otherwise publish, it
// lists AWS's retained versions once and adopts the newest one with the
// planned digest. A plan that publishes nothing (the no-op, an adoption
// found in state) lists nothing: its cost stays independent of history.

// adoptFromAWS lists the function's published versions and returns the
// newest one with the digest, and the retained versions as entries (newest
// first, with the digests the state knew for versions without metadata).
// It returns nil when none matches or the listing fails (the plan then
// shows a publish, as before).
func (r *functionResource) adoptFromAWS(ctx context.Context, name, digest string, known []versionEntry) (*versionEntry, []versionEntry) {
	if r.data == nil {
		return nil, nil
	}
	c, err := r.data.client.Lambda(ctx)
	if err != nil {
		return nil, nil
	}
	entries, err := listedEntries(ctx, c, name, known)
	if err != nil {
		tflog.Warn(ctx, "could not list retained versions; the plan publishes", map[string]any{"tf_rollout.function": name, "tf_rollout.error": err.Error()})
		return nil, nil
	}
	match := findDigest(entries, digest)
	if match == nil {
		return nil, entries
	}
	m := *match
	return &m, entries
}

// listedEntries reads every published version of a function as entries,
// newest first.
func listedEntries(ctx context.Context, c *lambda.Client, name string, known []versionEntry) ([]versionEntry, error) {
	versions, err := lambdaops.ListVersions(ctx, c, name)
	if err != nil {
		return nil, err
	}
	entries := make([]versionEntry, 0, len(versions))
	for i := len(versions) - 1; i >= 0; i-- {
		e := entryFromConfig(versions[i])
		k := findEntry(known, e.Number)
		if k != nil && k.Digest != "" && e.Digest != k.Digest {
			if _, _, ok := lambdaops.ParseDescription(aws.ToString(versions[i].Description)); !ok {
				e.Digest = k.Digest
			}
		}
		if k != nil && k.Release != "" {
			e.Release = k.Release // a relabel (see function_release.go)
		}
		entries = append(entries, e)
	}
	return entries, nil
}

// adoptedEntry returns the entry of the version the plan adopts: from the
// planned versions when the plan listed them, else from the state.
func adoptedEntry(ctx context.Context, plan, state functionModelV0) *versionEntry {
	if !plan.Versions.IsUnknown() && !plan.Versions.IsNull() {
		if e := findEntry(entriesFromList(ctx, plan.Versions), plan.Version.ValueString()); e != nil {
			return e
		}
	}
	return findEntry(entriesFromList(ctx, state.Versions), plan.Version.ValueString())
}

// latestDigest is the digest of the code and configuration $LATEST holds.
func latestDigest(fn *lambda.GetFunctionOutput) string {
	code := "zip:" + aws.ToString(fn.Configuration.CodeSha256)
	if fn.Configuration.PackageType == lambdatypes.PackageTypeImage && fn.Code != nil {
		code = "image:" + aws.ToString(fn.Code.ImageUri)
	}
	return specFromConfig(*fn.Configuration, code).Digest()
}

// refreshStaleVersions corrects versions during Read when AWS shows,
// for free, that the state does not know its history: $LATEST (read by
// GetFunction anyway) holds other code or configuration than the current
// version (read by GetFunctionConfiguration anyway) and than every version
// the state lists. That happens after a publish the state does not record
// (an older state pushed back, a lost apply) or an edit of $LATEST outside
// Terraform. Only then is the history listed; a refresh of an unchanged
// function makes no listing and decodes no history.
func (r *functionResource) refreshStaleVersions(ctx context.Context, c *lambda.Client, name string, fn *lambda.GetFunctionOutput,
	current lambdatypes.FunctionConfiguration, prior tfsdk.State, st *rawState, diags *diag.Diagnostics) {
	cur, latest := entryFromConfig(current), latestDigest(fn)
	if cur.Digest == "" || latest == cur.Digest {
		return
	}
	var versions types.List
	diags.Append(prior.GetAttribute(ctx, path.Root("versions"), &versions)...)
	known := entriesFromList(ctx, versions)
	if findDigest(known, latest) != nil {
		return // $LATEST holds a version the state knows (after a canary rolled back, say)
	}
	entries, err := listedEntries(ctx, c, name, known)
	if err != nil {
		tflog.Warn(ctx, "could not list versions to refresh them", map[string]any{"tf_rollout.function": name, "tf_rollout.error": err.Error()})
		return
	}
	tflog.Info(ctx, "$LATEST differs from the current version: versions refreshed from AWS",
		map[string]any{"tf_rollout.function": name, "tf_rollout.versions": len(entries)})
	st.set(ctx, "versions", entriesValue(applyReleaseTags(entries, fn.Tags)))
}
