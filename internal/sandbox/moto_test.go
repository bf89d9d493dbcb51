package sandbox_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/rollout-tf/terraform-provider-rollout/internal/peers"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

type diffStep struct {
	name string
	call func(c *lambda.Client) (any, error)
}

// flatten renders an SDK answer (or error) as path -> JSON leaf, leaving
// out what differs between any two servers by nature: revision ids,
// timestamps, request metadata, presigned code locations.
func flatten(out any, err error) map[string]string {
	flat := map[string]string{}
	if err != nil {
		var ae smithy.APIError
		if ok := asAPIError(err, &ae); ok {
			flat["error.code"] = ae.ErrorCode()
			flat["error.message"] = ae.ErrorMessage()
		} else {
			flat["error"] = err.Error()
		}
		return flat
	}
	b, _ := json.Marshal(out)
	var doc any
	_ = json.Unmarshal(b, &doc)
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, val := range x {
				switch k {
				case "RevisionId", "LastModified", "ResultMetadata", "Location":
					continue
				}
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				walk(p, val)
			}
		case []any:
			for i, val := range x {
				walk(fmt.Sprintf("%s[%d]", prefix, i), val)
			}
		default:
			if v == nil {
				return
			}
			leaf, _ := json.Marshal(v)
			flat[prefix] = string(leaf)
		}
	}
	walk("", doc)
	return flat
}

func asAPIError(err error, target *smithy.APIError) bool {
	for e := err; e != nil; {
		if ae, ok := e.(smithy.APIError); ok {
			*target = ae
			return true
		}
		u, ok := e.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		e = u.Unwrap()
	}
	return false
}

