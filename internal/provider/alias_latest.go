package provider

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rollout"
)

// $LATEST follows the traffic.
//
// Adopting a retained version (a rollback) moves the alias and uploads
// nothing, so $LATEST still holds the code the alias just left, and an
// unqualified invocation (or anything wired to the unqualified ARN) would
// keep running it. After the alias has moved, so after traffic is safe and
// never on its critical path, the alias copies the code and configuration
// of the version it now serves into $LATEST. It does so only when $LATEST
// holds exactly the code and configuration the alias moved away from; any
// other $LATEST (a newer release being prepared, an edit outside
// Terraform) is left alone. When that copy failed, a later plan that
// moves no traffic shows the restore and its apply performs it
// (planLatestRestore).

// maxRestoreZip bounds the package copied back into $LATEST: the direct
// upload limit of UpdateFunctionCode.
const maxRestoreZip = 50 << 20

// restoreLatest brings $LATEST to the code and configuration of version
// to when it holds those of version away. Failures are warnings: traffic
// has already moved and the state is true. A write refused with 412 (a tag
// written meanwhile changes the RevisionId, as AWS does) is retried after
// reading $LATEST again and checking it once more, as publishAndSave does.
func (r *aliasResource) restoreLatest(ctx context.Context, c *lambda.Client, function, away, to string, diags *diag.Diagnostics) {
	if away == "" || to == "" || away == to || away == "$LATEST" || to == "$LATEST" {
		return
	}
	copied := false // the code of to is in $LATEST: written by an earlier attempt
	for attempt := 1; ; attempt++ {
		what, err := restoreLatestOnce(ctx, c, r.data.reads(), function, away, to, &copied)
		if what == "" {
			return
		}
		var pre *lambdatypes.PreconditionFailedException
		if errors.As(err, &pre) && attempt < publishAttempts {
			tflog.Info(ctx, "$LATEST changed under its restore (412); reading it again", map[string]any{"tf_rollout.function": function, "tf_rollout.attempt": attempt})
			continue
		}
		diags.AddWarning("Unqualified Invocations Still Run Version "+away+"'s Code",
			apiErrorDetail(fmt.Sprintf("Traffic of the alias is on version %s, but $LATEST of %s still holds the code and configuration of version %s: %s. "+
				"Invocations of the unqualified function name or ARN run that code.", to, function, away, what),
				"Invoke through the alias or a qualified ARN, or apply again to retry the copy.", err))
		return
	}
}

// restoreLatestOnce makes one attempt; what says what failed ("" when
// $LATEST was restored or is not the provider's to overwrite).
// The version traffic left is read through the walk's reads (immutable),
// and version to only when $LATEST is ours to overwrite.
func restoreLatestOnce(ctx context.Context, c *lambda.Client, reads *readCache, function, away, to string, copied *bool) (what string, err error) {
	latest, err := reads.functionFresh(ctx, c, function)
	if err != nil {
		return "reading $LATEST failed", err
	}
	left, err := reads.version(ctx, c, function, away)
	if err != nil {
		if !lambdaops.IsNotFound(err) {
			return "reading the version traffic left failed", err
		}
		return "", nil
	}
	if latestDigest(latest) != entryFromConfig(left).Digest && !*copied {
		return "", nil // $LATEST holds something else: not ours to overwrite.
	}
	target, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(function), Qualifier: aws.String(to)})
	if err != nil {
		return "reading version " + to + " failed", err
	}
	sameCode := aws.ToString(target.Configuration.CodeSha256) == aws.ToString(latest.Configuration.CodeSha256)
	if latestDigest(latest) != entryFromConfig(left).Digest && !sameCode {
		return "", nil // $LATEST holds something else: not ours to overwrite.
	}
	revision := latest.Configuration.RevisionId
	if !sameCode {
		in := &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(function), RevisionId: revision, Architectures: target.Configuration.Architectures}
		if target.Configuration.PackageType == lambdatypes.PackageTypeImage {
			in.ImageUri = target.Code.ImageUri
			if target.Code.ResolvedImageUri != nil {
				in.ImageUri = target.Code.ResolvedImageUri
			}
		} else {
			zip, err := downloadCode(ctx, aws.ToString(target.Code.Location))
			if err != nil {
				return "downloading version " + to + "'s package failed", err
			}
			in.ZipFile = zip
		}
		out, err := c.UpdateFunctionCode(ctx, in)
		if err != nil {
			return "UpdateFunctionCode failed", err
		}
		*copied = true
		revision = out.RevisionId
		if err := lambdaops.WaitUpdated(ctx, c, function, waitTimeout); err != nil {
			return "the code update did not finish", err
		}
	}
	want := specFromConfig(*target.Configuration, "")
	if configDiffers(want, specFromConfig(*latest.Configuration, "")) {
		if revision != latest.Configuration.RevisionId {
			// The code update changed the revision: read it again, and
			// write only when $LATEST holds the code just copied.
			fresh, err := lambdaops.FindFunction(ctx, c, function)
			if err != nil || aws.ToString(fresh.Configuration.CodeSha256) != aws.ToString(target.Configuration.CodeSha256) {
				return "$LATEST changed while its code was being restored", err
			}
			revision = fresh.Configuration.RevisionId
		}
		if _, err := c.UpdateFunctionConfiguration(ctx, latestConfigInput(function, revision, want, target.Configuration.PackageType == lambdatypes.PackageTypeImage)); err != nil {
			return "UpdateFunctionConfiguration failed", err
		}
		if err := lambdaops.WaitUpdated(ctx, c, function, waitTimeout); err != nil {
			return "the configuration update did not finish", err
		}
	}
	tflog.Info(ctx, "$LATEST restored to the version traffic is on", map[string]any{"tf_rollout.function": function, "tf_rollout.from": away, "tf_rollout.to": to})
	return "", nil
}

