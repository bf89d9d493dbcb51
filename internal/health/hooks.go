package health

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/rollout-tf/terraform-provider-rollout/internal/rollout"
)

var _ rollout.Hooks = (*Hooks)(nil)

// Hooks invokes hook functions with a documented payload (HookPayload).
type Hooks struct {
	Lambda                    *lambda.Client
	Function, Alias, From, To string
}

// HookPayload is the event a hook function receives.
type HookPayload struct {
	Phase      string `json:"phase"` // pre_traffic or post_traffic
	Deployment struct {
		Function    string `json:"function"`
		Alias       string `json:"alias"`
		FromVersion string `json:"from_version"`
		ToVersion   string `json:"to_version"`
	} `json:"deployment"`
}

// Run invokes hook for phase; a function error or an answer with
// "status": "Failed" is a failed hook.
func (h *Hooks) Run(ctx context.Context, hook, phase string) error {
	var p HookPayload
	p.Phase = phase
	p.Deployment.Function, p.Deployment.Alias, p.Deployment.FromVersion, p.Deployment.ToVersion = h.Function, h.Alias, h.From, h.To
	b, _ := json.Marshal(p)
	out, err := h.Lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(hook), Payload: b})
	if err != nil {
		return err
	}
	if out.FunctionError != nil {
		return fmt.Errorf("function error: %s", strings.TrimSpace(string(out.Payload)))
	}
	var res struct {
		Status string `json:"status"`
	}
	if json.Unmarshal(out.Payload, &res) == nil && strings.EqualFold(res.Status, "Failed") {
		return errors.New(`the hook answered "status": "Failed"`)
	}
	return nil
}
