// Package notify delivers a rollout's events to people: a webhook (the
// JSON body Slack and similar incoming webhooks accept as is) and an SNS
// topic. Delivery is asynchronous and retried with backoff: Observe only
// queues, so a notification never delays or blocks a step or a rollback;
// what could not be delivered is reported as warnings when the rollout's
// apply ends.
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/rollout-tf/terraform-provider-rollout/internal/rollout"
)

var _ rollout.Observer = (*Notifier)(nil)

// Publisher is the part of the SNS API notifications use; *sns.Client
// implements it.
type Publisher interface {
	Publish(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// Options configure a Notifier.
type Options struct {
	WebhookURL  string
	SNSTopicARN string
	SNS         Publisher    // required with SNSTopicARN
	HTTP        *http.Client // nil: a client with AttemptTimeout
	// Backoff are the waits before each retry (default 1s, 2s, 4s: four
	// attempts in all).
	Backoff []time.Duration
	// AttemptTimeout bounds one delivery attempt (default 5s).
	AttemptTimeout time.Duration
	// Sleep waits between attempts (default: a timer that honours ctx).
	Sleep func(ctx context.Context, d time.Duration) error
}

// Payload is what a webhook receives and an SNS message carries: Slack's
// top-level "text", and the event's fields for machines.
type Payload struct {
	Text          string   `json:"text"`
	Event         string   `json:"event"`
	Function      string   `json:"function"`
	Alias         string   `json:"alias"`
	FromVersion   string   `json:"from_version"`
	ToVersion     string   `json:"to_version"`
	Step          int      `json:"step"`
	Steps         int      `json:"steps"`
	WeightPercent float64  `json:"weight_percent"`
	Gate          string   `json:"gate,omitempty"`
	Value         *float64 `json:"value,omitempty"`
	Threshold     *float64 `json:"threshold,omitempty"`
	Reason        string   `json:"reason,omitempty"`
	At            string   `json:"at"`
	// A group's release (rollout_alias_group): function, alias and the
	// versions are empty; members lists every changed member, and member
	// names the one whose gates decided.
	Group   string          `json:"group,omitempty"`
	Member  string          `json:"member,omitempty"`
	Members []PayloadMember `json:"members,omitempty"`
}

// PayloadMember is one changed member of a group's release.
type PayloadMember struct {
	Key         string `json:"key"`
	Function    string `json:"function"`
	Alias       string `json:"alias"`
	FromVersion string `json:"from_version"`
	ToVersion   string `json:"to_version"`
}

// PayloadOf is an event's notification.
func PayloadOf(e rollout.Event) Payload {
	p := Payload{Event: string(e.Kind), Function: e.Function, Alias: e.Alias, FromVersion: e.From, ToVersion: e.To, Step: e.Step, Steps: len(e.Steps),
		WeightPercent: e.WeightPercent, Gate: e.Gate, Value: e.Value, Threshold: e.Threshold, Reason: e.Reason, At: e.At.UTC().Format(time.RFC3339)}
	if e.Group != "" {
		p.Group, p.Member = e.Group, e.Member
		p.Text = groupText(e)
	} else {
		p.Text = aliasText(e)
	}
	if e.Member != "" {
		p.Text += "; member " + e.Member
	}
	if e.Gate != "" {
		p.Text += "; gate " + e.Gate
		if e.Value != nil && e.Threshold != nil {
			p.Text += fmt.Sprintf(" measured %.4g, threshold %.4g", *e.Value, *e.Threshold)
		}
	}
	if e.Reason != "" {
		p.Text += ": " + e.Reason
	}
	for _, m := range e.Members {
		p.Members = append(p.Members, PayloadMember{Key: m.Key, Function: m.Function, Alias: m.Alias, FromVersion: m.From, ToVersion: m.To})
	}
	return p
}

// groupText is the headline of a group's event.
func groupText(e rollout.Event) string {
	var moves []string
	for _, m := range e.Members {
		moves = append(moves, fmt.Sprintf("%s (%s:%s %s -> %s)", m.Key, m.Function, m.Alias, m.From, m.To))
	}
	where := fmt.Sprintf("group %s [%s]", e.Group, strings.Join(moves, ", "))
	switch e.Kind {
	case rollout.EventStarted:
		return fmt.Sprintf("Release of %s started: %g%% on each changed member's new version", where, e.WeightPercent)
	case rollout.EventStepAdvanced:
		return fmt.Sprintf("Release of %s advanced to step %d of %d: %g%% on each changed member's new version", where, e.Step, len(e.Steps), e.WeightPercent)
	case rollout.EventHeld:
		return fmt.Sprintf("Release of %s is held at step %d (%g%% on each new version)", where, e.Step, e.WeightPercent)
	case rollout.EventOverridden:
		return fmt.Sprintf("Release of %s overridden by an operator at step %d", where, e.Step)
	case rollout.EventDeadlineReached:
		return fmt.Sprintf("Release of %s reached its deadline at step %d without being promoted", where, e.Step)
	case rollout.EventRolledBack:
		return fmt.Sprintf("Release of %s ROLLED BACK at step %d (%g%% on each new version): every changed member is back on its previous version", where, e.Step, e.WeightPercent)
	case rollout.EventPromoted:
		return fmt.Sprintf("Release of %s promoted: every changed member's new version serves all its traffic", where)
	case rollout.EventAborted:
		return fmt.Sprintf("Release of %s aborted at step %d: every changed member is back on its previous version", where, e.Step)
	}
	return fmt.Sprintf("Release of %s: %s", where, e.Kind)
}

// aliasText is the headline of one alias's event.
func aliasText(e rollout.Event) string {
	where := fmt.Sprintf("%s:%s", e.Function, e.Alias)
	move := fmt.Sprintf("version %s -> %s", e.From, e.To)
	var text string
	switch e.Kind {
	case rollout.EventStarted:
		text = fmt.Sprintf("Rollout started on %s: %s, %g%% on the new version", where, move, e.WeightPercent)
	case rollout.EventStepAdvanced:
		text = fmt.Sprintf("Rollout on %s advanced to step %d of %d: %g%% on version %s", where, e.Step, len(e.Steps), e.WeightPercent, e.To)
	case rollout.EventHeld:
		text = fmt.Sprintf("Rollout on %s is held at step %d (%g%% on version %s)", where, e.Step, e.WeightPercent, e.To)
	case rollout.EventOverridden:
		text = fmt.Sprintf("Rollout on %s overridden by an operator at step %d", where, e.Step)
	case rollout.EventDeadlineReached:
		text = fmt.Sprintf("Rollout on %s reached its deadline at step %d without being promoted", where, e.Step)
	case rollout.EventRolledBack:
		text = fmt.Sprintf("Rollout on %s ROLLED BACK at step %d (%g%% on version %s): all traffic is back on version %s", where, e.Step, e.WeightPercent, e.To, e.From)
	case rollout.EventPromoted:
		text = fmt.Sprintf("Rollout on %s promoted: version %s serves all traffic", where, e.To)
	case rollout.EventAborted:
		text = fmt.Sprintf("Rollout on %s aborted at step %d: all traffic is back on version %s", where, e.Step, e.From)
	default:
		text = fmt.Sprintf("Rollout on %s: %s", where, e.Kind)
	}
	return text
}

// Notifier delivers events in order, each target (the webhook, the topic)
// on its own goroutine, so a target that is down delays only itself.
type Notifier struct {
	opts     Options
	targets  []*target
	mu       sync.Mutex
	failures []string
	closed   bool
	ctx      context.Context
	cancel   context.CancelFunc
}

// target is one destination with its queue.
type target struct {
	name    string
	deliver func(ctx context.Context, p Payload, body []byte) (retryable bool, err error)
	queue   chan Payload
	done    chan struct{}
}

// queueSize bounds the events waiting for delivery to one target; a
// rollout emits a few per step, so more means the target is stuck and the
// rest is dropped (and reported).
const queueSize = 256

// New starts a Notifier; nil when there is nowhere to deliver.
func New(ctx context.Context, opts Options) *Notifier {
	if opts.WebhookURL == "" && opts.SNSTopicARN == "" {
		return nil
	}
	if opts.Backoff == nil {
		opts.Backoff = []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}
	}
	if opts.AttemptTimeout == 0 {
		opts.AttemptTimeout = 5 * time.Second
	}
	if opts.HTTP == nil {
		opts.HTTP = &http.Client{Timeout: opts.AttemptTimeout}
	}
	if opts.Sleep == nil {
		opts.Sleep = rollout.SystemClock{}.Sleep
	}
	n := &Notifier{opts: opts}
	n.ctx, n.cancel = context.WithCancel(context.WithoutCancel(ctx))
	if opts.WebhookURL != "" {
		n.targets = append(n.targets, &target{name: "the webhook", deliver: func(ctx context.Context, _ Payload, body []byte) (bool, error) { return n.postWebhook(ctx, body) }})
	}
	if opts.SNSTopicARN != "" {
		n.targets = append(n.targets, &target{name: "SNS topic " + opts.SNSTopicARN, deliver: func(ctx context.Context, p Payload, body []byte) (bool, error) {
			return true, n.publish(ctx, p, body)
		}})
	}
	for _, t := range n.targets {
		t.queue, t.done = make(chan Payload, queueSize), make(chan struct{})
		go n.run(t)
	}
	return n
}

// Observe queues the event for every target and returns at once.
func (n *Notifier) Observe(_ context.Context, e rollout.Event) {
	if n == nil {
		return
	}
	p := PayloadOf(e)
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return
	}
	for _, t := range n.targets {
		select {
		case t.queue <- p:
		default:
			n.failures = append(n.failures, fmt.Sprintf("the %s notification to %s was dropped: %d earlier ones are still waiting for delivery", p.Event, t.name, queueSize))
		}
	}
}

