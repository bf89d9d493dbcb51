package sandbox_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

const testRole = "arn:aws:iam::123456789012:role/lambda-exec"

// awsConfig is a real SDK configuration pointed at the sandbox; attempts
// is the retryer's MaxAttempts (1: no retries, so tests see raw answers).
func awsConfig(attempts int) aws.Config {
	return aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDSANDBOXTEST", "secret", ""),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = attempts
				o.MaxBackoff = 5 * time.Millisecond
			})
		},
	}
}

// lambdaAt is a Lambda client against url (the sandbox or a peer).
func lambdaAt(url string, attempts int) *lambda.Client {
	return lambda.NewFromConfig(awsConfig(attempts), func(o *lambda.Options) { o.BaseEndpoint = aws.String(url) })
}

// s3At is a path-style S3 client against url, without retries.
func s3At(url string) *s3.Client {
	return s3.NewFromConfig(awsConfig(1), func(o *s3.Options) { o.BaseEndpoint, o.UsePathStyle = aws.String(url), true })
}

// cloudWatchAt is a CloudWatch client against url, without retries.
func cloudWatchAt(url string) *cloudwatch.Client {
	return cloudwatch.NewFromConfig(awsConfig(1), func(o *cloudwatch.Options) { o.BaseEndpoint = aws.String(url) })
}

func lambdaClient(inst *sandboxtest.Instance, attempts int) *lambda.Client {
	return lambdaAt(inst.URL, attempts)
}

func s3Client(inst *sandboxtest.Instance) *s3.Client { return s3At(inst.URL) }

// zipOf builds a deployment package with one file.
func zipOf(t testing.TB, content string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("bootstrap")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// apiError returns the code and message of an AWS error, failing the test
// when err is not one.
func apiError(t *testing.T, err error) (string, string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want an AWS API error, got %v", err)
	}
	return ae.ErrorCode(), ae.ErrorMessage()
}

// fakeClock is a settable clock for state-machine tests.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

var ctx = context.Background()
