package provider

// rollout_alias.provisioned_concurrent_executions: provisioned concurrency
// on the alias (AWS spreads it over the alias's versions by weight), and
// the canary's wait for it to be READY before each shift of traffic.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/rollout-tf/terraform-provider-rollout/internal/health"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rollout"
	"github.com/rollout-tf/terraform-provider-rollout/internal/validate"
)

// provisionedWaitDefault bounds the wait before a shift when the canary
// policy has no deadline.
const provisionedWaitDefault = 15 * time.Minute

var provisionedAttribute = schema.Int64Attribute{
	MarkdownDescription: "Provisioned concurrency of the alias (AWS's `PutProvisionedConcurrencyConfig` on the alias): this many environments " +
		"kept initialized, spread by AWS over the alias's versions by weight. During a canary (`canary_policy`), each shift of traffic " +
		"towards the new version first waits until the configuration is `READY`, so the new version takes its share warm; the wait is " +
		"bounded by the policy's `deadline` (15 minutes without one), and a configuration not READY by then rolls the canary back. " +
		"Not read back when unset here: a configuration made outside Terraform on an alias without this attribute is left alone.",
	Optional: true,
	Validators: []validator.Int64{validate.Int64(validate.Msg{Summary: "Invalid Provisioned Concurrency", Problem: "it must be at least 1",
		Example: "provisioned_concurrent_executions = 10"}, int64validator.AtLeast(1))},
}

// applyProvisioned brings the alias's provisioned concurrency from prior
// to planned (null: none); it reports false after adding an error.
func applyProvisioned(ctx context.Context, c *lambda.Client, fn, name string, prior, planned types.Int64, diags *diag.Diagnostics) bool {
	if prior.Equal(planned) || planned.IsUnknown() {
		return true
	}
	if planned.IsNull() {
		_, err := c.DeleteProvisionedConcurrencyConfig(ctx, &lambda.DeleteProvisionedConcurrencyConfigInput{FunctionName: aws.String(fn), Qualifier: aws.String(name)})
		var missing *lambdatypes.ProvisionedConcurrencyConfigNotFoundException
		if err != nil && !errors.As(err, &missing) {
			diags.AddError("Provisioned Concurrency Error", apiErrorDetail(fmt.Sprintf("DeleteProvisionedConcurrencyConfig %s:%s failed.", fn, name), "Apply again.", err))
			return false
		}
		return true
	}
	n := planned.ValueInt64()
	if _, err := c.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{FunctionName: aws.String(fn), Qualifier: aws.String(name),
		ProvisionedConcurrentExecutions: aws.Int32(int32(n))}); err != nil {
		diags.AddAttributeError(path.Root("provisioned_concurrent_executions"), "Provisioned Concurrency Error", apiErrorDetail(
			fmt.Sprintf("PutProvisionedConcurrencyConfig %s:%s with %d failed.", fn, name, n),
			"Check the account's concurrency quota (provisioned concurrency counts against it), then apply again.", err))
		return false
	}
	tflog.Info(ctx, "provisioned concurrency requested", map[string]any{"tf_rollout.alias": name, "tf_rollout.provisioned": n})
	return true
}

// readProvisioned reads the alias's provisioned concurrency when the state
// has one (null when AWS has none).
func readProvisioned(ctx context.Context, c *lambda.Client, fn, name string, prior types.Int64) (types.Int64, error) {
	if prior.IsNull() || prior.IsUnknown() {
		return prior, nil
	}
	out, err := c.GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: aws.String(fn), Qualifier: aws.String(name)})
	var missing *lambdatypes.ProvisionedConcurrencyConfigNotFoundException
	switch {
	case errors.As(err, &missing):
		return types.Int64Null(), nil
	case err != nil:
		return prior, err
	}
	return types.Int64Value(int64(aws.ToInt32(out.RequestedProvisionedConcurrentExecutions))), nil
}

// warmShifts makes each shift of traffic wait for the alias's provisioned
// concurrency to be READY, until the policy's deadline counted from
// started, when the alias has provisioned concurrency.
func (r *aliasResource) warmShifts(traffic *health.Traffic, c *lambda.Client, p rollout.Policy, provisioned types.Int64, started time.Time) {
	if provisioned.IsNull() || provisioned.IsUnknown() {
		return
	}
	limit := p.Deadline
	if limit <= 0 {
		limit = provisionedWaitDefault
	}
	clock, until := r.data.Clock(), started.Add(limit)
	traffic.BeforeShift = func(ctx context.Context) error {
		return health.ProvisionedReady(ctx, c, clock, traffic.Function, traffic.Name, until)
	}
}

// provisionedPlanNotice is the plan's word on a canary that will wait for
// provisioned concurrency before each shift; ok is false when none will.
func provisionedPlanNotice(fn, name string, provisioned types.Int64, canary, moving bool) (summary, detail string, ok bool) {
	if !canary || !moving || provisioned.IsNull() {
		return "", "", false
	}
	return "Canary Waits For Provisioned Concurrency",
		fmt.Sprintf("Alias %s of %s has provisioned_concurrent_executions = %s: before each shift of traffic to the new version the apply waits until "+
			"the alias's provisioned concurrency is READY (GetProvisionedConcurrencyConfig), so the new version takes its share warm. "+
			"The wait counts against the canary's deadline; a configuration not READY by then rolls the canary back.", name, fn, provisioned.String()), true
}
