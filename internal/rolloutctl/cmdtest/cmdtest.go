// Package cmdtest builds what rolloutctl's command tests run with: a
// Factory over buffers, a Clients that hands out a given Lambda client (a
// FakeLambda, or an SDK client pointed at an in-process sandbox), a fake
// Lambda and state fixtures.
package cmdtest

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmdutil"
)

// Streams are a test Factory's output buffers.
type Streams struct {
	Out, ErrOut *bytes.Buffer
}

// Factory returns a Factory reading stdin, writing to the returned buffers,
// with an empty environment and the given clients.
func Factory(stdin string, clients cmdutil.Clients) (*cmdutil.Factory, Streams) {
	s := Streams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}
	return &cmdutil.Factory{
		IO:         cmdutil.IOStreams{In: strings.NewReader(stdin), Out: s.Out, ErrOut: s.ErrOut},
		Getenv:     func(string) string { return "" },
		Clients:    clients,
		AppVersion: "test",
	}, s
}

// Clients hands out one Lambda client and records the configuration each
// command asked for; S3 is refused.
type Clients struct {
	LambdaClient     cmdutil.LambdaAPI
	CloudWatchClient cmdutil.CloudWatchAPI
	Asked            *[]cmdutil.AWSConfig
}

// CloudWatch returns the CloudWatch client, or nil, nil: no metrics.
func (c Clients) CloudWatch(context.Context, cmdutil.AWSConfig) (cmdutil.CloudWatchAPI, error) {
	return c.CloudWatchClient, nil
}

// Lambda returns the Lambda client.
func (c Clients) Lambda(_ context.Context, cfg cmdutil.AWSConfig) (cmdutil.LambdaAPI, error) {
	if c.Asked != nil {
		*c.Asked = append(*c.Asked, cfg)
	}
	if c.LambdaClient == nil {
		return nil, errors.New("cmdtest: no Lambda client")
	}
	return c.LambdaClient, nil
}

// S3 is refused: the tests that read S3 histories run the SDK factory.
func (Clients) S3(context.Context, cmdutil.AWSConfig) (*s3.Client, error) {
	return nil, errors.New("cmdtest: no S3 client")
}

// SandboxLambda is an SDK Lambda client with static credentials pointed at
// url (an in-process sandbox): no process environment is read, so tests
// using it may run in parallel.
func SandboxLambda(url string) *lambda.Client {
	return lambda.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "s", "")},
		func(o *lambda.Options) { o.BaseEndpoint = aws.String(url) })
}

// PublishFunction creates function name on c and publishes one version per
// release (version N carries releases[N-1] in its description; "" records
// none), then points alias live at version 1. It returns the function's ARN.
func PublishFunction(t testing.TB, c *lambda.Client, name string, releases ...string) string {
	t.Helper()
	ctx := context.Background()
	var zipped bytes.Buffer
	zw := zip.NewWriter(&zipped)
	w, _ := zw.Create("bootstrap")
	_, _ = w.Write([]byte("code"))
	_ = zw.Close()
	fn, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(name), Role: aws.String("arn:aws:iam::123456789012:role/x"),
		Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), Code: &lambdatypes.FunctionCode{ZipFile: zipped.Bytes()}})
	if err != nil {
		t.Fatal(err)
	}
	if err := lambdaops.WaitActive(ctx, c, name, time.Minute); err != nil {
		t.Fatal(err)
	}
	for i, release := range releases {
		// Each version needs a change: the configuration's description.
		if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(name),
			Description: aws.String(strings.Repeat("d", i+1))}); err != nil {
			t.Fatal(err)
		}
		if err := lambdaops.WaitUpdated(ctx, c, name, time.Minute); err != nil {
			t.Fatal(err)
		}
		if _, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(name),
			Description: aws.String(lambdaops.FormatDescription("", lambdaops.VersionMeta{Release: release}))}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(name), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	return aws.ToString(fn.FunctionArn)
}

// State is a Terraform state (format 4, lineage lin-a) holding
// rollout_function.orders at fnVersion with release, an environment value
// secret, and rollout_alias.live on aliasVersion with deployment status
// deployment ("" for none).
func State(serial int, fnVersion, release, aliasVersion, deployment, secret string) []byte {
	alias := map[string]any{"function_name": "orders", "name": "live", "function_version": aliasVersion}
	if deployment != "" {
		alias["deployment"] = map[string]any{"status": deployment, "reason": "error rate 40% is above the maximum 5%"}
	}
	b, _ := json.Marshal(map[string]any{"version": 4, "serial": serial, "lineage": "lin-a", "resources": []any{
		map[string]any{"mode": "managed", "type": "rollout_function", "name": "orders", "instances": []any{map[string]any{"attributes": map[string]any{
			"function_name": "orders", "version": fnVersion, "release": release, "environment": map[string]any{"API_KEY": secret},
			"versions": []any{map[string]any{"number": fnVersion, "release": release}}}}}},
		map[string]any{"mode": "managed", "type": "rollout_alias", "name": "live", "instances": []any{map[string]any{"attributes": alias}}},
	}})
	return b
}

