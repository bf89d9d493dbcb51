package report

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"

	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/peers"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmdtest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rolloutctl/cmdutil"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/testfn"
)

var t0 = time.Date(2026, 11, 26, 13, 0, 0, 0, time.UTC)

// rev is one revision of the story's state: where alias live stands.
type rev struct {
	at         time.Duration
	primary    string
	to         string
	weight     float64 // percent on to
	deployment string
	gate       string
	reason     string
}

var releases = map[string]string{"1": "v1.0.0", "2": "v1.1.0", "3": "v1.1.1"}

// stateOf is a Terraform state holding rollout_function.orders (at the
// newest version of the revision, with every release) and
// rollout_alias.live as the revision says.
func stateOf(serial int, r rev) []byte {
	alias := map[string]any{"function_name": "orders", "name": "live", "function_version": r.primary}
	if r.to != "" && r.deployment == "in_progress" {
		alias["routing"] = map[string]any{"version": r.to, "weight": r.weight / 100}
	}
	if r.deployment != "" {
		alias["deployment"] = map[string]any{"status": r.deployment, "to_version": r.to, "gate": r.gate, "reason": r.reason, "weight_percent": r.weight}
	}
	var versions []any
	for _, v := range []string{"1", "2", "3"} {
		versions = append(versions, map[string]any{"number": v, "release": releases[v]})
	}
	top := r.primary
	if r.to > top {
		top = r.to
	}
	b, _ := json.Marshal(map[string]any{"version": 4, "serial": serial, "lineage": "lin-a", "resources": []any{
		map[string]any{"mode": "managed", "type": "rollout_function", "name": "orders", "instances": []any{map[string]any{"attributes": map[string]any{
			"function_name": "orders", "version": top, "release": releases[top], "versions": versions}}}},
		map[string]any{"mode": "managed", "type": "rollout_alias", "name": "live", "instances": []any{map[string]any{"attributes": alias}}},
	}})
	return b
}

// story is the demo's story in revisions: v1.0.0 steady, v1.1.0 rolled
// back on its error rate at 20%, the fix v1.1.1 promoted in two steps.
var story = []rev{
	{at: 0, primary: "1", deployment: "promoted"},
	{at: 3 * time.Minute, primary: "1", to: "2", weight: 20, deployment: "in_progress"},
	{at: 5 * time.Minute, primary: "1", to: "2", weight: 20, deployment: "rolled_back", gate: "error_rate",
		reason: "error rate 50.0% (6 errors in 12 invocations) is above the maximum 5.0%"},
	{at: 7 * time.Minute, primary: "1", to: "3", weight: 20, deployment: "in_progress"},
	{at: 9 * time.Minute, primary: "1", to: "3", weight: 50, deployment: "in_progress"},
	{at: 11 * time.Minute, primary: "3", to: "3", weight: 50, deployment: "promoted"},
}

