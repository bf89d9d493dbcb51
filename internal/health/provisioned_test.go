package health_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/rollout-tf/terraform-provider-rollout/internal/health"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

// fakeClock moves only when slept on; the sandbox reads the same time.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps int
	// onSleep, when set, is called after each sleep with their count.
	onSleep func(n int)
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.now, c.sleeps = c.now.Add(d), c.sleeps+1
	n, hook := c.sleeps, c.onSleep
	c.mu.Unlock()
	if hook != nil {
		hook(n)
	}
	return nil
}

// TestProvisionedReady: the wait returns once the sandbox says READY, gives
// up with the status at the limit, and ends with ctx.
func TestProvisionedReady(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	inst := sandboxtest.Start(t, sandbox.Options{Clock: clock.Now, ProvisionedDelay: time.Minute})
	c := lambda.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "s", "")},
		func(o *lambda.Options) { o.BaseEndpoint = aws.String(inst.URL) })
	ctx := context.Background()
	code := zipOf(t, "code")
	if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("warm"), Role: aws.String("arn:aws:iam::123456789012:role/r"),
		Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), Code: &lambdatypes.FunctionCode{ZipFile: code}, Publish: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("warm"), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	put := func() {
		if _, err := c.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{FunctionName: aws.String("warm"), Qualifier: aws.String("live"),
			ProvisionedConcurrentExecutions: aws.Int32(2)}); err != nil {
			t.Fatal(err)
		}
	}

	put()
	start := clock.Now()
	err := health.ProvisionedReady(ctx, c, clock, "warm", "live", start.Add(10*time.Minute))
	if err != nil || clock.Now().Sub(start) < time.Minute || clock.sleeps < 2 {
		t.Errorf("wait for READY: %v after %s and %d pauses; want nil after at least the 1m settle time", err, clock.Now().Sub(start), clock.sleeps)
	}
	t.Logf("READY after %s of fake time, %d reads paused between", clock.Now().Sub(start), clock.sleeps)

	put()
	start = clock.Now()
	err = health.ProvisionedReady(ctx, c, clock, "warm", "live", start.Add(30*time.Second))
	if err == nil || !strings.Contains(err.Error(), "was still IN_PROGRESS") || clock.Now().After(start.Add(30*time.Second)) {
		t.Errorf("wait past its limit: %v at %s; want an error naming IN_PROGRESS, not after the 30s limit", err, clock.Now().Sub(start))
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	put()
	if err := health.ProvisionedReady(cancelled, c, clock, "warm", "live", clock.Now().Add(time.Hour)); !errors.Is(err, context.Canceled) {
		t.Errorf("wait with an ended context = %v, want context.Canceled", err)
	}
}

// zipOf is a deployment package whose bootstrap holds content.
func zipOf(t *testing.T, content string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "bootstrap", Method: zip.Deflate})
	if err == nil {
		_, err = w.Write([]byte(content))
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
