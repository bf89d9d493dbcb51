package sandbox_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

// wrappingZip is a small zip whose entries declare sizes that add up, as
// uint64, to almost nothing while one of them really inflates to 300 MB.
func wrappingZip(t testing.TB) []byte {
	t.Helper()
	const actual = 300 << 20
	var deflated bytes.Buffer
	fw, _ := flate.NewWriter(&deflated, flate.BestCompression)
	zeros := make([]byte, 1<<20)
	crc := crc32.NewIEEE()
	for range actual >> 20 {
		_, _ = fw.Write(zeros)
		_, _ = crc.Write(zeros)
	}
	_ = fw.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("bootstrap")
	_, _ = w.Write([]byte("#!/bin/sh\n"))
	for i, body := range [][]byte{deflated.Bytes(), nil} {
		h := &zip.FileHeader{Name: fmt.Sprintf("pad%d", i), Method: zip.Deflate, UncompressedSize64: 1 << 63, CompressedSize64: uint64(len(body))}
		if body != nil {
			h.CRC32 = crc.Sum32()
		}
		rw, err := zw.CreateRaw(h)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = rw.Write(body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestZipLimitsCountActualBytes: the 250 MB unzipped cap counts what
// inflating writes, not what the entries declare (issue 14, case 5).
func TestZipLimitsCountActualBytes(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{})
	z := wrappingZip(t)
	_, err := lambdaClient(inst, 1).CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("bomb"), Role: aws.String(testRole), Runtime: types.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Code: &types.FunctionCode{ZipFile: z},
	})
	if err == nil {
		t.Fatalf("CreateFunction with a %d-byte zip inflating to 300 MB succeeded", len(z))
	}
	code, msg := apiError(t, err)
	if code != "InvalidParameterValueException" || !strings.Contains(msg, "Unzipped size must be smaller than 262144000 bytes") {
		t.Errorf("error = %s: %s", code, msg)
	}
}

// TestFaultsAnswerInTheServiceProtocol: an injected CloudWatch fault is
// answered in the protocol the client spoke (issue 14, case 7).
func TestFaultsAnswerInTheServiceProtocol(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		kind     sandbox.FaultKind
		status   int
		code     string // the error code the SDK reads
		jsonType string // __type of the JSON protocol
		xmlCode  string // <Code> of the query protocol
	}{
		"error":    {kind: sandbox.FaultError, status: 500, code: "InternalServiceError", jsonType: "com.amazonaws.cloudwatch#InternalServiceFault", xmlCode: "<Code>InternalServiceError</Code>"},
		"throttle": {kind: sandbox.FaultThrottle, status: 400, code: "Throttling", jsonType: "com.amazonaws.cloudwatch#Throttling", xmlCode: "<Code>Throttling</Code>"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			inst := sandboxtest.Start(t, sandbox.Options{Faults: []sandbox.Fault{{Service: "cloudwatch", Kind: tc.kind, Rate: 1}}})
			// Smithy RPCv2 CBOR: aws-sdk-go-v2.
			cw := cwClient(inst)
			_, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
			var ae smithy.APIError
			var re *smithyhttp.ResponseError
			if !errors.As(err, &ae) || ae.ErrorCode() != tc.code || !errors.As(err, &re) || re.HTTPStatusCode() != tc.status {
				t.Errorf("CBOR: error = %v, want %d %s", err, tc.status, tc.code)
			}
			// AWS JSON 1.0: botocore.
			status, body, hdr := rawPost(t, inst.URL, "application/x-amz-json-1.0", "GraniteServiceVersion20100801.DescribeAlarms", "{}")
			if status != tc.status || !strings.Contains(body, tc.jsonType) || !strings.HasPrefix(hdr, tc.code+";") {
				t.Errorf("JSON: answer = %d %s (X-Amzn-Query-Error %q), want %d %s", status, body, hdr, tc.status, tc.jsonType)
			}
			// awsQuery: the Debian AWS CLI.
			status, body, _ = rawPost(t, inst.URL, "application/x-www-form-urlencoded; charset=utf-8", "", "Action=DescribeAlarms&Version=2010-08-01")
			if status != tc.status || !strings.Contains(body, "<ErrorResponse") || !strings.Contains(body, tc.xmlCode) {
				t.Errorf("query: answer = %d %s, want %d %s", status, body, tc.status, tc.xmlCode)
			}
		})
	}
}

// rawPost sends a signed-looking POST to / and returns status, body and
// X-Amzn-Query-Error.
func rawPost(t *testing.T, base, contentType, target, body string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
		req.Header.Set("x-amzn-query-mode", "true")
	}
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=00")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header.Get("X-Amzn-Query-Error")
}

// TestOversizedAndHostileBodies: oversized bodies get 413 in the service's
// error shape; error texts neither echo megabytes of input nor name Go
// types (issue 14, case 7).
func TestOversizedAndHostileBodies(t *testing.T) {
	t.Parallel()
	inst := sandboxtest.Start(t, sandbox.Options{})
	big := fmt.Sprintf(`{"Namespace":"App","MetricData":[{"MetricName":"%s","Value":1}]}`, strings.Repeat("x", 3<<20))
	status, body, hdr := rawPost(t, inst.URL, "application/x-amz-json-1.0", "GraniteServiceVersion20100801.PutMetricData", big)
	if status != http.StatusRequestEntityTooLarge || !strings.Contains(body, "RequestEntityTooLarge") || !strings.HasPrefix(hdr, "RequestEntityTooLarge;") {
		t.Errorf("3 MB PutMetricData = %d %s (%q), want 413 RequestEntityTooLarge", status, clipped(body), hdr)
	}

	c := lambdaClient(inst, 1)
	_, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(strings.Repeat("f", 1<<20)), Role: aws.String(testRole), Runtime: types.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Code: &types.FunctionCode{ZipFile: zipOf(t, "x")},
	})
	if code, msg := apiError(t, err); code != "ValidationException" || len(msg) > 4096 {
		t.Errorf("1 MB function name: %s with a %d-byte message %q, want a ValidationException under 4 KB", code, len(msg), clipped(msg))
	}

	fn := createFunction(t, c, "tagged", zipOf(t, "x"))
	req, _ := http.NewRequest(http.MethodPost, inst.URL+"/2017-03-31/tags/"+aws.ToString(fn.FunctionArn),
		strings.NewReader(`{"Tags":{"a":1}}`))
	req.Header.Set("Authorization", fakeSigV4)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	for _, goism := range []string{"Go struct", "Go value", "map[string]", "json: cannot"} {
		if strings.Contains(string(b), goism) {
			t.Errorf("TagResource with a number tag: %d %s names Go types (%q)", resp.StatusCode, b, goism)
		}
	}
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("TagResource with a number tag = %d %s, want 400", resp.StatusCode, b)
	}
	status, body, _ = rawPost(t, inst.URL, "application/x-amz-json-1.0", "GraniteServiceVersion20100801.PutMetricData", `{"Namespace":["x"`)
	if status != http.StatusBadRequest || strings.Contains(body, "Go ") {
		t.Errorf("truncated JSON = %d %s, want a 400 without Go names", status, body)
	}
}

func clipped(s string) string {
	if len(s) > 300 {
		return s[:300] + "..."
	}
	return s
}
