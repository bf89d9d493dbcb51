package health

import (
	"context"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rollout"
)

var _ rollout.Observer = (*ProgressTag)(nil)

// Tagger is the part of the Lambda API the progress tag writes with.
type Tagger interface {
	TagResource(context.Context, *lambda.TagResourceInput, ...func(*lambda.Options)) (*lambda.TagResourceOutput, error)
	ListTags(context.Context, *lambda.ListTagsInput, ...func(*lambda.Options)) (*lambda.ListTagsOutput, error)
	UntagResource(context.Context, *lambda.UntagResourceInput, ...func(*lambda.Options)) (*lambda.UntagResourceOutput, error)
}

// ProgressTag keeps the function's rollout:progress:<alias> tag on the
// last event of the alias's rollout, so that `rolloutctl status` sees a
// rollout that only the running apply knows. Writes happen on their own
// goroutine, latest event wins: Observe never waits for AWS, so the tag
// never delays a step or a rollback.
type ProgressTag struct {
	lambda   Tagger
	arn      string
	key      string
	mu       sync.Mutex
	pending  *lambdaops.Progress
	closing  bool
	wake     chan struct{}
	done     chan struct{}
	failures int
}

// NewProgressTag starts the writer of alias's progress tag on the function
// with ARN arn; Close stops it.
func NewProgressTag(ctx context.Context, c Tagger, arn, alias string) *ProgressTag {
	p := &ProgressTag{lambda: c, arn: arn, key: lambdaops.ProgressTagPrefix + alias, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go p.run(context.WithoutCancel(ctx))
	return p
}

// ProgressOf is the progress record an event leaves.
func ProgressOf(e rollout.Event) lambdaops.Progress {
	status := rollout.StatusInProgress
	switch e.Kind {
	case rollout.EventRolledBack:
		status = rollout.StatusRolledBack
	case rollout.EventPromoted:
		status = rollout.StatusPromoted
	case rollout.EventAborted:
		status = rollout.StatusAborted
	}
	steps := make([]lambdaops.ProgressStep, 0, len(e.Steps))
	for _, s := range e.Steps {
		steps = append(steps, lambdaops.ProgressStep{WeightPercent: s.WeightPercent, Hold: s.Hold})
	}
	started := e.Started
	if started.IsZero() {
		started = e.At
	}
	stepStarted := e.StepStarted
	if stepStarted.IsZero() {
		stepStarted = started
	}
	return lambdaops.Progress{Status: status, Event: string(e.Kind), From: e.From, To: e.To, Step: e.Step, WeightPercent: e.WeightPercent,
		Started: started, StepStarted: stepStarted, At: e.At, Interval: e.Interval, Deadline: e.Deadline, Steps: steps,
		MaxErrorRate: e.MaxErrorRate, MaxP99MS: e.MaxP99MS, MinInvocations: e.MinInvocations, Gate: e.Gate, Value: e.Value, Threshold: e.Threshold}
}

// Observe queues the event's record and returns at once.
func (p *ProgressTag) Observe(_ context.Context, e rollout.Event) {
	rec := ProgressOf(e)
	p.mu.Lock()
	p.pending = &rec
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *ProgressTag) run(ctx context.Context) {
	defer close(p.done)
	for range p.wake {
		p.mu.Lock()
		rec, closing := p.pending, p.closing
		p.pending = nil
		p.mu.Unlock()
		if rec != nil {
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err := p.write(wctx, rec.TagValue())
			cancel()
			if err != nil {
				p.failures++
				tflog.Warn(ctx, "writing the rollout progress tag failed", map[string]any{"tf_rollout.tag": p.key, "error": err.Error()})
			}
		}
		if closing {
			p.mu.Lock()
			more := p.pending != nil
			p.mu.Unlock()
			if !more {
				return
			}
		}
	}
}

// write sets the tag within AWS's 50 tags per function: it makes room as
// lambdaops.MakeRoom says (other progress tags, then release labels; never
// a rollback record, so a progress tag cannot cost the memory that keeps a
// rolled-back release from relaunching) and is not written without room.
func (p *ProgressTag) write(ctx context.Context, value string) error {
	add := map[string]string{p.key: value}
	tags, err := p.lambda.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(p.arn)})
	if err != nil {
		return err
	}
	drop, err := lambdaops.MakeRoom(tags.Tags, add)
	if err != nil {
		return err
	}
	if len(drop) > 0 {
		if _, err := p.lambda.UntagResource(ctx, &lambda.UntagResourceInput{Resource: aws.String(p.arn), TagKeys: drop}); err != nil {
			return err
		}
	}
	_, err = p.lambda.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(p.arn), Tags: add})
	return err
}

// Close writes what is queued, waiting at most wait, and stops the writer.
func (p *ProgressTag) Close(wait time.Duration) {
	p.mu.Lock()
	p.closing = true
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-p.done:
	case <-t.C:
	}
}
