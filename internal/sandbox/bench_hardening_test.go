package sandbox_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

// procStatusMB reads a VmRSS / VmHWM line of /proc/<pid>/status in MiB.
func procStatusMB(b *testing.B, pid int, field string) float64 {
	b.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Skipf("no /proc to measure memory: %v", err)
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	b.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// patternReader yields size bytes of a repeating pattern without holding
// them.
type patternReader struct{ left int64 }

func (p *patternReader) Read(b []byte) (int, error) {
	if p.left == 0 {
		return 0, io.EOF
	}
	if int64(len(b)) > p.left {
		b = b[:p.left]
	}
	for i := range b {
		b[i] = byte(i * 7)
	}
	p.left -= int64(len(b))
	return len(b), nil
}

// BenchmarkLargeObjectMemory PUTs then GETs one object of
// ROLLOUT_BENCH_OBJECT_MB MiB (default 1024) through a sandbox in its own
// process, streaming both ways, and reports that process's resident memory
// at idle and at its peak (VmHWM), against the object's size.
func BenchmarkLargeObjectMemory(b *testing.B) {
	sizeMB := int64(1024)
	if v, err := strconv.ParseInt(os.Getenv("ROLLOUT_BENCH_OBJECT_MB"), 10, 64); err == nil && v > 0 {
		sizeMB = v
	}
	size := sizeMB << 20
	var idle, peak, putS, getS float64
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		cmd, base := startSandboxProcess(b, dir)
		sc := s3At(base)
		if _, err := sc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("big")}); err != nil {
			b.Fatal(err)
		}
		idle = procStatusMB(b, cmd.Process.Pid, "VmRSS")

		start := time.Now()
		resp := s3Do(b, http.MethodPut, base+"/big/object.bin", &patternReader{left: size}, size)
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("PUT %d MiB: status %d", sizeMB, resp.StatusCode)
		}
		putS = time.Since(start).Seconds()

		start = time.Now()
		resp = s3Do(b, http.MethodGet, base+"/big/object.bin", nil, 0)
		n, _ := io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if n != size {
			b.Fatalf("GET returned %d bytes, want %d", n, size)
		}
		getS = time.Since(start).Seconds()
		peak = procStatusMB(b, cmd.Process.Pid, "VmHWM")
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	b.ReportMetric(float64(sizeMB), "object-MiB")
	b.ReportMetric(idle, "idle-rss-MiB")
	b.ReportMetric(peak, "peak-rss-MiB")
	b.ReportMetric(peak-idle, "peak-above-idle-MiB")
	b.ReportMetric((peak-idle)/float64(sizeMB), "above-idle/object-size")
	b.ReportMetric(float64(sizeMB)/putS, "put-MiB/s")
	b.ReportMetric(float64(sizeMB)/getS, "get-MiB/s")
}

// s3Do sends an S3 request with a streamed body (n bytes, unsigned
// payload) as a large upload does, past the SDK, which would buffer it.
func s3Do(b *testing.B, method, url string, body io.Reader, n int64) *http.Response {
	b.Helper()
	req, _ := http.NewRequest(method, url, body)
	req.ContentLength = n
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00")
	req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	return resp
}

// BenchmarkMultipartUploadMemory: the same object size uploaded as a
// multipart upload of 64 MiB parts (as aws s3 cp and SDK upload managers
// send large files), then read back, through a sandbox in its own process;
// resident memory at idle and at its peak.
func BenchmarkMultipartUploadMemory(b *testing.B) {
	sizeMB := int64(1024)
	if v, err := strconv.ParseInt(os.Getenv("ROLLOUT_BENCH_OBJECT_MB"), 10, 64); err == nil && v > 0 {
		sizeMB = v
	}
	const partMB = 64
	size := sizeMB << 20
	var idle, peak, putS float64
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		cmd, base := startSandboxProcess(b, dir)
		sc := s3At(base)
		if _, err := sc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("big")}); err != nil {
			b.Fatal(err)
		}
		idle = procStatusMB(b, cmd.Process.Pid, "VmRSS")
		start := time.Now()
		created, err := sc.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("big"), Key: aws.String("object.bin")})
		if err != nil {
			b.Fatal(err)
		}
		id := aws.ToString(created.UploadId)
		var done strings.Builder
		done.WriteString("<CompleteMultipartUpload>")
		for part, left := 1, size; left > 0; part++ {
			n := min(left, int64(partMB)<<20)
			resp := s3Do(b, http.MethodPut, fmt.Sprintf("%s/big/object.bin?partNumber=%d&uploadId=%s", base, part, id), &patternReader{left: n}, n)
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("UploadPart %d: status %d", part, resp.StatusCode)
			}
			fmt.Fprintf(&done, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", part, resp.Header.Get("ETag"))
			left -= n
		}
		done.WriteString("</CompleteMultipartUpload>")
		resp := s3Do(b, http.MethodPost, base+"/big/object.bin?uploadId="+id, strings.NewReader(done.String()), int64(done.Len()))
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("CompleteMultipartUpload: status %d", resp.StatusCode)
		}
		putS = time.Since(start).Seconds()
		resp = s3Do(b, http.MethodGet, base+"/big/object.bin", nil, 0)
		n, _ := io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if n != size {
			b.Fatalf("GET returned %d bytes, want %d", n, size)
		}
		peak = procStatusMB(b, cmd.Process.Pid, "VmHWM")
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	b.ReportMetric(float64(sizeMB), "object-MiB")
	b.ReportMetric(idle, "idle-rss-MiB")
	b.ReportMetric(peak, "peak-rss-MiB")
	b.ReportMetric(peak-idle, "peak-above-idle-MiB")
	b.ReportMetric(float64(sizeMB)/putS, "multipart-put-MiB/s")
}

