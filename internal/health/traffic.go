package health

import (
	"context"
	"math"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/rollout-tf/terraform-provider-rollout/internal/rollout"
)

var _ rollout.Traffic = (*Traffic)(nil)

// Traffic moves an alias's traffic between From (A) and To (B), each
// UpdateAlias conditional on the RevisionId the previous one returned.
type Traffic struct {
	Lambda         *lambda.Client
	Function, Name string // function name and alias name
	From, To       string
	Revision       string // the alias's RevisionId; updated by every move
	// BeforeShift, when set, runs before each move of traffic towards To
	// (SetCanary, Promote), never before a RollBack; its error stops the
	// move.
	BeforeShift func(ctx context.Context) error
}

func (t *Traffic) update(ctx context.Context, primary, extra string, weight float64) error {
	rc := &lambdatypes.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{}}
	if extra != "" {
		rc.AdditionalVersionWeights[extra] = weight
	}
	out, err := t.Lambda.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String(t.Function), Name: aws.String(t.Name),
		FunctionVersion: aws.String(primary), RoutingConfig: rc, RevisionId: aws.String(t.Revision)})
	if err != nil {
		return err
	}
	t.Revision = aws.ToString(out.RevisionId)
	tflog.Info(ctx, "canary traffic moved", map[string]any{"tf_rollout.alias": t.Name, "tf_rollout.primary": primary, "tf_rollout.extra": extra, "tf_rollout.weight": weight})
	return nil
}

// SetCanary sends w percent of the traffic to B, the rest to A.
func (t *Traffic) SetCanary(ctx context.Context, w float64) error {
	if t.BeforeShift != nil {
		if err := t.BeforeShift(ctx); err != nil {
			return err
		}
	}
	return t.update(ctx, t.From, t.To, math.Round(w*1000)/100000)
}

// RollBack sends all traffic to A in one UpdateAlias.
func (t *Traffic) RollBack(ctx context.Context) error { return t.update(ctx, t.From, "", 0) }

// Promote sends all traffic to B.
func (t *Traffic) Promote(ctx context.Context) error {
	if t.BeforeShift != nil {
		if err := t.BeforeShift(ctx); err != nil {
			return err
		}
	}
	return t.update(ctx, t.To, "", 0)
}