// writeHistory writes revs as a folder of snapshots, one per revision,
// each stamped with its time.
func writeHistory(t testing.TB, revs []rev) string {
	t.Helper()
	dir := t.TempDir()
	for i, r := range revs {
		p := filepath.Join(dir, fmt.Sprintf("s%05d.tfstate", i))
		if err := os.WriteFile(p, stateOf(i+1, r), 0o600); err != nil {
			t.Fatal(err)
		}
		tm := t0.Add(r.at)
		if err := os.Chtimes(p, tm, tm); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestTimelines(t *testing.T) {
	t.Parallel()
	f, _ := cmdtest.Factory("", cmdtest.Clients{})
	revs, err := cmdutil.SourceOptions{Source: writeHistory(t, story)}.Revisions(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	tls := Timelines(revs, "")
	if len(tls) != 1 {
		t.Fatalf("%d timelines, want 1", len(tls))
	}
	var got []string
	for _, e := range tls[0].Events {
		got = append(got, fmt.Sprintf("%s %s: %s", e.T.Sub(t0), e.Kind, e.Label))
	}
	want := []string{
		"0s release: version 1 (v1.0.0)",
		"3m0s step: version 1 (v1.0.0) 80%, version 2 (v1.1.0) 20%",
		"5m0s rolled_back: rolled back version 2 (v1.1.0)",
		"7m0s step: version 1 (v1.0.0) 80%, version 3 (v1.1.1) 20%",
		"9m0s step: version 1 (v1.0.0) 50%, version 3 (v1.1.1) 50%",
		"11m0s promoted: promoted version 3 (v1.1.1)",
		"11m0s release: version 3 (v1.1.1)",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"1", "2", "3"}, tls[0].Versions); diff != "" {
		t.Errorf("versions (-want +got):\n%s", diff)
	}
}

// storyMetrics runs the story's traffic through a sandbox whose clock the
// test moves: each minute, version 1 serves 8 calls; version 2 serves 6 of
// which 3 fail at minutes 3 and 4; version 3 serves 6 from minute 7 on.
func storyMetrics(t *testing.T) *cloudwatch.Client {
	t.Helper()
	zip, err := testfn.Zip()
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	now := t0
	sb := sandboxtest.Start(t, sandbox.Options{Clock: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }})
	c := cmdtest.SandboxLambda(sb.URL)
	ctx := context.Background()
	if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("orders"), Role: aws.String("arn:aws:iam::123456789012:role/x"),
		Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), Code: &lambdatypes.FunctionCode{ZipFile: zip}}); err != nil {
		t.Fatal(err)
	}
	if err := lambdaops.WaitActive(ctx, c, "orders", time.Minute); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("orders"), Description: aws.String(strings.Repeat("d", i+1))}); err != nil {
			t.Fatal(err)
		}
		if err := lambdaops.WaitUpdated(ctx, c, "orders", time.Minute); err != nil {
			t.Fatal(err)
		}
		if _, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("orders")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("orders"), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	serve := func(version string, ok, failed int) {
		if _, err := c.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("orders"), Name: aws.String("live"), FunctionVersion: aws.String(version)}); err != nil {
			t.Fatal(err)
		}
		for i := range ok + failed {
			payload := `{}`
			if i >= ok {
				payload = `{"action":"error"}`
			}
			if _, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("orders"), Qualifier: aws.String("live"), Payload: []byte(payload)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for m := range 13 {
		mu.Lock()
		now = t0.Add(time.Duration(m)*time.Minute + 30*time.Second)
		mu.Unlock()
		serve("1", 8, 0)
		if m == 3 || m == 4 {
			serve("2", 3, 3)
		}
		if m >= 7 {
			serve("3", 6, 0)
		}
	}
	return cloudwatch.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "s", "")},
		func(o *cloudwatch.Options) { o.BaseEndpoint = aws.String(sb.URL) })
}

type frozen struct{ now time.Time }

func (c frozen) Now() time.Time                                   { return c.now }
func (c frozen) Sleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }

// TestReportInChromium writes the story's report with the metrics the
// sandbox recorded, renders it in a real headless Chromium, and checks
// the rendered page: a legend entry per version, the stacked areas, the
// rollback marker with its reason, the error-rate and p99 series. The
// screenshot goes to templates/guides/ (and docs/guides/) with -update.
func TestReportInChromium(t *testing.T) {
	t.Parallel()
	chromium := peers.HeadlessChromium(t)
	cw := storyMetrics(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "report.html")
	f, io := cmdtest.Factory("", cmdtest.Clients{CloudWatchClient: cw})
	f.Clock = frozen{now: t0.Add(15 * time.Minute)}
	o, err := New(f, []string{writeHistory(t, story), "--html", out, "--metrics"})
	if err != nil {
		t.Fatal(err)
	}
	if err := Run(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(io.Out.String(), "report: "+out+" (6 revisions, 1 aliases, ") {
		t.Errorf("output %q", io.Out.String())
	}
	page, _ := os.ReadFile(out)
	for _, banned := range []string{"<script", "http://", "https://", "src=", "@import", "url("} {
		if bytes.Contains(page, []byte(banned)) {
			t.Errorf("the report is not self-contained: it holds %q", banned)
		}
	}
	profile := t.TempDir()
	args := append(chromium[1:], "--no-sandbox", "--disable-gpu", "--user-data-dir="+profile, "--window-size=1200,1450", "--hide-scrollbars")
	dom, err := exec.Command(chromium[0], append(args, "--dump-dom", "file://"+out)...).Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom: %v", err)
	}
	for _, want := range []string{
		`class="version-legend" data-version="1"`, `class="version-legend" data-version="2"`, `class="version-legend" data-version="3"`,
		`version 2 (v1.1.0)`, `version 3 (v1.1.1)`,
		`class="rollback-marker" data-kind="rolled_back"`, `rolled back version 2 (v1.1.0)`,
		`gate error_rate: error rate 50.0%`,
		`class="share" data-version="3"`, `class="step-boundary"`,
		`<svg class="error-rate"`, `<polyline class="series" data-version="2"`, `<svg class="p99"`, `<svg class="measured"`,
	} {
		if !strings.Contains(string(dom), want) {
			t.Errorf("the rendered page lacks %s", want)
		}
	}
	shot := filepath.Join(dir, "report.png")
	if b, err := exec.Command(chromium[0], append(args, "--screenshot="+shot, "file://"+out)...).CombinedOutput(); err != nil {
		t.Fatalf("chromium --screenshot: %v\n%s", err, b)
	}
	img, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	decoded, err := png.Decode(bytes.NewReader(img))
	if err != nil {
		t.Fatal(err)
	}
	colours := map[uint32]bool{}
	for y := decoded.Bounds().Min.Y; y < decoded.Bounds().Max.Y; y += 4 {
		for x := decoded.Bounds().Min.X; x < decoded.Bounds().Max.X; x += 4 {
			r, g, b, _ := decoded.At(x, y).RGBA()
			colours[r>>8<<16|g>>8<<8|b>>8] = true
		}
	}
	t.Logf("screenshot %dx%d, %d bytes, %d distinct colours sampled", decoded.Bounds().Dx(), decoded.Bounds().Dy(), len(img), len(colours))
	if len(colours) < 8 {
		t.Errorf("the screenshot looks blank: %d colours", len(colours))
	}
	if *update { // the template is the source; make docs copies it into docs/guides/
		for _, dir := range []string{"templates", "docs"} {
			if err := os.WriteFile(filepath.Join("..", "..", "..", "..", dir, "guides", "watching-a-rollout-report.png"), img, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestReportSize: a history of 1,000 revisions (a rollout every ten
// revisions, every third one rolled back) makes a report of a few MB at
// most.
func TestReportSize(t *testing.T) {
	t.Parallel()
	var revs []rev
	for i := range 1000 {
		at := time.Duration(i) * time.Minute
		switch i % 10 {
		case 0, 1, 2, 3, 4, 5:
			revs = append(revs, rev{at: at, primary: "1", deployment: "promoted"})
		case 6, 7:
			revs = append(revs, rev{at: at, primary: "1", to: "2", weight: float64(10 * (i%10 - 5)), deployment: "in_progress"})
		case 8:
			if i%30 == 8 {
				revs = append(revs, rev{at: at, primary: "1", to: "2", weight: 20, deployment: "rolled_back", gate: "error_rate", reason: "error rate above the maximum"})
			} else {
				revs = append(revs, rev{at: at, primary: "2", to: "2", weight: 20, deployment: "promoted"})
			}
		case 9:
			revs = append(revs, rev{at: at, primary: "1", deployment: "promoted"})
		}
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "report.html")
	f, _ := cmdtest.Factory("", cmdtest.Clients{})
	o, err := New(f, []string{writeHistory(t, revs), "--html", out})
	if err != nil {
		t.Fatal(err)
	}
	if err := Run(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("report of %d revisions: %d bytes", len(revs), info.Size())
	if info.Size() > 3<<20 {
		t.Errorf("report of %d revisions is %d bytes, more than 3 MiB", len(revs), info.Size())
	}
}

var update = flag.Bool("update", false, "write the screenshot into docs/guides/")

// TestTimelinesGroupMembers: the members of a rollout_alias_group are
// timelines too (states terraform wrote: a release promoted, the next
// rolled back by member m1), each saying its group and member, with the
// group's outcome on every member the release moved; --alias keeps the
// members of that alias name.
func TestTimelinesGroupMembers(t *testing.T) {
	t.Parallel()
	f, _ := cmdtest.Factory("", cmdtest.Clients{})
	revs, err := cmdutil.SourceOptions{Source: cmdtest.GroupSnapshots(t, "../../../..")}.Revisions(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	tls := Timelines(revs, "live")
	var got []string
	for _, tl := range tls {
		got = append(got, fmt.Sprintf("%s:%s group %s member %s", tl.Function, tl.Alias, tl.Group, tl.Member))
		for _, e := range tl.Events {
			got = append(got, fmt.Sprintf("  %s %s: %s (%s)", e.T.Sub(tls[0].Points[0].T), e.Kind, e.Label, e.Detail))
		}
	}
	want := []string{
		"hist-0:live group hist member m0",
		"  0s release: version 1 (v1.0.0) ()",
		"  1h0m0s promoted: promoted version 2 (v1.1.0) (every step passed; m0: 19 invocations, error rate 0.0%, p99 11.5 ms; m1: 24 invocations, error rate 0.0%, p99 4.8 ms)",
		"  1h0m0s release: version 2 (v1.1.0) ()",
		"  2h0m0s rolled_back: rolled back version 3 (v1.2.0) (member m1: error rate 100.0% (4 errors in 4 invocations) is above the maximum 10.0%)",
		"hist-1:live group hist member m1",
		"  0s release: version 1 (v1.0.0) ()",
		"  1h0m0s promoted: promoted version 2 (v1.1.0) (every step passed; m0: 19 invocations, error rate 0.0%, p99 11.5 ms; m1: 24 invocations, error rate 0.0%, p99 4.8 ms)",
		"  1h0m0s release: version 2 (v1.1.0) ()",
		"  2h0m0s rolled_back: rolled back version 3 (v1.2.0) (gate error_rate: member m1: error rate 100.0% (4 errors in 4 invocations) is above the maximum 10.0%)",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("group member timelines (-want +got):\n%s\n%s", diff, strings.Join(got, "\n"))
	}
	page := string(Render(Page{Source: "states", Revisions: len(revs), Timelines: tls}))
	if !strings.Contains(page, "member m1 of rollout_alias_group hist") {
		t.Error("the page does not say which group and member an alias belongs to")
	}
	if tls := Timelines(revs, "nosuch"); len(tls) != 0 {
		t.Errorf("--alias nosuch kept %d timelines", len(tls))
	}
}

// TestMillisecondLabels: p99 axis ticks and point titles keep the figures
// that tell them apart, below a millisecond too (a sub-millisecond p99
// was labelled "0 ms" on every tick).
func TestMillisecondLabels(t *testing.T) {
	t.Parallel()
	for v, want := range map[float64]string{0: "0 ms", 0.0004: "0.0004 ms", 0.42: "0.42 ms", 0.857: "0.86 ms", 3.14159: "3.1 ms", 12.6: "13 ms", 1500: "1500 ms"} {
		if got := msLabel(v); got != want {
			t.Errorf("msLabel(%g) = %q, want %q", v, got, want)
		}
	}
}
