package provider

import (
	"runtime"
	"testing"
	"weak"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// TestReadCacheKeepsNoResponse: the walk's cache keeps what it read, not
// the SDK's response metadata (the raw HTTP response, and through it the
// request's context): that would keep every read's RPC context live until
// the walk ends (issue 22).
func TestReadCacheKeepsNoResponse(t *testing.T) {
	t.Parallel()
	rc := &readCache{}
	type rawKey struct{}
	held := func() weak.Pointer[[4096]byte] {
		raw := new([4096]byte)
		out := &lambda.GetFunctionOutput{Configuration: &lambdatypes.FunctionConfiguration{FunctionName: aws.String("f"), RevisionId: aws.String("r1")}}
		out.ResultMetadata.Set(rawKey{}, raw)
		rc.storeFunction("f", out)
		return weak.Make(raw)
	}()
	runtime.GC()
	runtime.GC()
	got := rc.functions["f"]
	if got == nil || aws.ToString(got.Configuration.RevisionId) != "r1" {
		t.Fatalf("cached read = %+v, want the configuration stored", got)
	}
	if held.Value() != nil {
		t.Error("the cache keeps the read's response metadata (and with it the request and its context)")
	}
	runtime.KeepAlive(rc)
}
