// Package awsclient turns the provider configuration into one aws.Config and
// builds the service clients from it, lazily and once.
package awsclient

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"
)

// DefaultMaxRetries matches the AWS provider's default, so a configuration
// moved from one provider to the other behaves the same under throttling.
const DefaultMaxRetries = 25

// Options is the provider configuration, already validated and with unknown
// values removed.
type Options struct {
	Region                    string
	Profile                   string
	SharedConfigFiles         []string
	SharedCredentialsFiles    []string
	AccessKey                 string
	SecretKey                 string
	Token                     string
	AssumeRole                *AssumeRole
	Endpoints                 map[Service]string
	MaxRetries                *int
	SkipCredentialsValidation bool

	// Getenv reads the environment; nil means os.Getenv. Tests inject it.
	Getenv func(string) string
	// HTTPClient replaces the SDK's default HTTP client when set.
	HTTPClient aws.HTTPClient
}

// AssumeRole is the optional role the provider assumes after loading the base
// credentials.
type AssumeRole struct {
	RoleARN     string
	SessionName string
	ExternalID  string
}

// Client holds the resolved configuration and the service clients built from it.
type Client struct {
	opts      Options
	endpoints map[Service]Endpoint

	cfgOnce sync.Once
	cfg     aws.Config
	cfgErr  error

	lambdaOnce   sync.Once
	lambdaClient *lambda.Client
	cwOnce       sync.Once
	cwClient     *cloudwatch.Client
	s3Once       sync.Once
	s3Client     *s3.Client
	stsOnce      sync.Once
	stsClient    *sts.Client
	snsOnce      sync.Once
	snsClient    *sns.Client
	identityOnce sync.Once
	identity     Identity
	identityErr  error
}

// Identity is who the credentials belong to.
type Identity struct {
	AccountID string
	ARN       string
	UserID    string
}

// New prepares a client; nothing is read or sent until a service client is asked for.
func New(opts Options) *Client {
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	return &Client{opts: opts, endpoints: ResolveEndpoints(opts.Endpoints, opts.Getenv)}
}

// Endpoints returns the base URL chosen for each service that has one.
func (c *Client) Endpoints() map[Service]Endpoint { return c.endpoints }

// MaxAttempts is the number of attempts per API call: one plus max_retries.
func (c *Client) MaxAttempts() int {
	if c.opts.MaxRetries != nil {
		return *c.opts.MaxRetries + 1
	}
	return DefaultMaxRetries + 1
}

// ErrNoRegion is Config finding no region anywhere; its text speaks to a
// provider user, and a CLI replaces it with its own flag (errors.Is).
var ErrNoRegion = errors.New("no AWS region: set region in the provider block, or AWS_REGION, or a region in the shared config profile")

// Config loads the shared aws.Config once.
func (c *Client) Config(ctx context.Context) (aws.Config, error) {
	c.cfgOnce.Do(func() { c.cfg, c.cfgErr = c.load(ctx) })
	return c.cfg, c.cfgErr
}

func (c *Client) load(ctx context.Context) (aws.Config, error) {
	o := c.opts
	maxAttempts := c.MaxAttempts()
	loadOpts := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(so *retry.StandardOptions) {
				so.MaxAttempts = maxAttempts
				// The client-side retry quota would turn a burst of throttling into
				// hard failures; the AWS provider disables it for the same reason.
				so.RateLimiter = ratelimit.None
				so.MaxBackoff = 20 * time.Second
			})
		}),
		config.WithLogger(tflogLogger{}),
		config.WithClientLogMode(aws.LogRetries),
		config.WithAPIOptions([]func(*middleware.Stack) error{apiLogging}),
	}
	if o.Region != "" {
		loadOpts = append(loadOpts, config.WithRegion(o.Region))
	}
	if o.Profile != "" {
		loadOpts = append(loadOpts, config.WithSharedConfigProfile(o.Profile))
	}
	if len(o.SharedConfigFiles) > 0 {
		loadOpts = append(loadOpts, config.WithSharedConfigFiles(o.SharedConfigFiles))
	}
	if len(o.SharedCredentialsFiles) > 0 {
		loadOpts = append(loadOpts, config.WithSharedCredentialsFiles(o.SharedCredentialsFiles))
	}
	if o.AccessKey != "" {
		loadOpts = append(loadOpts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(o.AccessKey, o.SecretKey, o.Token)))
	}
	if o.HTTPClient != nil {
		loadOpts = append(loadOpts, config.WithHTTPClient(o.HTTPClient))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("loading AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, ErrNoRegion
	}
	if ar := o.AssumeRole; ar != nil && ar.RoleARN != "" {
		stsClient := sts.NewFromConfig(cfg, func(so *sts.Options) { so.BaseEndpoint = c.baseEndpoint(STS) })
		cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient, ar.RoleARN, func(ao *stscreds.AssumeRoleOptions) {
			if ar.SessionName != "" {
				ao.RoleSessionName = ar.SessionName
			}
			if ar.ExternalID != "" {
				ao.ExternalID = aws.String(ar.ExternalID)
			}
		}))
	}
	return cfg, nil
}

