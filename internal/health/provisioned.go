package health

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/rollout-tf/terraform-provider-rollout/internal/rollout"
)

// provisionedPoll is the first pause between two reads of a provisioned
// concurrency configuration; it doubles up to provisionedPollMax.
const (
	provisionedPoll    = 250 * time.Millisecond
	provisionedPollMax = 5 * time.Second
)

// ProvisionedReady waits until the provisioned concurrency of an alias is
// READY, so that the versions behind it take their share of traffic warm.
// It returns an error when the configuration FAILED, when it is not READY
// by until, or when ctx ends; the clock's Sleep does the waiting.
func ProvisionedReady(ctx context.Context, c *lambda.Client, clock rollout.Clock, function, alias string, until time.Time) error {
	pause := provisionedPoll
	for {
		out, err := c.GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: aws.String(function), Qualifier: aws.String(alias)})
		if err != nil {
			var missing *lambdatypes.ProvisionedConcurrencyConfigNotFoundException
			if errors.As(err, &missing) {
				return fmt.Errorf("alias %s of %s has no provisioned concurrency configuration any more: %w", alias, function, err)
			}
			return fmt.Errorf("reading the provisioned concurrency of %s:%s: %w", function, alias, err)
		}
		switch out.Status {
		case lambdatypes.ProvisionedConcurrencyStatusEnumReady:
			return nil
		case lambdatypes.ProvisionedConcurrencyStatusEnumFailed:
			return fmt.Errorf("provisioned concurrency of %s:%s FAILED: %s", function, alias, aws.ToString(out.StatusReason))
		}
		now := clock.Now()
		if !now.Before(until) {
			return fmt.Errorf("provisioned concurrency of %s:%s was still %s at %s, the limit of the wait (the canary's deadline)", function, alias, out.Status, until.UTC().Format(time.RFC3339))
		}
		tflog.Debug(ctx, "waiting for provisioned concurrency", map[string]any{"tf_rollout.alias": alias, "tf_rollout.status": string(out.Status)})
		if err := clock.Sleep(ctx, min(pause, until.Sub(now))); err != nil {
			return err
		}
		pause = min(2*pause, provisionedPollMax)
	}
}