// latestRolledBack finds the rollback record of the release $LATEST still
// holds while the alias serves another version: a restore after the
// rollback failed (a warning said so). It reads only for an alias with a
// canary policy whose last rollout was rolled back (one GetFunction,
// which brings the tags with the records), so plans after a promotion pay
// nothing.
func latestRolledBack(ctx context.Context, c *lambda.Client, m aliasModelV0, prior aliasModelV0) (lambdaops.RollbackRecord, bool) {
	if m.CanaryPolicy.IsNull() || m.FunctionName.IsUnknown() || m.FunctionVersion.IsUnknown() || m.FunctionVersion.ValueString() == "$LATEST" {
		return lambdaops.RollbackRecord{}, false
	}
	if cur, ok := parseDeployment(prior.Deployment); !ok || cur.Status != rollout.StatusRolledBack {
		return lambdaops.RollbackRecord{}, false
	}
	fn, err := lambdaops.FindFunction(ctx, c, m.FunctionName.ValueString())
	if err != nil {
		return lambdaops.RollbackRecord{}, false
	}
	records := lambdaops.RollbackRecords(fn.Tags)
	if len(records) == 0 {
		return lambdaops.RollbackRecord{}, false
	}
	digest := latestDigest(fn)
	for _, rec := range records {
		if rec.Identity == digest && rec.Version != m.FunctionVersion.ValueString() {
			return rec, true
		}
	}
	return lambdaops.RollbackRecord{}, false
}

// planLatestRestore makes a plan that moves no traffic restore $LATEST
// when it still holds a rolled-back release: revision_id becomes unknown
// (so the plan is not empty) and a warning says why.
func planLatestRestore(ctx context.Context, c *lambda.Client, plan *aliasModelV0, prior aliasModelV0, diags *diag.Diagnostics) bool {
	rec, ok := latestRolledBack(ctx, c, *plan, prior)
	if !ok {
		return false
	}
	plan.RevisionID = types.StringUnknown()
	diags.AddAttributeWarning(path.Root("function_version"), "Restoring $LATEST",
		fmt.Sprintf("$LATEST of %s still holds the code and configuration of version %s%s, rolled back %s, so invocations of the unqualified "+
			"function name or ARN run it. This apply copies version %s, which the alias serves, into $LATEST; no traffic moves.",
			plan.FunctionName.ValueString(), rec.Version, releaseNote(rec.Release), describeRollback(rec), plan.FunctionVersion.ValueString()))
	return true
}

func latestConfigInput(function string, revision *string, s lambdaops.Spec, image bool) *lambda.UpdateFunctionConfigurationInput {
	layers := s.Layers
	if layers == nil {
		layers = []string{}
	}
	env := s.Environment
	if env == nil {
		env = map[string]string{}
	}
	in := &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String(function), RevisionId: revision, Role: aws.String(s.Role), Description: aws.String(s.Description),
		Timeout: aws.Int32(int32(s.Timeout)), MemorySize: aws.Int32(int32(s.MemorySize)), Layers: layers,
		Environment: &lambdatypes.Environment{Variables: env},
	}
	updateSettings(in, s.Settings, image)
	if !image {
		in.Runtime, in.Handler = lambdatypes.Runtime(s.Runtime), aws.String(s.Handler)
	}
	return in
}

// codeDownloadTimeout bounds the download of a version's package (at most
// maxRestoreZip) from its Code.Location: restoreLatest runs after traffic
// is safe, with a context that outlives a cancelled apply, so a stalled
// server must not hold the apply without end.
const codeDownloadTimeout = 2 * time.Minute

// codeClient downloads packages; its Timeout covers the whole exchange,
// the body included.
var codeClient = &http.Client{Timeout: codeDownloadTimeout}

// downloadCode reads a version's package from its Code.Location URL,
// within codeDownloadTimeout.
func downloadCode(ctx context.Context, url string) ([]byte, error) {
	return downloadCodeWithin(ctx, codeClient, url, codeDownloadTimeout)
}

func downloadCodeWithin(ctx context.Context, client *http.Client, url string, limit time.Duration) ([]byte, error) {
	if url == "" {
		return nil, fmt.Errorf("the version has no code location")
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	b, err := func() ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return nil, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		defer func() { _ = resp.Body.Close() }()
		if resp.StatusCode/100 != 2 {
			return nil, fmt.Errorf("GET code location: HTTP %d", resp.StatusCode)
		}
		return io.ReadAll(io.LimitReader(resp.Body, maxRestoreZip+1))
	}()
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) || os.IsTimeout(err) {
			return nil, fmt.Errorf("the download from the code location did not finish within %s: %w", limit, err)
		}
		return nil, err
	}
	if len(b) > maxRestoreZip {
		return nil, fmt.Errorf("the package is larger than %d MB, the direct upload limit", maxRestoreZip>>20)
	}
	return b, nil
}
