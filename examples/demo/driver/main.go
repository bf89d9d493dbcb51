// Command driver runs the demo behind `make demo`: the whole story of a
// release, a bad release rolled back by its canary, the inspector picking
// the known-good revision, a rollback that republishes nothing, and the
// fix promoted, all on the local sandbox. Everything it prints also goes to
// examples/demo/.run/demo.log.
package main

import (
	"archive/zip"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/rollout-tf/terraform-provider-rollout/internal/awsclient"
	"github.com/rollout-tf/terraform-provider-rollout/internal/loadgen"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
)

const endpoint = "http://127.0.0.1:4599"

type demo struct {
	root, run, terraform string
	log                  io.Writer
	logFile              *os.File
	journal              *sandbox.Journal
	timeline             []string
	mu                   sync.Mutex
}

func main() {
	tf := flag.String("terraform", "terraform", "terraform binary (make demo passes the one it found or built)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *tf); err != nil {
		fmt.Fprintln(os.Stderr, "\ndemo failed:", err)
		os.Exit(1)
	}
}

func (d *demo) say(format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	fmt.Fprintln(d.log, msg)
}

func (d *demo) heading(n int, title string) {
	d.say("\n\033[1m== %d. %s ==\033[0m", n, title)
}

func run(ctx context.Context, tf string) error {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Dir(filepath.Dir(file))
	d := &demo{root: root, run: filepath.Join(root, ".run"), terraform: tf}
	_ = os.RemoveAll(d.run)
	for _, sub := range []string{"build", "work", "bin", "sandbox", "mirror"} {
		if err := os.MkdirAll(filepath.Join(d.run, sub), 0o755); err != nil {
			return err
		}
	}
	logFile, err := os.Create(filepath.Join(d.run, "demo.log"))
	if err != nil {
		return err
	}
	defer func() { _ = logFile.Close() }()
	d.log, d.logFile = io.MultiWriter(os.Stdout, logFile), logFile
	started := time.Now()

	d.heading(1, "Start the sandbox and build everything")
	srv, stopSandbox, err := d.startSandbox(ctx)
	if err != nil {
		return err
	}
	defer stopSandbox()
	d.journal = srv.Journal
	if err := d.buildTools(ctx); err != nil {
		return err
	}
	for _, r := range []struct{ release, defect string }{{"v1.0.0", "false"}, {"v1.1.0", "true"}, {"v1.1.1", "false"}} {
		if err := d.buildRelease(ctx, r.release, r.defect); err != nil {
			return err
		}
	}
	d.say("built the provider, rolloutctl and three releases of the orders function (v1.1.0 has a defect)")
	if err := d.stateBucket(ctx); err != nil {
		return err
	}

	d.heading(2, "Release v1.0.0")
	if err := d.checkout("v1.0.0"); err != nil {
		return err
	}
	if _, err := d.terraformRun(ctx, false, "init", "-input=false"); err != nil {
		return err
	}
	if _, err := d.terraformRun(ctx, true, "apply", "-auto-approve", "-input=false"); err != nil {
		return err
	}
	stopTraffic := d.traffic(ctx)
	defer stopTraffic()
	time.Sleep(2 * time.Second)

	d.heading(3, "Release v1.1.0 (with a defect): the canary rolls it back")
	if err := d.checkout("v1.1.0"); err != nil {
		return err
	}
	mark := d.journal.Mark()
	rbStart := time.Now()
	out, err := d.terraformRun(ctx, true, "apply", "-auto-approve", "-input=false")
	if err == nil {
		return fmt.Errorf("the defective release was promoted; the canary should have rolled it back")
	}
	if !strings.Contains(out, "Canary Rolled Back") {
		return fmt.Errorf("the apply failed for another reason:\n%s", out)
	}
	shifted, restored := d.rollbackTimes(mark)
	facts := []string{fmt.Sprintf("canary rollback of v1.1.0: %.1fs from the canary shift to all traffic on v1.0.0, one UpdateAlias", restored.Sub(shifted).Seconds())}
	d.say("-> the apply failed as it should: the canary measured v1.1.0's error rate at 10%% of the traffic and moved all of it back "+
		"(%.1fs from the canary shift to 100%% on v1.0.0; the whole attempt took %.1fs)", restored.Sub(shifted).Seconds(), time.Since(rbStart).Seconds())
	time.Sleep(time.Second)

	d.heading(4, "rolloutctl: which revision is known-good, and what to check out")
	src := "s3://demo-tfstate/orders/terraform.tfstate"
	if _, err := d.cmd(ctx, filepath.Join(d.run, "bin", "rolloutctl"), "history", src, "--endpoint", endpoint, "--region", "us-east-1"); err != nil {
		return err
	}
	pickOut, err := d.cmd(ctx, filepath.Join(d.run, "bin", "rolloutctl"), "pick", src, "--endpoint", endpoint, "--region", "us-east-1")
	if err != nil {
		return err
	}
	if !strings.Contains(pickOut, "release v1.0.0") {
		return fmt.Errorf("rolloutctl pick did not name release v1.0.0")
	}

	d.heading(5, "Check out v1.0.0 and apply: the version goes back, nothing is republished")
	if err := d.checkout("v1.0.0"); err != nil {
		return err
	}
	plan, err := d.terraformRun(ctx, false, "plan", "-input=false")
	if err != nil {
		return err
	}
	for _, line := range strings.Split(plan, "\n") {
		if strings.Contains(line, "version") && strings.Contains(line, "->") {
			d.say("  plan: %s", strings.TrimSpace(line))
		}
	}
	mark = d.journal.Mark()
	applyStart := time.Now()
	if _, err := d.terraformRun(ctx, true, "apply", "-auto-approve", "-input=false"); err != nil {
		return err
	}
	applyTook := time.Since(applyStart)
	publishes := 0
	for _, c := range d.journal.Since(mark) {
		if c.Operation == "PublishVersion" || c.Operation == "UpdateFunctionCode" {
			publishes++
		}
	}
	d.say("-> PublishVersion/UpdateFunctionCode calls during the rollback: %d", publishes)
	if publishes != 0 {
		return fmt.Errorf("the rollback published or uploaded code %d times; it must adopt the retained version", publishes)
	}
	facts = append(facts, fmt.Sprintf("configuration rollback to v1.0.0: terraform apply in %.1fs, %d publishes or code uploads", applyTook.Seconds(), publishes))

	d.heading(6, "Release v1.1.1 (the fix): promoted through every step")
	if err := d.checkout("v1.1.1"); err != nil {
		return err
	}
	fixOut, err := d.terraformRun(ctx, true, "apply", "-auto-approve", "-input=false")
	if err != nil {
		return err
	}
	if !strings.Contains(fixOut, "(v1.1.1)") {
		return fmt.Errorf("the fix was not promoted")
	}

	time.Sleep(2 * time.Second) // let the timeline show the promoted version alone
	d.heading(7, "Summary")
	stopTraffic()
	if _, err := d.cmd(ctx, filepath.Join(d.run, "bin", "rolloutctl"), "history", src, "--alias", "live", "--endpoint", endpoint, "--region", "us-east-1"); err != nil {
		return err
	}
	report := filepath.Join(d.run, "report.html")
	if _, err := d.cmd(ctx, filepath.Join(d.run, "bin", "rolloutctl"), "report", src, "--html", report, "--metrics", "--endpoint", endpoint, "--region", "us-east-1"); err != nil {
		return err
	}
	d.say("The picture of what happened (traffic per version, the rollback and its reason, error rate and p99): %s", report)
	d.say("\nWhat served traffic, second by second (changes only):")
	d.mu.Lock()
	for _, l := range d.timeline {
		d.say("  %s", l)
	}
	d.mu.Unlock()
	d.say("\nRollbacks:")
	for _, f := range facts {
		d.say("  %s", f)
	}
	d.say("\nDone in %s. The full log: %s", time.Since(started).Round(time.Second), filepath.Join(d.run, "demo.log"))
	d.say("The report: %s", report)
	return nil
}