// BenchmarkLambdaLatencyStalledConns measures GetFunction's p99 on an idle
// sandbox and again while 100 connections hold a TagResource whose body
// never finishes, side by side.
func BenchmarkLambdaLatencyStalledConns(b *testing.B) {
	// The stalled bodies must outlast the run: a long body timeout.
	inst := sandboxtest.Start(b, sandbox.Options{BodyReadTimeout: 10 * time.Minute})
	c := lambdaClient(inst, 1)
	fn, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("steady"), Role: aws.String(testRole),
		Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), Code: &types.FunctionCode{ZipFile: zipOf(b, "x")}})
	if err != nil {
		b.Fatal(err)
	}
	const calls = 400
	measure := func() []time.Duration {
		out := make([]time.Duration, 0, calls)
		for range calls {
			start := time.Now()
			if _, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("steady")}); err != nil {
				b.Fatal(err)
			}
			out = append(out, time.Since(start))
		}
		return out
	}
	p99 := func(d []time.Duration) float64 {
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return float64(d[len(d)*99/100]) / float64(time.Millisecond)
	}
	measure() // warm up: connections, code paths
	var idle, stalled []time.Duration
	for i := 0; i < b.N; i++ {
		idle = append(idle, measure()...)
	}
	// Exactly 100 stalled connections, held for the whole second half.
	for range 100 {
		stallRequest(b, inst.URL, http.MethodPost, "/2017-03-31/tags/"+url.PathEscape(aws.ToString(fn.FunctionArn)))
	}
	for i := 0; i < b.N; i++ {
		stalled = append(stalled, measure()...)
	}
	b.ReportMetric(p99(idle), "idle-p99-ms")
	b.ReportMetric(p99(stalled), "stalled100-p99-ms")
	b.ReportMetric(p99(stalled)/p99(idle), "p99-ratio")
}

// BenchmarkListObjectVersions10k pages through 10,000 object versions
// (1,000 per page) side by side with ListObjectsV2 over 10,000 keys.
func BenchmarkListObjectVersions10k(b *testing.B) {
	inst := sandboxtest.Start(b, sandbox.Options{})
	c := s3Client(inst)
	for _, bucket := range []string{"versions", "keys"} {
		if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String("versions"),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < 10000; i += 8 {
				_, _ = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("versions"), Key: aws.String(fmt.Sprintf("k%02d", i%40)), Body: bytes.NewReader([]byte("v"))})
				_, _ = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("keys"), Key: aws.String(fmt.Sprintf("k%05d", i)), Body: bytes.NewReader([]byte("v"))})
			}
		}()
	}
	wg.Wait()
	var versionsT, keysT time.Duration
	var pages int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		in := &s3.ListObjectVersionsInput{Bucket: aws.String("versions")}
		n := 0
		for pages = 1; ; pages++ {
			out, err := c.ListObjectVersions(ctx, in)
			if err != nil {
				b.Fatal(err)
			}
			n += len(out.Versions)
			if !aws.ToBool(out.IsTruncated) {
				break
			}
			in.KeyMarker, in.VersionIdMarker = out.NextKeyMarker, out.NextVersionIdMarker
		}
		if n != 10000 {
			b.Fatalf("listed %d versions, want 10000", n)
		}
		versionsT += time.Since(start)
		start = time.Now()
		p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String("keys")})
		n = 0
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				b.Fatal(err)
			}
			n += len(out.Contents)
		}
		if n != 10000 {
			b.Fatalf("listed %d keys, want 10000", n)
		}
		keysT += time.Since(start)
	}
	b.ReportMetric(float64(pages), "pages")
	b.ReportMetric(versionsT.Seconds()*1000/float64(b.N), "versions-10k-ms")
	b.ReportMetric(keysT.Seconds()*1000/float64(b.N), "keys-10k-ms")
	b.ReportMetric(versionsT.Seconds()/keysT.Seconds(), "versions/keys")
}
