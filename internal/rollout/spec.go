package rollout

import (
	"fmt"
	"net/url"
	"regexp"
	"time"
)

// Defaults of a canary policy: what a policy that sets nothing else gets.
const (
	DefaultInterval          = time.Minute
	DefaultHookTimeout       = 5 * time.Minute
	DefaultRollbackWindow    = 3
	DefaultPreexistingAlarms = "fail"
)

// Defaults is the policy before anything is configured: gates every
// DefaultInterval, hooks bounded by DefaultHookTimeout, the last
// DefaultRollbackWindow promotions known-good, a blocking apply, data
// waited for (InsufficientHold) and pre-existing alarms failing the
// rollout. The deadline derives from the steps (DefaultDeadline).
func Defaults() Policy {
	return Policy{Interval: DefaultInterval, HookTimeout: DefaultHookTimeout, RollbackWindow: DefaultRollbackWindow, Wait: true,
		Health: Health{OnInsufficientData: InsufficientHold, PreexistingAlarms: DefaultPreexistingAlarms}}
}

// SpecStep is one step of a Spec, as written.
type SpecStep struct {
	WeightPercent float64
	Hold          string
}

// Spec is a normalised canary policy as written: rollout_canary_policy's
// spec, which rollout_alias.canary_policy takes (or the same object
// written inline). Durations are Go duration strings; empty strings and
// nil pointers are unset and take the Defaults.
type Spec struct {
	Schedule           string // informational: Describe(steps)
	Steps              []SpecStep
	Interval           string
	MaxErrorRate       *float64
	MaxP99DurationMS   *float64
	MinInvocations     *int64
	OnInsufficientData string
	Alarms             []string
	PreexistingAlarms  string
	PreTrafficHook     string
	PostTrafficHook    string
	HookTimeout        string
	RollbackWindow     *int64
	Wait               *bool
	Deadline           string
	NotifyWebhookURL   string
	NotifySNSTopicARN  string
}

// Policy applies the Defaults to the spec and checks the schedule and the
// deadline against each other. An error names the spec's attribute
// ("interval: ...", "steps[1].hold: ...", "deadline = ...").
func (s Spec) Policy() (*Policy, error) {
	p := Defaults()
	dur := func(v string, def time.Duration) (time.Duration, error) {
		if v == "" {
			return def, nil
		}
		return time.ParseDuration(v)
	}
	var err error
	if p.Interval, err = dur(s.Interval, p.Interval); err != nil {
		return nil, fmt.Errorf("interval: %w", err)
	}
	if p.HookTimeout, err = dur(s.HookTimeout, p.HookTimeout); err != nil {
		return nil, fmt.Errorf("hook_timeout: %w", err)
	}
	for i, st := range s.Steps {
		hold, err := time.ParseDuration(st.Hold)
		if err != nil {
			return nil, fmt.Errorf("steps[%d].hold: %w", i, err)
		}
		p.Steps = append(p.Steps, Step{WeightPercent: st.WeightPercent, Hold: hold})
	}
	if err := ValidateSteps(p.Steps, p.Interval); err != nil {
		return nil, err
	}
	p.Health.MaxErrorRate, p.Health.MaxP99DurationMS = s.MaxErrorRate, s.MaxP99DurationMS
	if s.MinInvocations != nil {
		p.Health.MinInvocations = int(*s.MinInvocations)
	}
	if s.OnInsufficientData != "" {
		p.Health.OnInsufficientData = s.OnInsufficientData
	}
	if s.PreexistingAlarms != "" {
		p.Health.PreexistingAlarms = s.PreexistingAlarms
	}
	p.Health.Alarms = s.Alarms
	p.PreTrafficHook, p.PostTrafficHook = s.PreTrafficHook, s.PostTrafficHook
	if s.RollbackWindow != nil {
		p.RollbackWindow = int(*s.RollbackWindow)
	}
	if s.Wait != nil {
		p.Wait = *s.Wait
	}
	if err := p.SetDeadline(s.Deadline); err != nil {
		return nil, err
	}
	p.Notify = Notify{WebhookURL: s.NotifyWebhookURL, SNSTopicARN: s.NotifySNSTopicARN}
	if attr, problem, example := NotifyProblem(p.Notify); attr != "" {
		return nil, fmt.Errorf("notify_%s: %s; for example %s", attr, problem, "notify_"+example)
	}
	return &p, nil
}