// startSandbox runs the sandbox in this process on 127.0.0.1:4599.
func (d *demo) startSandbox(ctx context.Context) (*sandbox.Server, func(), error) {
	if resp, err := http.Get(endpoint + "/_sandbox/health"); err == nil {
		_ = resp.Body.Close()
		return nil, nil, fmt.Errorf("something already answers on %s: stop the running sandbox first (the demo starts its own, with fresh data)", endpoint)
	}
	srv, err := sandbox.New(sandbox.Options{DataDir: filepath.Join(d.run, "sandbox"), SettleDelay: 200 * time.Millisecond})
	if err != nil {
		return nil, nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:4599")
	if err != nil {
		return nil, nil, fmt.Errorf("listening on 127.0.0.1:4599: %w", err)
	}
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() { _ = srv.Serve(sctx, l); close(done) }()
	d.say("sandbox listening on %s (data in %s)", endpoint, filepath.Join(d.run, "sandbox"))
	return srv, func() { cancel(); <-done }, nil
}

func (d *demo) cmd(ctx context.Context, name string, args ...string) (string, error) {
	c := exec.CommandContext(ctx, name, args...)
	c.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=sandbox", "AWS_SECRET_ACCESS_KEY=sandbox", "AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true")
	var buf bytes.Buffer
	c.Stdout, c.Stderr = &buf, &buf
	d.say("$ %s %s", filepath.Base(name), strings.Join(args, " "))
	err := c.Run()
	for _, line := range strings.Split(strings.TrimRight(buf.String(), "\n"), "\n") {
		d.say("  %s", line)
	}
	return buf.String(), err
}

// logOnly is the log file alone, for detail that would drown the story.
func (d *demo) logOnly() io.Writer { return d.logFile }

func (d *demo) goBuild(ctx context.Context, out string, ldflags string, pkg string) error {
	args := []string{"build", "-trimpath", "-o", out}
	if ldflags != "" {
		args = append(args, "-ldflags", ldflags)
	}
	c := exec.CommandContext(ctx, "go", append(args, pkg)...)
	c.Dir = filepath.Join(d.root, "..", "..")
	c.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := c.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
	}
	return nil
}

