package cmdtest

import (
	"context"
	"fmt"
	"maps"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmdutil"
)

var _ cmdutil.LambdaAPI = (*FakeLambda)(nil)

// FakeLambda is one function with one alias, in memory. Tag writes change
// Tags; every call is recorded in Calls as "Operation function".
type FakeLambda struct {
	Function string
	Tags     map[string]string
	// Alias is what GetAlias returns for any alias name; nil: not found.
	Alias *lambda.GetAliasOutput
	// Releases is the release each version's description records.
	Releases map[string]string
	// Err fails the named operation ("GetAlias", "TagResource", ...).
	Err   map[string]error
	Calls []string
}

// ARN is the function's ARN.
func (f *FakeLambda) ARN() string {
	return "arn:aws:lambda:us-east-1:123456789012:function:" + f.Function
}

func (f *FakeLambda) call(op, function string) error {
	f.Calls = append(f.Calls, op+" "+function)
	if err := f.Err[op]; err != nil {
		return err
	}
	if function != f.Function && function != f.ARN() {
		return &lambdatypes.ResourceNotFoundException{Message: aws.String("Function not found: " + function)}
	}
	return nil
}

// GetAlias returns Alias.
func (f *FakeLambda) GetAlias(_ context.Context, in *lambda.GetAliasInput, _ ...func(*lambda.Options)) (*lambda.GetAliasOutput, error) {
	if err := f.call("GetAlias", aws.ToString(in.FunctionName)); err != nil {
		return nil, err
	}
	if f.Alias == nil {
		return nil, &lambdatypes.ResourceNotFoundException{Message: aws.String(fmt.Sprintf("Alias not found: %s:%s", f.ARN(), aws.ToString(in.Name)))}
	}
	return f.Alias, nil
}

// GetFunction returns the function's ARN and a copy of Tags.
func (f *FakeLambda) GetFunction(_ context.Context, in *lambda.GetFunctionInput, _ ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error) {
	if err := f.call("GetFunction", aws.ToString(in.FunctionName)); err != nil {
		return nil, err
	}
	return &lambda.GetFunctionOutput{Configuration: &lambdatypes.FunctionConfiguration{FunctionName: aws.String(f.Function), FunctionArn: aws.String(f.ARN())},
		Tags: maps.Clone(f.Tags)}, nil
}

// GetFunctionConfiguration returns a version's description, recording its release.
func (f *FakeLambda) GetFunctionConfiguration(_ context.Context, in *lambda.GetFunctionConfigurationInput, _ ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error) {
	if err := f.call("GetFunctionConfiguration", aws.ToString(in.FunctionName)); err != nil {
		return nil, err
	}
	v := aws.ToString(in.Qualifier)
	return &lambda.GetFunctionConfigurationOutput{Version: aws.String(v),
		Description: aws.String(lambdaops.FormatDescription("", lambdaops.VersionMeta{Release: f.Releases[v]}))}, nil
}

// TagResource adds tags.
func (f *FakeLambda) TagResource(_ context.Context, in *lambda.TagResourceInput, _ ...func(*lambda.Options)) (*lambda.TagResourceOutput, error) {
	if err := f.call("TagResource", aws.ToString(in.Resource)); err != nil {
		return nil, err
	}
	if f.Tags == nil {
		f.Tags = map[string]string{}
	}
	maps.Copy(f.Tags, in.Tags)
	return &lambda.TagResourceOutput{}, nil
}

// UntagResource removes tags.
func (f *FakeLambda) UntagResource(_ context.Context, in *lambda.UntagResourceInput, _ ...func(*lambda.Options)) (*lambda.UntagResourceOutput, error) {
	if err := f.call("UntagResource", aws.ToString(in.Resource)); err != nil {
		return nil, err
	}
	for _, k := range in.TagKeys {
		delete(f.Tags, k)
	}
	return &lambda.UntagResourceOutput{}, nil
}
