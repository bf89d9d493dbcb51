package provider

// Code identity: what code a plan and an apply mean ("zip:<sha256>" or
// "image:<uri>"), hashed from the local zip, the S3 object or
// source_code_hash, and the code input of CreateFunction and
// UpdateFunctionCode.

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/validate"
)

// planCode returns the code identity of the plan ("zip:<sha>" or
// "image:<uri>") and the zip's sha when known at plan time.
func (r *functionResource) planCode(ctx context.Context, plan functionModelV0, state *functionModelV0) (string, string, bool, diag.Diagnostics) {
	var diags diag.Diagnostics
	switch {
	case plan.Filename.IsUnknown() || plan.ImageURI.IsUnknown() || plan.S3Bucket.IsUnknown() || plan.S3Key.IsUnknown() ||
		plan.S3ObjectVersion.IsUnknown() || plan.SourceCodeHash.IsUnknown():
		return "", "", false, diags
	case plan.Filename.ValueString() != "":
		b, err := os.ReadFile(plan.Filename.ValueString())
		if err != nil {
			diags.AddAttributeError(path.Root("filename"), "Unreadable Code File",
				validate.Detail("filename", fmt.Sprintf("%q", plan.Filename.ValueString()), "the file cannot be read: "+err.Error(), `filename = "build/orders-api.zip"`))
			return "", "", false, diags
		}
		sha := b64sha256(b)
		return "zip:" + sha, sha, true, diags
	case plan.ImageURI.ValueString() != "":
		return "image:" + plan.ImageURI.ValueString(), "", true, diags
	case plan.S3Bucket.ValueString() != "":
		if h := plan.SourceCodeHash.ValueString(); h != "" {
			return "zip:" + h, h, true, diags
		}
		if state != nil && state.S3Bucket.Equal(plan.S3Bucket) && state.S3Key.Equal(plan.S3Key) &&
			state.S3ObjectVersion.Equal(plan.S3ObjectVersion) && state.CodeSha256.ValueString() != "" {
			return "zip:" + state.CodeSha256.ValueString(), state.CodeSha256.ValueString(), true, diags
		}
		if r.data == nil {
			return "", "", false, diags
		}
		sha, err := r.hashS3Object(ctx, plan)
		if err != nil {
			diags.AddAttributeError(path.Root("s3_key"), "Unreadable Code Object",
				validate.Detail("s3_bucket/s3_key", fmt.Sprintf("%q/%q", plan.S3Bucket.ValueString(), plan.S3Key.ValueString()),
					"the object cannot be read to hash it: "+err.Error()+"; set source_code_hash to skip reading it", `source_code_hash = filebase64sha256("build/orders-api.zip")`))
			return "", "", false, diags
		}
		return "zip:" + sha, sha, true, diags
	}
	return "", "", false, diags
}

func (r *functionResource) hashS3Object(ctx context.Context, m functionModelV0) (string, error) {
	c, err := r.data.client.S3(ctx)
	if err != nil {
		return "", err
	}
	in := &s3.GetObjectInput{Bucket: aws.String(m.S3Bucket.ValueString()), Key: aws.String(m.S3Key.ValueString())}
	if v := m.S3ObjectVersion.ValueString(); v != "" {
		in.VersionId = aws.String(v)
	}
	out, err := c.GetObject(ctx, in)
	if err != nil {
		return "", err
	}
	defer func() { _ = out.Body.Close() }()
	h := sha256.New()
	if _, err := io.Copy(h, out.Body); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(h.Sum(nil)), nil
}

