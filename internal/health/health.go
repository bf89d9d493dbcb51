// Package health holds the AWS side of a canary rollout: the adapters the
// engine (internal/rollout) reads its gates through and moves traffic
// with. CloudWatch metric reads and alarm states (Sources), hook
// invocations (Hooks), UpdateAlias steps, rollback and promotion
// (Traffic), the scoped override tag (ScopedOverride, SetOverride,
// ClearOverride) and reads bounded by the policy's interval (Bound).
// It knows no Terraform types, so the provider and rolloutctl share it.
package health

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/rollout-tf/terraform-provider-rollout/internal/rollout"
)

// readsPerEvaluation is the most reads one evaluation of the gates makes
// (the override tag, the alarms, the metrics); each gets an equal share of
// the interval, so an evaluation never outlasts its interval.
const readsPerEvaluation = 3

// ReadAttempts is how many attempts one health read makes, whatever
// the provider's max_retries: a read that fails is an unreadable gate,
// counted by the engine, not a reason to wait minutes inside the SDK.
// Their backoffs together take at most half the time the read has
// (readRetryer), so a throttled attempt is retried within the read's
// share of the interval: at 30% throttling, one read in 400 fails.
const ReadAttempts = 5

// boundedSources bounds every read of a rollout's gates by the policy's
// interval. The engine rolls back at the third evaluation in a row that
// cannot read the health; evaluations are one interval apart, so all
// traffic is back on the stable version within three intervals of the
// first failed read (rollout.UnreadableAfter).
type boundedSources struct {
	src    rollout.Sources
	budget time.Duration
}

// Bound bounds every read of src by an equal share of interval.
func Bound(src rollout.Sources, interval time.Duration) rollout.Sources {
	return boundedSources{src: src, budget: interval / readsPerEvaluation}
}

func (b boundedSources) Canary(ctx context.Context, since time.Time) (rollout.Sample, error) {
	ctx, cancel := context.WithTimeout(ctx, b.budget)
	defer cancel()
	return b.src.Canary(ctx, since)
}

func (b boundedSources) AlarmStates(ctx context.Context, names []string) (map[string]string, error) {
	ctx, cancel := context.WithTimeout(ctx, b.budget)
	defer cancel()
	return b.src.AlarmStates(ctx, names)
}

func (b boundedSources) Override(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, b.budget)
	defer cancel()
	return b.src.Override(ctx)
}

// ReadOptions limits a CloudWatch health read to ReadAttempts attempts,
// with backoffs that fit in the time ctx leaves.
func ReadOptions(ctx context.Context) func(*cloudwatch.Options) {
	return func(o *cloudwatch.Options) { o.Retryer = readRetryer(ctx, o.Retryer) }
}

// LambdaReadOptions is ReadOptions for the Lambda reads of a health
// evaluation (the override tag).
func LambdaReadOptions(ctx context.Context) func(*lambda.Options) {
	return func(o *lambda.Options) { o.Retryer = readRetryer(ctx, o.Retryer) }
}

// readRetryer is r limited to ReadAttempts attempts whose backoffs
// together take at most half the time ctx leaves (the provider's client
// may wait up to 20 s between attempts, far more than a read's budget:
// its first backoff alone would end most throttled reads). ctx's
// deadline is on the wall clock (the SDK's timers run on it), so this one
// reading of time is not the injected clock.
func readRetryer(ctx context.Context, r aws.Retryer) aws.Retryer {
	r = retry.AddWithMaxAttempts(r, ReadAttempts)
	if dl, ok := ctx.Deadline(); ok {
		r = retry.AddWithMaxBackoffDelay(r, max(time.Until(dl)/(2*(ReadAttempts-1)), 5*time.Millisecond))
	}
	return r
}
