package provider

// The versions list: retained published versions as entries, their
// retention (retain_versions, pruning) and their lookup by number or
// digest.

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
)

// versionEntry is one element of versions.
type versionEntry struct {
	Number      string
	CodeSha256  string
	Digest      string
	Release     string
	SchemaMin   *int64
	SchemaMax   *int64
	PublishedAt string
}

var versionEntryAttrTypes = map[string]attr.Type{
	"number": types.StringType, "code_sha256": types.StringType, "digest": types.StringType, "release": types.StringType,
	"data_schema_min": types.Int64Type, "data_schema_max": types.Int64Type, "published_at": types.StringType,
}

var versionEntryType = types.ObjectType{AttrTypes: versionEntryAttrTypes}

var dataSchemasAttrTypes = map[string]attr.Type{"min": types.Int64Type, "max": types.Int64Type}

// prune keeps the newest retain versions, the current one and every version
// an alias routes to (as primary or weighted), deletes the others oldest
// first, and returns the retained ones newest first.
func (r *functionResource) prune(ctx context.Context, c *lambda.Client, name, current string, retain int64, known []versionEntry) ([]versionEntry, error) {
	versions, err := lambdaops.ListVersions(ctx, c, name)
	if err != nil {
		return nil, err
	}
	if retain > 0 && int64(len(versions)) > retain {
		aliases, err := lambdaops.ListAliases(ctx, c, name)
		if err != nil {
			return nil, err
		}
		protected := map[string]bool{current: true}
		for _, a := range aliases {
			protected[aws.ToString(a.FunctionVersion)] = true
			if a.RoutingConfig != nil {
				for v := range a.RoutingConfig.AdditionalVersionWeights {
					protected[v] = true
				}
			}
		}
		newest := len(versions) - int(retain) // versions[newest:] are the newest retain ones
		kept := make([]lambdatypes.FunctionConfiguration, 0, len(versions))
		for i, v := range versions {
			num := aws.ToString(v.Version)
			if i >= newest || protected[num] {
				kept = append(kept, v)
				continue
			}
			_, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(name), Qualifier: aws.String(num)})
			var conflict *lambdatypes.ResourceConflictException
			switch {
			case err == nil || lambdaops.IsNotFound(err):
				r.data.reads().forgetVersion(name, num)
				tflog.Info(ctx, "pruned a version", map[string]any{"tf_rollout.function": name, "tf_rollout.version": num})
			case errors.As(err, &conflict):
				tflog.Warn(ctx, "version became referenced by an alias; kept", map[string]any{"tf_rollout.version": num})
				kept = append(kept, v)
			default:
				return nil, err
			}
		}
		if pruned := len(versions) - len(kept); pruned > 0 {
			dropReleaseLabels(ctx, c, versions, kept)
		}
		versions = kept
	}
	entries := make([]versionEntry, 0, len(versions))
	for i := len(versions) - 1; i >= 0; i-- {
		e := entryFromConfig(versions[i])
		if k := findEntry(known, e.Number); k != nil && k.Digest != "" {
			e.Digest = k.Digest
		}
		if k := findEntry(known, e.Number); k != nil && k.Release != "" {
			e.Release = k.Release // a relabel (see function_release.go)
		}
		entries = append(entries, e)
	}
	return entries, nil
}

// dropReleaseLabels removes the release labels (function_release.go) of
// the versions pruned: all minus kept. Removing a tag that is not there is
// no error, so it reads nothing first; a failure only leaves labels that
// the next relabel or lambdaops.MakeRoom removes.
func dropReleaseLabels(ctx context.Context, c *lambda.Client, all, kept []lambdatypes.FunctionConfiguration) {
	left := map[string]bool{}
	for _, v := range kept {
		left[aws.ToString(v.Version)] = true
	}
	var keys []string
	for _, v := range all {
		if n := aws.ToString(v.Version); !left[n] {
			keys = append(keys, ReleaseTagPrefix+n)
		}
	}
	if len(keys) == 0 {
		return
	}
	arn := unqualifiedARN(all[0])
	if _, err := c.UntagResource(ctx, &lambda.UntagResourceInput{Resource: arn, TagKeys: keys}); err != nil {
		tflog.Warn(ctx, "could not remove the release labels of pruned versions", map[string]any{"tf_rollout.tags": keys, "tf_rollout.error": err.Error()})
	}
}

// entryFromConfig describes a published version, with the metadata
// rollout_function wrote into its description, or, for a version another
// tool published, a digest computed from its configuration.
func entryFromConfig(v lambdatypes.FunctionConfiguration) versionEntry {
	e := versionEntry{Number: aws.ToString(v.Version), CodeSha256: aws.ToString(v.CodeSha256), PublishedAt: aws.ToString(v.LastModified)}
	if t, err := time.Parse("2006-01-02T15:04:05.000-0700", e.PublishedAt); err == nil {
		e.PublishedAt = t.UTC().Format(time.RFC3339)
	}
	_, meta, ok := lambdaops.ParseDescription(aws.ToString(v.Description))
	if ok {
		e.Release, e.SchemaMin, e.SchemaMax, e.Digest = meta.Release, meta.SchemaMin, meta.SchemaMax, meta.Digest
	}
	if e.Digest == "" && v.PackageType != lambdatypes.PackageTypeImage {
		e.Digest = specFromConfig(v, "zip:"+e.CodeSha256).Digest()
	}
	return e
}

