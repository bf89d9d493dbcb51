package cmdutil

import (
	"context"
	"flag"

	"github.com/rollout-tf/terraform-provider-rollout/internal/awsclient"
)

// LiveOptions are the flags of the commands that read or steer a running
// alias (status, override).
type LiveOptions struct {
	Function string
	Alias    string
	Endpoint string
	Region   string
	JSON     bool
}

// Flags registers the live flags.
func (o *LiveOptions) Flags(fs *flag.FlagSet) {
	fs.StringVar(&o.Function, "function", "", "function name")
	fs.StringVar(&o.Alias, "alias", "", "alias name")
	fs.StringVar(&o.Endpoint, "endpoint", "", "Lambda and CloudWatch endpoint (the sandbox: http://127.0.0.1:4599)")
	fs.StringVar(&o.Region, "region", "", "AWS region")
	fs.BoolVar(&o.JSON, "json", false, "print JSON")
}

// Lambda returns the Lambda client the flags point at.
func (o LiveOptions) Lambda(ctx context.Context, f *Factory) (LambdaAPI, error) {
	c, err := f.Clients.Lambda(ctx, AWSConfig{Region: o.Region, Endpoints: map[awsclient.Service]string{
		awsclient.Lambda: o.Endpoint, awsclient.CloudWatch: o.Endpoint}})
	if err != nil {
		return nil, cliError(err, "function "+o.Function)
	}
	return c, nil
}

// CloudWatch returns the CloudWatch client the flags point at (nil, nil:
// none in this test).
func (o LiveOptions) CloudWatch(ctx context.Context, f *Factory) (CloudWatchAPI, error) {
	return f.Clients.CloudWatch(ctx, AWSConfig{Region: o.Region, Endpoints: map[awsclient.Service]string{
		awsclient.Lambda: o.Endpoint, awsclient.CloudWatch: o.Endpoint}})
}