func (d *demo) buildTools(ctx context.Context) error {
	plat := filepath.Join(d.run, "mirror", "registry.terraform.io", "rollout-tf", "rollout", "0.0.1", runtime.GOOS+"_"+runtime.GOARCH)
	if err := d.goBuild(ctx, filepath.Join(plat, "terraform-provider-rollout_v0.0.1"), "-X main.version=0.0.1", "."); err != nil {
		return err
	}
	if err := d.goBuild(ctx, filepath.Join(d.run, "bin", "rolloutctl"), "", "./tools/rolloutctl"); err != nil {
		return err
	}
	rc := fmt.Sprintf("provider_installation {\n  filesystem_mirror {\n    path    = %q\n    include = [\"rollout-tf/rollout\"]\n  }\n}\n", filepath.Join(d.run, "mirror"))
	return os.WriteFile(filepath.Join(d.run, "terraform.rc"), []byte(rc), 0o644)
}

func (d *demo) buildRelease(ctx context.Context, release, defect string) error {
	bin := filepath.Join(d.run, "build", release+"-bootstrap")
	if err := d.goBuild(ctx, bin, fmt.Sprintf("-X main.release=%s -X main.defect=%s", release, defect), "./examples/demo/function"); err != nil {
		return err
	}
	b, err := os.ReadFile(bin)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(d.run, "build", release+".zip"), buf.Bytes(), 0o644)
}

func (d *demo) clients() *awsclient.Client {
	return awsclient.New(awsclient.Options{Region: "us-east-1", AccessKey: "sandbox", SecretKey: "sandbox", Getenv: func(string) string { return "" },
		Endpoints: map[awsclient.Service]string{awsclient.Lambda: endpoint, awsclient.S3: endpoint, awsclient.CloudWatch: endpoint, awsclient.STS: endpoint}})
}

func (d *demo) stateBucket(ctx context.Context) error {
	c, err := d.clients().S3(ctx)
	if err != nil {
		return err
	}
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("demo-tfstate")}); err != nil {
		return err
	}
	_, err = c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String("demo-tfstate"),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}})
	return err
}