// SetDeadline sets the policy's deadline: d (a Go duration), checked
// against the schedule, or, when d is empty, DefaultDeadline. An error
// reads `deadline = "5m": <problem>; for example deadline = "10m"`.
func (p *Policy) SetDeadline(d string) error {
	deadline, problem, example := ParseDeadline(d, p.Steps, p.Interval)
	if problem != "" {
		return fmt.Errorf("deadline = %q: %s; for example %s", d, problem, example)
	}
	p.Deadline = deadline
	return nil
}

// DeadlineNotDuration is the problem of a deadline that is no Go duration.
const DeadlineNotDuration = `it must be a Go duration such as "30m" or "1h30m"`

// ParseDeadline reads a deadline for the schedule: d (a Go duration)
// checked against it, or DefaultDeadline when d is empty. problem says
// what is wrong with d ("" when nothing is); example is a valid setting
// (`deadline = "10m"`, the default).
func ParseDeadline(d string, steps []Step, interval time.Duration) (deadline time.Duration, problem, example string) {
	def := DefaultDeadline(steps, interval)
	example = fmt.Sprintf("deadline = %q", ShortDuration(def))
	if d == "" {
		return def, "", example
	}
	v, err := time.ParseDuration(d)
	if err != nil {
		return def, DeadlineNotDuration, example
	}
	if problem := DeadlineProblem(v, steps, interval); problem != "" {
		return def, problem, example
	}
	return v, "", example
}

// Spec renders a policy as its normalised spec: every default explicit,
// the schedule in words.
func (p Policy) Spec() Spec {
	steps := make([]SpecStep, 0, len(p.Steps))
	for _, s := range p.Steps {
		steps = append(steps, SpecStep{WeightPercent: s.WeightPercent, Hold: s.Hold.String()})
	}
	minInv, window, wait := int64(p.Health.MinInvocations), int64(p.RollbackWindow), p.Wait
	return Spec{Schedule: Describe(p.Steps), Steps: steps, Interval: p.Interval.String(),
		MaxErrorRate: p.Health.MaxErrorRate, MaxP99DurationMS: p.Health.MaxP99DurationMS, MinInvocations: &minInv,
		OnInsufficientData: p.Health.OnInsufficientData, Alarms: append([]string(nil), p.Health.Alarms...), PreexistingAlarms: p.Health.PreexistingAlarms,
		PreTrafficHook: p.PreTrafficHook, PostTrafficHook: p.PostTrafficHook, HookTimeout: p.HookTimeout.String(),
		RollbackWindow: &window, Wait: &wait, Deadline: p.Deadline.String(),
		NotifyWebhookURL: p.Notify.WebhookURL, NotifySNSTopicARN: p.Notify.SNSTopicARN}
}

// snsTopicARN is what an SNS topic ARN looks like: partition, region,
// account, and a topic name of 1 to 256 letters, digits, - or _ (.fifo
// allowed at the end).
var snsTopicARN = regexp.MustCompile(`^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,251}(\.fifo)?$`)

// NotifyProblem says what is wrong with a notification target: the
// attribute (webhook_url or sns_topic_arn), the problem and a valid
// example; "" attr when nothing is.
func NotifyProblem(n Notify) (attr, problem, example string) {
	if n.WebhookURL != "" {
		u, err := url.Parse(n.WebhookURL)
		switch {
		case err != nil || !u.IsAbs() || u.Host == "":
			return "webhook_url", "it must be an absolute URL", `webhook_url = "https://hooks.slack.com/services/T000/B000/XXXX"`
		case u.Scheme != "https" && u.Scheme != "http":
			return "webhook_url", fmt.Sprintf("its scheme must be https (or http for a local receiver), not %q", u.Scheme),
				`webhook_url = "https://hooks.slack.com/services/T000/B000/XXXX"`
		case u.User != nil:
			return "webhook_url", "it must not carry a user name or password", `webhook_url = "https://hooks.slack.com/services/T000/B000/XXXX"`
		}
	}
	if n.SNSTopicARN != "" && !snsTopicARN.MatchString(n.SNSTopicARN) {
		return "sns_topic_arn", "it must be an SNS topic ARN (arn:aws:sns:<region>:<12-digit account>:<topic>)",
			`sns_topic_arn = "arn:aws:sns:us-east-1:123456789012:deploys"`
	}
	return "", "", ""
}