// TestDifferentialMoto sends the same call sequence to the sandbox and to
// moto server and compares the answers. Every difference must be listed in
// testdata/moto_differences.tsv with the side that matches AWS; a new or a
// vanished difference fails the test.
func TestDifferentialMoto(t *testing.T) {
	motoPath := peers.Require(t, "moto server", "moto_server")
	t.Parallel()
	motoURL := peers.StartMoto(t, motoPath)
	inst := sandboxtest.Start(t, sandbox.Options{})
	zip := zipOf(t, "v1")
	fn := aws.String("diff")
	const diffARN = "arn:aws:lambda:us-east-1:123456789012:function:diff"
	weights := func(w map[string]float64) *types.AliasRoutingConfiguration {
		return &types.AliasRoutingConfiguration{AdditionalVersionWeights: w}
	}
	for _, url := range []string{inst.URL, motoURL} {
		sc := s3At(url)
		sandboxtest.VersionedBucket(t, sc, "artifacts")
		for _, content := range []string{"first object", "second object"} {
			if _, err := sc.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("artifacts"), Key: aws.String("code.zip"), Body: bytes.NewReader(zipOf(t, content))}); err != nil {
				t.Fatal(err)
			}
		}
	}
	firstObject := func(url string) *string {
		out, err := s3At(url).ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("artifacts")})
		if err != nil || len(out.Versions) != 2 {
			t.Fatalf("listing object versions: %v", err)
		}
		for _, v := range out.Versions {
			if !aws.ToBool(v.IsLatest) {
				return v.VersionId
			}
		}
		t.Fatal("no older object version")
		return nil
	}
	objectVersion := map[*lambda.Client]*string{}
	steps := []diffStep{
		{"CreateFunction", func(c *lambda.Client) (any, error) {
			return c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: fn, Role: aws.String(testRole), Runtime: types.RuntimeProvidedal2023,
				Handler: aws.String("bootstrap"), Code: &types.FunctionCode{ZipFile: zip}, Description: aws.String("first")})
		}},
		{"CreateFunction duplicate", func(c *lambda.Client) (any, error) {
			return c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: fn, Role: aws.String(testRole), Runtime: types.RuntimeProvidedal2023,
				Handler: aws.String("bootstrap"), Code: &types.FunctionCode{ZipFile: zip}})
		}},
		{"PublishVersion", func(c *lambda.Client) (any, error) {
			return c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: fn})
		}},
		{"PublishVersion unchanged", func(c *lambda.Client) (any, error) {
			return c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: fn})
		}},
		{"UpdateFunctionConfiguration", func(c *lambda.Client) (any, error) {
			return c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: fn, Description: aws.String("second")})
		}},
		{"GetFunctionConfiguration after update", func(c *lambda.Client) (any, error) {
			return c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: fn})
		}},
		{"PublishVersion after update", func(c *lambda.Client) (any, error) {
			return c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: fn})
		}},
		{"ListVersionsByFunction", func(c *lambda.Client) (any, error) {
			return c.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: fn})
		}},
		{"GetFunctionConfiguration version 1", func(c *lambda.Client) (any, error) {
			return c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: fn, Qualifier: aws.String("1")})
		}},
		{"CreateAlias weighted", func(c *lambda.Client) (any, error) {
			return c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: fn, Name: aws.String("live"), FunctionVersion: aws.String("1"), RoutingConfig: weights(map[string]float64{"2": 0.25})})
		}},
		{"CreateAlias weight 1.5", func(c *lambda.Client) (any, error) {
			return c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: fn, Name: aws.String("heavy"), FunctionVersion: aws.String("1"), RoutingConfig: weights(map[string]float64{"2": 1.5})})
		}},
		{"CreateAlias $LATEST with routing", func(c *lambda.Client) (any, error) {
			return c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: fn, Name: aws.String("latest"), FunctionVersion: aws.String("$LATEST"), RoutingConfig: weights(map[string]float64{"1": 0.5})})
		}},
		{"CreateAlias two extra versions", func(c *lambda.Client) (any, error) {
			return c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: fn, Name: aws.String("two"), FunctionVersion: aws.String("1"), RoutingConfig: weights(map[string]float64{"2": 0.1, "3": 0.1})})
		}},
		{"CreateAlias duplicate", func(c *lambda.Client) (any, error) {
			return c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: fn, Name: aws.String("live"), FunctionVersion: aws.String("1")})
		}},
		{"GetAlias", func(c *lambda.Client) (any, error) {
			return c.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: fn, Name: aws.String("live")})
		}},
		{"GetAlias missing", func(c *lambda.Client) (any, error) {
			return c.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: fn, Name: aws.String("nope")})
		}},
		{"UpdateAlias", func(c *lambda.Client) (any, error) {
			return c.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: fn, Name: aws.String("live"), FunctionVersion: aws.String("2"), RoutingConfig: weights(map[string]float64{})})
		}},
		{"ListAliases", func(c *lambda.Client) (any, error) {
			return c.ListAliases(ctx, &lambda.ListAliasesInput{FunctionName: fn})
		}},
		{"DeleteFunction version used by alias", func(c *lambda.Client) (any, error) {
			return c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: fn, Qualifier: aws.String("2")})
		}},
		{"GetFunction ARN of another region", func(c *lambda.Client) (any, error) {
			return c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(strings.Replace(diffARN, "us-east-1", "eu-west-1", 1))})
		}},
		{"PublishVersion unchanged with a new Description", func(c *lambda.Client) (any, error) {
			if err := lambda.NewFunctionUpdatedV2Waiter(c).Wait(ctx, &lambda.GetFunctionInput{FunctionName: fn}, time.Minute); err != nil {
				return nil, err
			}
			if _, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: fn}); err != nil {
				return nil, err
			}
			return c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: fn, Description: aws.String("a new description")})
		}},
		{"TagResource on a version ARN", func(c *lambda.Client) (any, error) {
			return c.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(diffARN + ":1"), Tags: map[string]string{"a": "b"}})
		}},
		{"TagResource 51 tags", func(c *lambda.Client) (any, error) {
			tags := map[string]string{}
			for i := 0; i < 51; i++ {
				tags[fmt.Sprintf("k%d", i)] = "v"
			}
			return c.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(diffARN), Tags: tags})
		}},
		{"TagResource no tags", func(c *lambda.Client) (any, error) {
			return c.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(diffARN), Tags: map[string]string{}})
		}},
		{"GetFunction invalid qualifier", func(c *lambda.Client) (any, error) {
			return c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: fn, Qualifier: aws.String("bad!")})
		}},
		{"GetFunction missing version", func(c *lambda.Client) (any, error) {
			return c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: fn, Qualifier: aws.String("1221")})
		}},
		{"DeleteFunction $LATEST of a missing function", func(c *lambda.Client) (any, error) {
			return c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("missing"), Qualifier: aws.String("$LATEST")})
		}},
		{"CreateFunction unknown runtime", func(c *lambda.Client) (any, error) {
			return c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("runtime"), Role: aws.String(testRole), Runtime: "non-existent-runtime",
				Handler: aws.String("bootstrap"), Code: &types.FunctionCode{ZipFile: zip}})
		}},
		{"CreateFunction empty Environment", func(c *lambda.Client) (any, error) {
			return c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("env"), Role: aws.String(testRole), Runtime: types.RuntimeProvidedal2023,
				Handler: aws.String("bootstrap"), Code: &types.FunctionCode{ZipFile: zip}, Environment: &types.Environment{Variables: map[string]string{}}})
		}},
		{"DeleteAlias", func(c *lambda.Client) (any, error) {
			return c.DeleteAlias(ctx, &lambda.DeleteAliasInput{FunctionName: fn, Name: aws.String("live")})
		}},
		{"DeleteFunction", func(c *lambda.Client) (any, error) {
			return c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: fn})
		}},
		{"GetFunction missing", func(c *lambda.Client) (any, error) {
			return c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: fn})
		}},
		{"CreateFunction from an older S3 object version", func(c *lambda.Client) (any, error) {
			out, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("from-s3"), Role: aws.String(testRole), Runtime: types.RuntimeProvidedal2023,
				Handler: aws.String("bootstrap"), Code: &types.FunctionCode{S3Bucket: aws.String("artifacts"), S3Key: aws.String("code.zip"), S3ObjectVersion: objectVersion[c]}})
			if err != nil {
				return nil, err
			}
			// Report whether the deployed code is the requested object's.
			return map[string]bool{"CodeIsRequestedObjectVersion": aws.ToString(out.CodeSha256) == zipSha(t, "first object")}, nil
		}},
	}
	ours := lambdaClient(inst, 1)
	theirs := lambdaAt(motoURL, 1)
	objectVersion[ours], objectVersion[theirs] = firstObject(inst.URL), firstObject(motoURL)
	var got []string
	for _, step := range steps {
		a := flatten(step.call(ours))
		b := flatten(step.call(theirs))
		got = append(got, differences(step.name, a, b)...)
	}
	cwSteps := cloudWatchDiffSteps()
	for _, step := range cwSteps {
		a := flatten(step.call(t, inst.URL), nil)
		b := flatten(step.call(t, motoURL), nil)
		got = append(got, differences(step.name, a, b)...)
	}
	sort.Strings(got)

	if out := os.Getenv("ROLLOUT_DUMP_MOTO_DIFFERENCES"); out != "" {
		// For maintainers: write what was found, to annotate by hand.
		_ = os.WriteFile(out, []byte(strings.Join(got, "\n")+"\n"), 0o600)
	}
	want, verdicts := readDifferences(t, "testdata/moto_differences.tsv")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sandbox vs moto differences changed; update testdata/moto_differences.tsv (step, path, sandbox, moto, matches_aws, note) after checking which side matches AWS (-listed +found):\n%s", diff)
	}
	// Where moto is lax, the sandbox must answer as AWS does.
	for _, lax := range []string{"CreateAlias weight 1.5\terror.code", "CreateAlias $LATEST with routing\terror.code",
		"PublishVersion unchanged with a new Description\tVersion", "TagResource on a version ARN\terror.code",
		"GetFunction ARN of another region\terror.code", "CloudWatch PutMetricData Value with Values\terror.code"} {
		if verdicts[lax] != "sandbox" {
			t.Errorf("%s: the listed difference must say the sandbox matches AWS", lax)
		}
	}
	t.Logf("sandbox vs moto: %d steps, %d listed differences", len(steps)+len(cwSteps), len(got))
}

