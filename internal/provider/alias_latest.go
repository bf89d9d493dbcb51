package provider

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
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
// Terraform) is left alone.

// maxRestoreZip bounds the package copied back into $LATEST: the direct
// upload limit of UpdateFunctionCode.
const maxRestoreZip = 50 << 20

// restoreLatest brings $LATEST to the code and configuration of version
// to when it holds those of version away. Failures are warnings: traffic
// has already moved and the state is true.
func (r *aliasResource) restoreLatest(ctx context.Context, c *lambda.Client, function, away, to string, diags *diag.Diagnostics) {
	if away == "" || to == "" || away == to || away == "$LATEST" || to == "$LATEST" {
		return
	}
	warn := func(what string, err error) {
		diags.AddWarning("Unqualified Invocations Still Run Version "+away+"'s Code",
			apiErrorDetail(fmt.Sprintf("Traffic of the alias is on version %s, but $LATEST of %s still holds the code and configuration of version %s: %s. "+
				"Invocations of the unqualified function name or ARN run that code.", to, function, away, what),
				"Invoke through the alias or a qualified ARN, or apply again to retry the copy.", err))
	}
	latest, err := lambdaops.FindFunction(ctx, c, function)
	if err != nil {
		warn("reading $LATEST failed", err)
		return
	}
	left, err := lambdaops.FindVersion(ctx, c, function, away)
	if err != nil {
		if !lambdaops.IsNotFound(err) {
			warn("reading the version traffic left failed", err)
		}
		return
	}
	if latestDigest(latest) != entryFromConfig(versionConfig(left)).Digest {
		return // $LATEST holds something else: not ours to overwrite.
	}
	target, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(function), Qualifier: aws.String(to)})
	if err != nil {
		warn("reading version "+to+" failed", err)
		return
	}
	revision := latest.Configuration.RevisionId
	if aws.ToString(target.Configuration.CodeSha256) != aws.ToString(latest.Configuration.CodeSha256) {
		in := &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(function), RevisionId: revision, Architectures: target.Configuration.Architectures}
		if target.Configuration.PackageType == lambdatypes.PackageTypeImage {
			in.ImageUri = target.Code.ImageUri
			if target.Code.ResolvedImageUri != nil {
				in.ImageUri = target.Code.ResolvedImageUri
			}
		} else {
			zip, err := downloadCode(ctx, aws.ToString(target.Code.Location))
			if err != nil {
				warn("downloading version "+to+"'s package failed", err)
				return
			}
			in.ZipFile = zip
		}
		out, err := c.UpdateFunctionCode(ctx, in)
		if err != nil {
			warn("UpdateFunctionCode failed", err)
			return
		}
		revision = out.RevisionId
		if err := lambdaops.WaitUpdated(ctx, c, function, waitTimeout); err != nil {
			warn("the code update did not finish", err)
			return
		}
	}
	want := specFromConfig(*target.Configuration, "")
	if configDiffers(want, specFromConfig(*latest.Configuration, "")) {
		if revision != latest.Configuration.RevisionId {
			// The code update changed the revision: read it again, and
			// write only when $LATEST holds the code just copied.
			fresh, err := lambdaops.FindFunction(ctx, c, function)
			if err != nil || aws.ToString(fresh.Configuration.CodeSha256) != aws.ToString(target.Configuration.CodeSha256) {
				warn("$LATEST changed while its code was being restored", err)
				return
			}
			revision = fresh.Configuration.RevisionId
		}
		if _, err := c.UpdateFunctionConfiguration(ctx, latestConfigInput(function, revision, want, target.Configuration.PackageType == lambdatypes.PackageTypeImage)); err != nil {
			warn("UpdateFunctionConfiguration failed", err)
			return
		}
		if err := lambdaops.WaitUpdated(ctx, c, function, waitTimeout); err != nil {
			warn("the configuration update did not finish", err)
			return
		}
	}
	tflog.Info(ctx, "$LATEST restored to the version traffic is on", map[string]any{"tf_rollout.function": function, "tf_rollout.from": away, "tf_rollout.to": to})
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

// downloadCode reads a version's package from its Code.Location URL.
func downloadCode(ctx context.Context, url string) ([]byte, error) {
	if url == "" {
		return nil, fmt.Errorf("the version has no code location")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("GET code location: HTTP %d", resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxRestoreZip+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxRestoreZip {
		return nil, fmt.Errorf("the package is larger than %d MB, the direct upload limit", maxRestoreZip>>20)
	}
	return b, nil
}