func versionConfig(o *lambda.GetFunctionConfigurationOutput) lambdatypes.FunctionConfiguration {
	return lambdatypes.FunctionConfiguration{
		Version: o.Version, CodeSha256: o.CodeSha256, Description: o.Description, LastModified: o.LastModified,
		Runtime: o.Runtime, Handler: o.Handler, Role: o.Role, MemorySize: o.MemorySize, Timeout: o.Timeout,
		Architectures: o.Architectures, Layers: o.Layers, Environment: o.Environment, PackageType: o.PackageType, FunctionArn: o.FunctionArn,
		FunctionName: o.FunctionName, VpcConfig: o.VpcConfig, DeadLetterConfig: o.DeadLetterConfig, TracingConfig: o.TracingConfig,
		EphemeralStorage: o.EphemeralStorage, LoggingConfig: o.LoggingConfig, FileSystemConfigs: o.FileSystemConfigs, SnapStart: o.SnapStart,
		ImageConfigResponse: o.ImageConfigResponse, KMSKeyArn: o.KMSKeyArn,
	}
}

func publishedConfig(o *lambda.PublishVersionOutput) lambdatypes.FunctionConfiguration {
	return lambdatypes.FunctionConfiguration{
		Version: o.Version, CodeSha256: o.CodeSha256, Description: o.Description, LastModified: o.LastModified,
		Runtime: o.Runtime, Handler: o.Handler, Role: o.Role, MemorySize: o.MemorySize, Timeout: o.Timeout,
		Architectures: o.Architectures, Layers: o.Layers, Environment: o.Environment, PackageType: o.PackageType, FunctionArn: o.FunctionArn,
		FunctionName: o.FunctionName, VpcConfig: o.VpcConfig, DeadLetterConfig: o.DeadLetterConfig, TracingConfig: o.TracingConfig,
		EphemeralStorage: o.EphemeralStorage, LoggingConfig: o.LoggingConfig, FileSystemConfigs: o.FileSystemConfigs, SnapStart: o.SnapStart,
		ImageConfigResponse: o.ImageConfigResponse, KMSKeyArn: o.KMSKeyArn,
	}
}

func findEntry(entries []versionEntry, number string) *versionEntry {
	for i := range entries {
		if entries[i].Number == number {
			return &entries[i]
		}
	}
	return nil
}

// findDigest returns the newest retained version with the digest.
func findDigest(entries []versionEntry, digest string) *versionEntry {
	var best *versionEntry
	for i := range entries {
		if entries[i].Digest == digest && (best == nil || lambdaops.VersionNumber(aws.String(entries[i].Number)) > lambdaops.VersionNumber(aws.String(best.Number))) {
			best = &entries[i]
		}
	}
	return best
}

func dropEntry(entries []versionEntry, number string) []versionEntry {
	out := make([]versionEntry, 0, len(entries))
	for _, e := range entries {
		if e.Number != number {
			out = append(out, e)
		}
	}
	return out
}

func entriesFromList(ctx context.Context, l types.List) []versionEntry {
	if l.IsNull() || l.IsUnknown() {
		return nil
	}
	var out []versionEntry
	for _, el := range l.Elements() {
		o, ok := el.(types.Object)
		if !ok {
			continue
		}
		a := o.Attributes()
		str := func(k string) string {
			if s, ok := a[k].(types.String); ok {
				return s.ValueString()
			}
			return ""
		}
		num := func(k string) *int64 {
			if n, ok := a[k].(types.Int64); ok && !n.IsNull() && !n.IsUnknown() {
				v := n.ValueInt64()
				return &v
			}
			return nil
		}
		out = append(out, versionEntry{Number: str("number"), CodeSha256: str("code_sha256"), Digest: str("digest"), Release: str("release"),
			SchemaMin: num("data_schema_min"), SchemaMax: num("data_schema_max"), PublishedAt: str("published_at")})
	}
	_ = ctx
	return out
}

func entriesValue(entries []versionEntry) types.List {
	elems := make([]attr.Value, 0, len(entries))
	for _, e := range entries {
		elems = append(elems, types.ObjectValueMust(versionEntryAttrTypes, map[string]attr.Value{
			"number": types.StringValue(e.Number), "code_sha256": types.StringValue(e.CodeSha256), "digest": types.StringValue(e.Digest),
			"release": nullIfEmpty(e.Release), "data_schema_min": types.Int64PointerValue(e.SchemaMin),
			"data_schema_max": types.Int64PointerValue(e.SchemaMax), "published_at": types.StringValue(e.PublishedAt),
		}))
	}
	return types.ListValueMust(versionEntryType, elems)
}
