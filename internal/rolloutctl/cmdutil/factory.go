// Package cmdutil is what every rolloutctl command is built from, as
// cli/cli's pkg/cmdutil: the Factory (IO streams, environment, AWS client
// factory, version), the exit codes and errors, flag parsing that lets flags
// follow positional arguments, and the state-history source flags.
package cmdutil

import (
	"context"
	"io"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/rollout-tf/terraform-provider-rollout/internal/awsclient"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rollout"
)

// Factory is what a command runs with. main builds it from the process
// (System); tests build it from buffers and a fake or sandbox-backed Clients.
type Factory struct {
	IO         IOStreams
	Getenv     func(string) string
	Clients    Clients
	AppVersion string
	// Clock is the commands' time (status's "time left", --watch's
	// interval); nil is the wall clock.
	Clock rollout.Clock
}

// Now is the Factory's clock's time.
func (f *Factory) Now() time.Time { return f.clock().Now() }

func (f *Factory) clock() rollout.Clock {
	if f.Clock == nil {
		return rollout.SystemClock{}
	}
	return f.Clock
}

// Sleep waits d on the Factory's clock, or until ctx ends.
func (f *Factory) Sleep(ctx context.Context, d time.Duration) error { return f.clock().Sleep(ctx, d) }

// IOStreams are a command's standard streams.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
}

// ErrOutIsTerminal tells whether progress may be drawn on ErrOut.
func (s IOStreams) ErrOutIsTerminal() bool {
	f, ok := s.ErrOut.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// AWSConfig is what a command's flags say about where AWS is.
type AWSConfig struct {
	Region string
	// Endpoints overrides a service's endpoint (empty: AWS_ENDPOINT_URL_*, then AWS).
	Endpoints map[awsclient.Service]string
}

// LambdaAPI is the part of the Lambda API the live commands use;
// *lambda.Client implements it, tests pass fakes.
type LambdaAPI interface {
	GetAlias(context.Context, *lambda.GetAliasInput, ...func(*lambda.Options)) (*lambda.GetAliasOutput, error)
	GetFunction(context.Context, *lambda.GetFunctionInput, ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error)
	GetFunctionConfiguration(context.Context, *lambda.GetFunctionConfigurationInput, ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error)
	TagResource(context.Context, *lambda.TagResourceInput, ...func(*lambda.Options)) (*lambda.TagResourceOutput, error)
	UntagResource(context.Context, *lambda.UntagResourceInput, ...func(*lambda.Options)) (*lambda.UntagResourceOutput, error)
}

// CloudWatchAPI is the part of the CloudWatch API status reads metrics
// with; *cloudwatch.Client implements it.
type CloudWatchAPI interface {
	GetMetricData(context.Context, *cloudwatch.GetMetricDataInput, ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
}

// Clients builds the AWS clients a command needs: the SDK in main
// (SDKClients), a fake or an in-process sandbox in tests.
type Clients interface {
	Lambda(ctx context.Context, cfg AWSConfig) (LambdaAPI, error)
	S3(ctx context.Context, cfg AWSConfig) (*s3.Client, error)
	// CloudWatch returns nil, nil when metrics cannot be read at all (a
	// test with a fake Lambda only).
	CloudWatch(ctx context.Context, cfg AWSConfig) (CloudWatchAPI, error)
}

// SDKClients builds clients through awsclient: the SDK's credential and
// region resolution, endpoints from the flags, then AWS_ENDPOINT_URL_*.
type SDKClients struct {
	Getenv func(string) string
}

func (c SDKClients) client(cfg AWSConfig) *awsclient.Client {
	endpoints := map[awsclient.Service]string{}
	for s, url := range cfg.Endpoints {
		if url != "" {
			endpoints[s] = url
		}
	}
	return awsclient.New(awsclient.Options{Region: cfg.Region, Getenv: c.Getenv, Endpoints: endpoints})
}

// Lambda returns an SDK Lambda client.
func (c SDKClients) Lambda(ctx context.Context, cfg AWSConfig) (LambdaAPI, error) {
	return c.client(cfg).Lambda(ctx)
}

// S3 returns an SDK S3 client.
func (c SDKClients) S3(ctx context.Context, cfg AWSConfig) (*s3.Client, error) {
	return c.client(cfg).S3(ctx)
}

// CloudWatch returns an SDK CloudWatch client.
func (c SDKClients) CloudWatch(ctx context.Context, cfg AWSConfig) (CloudWatchAPI, error) {
	return c.client(cfg).CloudWatch(ctx)
}

// System is the Factory of the running process.
func System(version string) *Factory {
	return &Factory{
		IO:         IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr},
		Getenv:     os.Getenv,
		Clients:    SDKClients{Getenv: os.Getenv},
		AppVersion: version,
	}
}