type cwDiffStep struct {
	name string
	call func(t *testing.T, endpoint string) map[string]any
}

// cloudWatchDiffSteps are the CloudWatch rules of the differential, sent in
// awsQuery (the protocol both servers speak); each answer is reduced to
// what does not differ between servers by nature (no timestamps or ARNs).
func cloudWatchDiffSteps() []cwDiffStep {
	now := time.Now().UTC().Truncate(time.Minute).Add(-2 * time.Minute)
	window := func(in map[string]any) map[string]any {
		in["StartTime"], in["EndTime"] = now.Add(-time.Minute), now.Add(2*time.Minute)
		return in
	}
	status := func(a cwAnswer) map[string]any {
		return map[string]any{"Status": a.Status, "error.code": a.Code, "error.message": a.Message}
	}
	put := func(name string, d map[string]any) map[string]any {
		d["MetricName"], d["Timestamp"] = name, now
		return map[string]any{"Namespace": "diff", "MetricData": []any{d}}
	}
	results := func(a cwAnswer) map[string]any {
		out := status(a)
		for _, r := range metricResults(a) {
			out[r.ID] = map[string]any{"Label": r.Label, "Values": r.Values, "StatusCode": r.StatusCode}
		}
		return out
	}
	query := func(id, stat string, period float64, unit string) map[string]any {
		ms := map[string]any{"Metric": map[string]any{"Namespace": "diff", "MetricName": "sets"}, "Period": period, "Stat": stat}
		if unit != "" {
			ms["Unit"] = unit
		}
		return map[string]any{"Id": id, "MetricStat": ms}
	}
	stats := map[string]any{"SampleCount": 10.0, "Sum": 55.0, "Minimum": 1.0, "Maximum": 10.0}
	return []cwDiffStep{
		{"CloudWatch PutMetricData Value with Values", func(t *testing.T, url string) map[string]any {
			return status(cwDoURL(t, url, "query", "PutMetricData", put("m", map[string]any{"Value": 1.5, "Values": []any{1.0, 10.0}})))
		}},
		{"CloudWatch PutMetricData Values and Counts of different sizes", func(t *testing.T, url string) map[string]any {
			return status(cwDoURL(t, url, "query", "PutMetricData", put("m", map[string]any{"Values": []any{1.0, 10.0}, "Counts": []any{1.0, 2.0, 3.0}})))
		}},
		{"CloudWatch PutMetricData Value with StatisticValues", func(t *testing.T, url string) map[string]any {
			return status(cwDoURL(t, url, "query", "PutMetricData", put("m", map[string]any{"Value": 1.5, "StatisticValues": stats})))
		}},
		{"CloudWatch GetMetricData of a statistic set", func(t *testing.T, url string) map[string]any {
			d := put("sets", map[string]any{"StatisticValues": stats, "Unit": "Milliseconds"})
			if a := cwDoURL(t, url, "query", "PutMetricData", d); a.Status != 200 {
				return status(a)
			}
			return results(cwDoURL(t, url, "query", "GetMetricData", window(map[string]any{"MetricDataQueries": []any{
				query("sum", "Sum", 60, ""), query("count", "SampleCount", 60, ""), query("min", "Minimum", 60, ""),
				query("max", "Maximum", 60, ""), query("avg", "Average", 60, ""), query("seconds", "Sum", 60, "Seconds")}})))
		}},
		{"CloudWatch GetMetricData labels", func(t *testing.T, url string) map[string]any {
			return results(cwDoURL(t, url, "query", "GetMetricData", window(map[string]any{"MetricDataQueries": []any{
				query("sum60", "Sum", 60, ""), query("min30", "Minimum", 30, "")}})))
		}},
		{"CloudWatch DescribeAlarms of a new alarm", func(t *testing.T, url string) map[string]any {
			if a := cwDoURL(t, url, "query", "PutMetricAlarm", map[string]any{"AlarmName": "new", "MetricName": "Errors", "Namespace": "AWS/Lambda",
				"Statistic": "Sum", "Period": 60, "EvaluationPeriods": 1, "Threshold": 1.0, "ComparisonOperator": "GreaterThanOrEqualToThreshold"}); a.Status != 200 {
				return status(a)
			}
			a := cwDoURL(t, url, "query", "DescribeAlarms", map[string]any{"AlarmNames": []any{"new"}})
			out := status(a)
			alarms, _ := a.Out["MetricAlarms"].([]any)
			for _, item := range alarms {
				m, _ := item.(map[string]any)
				out["StateValue"], out["StateReason"] = m["StateValue"], m["StateReason"]
				if d, ok := m["AlarmDescription"]; ok {
					out["AlarmDescription"] = fmt.Sprintf("%q", d)
				}
			}
			return out
		}},
		{"CloudWatch SetAlarmState invalid state", func(t *testing.T, url string) map[string]any {
			return status(cwDoURL(t, url, "query", "SetAlarmState", map[string]any{"AlarmName": "new", "StateValue": "INVALID", "StateReason": "test"}))
		}},
		{"CloudWatch SetAlarmState unknown alarm", func(t *testing.T, url string) map[string]any {
			return status(cwDoURL(t, url, "query", "SetAlarmState", map[string]any{"AlarmName": "nope", "StateValue": "OK", "StateReason": "test"}))
		}},
	}
}