func (n *Notifier) fail(msg string) {
	n.mu.Lock()
	n.failures = append(n.failures, msg)
	n.mu.Unlock()
}

func (n *Notifier) run(t *target) {
	defer close(t.done)
	for p := range t.queue {
		body, _ := json.Marshal(p)
		if err := n.retry(func(ctx context.Context) (bool, error) { return t.deliver(ctx, p, body) }); err != nil {
			n.fail(fmt.Sprintf("the %s notification to %s was not delivered: %v", p.Event, t.name, err))
		}
	}
}

// retry runs attempt until it succeeds, says the failure is final, the
// backoff runs out, or the notifier is closed.
func (n *Notifier) retry(attempt func(ctx context.Context) (retryable bool, err error)) error {
	var err error
	for i := 0; ; i++ {
		if n.ctx.Err() != nil {
			return fmt.Errorf("abandoned when the apply ended")
		}
		actx, cancel := context.WithTimeout(n.ctx, n.opts.AttemptTimeout)
		var retryable bool
		retryable, err = attempt(actx)
		cancel()
		if err == nil {
			return nil
		}
		if !retryable || i >= len(n.opts.Backoff) {
			return fmt.Errorf("%w (after %d attempts)", err, i+1)
		}
		if serr := n.opts.Sleep(n.ctx, n.opts.Backoff[i]); serr != nil {
			return fmt.Errorf("%w (gave up after %d attempts: the apply ended)", err, i+1)
		}
	}
}

