package health

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rollout"
)

// An override steers exactly one rollout. `rolloutctl override` writes
// the scoped form ("promote alias=live from=1 to=2", SetOverride); the
// engine obeys it only for the rollout of that alias between those
// versions. An override found when a rollout starts was set before it
// began (or is left from an earlier one): it is ignored, cleared and
// reported as a warning. One that names another rollout of the same alias,
// or the bare form older tools wrote ("promote"), is ignored the same way;
// one that names another alias belongs to that alias's rollout and is left
// alone. When a rollout ends, the override that steered it is cleared, so
// it cannot steer the next.

// OverrideIgnored is the summary of the warning an ignored override gives.
const OverrideIgnored = "Override Ignored"

// ScopedOverride gives the engine only the override set for this rollout.
type ScopedOverride struct {
	rollout.Sources
	c               *lambda.Client
	arn             string
	alias, from, to string
	clear           bool // clear ignored overrides (an apply); a refresh only reports them
	mu              sync.Mutex
	warnings        []string
	warned          map[string]bool
}

// NewScopedOverride wraps src (which may be nil when only Start or Finish
// are used) for the rollout of alias from version from to version to of
// the function arn. clearIgnored: an apply clears an ignored override; a
// refresh only reports it.
func NewScopedOverride(src rollout.Sources, c *lambda.Client, arn, alias, from, to string, clearIgnored bool) *ScopedOverride {
	return &ScopedOverride{Sources: src, c: c, arn: arn, alias: alias, from: from, to: to, clear: clearIgnored, warned: map[string]bool{}}
}

// Override returns the action of an override set for this rollout.
func (s *ScopedOverride) Override(ctx context.Context) (string, error) {
	out, err := s.c.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(s.arn)}, LambdaReadOptions(ctx))
	if err != nil {
		return "", err
	}
	v, ok := out.Tags[lambdaops.OverrideTag]
	if !ok {
		return "", nil
	}
	o, scoped := lambdaops.ParseOverride(v)
	switch {
	case scoped && o.For(s.alias, s.from, s.to):
		switch o.Action {
		case "promote", "pause", "abort":
			return o.Action, nil
		}
		s.ignore(ctx, v, fmt.Sprintf("its action %q is not promote, pause or abort", o.Action))
	case scoped && o.Alias != s.alias:
		// Another alias's rollout: not ours to read or clear.
	case scoped:
		s.ignore(ctx, v, fmt.Sprintf("it names the rollout of %s from version %s to version %s, not this one (%s to %s)", o.Alias, orAny(o.From), o.To, s.from, s.to))
	default:
		s.ignore(ctx, v, "it does not name the rollout it was set for (older tools wrote the bare action)")
	}
	return "", nil
}

func orAny(v string) string {
	if v == "" {
		return "any"
	}
	return v
}

// ignore reports (once) and, in an apply, clears an override that is not
// for this rollout.
func (s *ScopedOverride) ignore(ctx context.Context, value, why string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.warned[value] {
		return
	}
	s.warned[value] = true
	action := "It was cleared."
	if s.clear {
		if err := s.untag(ctx, value); err != nil {
			action = "Clearing it failed (" + err.Error() + "); it stays ignored."
		}
	} else {
		action = "The next apply of this alias clears it."
	}
	s.warnings = append(s.warnings,
		fmt.Sprintf("The tag %s = %q on the function was ignored by the rollout of alias %s from version %s to version %s: %s. An override steers exactly one rollout. %s\n\n"+
			"To steer this rollout, run: rolloutctl override --function <name> --alias %s promote|pause|abort", lambdaops.OverrideTag, value, s.alias, s.from, s.to, why, action, s.alias))
}

// untag removes the override tag.
func (s *ScopedOverride) untag(ctx context.Context, value string) error {
	err := ClearOverride(context.WithoutCancel(ctx), s.c, s.arn)
	if err == nil {
		tflog.Info(ctx, "override cleared", map[string]any{"tf_rollout.value": value, "tf_rollout.alias": s.alias})
	}
	return err
}

