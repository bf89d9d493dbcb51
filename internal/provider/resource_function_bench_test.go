package provider

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/rollout-tf/terraform-provider-rollout/internal/awsclient"
	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

// BenchmarkFunctionRefresh reads (refreshes) a function with 1 retained
// version and one with 300, side by side, and reports the API calls per
// refresh of each and the time ratio: Read must cost the same whatever the
// history.
func BenchmarkFunctionRefresh(b *testing.B) {
	ctx := context.Background()
	inst := sandboxtest.Start(b, sandbox.Options{})
	client := awsclient.New(awsclient.Options{Region: "us-east-1", AccessKey: "AKIDBENCH", SecretKey: "s",
		Endpoints: map[awsclient.Service]string{awsclient.Lambda: inst.URL}, Getenv: func(string) string { return "" }})
	c, err := client.Lambda(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("bootstrap")
	_, _ = w.Write([]byte("bench"))
	_ = zw.Close()
	states := map[string]tfsdk.State{}
	r := &functionResource{data: &providerData{client: client}}
	var sresp resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &sresp)
	for name, n := range map[string]int{"one": 1, "many": 300} {
		if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(name), Role: aws.String("arn:aws:iam::123456789012:role/r"),
			Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), Code: &lambdatypes.FunctionCode{ZipFile: buf.Bytes()}}); err != nil {
			b.Fatal(err)
		}
		for i := 1; i <= n; i++ {
			if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(name), Description: aws.String(strconv.Itoa(i))}); err != nil {
				b.Fatal(err)
			}
			latest, err := lambdaops.FindFunction(ctx, c, name)
			if err != nil {
				b.Fatal(err)
			}
			// The digest rollout_function records: $LATEST equals the current version, as after an apply.
			digest := latestDigest(latest)
			if _, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(name),
				Description: aws.String(lambdaops.FormatDescription(strconv.Itoa(i), lambdaops.VersionMeta{Release: "v" + strconv.Itoa(i), Digest: digest}))}); err != nil {
				b.Fatal(err)
			}
		}
		versions, err := lambdaops.ListVersions(ctx, c, name)
		if err != nil {
			b.Fatal(err)
		}
		entries := make([]versionEntry, 0, len(versions))
		for i := len(versions) - 1; i >= 0; i-- {
			entries = append(entries, entryFromConfig(versions[i]))
		}
		m := functionModelV0{
			ID: types.StringValue(name), FunctionName: types.StringValue(name), Role: types.StringValue("arn:aws:iam::123456789012:role/r"),
			Runtime: types.StringValue("provided.al2023"), Handler: types.StringValue("bootstrap"), Architectures: listValue(ctx, []string{"x86_64"}),
			MemorySize: types.Int64Value(128), Timeout: types.Int64Value(3), Environment: types.MapNull(types.StringType), Layers: types.ListNull(types.StringType),
			Description: types.StringValue(strconv.Itoa(n)), Tags: types.MapNull(types.StringType), Filename: types.StringValue("fn.zip"),
			S3Bucket: types.StringNull(), S3Key: types.StringNull(), S3ObjectVersion: types.StringNull(), ImageURI: types.StringNull(), SourceCodeHash: types.StringNull(),
			Release: types.StringNull(), CompatibleDataSchemas: types.ObjectNull(dataSchemasAttrTypes), RetainVersions: types.Int64Value(0),
			ARN: types.StringValue("arn"), Version: types.StringValue(strconv.Itoa(n)), QualifiedARN: types.StringValue("arn"),
			CodeSha256: types.StringValue(entries[0].CodeSha256), Versions: entriesValue(entries), VersionDataSchemas: dataSchemasValue(nil, nil),
		}
		for _, sb := range settingBlocks { // unset settings: typed nulls
			sb.field(&m).set(sb.show(ctx, lambdaops.Settings{}))
		}
		st := tfsdk.State{Schema: sresp.Schema, Raw: tftypes.NewValue(sresp.Schema.Type().TerraformType(ctx), nil)}
		if diags := st.Set(ctx, &m); diags.HasError() {
			b.Fatal(diags)
		}
		states[name] = st
	}
	read := func(name string) (time.Duration, int) {
		mark := inst.Journal.Mark()
		start := time.Now()
		resp := resource.ReadResponse{State: states[name]}
		r.Read(ctx, resource.ReadRequest{State: states[name]}, &resp)
		d := time.Since(start)
		if resp.Diagnostics.HasError() {
			b.Fatal(resp.Diagnostics)
		}
		return d, len(inst.Journal.Since(mark))
	}
	var oneT, manyT time.Duration
	var oneCalls, manyCalls int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d, n := read("one")
		oneT, oneCalls = oneT+d, oneCalls+n
		d, n = read("many")
		manyT, manyCalls = manyT+d, manyCalls+n
	}
	b.StopTimer()
	b.ReportMetric(float64(oneCalls)/float64(b.N), "calls/refresh-1-version")
	b.ReportMetric(float64(manyCalls)/float64(b.N), "calls/refresh-300-versions")
	b.ReportMetric(float64(oneT.Microseconds())/float64(b.N)/1000, "ms/refresh-1-version")
	b.ReportMetric(float64(manyT.Microseconds())/float64(b.N)/1000, "ms/refresh-300-versions")
	b.ReportMetric(manyT.Seconds()/oneT.Seconds(), "time-ratio-300/1")
	if oneCalls != manyCalls {
		b.Errorf("a refresh with 300 versions made %d calls against %d with 1: Read must not depend on the history", manyCalls, oneCalls)
	}
	_ = fmt.Sprint
}
