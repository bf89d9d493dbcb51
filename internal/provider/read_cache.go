package provider

// The reads of one walk. Terraform configures the provider once per walk
// (the plan of a command, then its apply), and a walk calls ModifyPlan and
// then Create or Update of the same resource moments apart, after the
// reads of the resources it depends on: without a memory each of them
// reads the same version again (issue 22). readCache lives in the
// providerData of one configuration, so nothing in it outlives the walk.
//
// Two kinds of entries, with different rules:
//   - A published version's configuration is immutable on AWS (only its
//     deletion can happen, which AWS reports when traffic is routed to it),
//     so a version read once in a walk is used for every check of that walk.
//   - The unqualified function ($LATEST, tags with the rollback memory) is
//     not: a remembered read is used only where it is advisory or guarded,
//     by planning-time checks that the apply repeats with a fresh read, and
//     as the first attempt of a write sent with its RevisionId (AWS refuses
//     the write with 412 when $LATEST changed since, and the write is
//     retried after a fresh read). Checks that decide at apply time read
//     fresh (functionFresh) and leave their read for those uses.

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
)

// readCache holds the reads of one walk; the zero value is ready to use.
type readCache struct {
	mu        sync.Mutex
	versions  map[string]lambdatypes.FunctionConfiguration // function + "\x00" + version
	functions map[string]*lambda.GetFunctionOutput
}

func versionKey(function, version string) string { return function + "\x00" + version }

// version returns the configuration of a published version, read once per
// walk. A failed read is not remembered.
func (rc *readCache) version(ctx context.Context, c *lambda.Client, function, version string) (lambdatypes.FunctionConfiguration, error) {
	rc.mu.Lock()
	cfg, ok := rc.versions[versionKey(function, version)]
	rc.mu.Unlock()
	if ok {
		return cfg, nil
	}
	out, err := lambdaops.FindVersion(ctx, c, function, version)
	if err != nil {
		return lambdatypes.FunctionConfiguration{}, err
	}
	cfg = versionConfig(out)
	rc.storeVersion(function, cfg)
	return cfg, nil
}

// storeVersion remembers a published version's configuration (as read, or
// as PublishVersion answered); $LATEST is never remembered here.
func (rc *readCache) storeVersion(function string, cfg lambdatypes.FunctionConfiguration) {
	v := ""
	if cfg.Version != nil {
		v = *cfg.Version
	}
	if v == "" || v == "$LATEST" {
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.versions == nil {
		rc.versions = map[string]lambdatypes.FunctionConfiguration{}
	}
	rc.versions[versionKey(function, v)] = cfg
}

// forgetVersion drops a version this walk deleted.
func (rc *readCache) forgetVersion(function, version string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	delete(rc.versions, versionKey(function, version))
}

// functionFresh reads the unqualified function and remembers the read.
func (rc *readCache) functionFresh(ctx context.Context, c *lambda.Client, function string) (*lambda.GetFunctionOutput, error) {
	out, err := lambdaops.FindFunction(ctx, c, function)
	if err != nil {
		return nil, err
	}
	rc.storeFunction(function, out)
	return out, nil
}

// functionSeen returns the unqualified function as last read in this walk,
// or reads it: only for planning-time checks that the apply repeats fresh,
// and for the first attempt of a write guarded by the RevisionId it
// carries (see the file comment).
func (rc *readCache) functionSeen(ctx context.Context, c *lambda.Client, function string) (*lambda.GetFunctionOutput, error) {
	rc.mu.Lock()
	out, ok := rc.functions[function]
	rc.mu.Unlock()
	if ok {
		return out, nil
	}
	return rc.functionFresh(ctx, c, function)
}

// storeFunction remembers a read of the unqualified function, without
// the SDK's response metadata: that holds the raw HTTP response, and
// through its request the whole context of the RPC that read it, which
// would stay live as long as the walk's cache (issue 22: the live heap,
// and so the GC's work per cycle, grew with the resources of the walk).
func (rc *readCache) storeFunction(function string, out *lambda.GetFunctionOutput) {
	kept := *out
	kept.ResultMetadata = middleware.Metadata{}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.functions == nil {
		rc.functions = map[string]*lambda.GetFunctionOutput{}
	}
	rc.functions[function] = &kept
}

// reads is the walk's cache; a provider that was not configured (unit
// tests of plan logic) gets a fresh one each time, which reads through.
func (d *providerData) reads() *readCache {
	if d == nil || d.cache == nil {
		return &readCache{}
	}
	return d.cache
}