// checkout puts a release's configuration in the working folder, as
// `git checkout <tag>` would.
func (d *demo) checkout(release string) error {
	b, err := os.ReadFile(filepath.Join(d.root, "releases", release, "main.tf"))
	if err != nil {
		return err
	}
	d.say("$ git checkout %s   (examples/demo/releases/%s)", release, release)
	return os.WriteFile(filepath.Join(d.run, "work", "main.tf"), b, 0o644)
}

func (d *demo) terraformRun(ctx context.Context, show bool, args ...string) (string, error) {
	c := exec.CommandContext(ctx, d.terraform, append(args, "-no-color")...)
	c.Dir = filepath.Join(d.run, "work")
	c.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+filepath.Join(d.run, "terraform.rc"), "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1", "NO_COLOR=1")
	var buf bytes.Buffer
	c.Stdout, c.Stderr = &buf, &buf
	d.say("$ terraform %s", strings.Join(args, " "))
	err := c.Run()
	out := buf.String()
	fmt.Fprintln(d.logOnly(), out)
	if show {
		d.echoInteresting(out)
	}
	if err != nil && !strings.Contains(out, "Canary Rolled Back") {
		d.say("%s", out)
	}
	return out, err
}

// echoInteresting prints the lines of terraform's output that tell the story.
func (d *demo) echoInteresting(out string) {
	lines := strings.Split(out, "\n")
	inError := false
	for _, raw := range lines {
		l := strings.TrimRight(raw, " ")
		t := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(t, "Error:"):
			inError = true
			d.say("  %s", t)
		case inError && t != "" && !strings.HasPrefix(t, "with ") && !strings.HasPrefix(t, "on ") && !strings.Contains(t, "resource \""):
			d.say("  %s", t)
		case strings.HasPrefix(t, "Apply complete") || strings.HasPrefix(t, "serving =") || strings.Contains(t, ": Modifications complete") || strings.Contains(t, ": Creation complete"):
			d.say("  %s", t)
		}
	}
}

// traffic sends steady requests to orders-api:live and records, each
// second, which versions served them.
func (d *demo) traffic(ctx context.Context) func() {
	c, err := d.clients().Lambda(ctx)
	if err != nil {
		d.say("traffic: %v", err)
		return func() {}
	}
	tctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		last := ""
		prev := map[string]loadgen.VersionStats{}
		_, _ = loadgen.Run(tctx, loadgen.Options{Client: c, Function: "orders-api", Qualifier: "live", RPS: 40, Payload: []byte(`{"id":"o-1","items":2}`),
			Every: func(s loadgen.Stats) {
				fmt.Fprintln(d.logOnly(), "traffic:", s)
				// Which versions served traffic during the last second.
				var parts []string
				for v, vs := range s.ByVersion {
					if vs.Invocations > prev[v].Invocations {
						parts = append(parts, "version "+v)
					}
				}
				prev = s.ByVersion
				served := strings.Join(sortStrings(parts), " + ")
				if served != last {
					d.mu.Lock()
					d.timeline = append(d.timeline, fmt.Sprintf("%s  traffic served by %s", time.Now().Format("15:04:05"), served))
					d.mu.Unlock()
					last = served
				}
			}})
	}()
	d.say("steady traffic: 40 requests/s to orders-api:live (progress in the log)")
	var once sync.Once
	return func() { once.Do(func() { cancel(); <-done }) }
}

func sortStrings(s []string) []string {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s
}

// rollbackTimes finds, in the sandbox journal, the canary shift and the
// rollback UpdateAlias after mark.
func (d *demo) rollbackTimes(mark int) (time.Time, time.Time) {
	var updates []sandbox.Call
	for _, c := range d.journal.Since(mark) {
		if c.Operation == "UpdateAlias" && c.Status == 200 {
			updates = append(updates, c)
		}
	}
	if len(updates) < 2 {
		return time.Time{}, time.Time{}
	}
	return updates[0].Time, updates[len(updates)-1].Time
}
