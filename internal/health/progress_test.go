package health

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rollout"
)

// stuckTagger records the tags written; each write waits for release.
type stuckTagger struct {
	mu      sync.Mutex
	written []string
	release chan struct{}
}

func (s *stuckTagger) TagResource(ctx context.Context, in *lambda.TagResourceInput, _ ...func(*lambda.Options)) (*lambda.TagResourceOutput, error) {
	select {
	case <-s.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range in.Tags {
		p, _ := lambdaops.ParseProgress(v)
		s.written = append(s.written, k+" "+aws.ToString(in.Resource)+" "+p.Event)
	}
	return &lambda.TagResourceOutput{}, nil
}

func (s *stuckTagger) ListTags(context.Context, *lambda.ListTagsInput, ...func(*lambda.Options)) (*lambda.ListTagsOutput, error) {
	return &lambda.ListTagsOutput{Tags: map[string]string{}}, nil
}

func (s *stuckTagger) UntagResource(context.Context, *lambda.UntagResourceInput, ...func(*lambda.Options)) (*lambda.UntagResourceOutput, error) {
	return &lambda.UntagResourceOutput{}, nil
}

// TestProgressTagNeverBlocks: Observe returns at once even when AWS does
// not answer, the latest event wins, and Close writes it.
func TestProgressTagNeverBlocks(t *testing.T) {
	t.Parallel()
	tg := &stuckTagger{release: make(chan struct{})}
	p := NewProgressTag(context.Background(), tg, "arn:fn", "live")
	start := time.Now()
	for _, k := range []rollout.EventKind{rollout.EventStarted, rollout.EventStepAdvanced, rollout.EventRolledBack} {
		p.Observe(context.Background(), rollout.Event{Kind: k, From: "1", To: "2", Step: 1, At: time.Date(2026, 11, 26, 13, 0, 0, 0, time.UTC)})
	}
	// A blocking Observe would wait for ever (AWS answers only after the
	// check); the bound leaves room for a loaded machine.
	if took := time.Since(start); took > time.Second {
		t.Errorf("three Observe calls with AWS not answering took %s", took)
	}
	close(tg.release)
	p.Close(5 * time.Second)
	tg.mu.Lock()
	defer tg.mu.Unlock()
	// The first write may have taken the first event before the others
	// arrived; the last written is always the last event.
	if n := len(tg.written); n == 0 || tg.written[n-1] != "rollout:progress:live arn:fn rolled_back" {
		t.Errorf("written %v; want the last to be the rolled_back record", tg.written)
	}
	if len(tg.written) > 2 {
		t.Errorf("written %d times for 3 queued events: the latest should win", len(tg.written))
	}
}

// TestProgressTagCloseIsBounded: with AWS never answering, Close returns
// after the wait it was given.
func TestProgressTagCloseIsBounded(t *testing.T) {
	t.Parallel()
	tg := &stuckTagger{release: make(chan struct{})}
	defer close(tg.release)
	p := NewProgressTag(context.Background(), tg, "arn:fn", "live")
	p.Observe(context.Background(), rollout.Event{Kind: rollout.EventPromoted, At: time.Now()})
	start := time.Now()
	p.Close(100 * time.Millisecond)
	if took := time.Since(start); took < 100*time.Millisecond || took > time.Second {
		t.Errorf("Close(100ms) with AWS not answering took %s", took)
	}
}
