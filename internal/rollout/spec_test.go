package rollout

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSpecPolicy(t *testing.T) {
	t.Parallel()
	f, n, no := 0.05, int64(7), false
	withDeadline := func(p Policy) *Policy {
		p.Deadline = DefaultDeadline(p.Steps, p.Interval)
		return &p
	}
	tests := map[string]struct {
		spec    Spec
		want    *Policy
		wantErr string
	}{
		"the defaults": {
			spec: Spec{Steps: []SpecStep{{WeightPercent: 10, Hold: "5m"}}},
			want: withDeadline(Policy{Steps: []Step{{10, 5 * time.Minute}}, Interval: time.Minute, HookTimeout: 5 * time.Minute, RollbackWindow: 3, Wait: true,
				Health: Health{OnInsufficientData: InsufficientHold, PreexistingAlarms: "fail"}}),
		},
		"everything set": {
			spec: Spec{Steps: []SpecStep{{WeightPercent: 20, Hold: "30s"}}, Interval: "10s", MaxErrorRate: &f, MinInvocations: &n,
				OnInsufficientData: InsufficientRollback, PreexistingAlarms: "ignore", Alarms: []string{"a"}, PreTrafficHook: "pre", HookTimeout: "1m",
				RollbackWindow: &n, Wait: &no, Deadline: "2m"},
			want: &Policy{Steps: []Step{{20, 30 * time.Second}}, Interval: 10 * time.Second, HookTimeout: time.Minute, RollbackWindow: 7, Wait: false,
				PreTrafficHook: "pre", Deadline: 2 * time.Minute,
				Health: Health{MaxErrorRate: &f, MinInvocations: 7, OnInsufficientData: InsufficientRollback, PreexistingAlarms: "ignore", Alarms: []string{"a"}}},
		},
		"bad hold":       {spec: Spec{Steps: []SpecStep{{WeightPercent: 10, Hold: "5 minutes"}}}, wantErr: `steps[0].hold: time: unknown unit " minutes" in duration "5 minutes"`},
		"short deadline": {spec: Spec{Steps: []SpecStep{{WeightPercent: 10, Hold: "5m"}}, Deadline: "5m"}, wantErr: `deadline = "5m": it must be at least the schedule's total hold plus one interval per step (5m0s + 1 × 1m0s = 6m0s), so that a healthy rollout can finish; for example deadline = "10m"`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.spec.Policy()
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if diff := cmp.Diff(tc.wantErr, gotErr); diff != "" {
				t.Fatalf("error (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("policy (-want +got):\n%s", diff)
			}
			if got == nil {
				return
			}
			// The normalised spec reads back as the same policy.
			again, err := got.Spec().Policy()
			if err != nil {
				t.Fatalf("spec of the policy: %v", err)
			}
			if diff := cmp.Diff(got, again); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNotifyProblem(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		n        Notify
		wantAttr string
	}{
		"none":             {},
		"slack":            {n: Notify{WebhookURL: "https://hooks.slack.com/services/T0/B0/X"}},
		"local receiver":   {n: Notify{WebhookURL: "http://127.0.0.1:8080/hook"}},
		"topic":            {n: Notify{SNSTopicARN: "arn:aws:sns:eu-west-1:123456789012:deploys"}},
		"fifo topic":       {n: Notify{SNSTopicARN: "arn:aws:sns:eu-west-1:123456789012:deploys.fifo"}},
		"relative":         {n: Notify{WebhookURL: "/hook"}, wantAttr: "webhook_url"},
		"file scheme":      {n: Notify{WebhookURL: "file:///etc/passwd"}, wantAttr: "webhook_url"},
		"credentials":      {n: Notify{WebhookURL: "https://u:p@example.com/"}, wantAttr: "webhook_url"},
		"queue not topic":  {n: Notify{SNSTopicARN: "arn:aws:sqs:eu-west-1:123456789012:q"}, wantAttr: "sns_topic_arn"},
		"short account":    {n: Notify{SNSTopicARN: "arn:aws:sns:eu-west-1:1234:deploys"}, wantAttr: "sns_topic_arn"},
		"spec inline form": {n: Notify{WebhookURL: "mailto:x@example.com"}, wantAttr: "webhook_url"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			attr, problem, example := NotifyProblem(tc.n)
			if attr != tc.wantAttr || (attr != "") != (problem != "" && example != "") {
				t.Errorf("NotifyProblem(%+v) = %q, %q, %q; want attribute %q", tc.n, attr, problem, example, tc.wantAttr)
			}
		})
	}
	if _, err := (Spec{Steps: []SpecStep{{WeightPercent: 10, Hold: "1m"}}, NotifyWebhookURL: "hook"}).Policy(); err == nil ||
		err.Error() != `notify_webhook_url: it must be an absolute URL; for example notify_webhook_url = "https://hooks.slack.com/services/T000/B000/XXXX"` {
		t.Errorf("an inline policy with a bad webhook: %v", err)
	}
}