func (n *Notifier) postWebhook(ctx context.Context, body []byte) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.opts.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := n.opts.HTTP.Do(req)
	if err != nil {
		return true, err
	}
	defer func() { _ = resp.Body.Close() }()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return false, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return true, fmt.Errorf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(msg)))
	}
	return false, fmt.Errorf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(msg)))
}

func (n *Notifier) publish(ctx context.Context, p Payload, body []byte) error {
	if n.opts.SNS == nil {
		return fmt.Errorf("no SNS client")
	}
	subject := p.Text
	if len(subject) > 99 {
		subject = subject[:96] + "..."
	}
	subject = strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return ' '
		}
		return r
	}, subject)
	_, err := n.opts.SNS.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(n.opts.SNSTopicARN), Message: aws.String(string(body)), Subject: aws.String(subject)})
	return err
}

// Close delivers what is queued, waiting at most wait, and returns the
// deliveries that failed (warnings for the apply). What is still queued
// after wait is abandoned and reported.
func (n *Notifier) Close(wait time.Duration) []string {
	if n == nil {
		return nil
	}
	n.mu.Lock()
	if !n.closed {
		n.closed = true
		for _, t := range n.targets {
			close(t.queue)
		}
	}
	n.mu.Unlock()
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for _, t := range n.targets {
		select {
		case <-t.done:
		case <-timer.C:
			n.cancel()
			<-t.done
			n.fail(fmt.Sprintf("notifications to %s still undelivered %s after the rollout ended were abandoned", t.name, wait))
		}
	}
	n.cancel()
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.failures...)
}