func (c *Client) baseEndpoint(s Service) *string {
	if e, ok := c.endpoints[s]; ok {
		return aws.String(e.URL)
	}
	return nil
}

// Lambda returns the Lambda client.
func (c *Client) Lambda(ctx context.Context) (*lambda.Client, error) {
	cfg, err := c.Config(ctx)
	if err != nil {
		return nil, err
	}
	c.lambdaOnce.Do(func() {
		c.lambdaClient = lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.BaseEndpoint = c.baseEndpoint(Lambda) })
	})
	return c.lambdaClient, nil
}

// SNS returns the SNS client (rollout notifications).
func (c *Client) SNS(ctx context.Context) (*sns.Client, error) {
	cfg, err := c.Config(ctx)
	if err != nil {
		return nil, err
	}
	c.snsOnce.Do(func() {
		c.snsClient = sns.NewFromConfig(cfg, func(o *sns.Options) { o.BaseEndpoint = c.baseEndpoint(SNS) })
	})
	return c.snsClient, nil
}

// CloudWatch returns the CloudWatch client.
func (c *Client) CloudWatch(ctx context.Context) (*cloudwatch.Client, error) {
	cfg, err := c.Config(ctx)
	if err != nil {
		return nil, err
	}
	c.cwOnce.Do(func() {
		c.cwClient = cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) { o.BaseEndpoint = c.baseEndpoint(CloudWatch) })
	})
	return c.cwClient, nil
}

// S3 returns the S3 client. A custom endpoint implies path-style addressing,
// which every S3-compatible local server expects.
func (c *Client) S3(ctx context.Context) (*s3.Client, error) {
	cfg, err := c.Config(ctx)
	if err != nil {
		return nil, err
	}
	c.s3Once.Do(func() {
		c.s3Client = s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.BaseEndpoint = c.baseEndpoint(S3)
			if o.BaseEndpoint != nil {
				o.UsePathStyle = true
			}
		})
	})
	return c.s3Client, nil
}

// STS returns the STS client.
func (c *Client) STS(ctx context.Context) (*sts.Client, error) {
	cfg, err := c.Config(ctx)
	if err != nil {
		return nil, err
	}
	c.stsOnce.Do(func() {
		c.stsClient = sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = c.baseEndpoint(STS) })
	})
	return c.stsClient, nil
}

// CallerIdentity asks STS who the credentials belong to, once.
func (c *Client) CallerIdentity(ctx context.Context) (Identity, error) {
	c.identityOnce.Do(func() {
		client, err := c.STS(ctx)
		if err != nil {
			c.identityErr = err
			return
		}
		out, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			c.identityErr = fmt.Errorf("validating credentials with STS GetCallerIdentity: %w", err)
			return
		}
		c.identity = Identity{AccountID: aws.ToString(out.Account), ARN: aws.ToString(out.Arn), UserID: aws.ToString(out.UserId)}
	})
	return c.identity, c.identityErr
}

// Region is the region the configuration resolved to.
func (c *Client) Region(ctx context.Context) (string, error) {
	cfg, err := c.Config(ctx)
	if err != nil {
		return "", err
	}
	return cfg.Region, nil
}