func b64sha256(b []byte) string {
	sum := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// codeSource is the code of a create or update.
type codeSource struct {
	zip                        []byte
	sha                        string
	s3Bucket, s3Key, s3Version string
	image                      string
}

func (r *functionResource) codeInput(ctx context.Context, m functionModelV0) (codeSource, diag.Diagnostics) {
	var diags diag.Diagnostics
	switch {
	case m.Filename.ValueString() != "":
		b, err := os.ReadFile(m.Filename.ValueString())
		if err != nil {
			diags.AddAttributeError(path.Root("filename"), "Unreadable Code File",
				validate.Detail("filename", fmt.Sprintf("%q", m.Filename.ValueString()), "the file cannot be read: "+err.Error(), `filename = "build/orders-api.zip"`))
			return codeSource{}, diags
		}
		if sha := b64sha256(b); !m.CodeSha256.IsUnknown() && m.CodeSha256.ValueString() != "" && sha != m.CodeSha256.ValueString() {
			diags.AddAttributeError(path.Root("filename"), "Code File Changed Since Plan",
				fmt.Sprintf("%s hashed to %s at plan time and to %s now. Nothing was changed. Run terraform plan again.", m.Filename.ValueString(), m.CodeSha256.ValueString(), sha))
			return codeSource{}, diags
		}
		return codeSource{zip: b, sha: b64sha256(b)}, diags
	case m.ImageURI.ValueString() != "":
		return codeSource{image: m.ImageURI.ValueString()}, diags
	default:
		c := codeSource{s3Bucket: m.S3Bucket.ValueString(), s3Key: m.S3Key.ValueString(), s3Version: m.S3ObjectVersion.ValueString()}
		if h := m.SourceCodeHash.ValueString(); h != "" {
			c.sha = h
		} else if !m.CodeSha256.IsUnknown() {
			c.sha = m.CodeSha256.ValueString()
		}
		_ = ctx
		return c, diags
	}
}

func (c codeSource) create() *lambdatypes.FunctionCode {
	switch {
	case c.image != "":
		return &lambdatypes.FunctionCode{ImageUri: aws.String(c.image)}
	case c.zip != nil:
		return &lambdatypes.FunctionCode{ZipFile: c.zip}
	}
	fc := &lambdatypes.FunctionCode{S3Bucket: aws.String(c.s3Bucket), S3Key: aws.String(c.s3Key)}
	if c.s3Version != "" {
		fc.S3ObjectVersion = aws.String(c.s3Version)
	}
	return fc
}

func (c codeSource) update(name string, revision *string, archs []lambdatypes.Architecture) *lambda.UpdateFunctionCodeInput {
	fc := c.create()
	return &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(name), RevisionId: revision, Architectures: archs,
		ZipFile: fc.ZipFile, S3Bucket: fc.S3Bucket, S3Key: fc.S3Key, S3ObjectVersion: fc.S3ObjectVersion, ImageUri: fc.ImageUri}
}

// differsFrom reports whether $LATEST holds other code than c.
func (c codeSource) differsFrom(fn *lambda.GetFunctionOutput) bool {
	if c.image != "" {
		return fn.Code == nil || aws.ToString(fn.Code.ImageUri) != c.image
	}
	if c.sha == "" {
		return true
	}
	return aws.ToString(fn.Configuration.CodeSha256) != c.sha
}

// identity is the code identity to expect in $LATEST after the upload.
func (c codeSource) identity(latest *lambda.GetFunctionOutput) string {
	if c.image != "" {
		return "image:" + c.image
	}
	if c.sha != "" {
		return "zip:" + c.sha
	}
	return "zip:" + aws.ToString(latest.Configuration.CodeSha256)
}

// specFromConfig reads the versioned code and configuration of a version
// or of $LATEST; code is the code identity to put in it.
func specFromConfig(v lambdatypes.FunctionConfiguration, code string) lambdaops.Spec {
	user, _, _ := lambdaops.ParseDescription(aws.ToString(v.Description))
	s := lambdaops.Spec{
		Code: code, Runtime: string(v.Runtime), Handler: aws.ToString(v.Handler), Role: aws.ToString(v.Role),
		Description: user, MemorySize: int64(aws.ToInt32(v.MemorySize)), Timeout: int64(aws.ToInt32(v.Timeout)),
		Settings: settingsFromConfig(v),
	}
	for _, a := range v.Architectures {
		s.Architectures = append(s.Architectures, string(a))
	}
	for _, l := range v.Layers {
		s.Layers = append(s.Layers, aws.ToString(l.Arn))
	}
	if v.Environment != nil && len(v.Environment.Variables) > 0 {
		s.Environment = v.Environment.Variables
	}
	return s
}

func configDiffers(a, b lambdaops.Spec) bool {
	a.Code, b.Code = "", ""
	return a.Digest() != b.Digest()
}
