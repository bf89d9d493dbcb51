package provider

// tags: writing the configured tags while leaving the provider's
// operational rollout: tags alone, and hiding those from the state.

import (
	"context"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
)

func (r *functionResource) updateTags(ctx context.Context, c *lambda.Client, arn string, old, want map[string]string) error {
	var remove []string
	for k := range old {
		if _, ok := want[k]; !ok && !lambdaops.IsReservedTag(k) {
			remove = append(remove, k)
		}
	}
	sort.Strings(remove)
	if len(remove) > 0 {
		if _, err := c.UntagResource(ctx, &lambda.UntagResourceInput{Resource: aws.String(arn), TagKeys: remove}); err != nil {
			return err
		}
	}
	add := map[string]string{}
	for k, v := range want {
		if ov, ok := old[k]; !ok || ov != v {
			add[k] = v
		}
	}
	if len(add) > 0 {
		if _, err := c.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(arn), Tags: add}); err != nil {
			return err
		}
	}
	return nil
}

// withoutOperationalTags drops the provider's operational tags (keys
// starting with rollout:, such as the override an operator sets and the
// memory of rolled-back releases): they are not configuration, and
// Terraform must neither show them as drift nor remove them.
func withoutOperationalTags(tags map[string]string) map[string]string {
	out := make(map[string]string, len(tags))
	for k, v := range tags {
		if !lambdaops.IsReservedTag(k) {
			out[k] = v
		}
	}
	if len(out) == len(tags) {
		return tags
	}
	return out
}