// Start clears, before any traffic moves, an override that was set before
// the rollout began: it cannot have been meant for a rollout that did not
// exist yet. tags are the function's tags.
func (s *ScopedOverride) Start(ctx context.Context, tags map[string]string) {
	v, ok := tags[lambdaops.OverrideTag]
	if !ok {
		return
	}
	if o, scoped := lambdaops.ParseOverride(v); scoped && o.Alias != s.alias {
		return
	}
	s.ignore(ctx, v, "it was set before this rollout began (an override is read only while the rollout it names runs)")
}

// Finish clears the override that steered this rollout once it ended.
func (s *ScopedOverride) Finish(ctx context.Context) {
	out, err := s.c.ListTags(context.WithoutCancel(ctx), &lambda.ListTagsInput{Resource: aws.String(s.arn)})
	if err != nil {
		return
	}
	v, ok := out.Tags[lambdaops.OverrideTag]
	if !ok {
		return
	}
	if o, scoped := lambdaops.ParseOverride(v); scoped && o.Alias != s.alias {
		return
	}
	if err := s.untag(ctx, v); err != nil {
		tflog.Warn(ctx, "could not clear the override after the rollout", map[string]any{"tf_rollout.error": err.Error()})
	}
}

// Warnings returns the details of the OverrideIgnored warnings so far.
func (s *ScopedOverride) Warnings() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.warnings...)
}

// CurrentOverride is the override tag's value among a function's tags, or "".
func CurrentOverride(tags map[string]string) string { return tags[lambdaops.OverrideTag] }

// OverrideAPI is the part of the Lambda API that writes an override: a
// *lambda.Client, or a command's narrower client.
type OverrideAPI interface {
	GetAlias(context.Context, *lambda.GetAliasInput, ...func(*lambda.Options)) (*lambda.GetAliasOutput, error)
	TagResource(context.Context, *lambda.TagResourceInput, ...func(*lambda.Options)) (*lambda.TagResourceOutput, error)
	UntagResource(context.Context, *lambda.UntagResourceInput, ...func(*lambda.Options)) (*lambda.UntagResourceOutput, error)
}

// ClearOverride removes the override tag from the function arn.
func ClearOverride(ctx context.Context, c OverrideAPI, arn string) error {
	_, err := c.UntagResource(ctx, &lambda.UntagResourceInput{Resource: aws.String(arn), TagKeys: []string{lambdaops.OverrideTag}})
	return err
}

// NoRolloutError says an override was asked for while no rollout runs.
type NoRolloutError struct {
	Function, Alias, Version, Action string
}

func (e NoRolloutError) Error() string {
	return fmt.Sprintf("no rollout is running on %s:%s (all traffic is on version %s): an override steers exactly one running rollout, so there is nothing to %s",
		e.Function, e.Alias, e.Version, e.Action)
}

// SetOverride writes the scoped override for the rollout running on the
// alias (the version it moves from and the one it moves to, read from the
// alias's split) on the function arn, and returns what it wrote. With no
// split on the alias it writes nothing and returns a NoRolloutError.
func SetOverride(ctx context.Context, c OverrideAPI, arn, function, alias, action string) (lambdaops.Override, string, error) {
	a, err := c.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(function), Name: aws.String(alias)})
	if err != nil {
		return lambdaops.Override{}, "", err
	}
	to, _, split := lambdaops.Routing(a.RoutingConfig)
	if !split {
		return lambdaops.Override{}, "", NoRolloutError{Function: function, Alias: alias, Version: aws.ToString(a.FunctionVersion), Action: action}
	}
	o := lambdaops.Override{Action: action, Alias: alias, From: aws.ToString(a.FunctionVersion), To: to}
	value := lambdaops.FormatOverride(o)
	if _, err := c.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(arn), Tags: map[string]string{lambdaops.OverrideTag: value}}); err != nil {
		return lambdaops.Override{}, "", err
	}
	return o, value, nil
}
