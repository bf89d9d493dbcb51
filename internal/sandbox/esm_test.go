package sandbox_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

// Lambda event source mappings for SQS, read by aws-sdk-go-v2's Lambda
// client: the control plane's shapes, errors and states.

const queueARNPrefix = "arn:aws:sqs:us-east-1:123456789012:"

// waitMappingState polls GetEventSourceMapping until the mapping reports
// want (the transitions are acknowledged by its poller, in the background)
// and returns it; "" waits for the mapping to be gone.
func waitMappingState(t *testing.T, c *lambda.Client, id, want string) *lambda.GetEventSourceMappingOutput {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, err := c.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(id)})
		if want == "" && err != nil {
			if code, _ := apiError(t, err); code == "ResourceNotFoundException" {
				return nil
			}
		}
		if err != nil && want != "" {
			t.Fatalf("GetEventSourceMapping %s: %v", id, err)
		}
		if err == nil && aws.ToString(out.State) == want {
			return out
		}
		if time.Now().After(deadline) {
			state := "gone"
			if out != nil {
				state = aws.ToString(out.State)
			}
			t.Fatalf("mapping %s is %s after 20s, want %q", id, state, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// shellFunction creates fn (code that is never run) with version 1 and
// alias live.
func shellFunction(t *testing.T, c *lambda.Client, fn string) {
	t.Helper()
	if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(fn), Role: aws.String(testRole),
		Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), Code: &types.FunctionCode{ZipFile: zipOf(t, "#!/bin/sh\n")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(fn)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(fn), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
}

func TestEventSourceMappingLifecycle(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{})
	c := lambdaClient(inst, 1)
	q := sqsAt(inst.URL)
	sqsQueue(t, q, "orders", nil)
	sqsQueue(t, q, "audit", nil)
	shellFunction(t, c, "worker")
	fnARN := "arn:aws:lambda:us-east-1:123456789012:function:worker"

	created, err := c.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{
		EventSourceArn: aws.String(queueARNPrefix + "orders"), FunctionName: aws.String("worker:live")})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(created.UUID)
	got := map[string]any{"State": aws.ToString(created.State), "FunctionArn": aws.ToString(created.FunctionArn), "BatchSize": aws.ToInt32(created.BatchSize),
		"Window": aws.ToInt32(created.MaximumBatchingWindowInSeconds), "Reason": aws.ToString(created.StateTransitionReason),
		"Source": aws.ToString(created.EventSourceArn), "Arn": aws.ToString(created.EventSourceMappingArn)}
	want := map[string]any{"State": "Creating", "FunctionArn": fnARN + ":live", "BatchSize": int32(10), "Window": int32(0), "Reason": "USER_INITIATED",
		"Source": queueARNPrefix + "orders", "Arn": "arn:aws:lambda:us-east-1:123456789012:event-source-mapping:" + id}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("CreateEventSourceMapping (-want +got):\n%s", d)
	}
	if created.LastModified == nil || time.Since(*created.LastModified) > time.Minute {
		t.Errorf("LastModified = %v, want now", created.LastModified)
	}
	waitMappingState(t, c, id, "Enabled")

	// The same queue and function again: a conflict naming the mapping.
	_, err = c.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{
		EventSourceArn: aws.String(queueARNPrefix + "orders"), FunctionName: aws.String(fnARN + ":live")})
	if code, msg := apiError(t, err); code != "ResourceConflictException" || !strings.Contains(msg, id) {
		t.Errorf("duplicate mapping: %s %q", code, msg)
	}

	// A second mapping, created disabled, by unqualified name.
	second, err := c.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{
		EventSourceArn: aws.String(queueARNPrefix + "audit"), FunctionName: aws.String("worker"), Enabled: aws.Bool(false),
		BatchSize: aws.Int32(100), MaximumBatchingWindowInSeconds: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(second.State) != "Creating" || aws.ToString(second.FunctionArn) != fnARN {
		t.Errorf("disabled create = %s %s", aws.ToString(second.State), aws.ToString(second.FunctionArn))
	}
	waitMappingState(t, c, aws.ToString(second.UUID), "Disabled")

	// List: filters and paging.
	listed := func(in *lambda.ListEventSourceMappingsInput) []string {
		t.Helper()
		out, err := c.ListEventSourceMappings(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		ids := []string{}
		for _, m := range out.EventSourceMappings {
			ids = append(ids, aws.ToString(m.UUID))
		}
		if out.NextMarker != nil {
			ids = append(ids, "next")
		}
		return ids
	}
	for name, tc := range map[string]struct {
		in   *lambda.ListEventSourceMappingsInput
		want []string
	}{
		"all":            {&lambda.ListEventSourceMappingsInput{}, []string{id, aws.ToString(second.UUID)}},
		"by source":      {&lambda.ListEventSourceMappingsInput{EventSourceArn: aws.String(queueARNPrefix + "audit")}, []string{aws.ToString(second.UUID)}},
		"by function":    {&lambda.ListEventSourceMappingsInput{FunctionName: aws.String("worker")}, []string{id, aws.ToString(second.UUID)}},
		"by alias":       {&lambda.ListEventSourceMappingsInput{FunctionName: aws.String(fnARN + ":live")}, []string{id}},
		"first page":     {&lambda.ListEventSourceMappingsInput{MaxItems: aws.Int32(1)}, []string{id, "next"}},
		"second page":    {&lambda.ListEventSourceMappingsInput{MaxItems: aws.Int32(1), Marker: aws.String(id)}, []string{aws.ToString(second.UUID)}},
		"other function": {&lambda.ListEventSourceMappingsInput{FunctionName: aws.String("nobody")}, []string{}},
	} {
		if d := cmp.Diff(tc.want, listed(tc.in)); d != "" {
			t.Errorf("List %s (-want +got):\n%s", name, d)
		}
	}

	// Disable: Disabling at once, Disabled when the poller has stopped.
	upd, err := c.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: aws.String(id), Enabled: aws.Bool(false)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(upd.State) != "Disabling" {
		t.Errorf("Update Enabled=false answered %s, want Disabling", aws.ToString(upd.State))
	}
	waitMappingState(t, c, id, "Disabled")
	upd, err = c.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: aws.String(id), Enabled: aws.Bool(true), BatchSize: aws.Int32(5)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(upd.State) != "Enabling" || aws.ToInt32(upd.BatchSize) != 5 {
		t.Errorf("Update Enabled=true answered %s batch %d, want Enabling 5", aws.ToString(upd.State), aws.ToInt32(upd.BatchSize))
	}
	waitMappingState(t, c, id, "Enabled")
	upd, err = c.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: aws.String(id), FunctionName: aws.String("worker:1")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(upd.State) != "Updating" || aws.ToString(upd.FunctionArn) != fnARN+":1" {
		t.Errorf("Update FunctionName answered %s %s", aws.ToString(upd.State), aws.ToString(upd.FunctionArn))
	}
	waitMappingState(t, c, id, "Enabled")

	del, err := c.DeleteEventSourceMapping(ctx, &lambda.DeleteEventSourceMappingInput{UUID: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(del.State) != "Deleting" {
		t.Errorf("Delete answered %s, want Deleting", aws.ToString(del.State))
	}
	waitMappingState(t, c, id, "")
	_, err = c.DeleteEventSourceMapping(ctx, &lambda.DeleteEventSourceMappingInput{UUID: aws.String(id)})
	if code, msg := apiError(t, err); code != "ResourceNotFoundException" || msg != "The resource you requested does not exist." {
		t.Errorf("Delete of a deleted mapping: %s %q", code, msg)
	}
}

func TestEventSourceMappingErrors(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{})
	c := lambdaClient(inst, 1)
	sqsQueue(t, sqsAt(inst.URL), "orders", nil)
	shellFunction(t, c, "worker")
	orders := aws.String(queueARNPrefix + "orders")
	for name, tc := range map[string]struct {
		in       *lambda.CreateEventSourceMappingInput
		code     string
		contains string
	}{
		"batch size zero":    {&lambda.CreateEventSourceMappingInput{EventSourceArn: orders, FunctionName: aws.String("worker"), BatchSize: aws.Int32(0)}, "ValidationException", "Value '0' at 'batchSize'"},
		"batch size too big": {&lambda.CreateEventSourceMappingInput{EventSourceArn: orders, FunctionName: aws.String("worker"), BatchSize: aws.Int32(10001), MaximumBatchingWindowInSeconds: aws.Int32(1)}, "ValidationException", "less than or equal to 10000"},
		"batch over 10":      {&lambda.CreateEventSourceMappingInput{EventSourceArn: orders, FunctionName: aws.String("worker"), BatchSize: aws.Int32(11)}, "InvalidParameterValueException", "Maximum batch window in seconds must be greater than 0"},
		"window too long":    {&lambda.CreateEventSourceMappingInput{EventSourceArn: orders, FunctionName: aws.String("worker"), MaximumBatchingWindowInSeconds: aws.Int32(301)}, "ValidationException", "maximumBatchingWindowInSeconds"},
		"no such queue":      {&lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(queueARNPrefix + "nope"), FunctionName: aws.String("worker")}, "InvalidParameterValueException", "NonExistentQueue"},
		"not a queue":        {&lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String("arn:aws:kinesis:us-east-1:123456789012:stream/s"), FunctionName: aws.String("worker")}, "InvalidParameterValueException", "arn:aws:sqs:us-east-1:123456789012:orders"},
		"no such function":   {&lambda.CreateEventSourceMappingInput{EventSourceArn: orders, FunctionName: aws.String("nobody")}, "ResourceNotFoundException", "Function does not exist"},
		"no such alias":      {&lambda.CreateEventSourceMappingInput{EventSourceArn: orders, FunctionName: aws.String("worker:canary")}, "ResourceNotFoundException", "worker:canary"},
		"starting position":  {&lambda.CreateEventSourceMappingInput{EventSourceArn: orders, FunctionName: aws.String("worker"), StartingPosition: types.EventSourcePositionLatest}, "InvalidParameterValueException", "StartingPosition"},
		"bad response type":  {&lambda.CreateEventSourceMappingInput{EventSourceArn: orders, FunctionName: aws.String("worker"), FunctionResponseTypes: []types.FunctionResponseType{"Everything"}}, "ValidationException", "ReportBatchItemFailures"},
		"bad function name":  {&lambda.CreateEventSourceMappingInput{EventSourceArn: orders, FunctionName: aws.String("a b")}, "ValidationException", "functionName"},
	} {
		_, err := c.CreateEventSourceMapping(ctx, tc.in)
		if code, msg := apiError(t, err); code != tc.code || !strings.Contains(msg, tc.contains) {
			t.Errorf("%s: %s %q, want %s containing %q", name, code, msg, tc.code, tc.contains)
		}
	}
	_, err := c.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String("8a4a2c5e-0000-4000-8000-000000000000")})
	if code, _ := apiError(t, err); code != "ResourceNotFoundException" {
		t.Errorf("Get of an unknown UUID: %s", code)
	}
	_, err = c.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{Marker: aws.String("nope")})
	if code, _ := apiError(t, err); code != "InvalidParameterValueException" {
		t.Errorf("List with an unknown marker: %s", code)
	}
}