// Snapshots is a folder of three snapshots an hour apart: s1 (release
// v1.0.0, no rollout), s2 (v1.1.0 promoted), s3 (v1.2.0 rolled back, the
// alias left on version 2). Each holds a planted secret.
func Snapshots(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	at := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	for i, s := range [][]byte{
		State(1, "1", "v1.0.0", "1", "", "planted-secret-1"),
		State(5, "2", "v1.1.0", "2", "promoted", "planted-secret-2"),
		State(9, "3", "v1.2.0", "2", "rolled_back", "planted-secret-3"),
	} {
		p := filepath.Join(dir, []string{"s1.tfstate", "s2.tfstate", "s3.tfstate"}[i])
		if err := os.WriteFile(p, s, 0o600); err != nil {
			t.Fatal(err)
		}
		tm := at.Add(time.Duration(i) * time.Hour)
		_ = os.Chtimes(p, tm, tm)
	}
	return dir
}

// Run parses args with a command's New and runs its Run on a Factory
// reading stdin, with no AWS clients.
func Run[O any](parse func(*cmdutil.Factory, []string) (O, error), run func(context.Context, O) error, stdin string, args ...string) (Streams, error) {
	f, s := Factory(stdin, Clients{})
	o, err := parse(f, args)
	if err != nil {
		return s, err
	}
	return s, run(context.Background(), o)
}

// SplitLive sends weight of alias live's traffic to version to, as a
// running rollout does.
func SplitLive(t testing.TB, c *lambda.Client, function, to string, weight float64) {
	t.Helper()
	if _, err := c.UpdateAlias(context.Background(), &lambda.UpdateAliasInput{FunctionName: aws.String(function), Name: aws.String("live"),
		RoutingConfig: &lambdatypes.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{to: weight}}}); err != nil {
		t.Fatal(err)
	}
}

// AWSLambdaSnapshots copies statehistory's golden AWS-provider states
// (aws_lambda_function publish = true, aws_lambda_alias with a 10% canary,
// aws_lambda_provisioned_concurrency_config) into a folder an hour apart:
// v1 live, v2 canary, v2 promoted, v3 live. root is the path from the
// test's package to the repository root.
func AWSLambdaSnapshots(t testing.TB, root string) string {
	t.Helper()
	dir := t.TempDir()
	at := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	for i, n := range []string{"01-v1-live.tfstate", "02-v2-canary.tfstate", "03-v2-promoted.tfstate", "04-v3-bad.tfstate"} {
		b, err := os.ReadFile(filepath.Join(root, "internal", "statehistory", "testdata", "awslambda", n))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		tm := at.Add(time.Duration(i) * time.Hour)
		_ = os.Chtimes(p, tm, tm)
	}
	return dir
}

// Golden compares got with the file testdata/<name>.golden of the test's
// package; ROLLOUTCTL_UPDATE_GOLDEN=1 writes it instead (review the diff).
func Golden(t testing.TB, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name+".golden")
	if os.Getenv("ROLLOUTCTL_UPDATE_GOLDEN") != "" {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (ROLLOUTCTL_UPDATE_GOLDEN=1 writes it)", err)
	}
	if string(want) != got {
		t.Errorf("output differs from %s:\n--- want\n%s\n--- got\n%s", p, want, got)
	}
}

// GroupSnapshots copies the states the real terraform wrote for a
// two-member rollout_alias_group (internal/statehistory/testdata/
// group-terraform-1.11.4: v1.0.0 created, v1.1.0 promoted, v1.2.0 rolled
// back by member m1) into a snapshot folder, an hour apart; root is the
// repository's root relative to the test.
func GroupSnapshots(t testing.TB, root string) string {
	t.Helper()
	dir := t.TempDir()
	at := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	for i, n := range []string{"01.tfstate", "02.tfstate", "03.tfstate"} {
		b, err := os.ReadFile(filepath.Join(root, "internal", "statehistory", "testdata", "group-terraform-1.11.4", n))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		tm := at.Add(time.Duration(i) * time.Hour)
		_ = os.Chtimes(p, tm, tm)
	}
	return dir
}