// readDifferences loads the committed table: tab-separated step, path,
// sandbox value, moto value, side matching AWS, note.
func readDifferences(t *testing.T, path string) ([]string, map[string]string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	var rows []string
	verdicts := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "step\t") {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) != 6 {
			t.Fatalf("%s: want 6 tab-separated columns, got %d in %q", path, len(cols), line)
		}
		switch cols[4] {
		case "sandbox", "moto", "both", "neither":
		default:
			t.Fatalf("%s: matches_aws must be sandbox, moto, both or neither, got %q", path, cols[4])
		}
		rows = append(rows, strings.Join(cols[:4], "\t"))
		verdicts[cols[0]+"\t"+cols[1]] = cols[4]
	}
	sort.Strings(rows)
	return rows, verdicts
}

func zipSha(t *testing.T, content string) string {
	sum := sha256.Sum256(zipOf(t, content))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// differences lists, as step, path, sandbox value, moto value, the paths
// where the flattened answers a (the sandbox's) and b (moto's) differ.
func differences(step string, a, b map[string]string) []string {
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	var out []string
	for k := range keys {
		va, oka := a[k]
		vb, okb := b[k]
		if oka && okb && va == vb {
			continue
		}
		if !oka {
			va = "<absent>"
		}
		if !okb {
			vb = "<absent>"
		}
		out = append(out, strings.Join([]string{step, k, va, vb}, "\t"))
	}
	return out
}