// TestEventSourceMappingJournal: the call journal names each mapping call's
// function, qualifier and the State answered, so a test can assert the
// order of a pause, the wait for Disabled and a traffic move.
func TestEventSourceMappingJournal(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{})
	c := lambdaClient(inst, 1)
	sqsQueue(t, sqsAt(inst.URL), "orders", nil)
	shellFunction(t, c, "worker")
	id := createMapping(t, c, &lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(queueARNPrefix + "orders"), FunctionName: aws.String("worker:live")})
	waitMappingState(t, c, id, "Enabled")
	if _, err := c.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: aws.String(id), Enabled: aws.Bool(false)}); err != nil {
		t.Fatal(err)
	}
	waitMappingState(t, c, id, "Disabled")
	var got []string
	for _, call := range inst.Journal.Calls() {
		if strings.Contains(call.Operation, "EventSourceMapping") {
			got = append(got, fmt.Sprintf("%s %s:%s %s", call.Operation, call.Function, call.Qualifier, call.Detail))
		}
	}
	// A poll may still see Creating or Disabling before the settled state,
	// and the polls repeat.
	got = slices.Compact(slices.DeleteFunc(got, func(s string) bool {
		return s == "GetEventSourceMapping worker:live Creating" || s == "GetEventSourceMapping worker:live Disabling"
	}))
	want := []string{"CreateEventSourceMapping worker:live Creating", "GetEventSourceMapping worker:live Enabled",
		"UpdateEventSourceMapping worker:live Disabling", "GetEventSourceMapping worker:live Disabled"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("journal (-want +got):\n%s", d)
	}
}
