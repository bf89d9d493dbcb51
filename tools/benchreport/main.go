// Command benchreport runs every benchmark of the project and writes
// docs/benchmarks.md from the measured results: each figure with the
// baseline measured beside it in the same run, the ratio, the machine and
// the command that reproduces it. Nothing in the report is typed by hand.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

// result is one benchmark line: name, iterations, metrics by unit.
type result struct {
	Name    string
	N       string
	Metrics map[string]string
	Order   []string
}

var benchLine = regexp.MustCompile(`^(Benchmark\S+)\s+(\d+)\s+(.*)$`)

func parse(r io.Reader) []result {
	var out []result
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		res := result{Name: strings.TrimSuffix(m[1], "-"+fmt.Sprint(runtime.NumCPU())), N: m[2], Metrics: map[string]string{}}
		fields := strings.Fields(m[3])
		for i := 0; i+1 < len(fields); i += 2 {
			res.Metrics[fields[i+1]] = fields[i]
			res.Order = append(res.Order, fields[i+1])
		}
		out = append(out, res)
	}
	return out
}

// about says what each benchmark compares; the numbers come from the run.
var about = map[string]string{
	"BenchmarkControlPlaneVsMoto":           "A fixed control-plane sequence (create, publish, create alias, update alias, get) from one client, against rollout-sandbox (persisting, fsync per change) and moto server side by side. Target: the sandbox at least 10x moto's throughput.",
	"BenchmarkControlPlaneThroughputVsMoto": "The same sequence from 8 concurrent clients against each server; concurrent writers share the sandbox's fsyncs (group commit).",
	"BenchmarkInvokeVsDirect":               "Warm invocations of the real aws-lambda-go test function through an alias, against the floor: the same JSON answer from a plain loopback HTTP handler. Targets: at least 1,000 invocations/s, p50 overhead at most 2 ms.",
	"BenchmarkFunctionRefresh":              "A refresh (Read) of rollout_function with 1 and with 300 retained versions, side by side. Target: equal API calls, time ratio at most 1.2.",
	"BenchmarkHistoryPickVsNaive":           "rolloutctl's history + pick over 1,000 revisions of a 1 MB state in the sandbox's S3, cold (empty cache) and warm (object versions and their summaries cached on disk), with the heap held; side by side with the loop a user writes today (aws s3api get-object per version, then terraform show -json), timed on a sample of versions. Targets: at most 10 s cold, under 1 s warm, bounded memory.",
	"BenchmarkRollbackCriticalPath":         "The on-call rollback (apply of the previous release's configuration, adopting a retained version) side by side with a no-op apply of the same configuration, through the real terraform: API calls, writes and time.",
	"BenchmarkLargeObjectMemory":            "A 1 GiB object PUT then GET (ROLLOUT_BENCH_OBJECT_MB to change the size) through a sandbox in its own process with a data dir, streamed both ways; the process's resident memory at idle and at its peak (VmHWM), against the object's size. Target: peak under 64 MiB above idle.",
	"BenchmarkLambdaLatencyStalledConns":    "GetFunction p99 on an idle sandbox, then while 100 connections hold a TagResource whose body never finishes, side by side. Target: within 2x of idle.",
	"BenchmarkListObjectVersions10k":        "Paging through 10,000 object versions (1,000 a page, NextKeyMarker/NextVersionIdMarker) side by side with ListObjectsV2 over 10,000 keys in the same sandbox.",
	"BenchmarkHistoryPickScaling":           "rolloutctl's history + pick over 1,000 and over 10,000 revisions of a 1 MB state in the sandbox's S3 (objects on disk), cold (empty cache) and warm (summaries cached), side by side: the ratio 10,000/1,000 and the scaling exponent (log of the time ratio over log of the size ratio: 1 is linear). ROLLOUTCTL_BENCH_REVISIONS=SMALL,LARGE changes the sizes. Targets: linear or better (exponent at most 1.1), warm under 1 s at 10,000.",
	"BenchmarkCanaryDetectionToRestore":     "With real traffic and interval = 1s, the time from the first failing invocation of a bad canary to 100% of the traffic back on the old version, and the API writes of the rollback. Target: at most interval + 1 s, one UpdateAlias; CodeDeploy's alarm-driven rollback needs at least one 60 s alarm period.",
}

// targets judge a benchmark's measured metrics against its targets: one
// line each, met or missed, with the figure it was judged on.
var targets = map[string]func(m map[string]string) []string{
	"BenchmarkHistoryPickScaling": func(m map[string]string) []string {
		return []string{
			verdict("cold: linear or better (exponent <= 1.1)", m["cold-exponent"], func(v float64) bool { return v <= 1.1 }),
			verdict("warm: linear or better (exponent <= 1.1)", m["warm-exponent"], func(v float64) bool { return v <= 1.1 }),
			verdict(fmt.Sprintf("warm under 1 s at the largest history, %s revisions (s)", m["revisions-largest"]), m["warm-s-largest"], func(v float64) bool { return v < 1 }),
		}
	},
}

// verdict says whether a measured figure meets a target.
func verdict(target, figure string, ok func(float64) bool) string {
	v, err := strconv.ParseFloat(figure, 64)
	switch {
	case err != nil:
		return fmt.Sprintf("%s: not measured", target)
	case ok(v):
		return fmt.Sprintf("%s: %s, met", target, figure)
	default:
		return fmt.Sprintf("%s: %s, missed", target, figure)
	}
}

func main() {
	out := flag.String("o", "docs/benchmarks.md", "report file")
	benchtime := flag.String("benchtime", "1s", "go test -benchtime")
	flag.Parse()
	args := []string{"test", "-run", "^$", "-bench", ".", "-benchtime", *benchtime, "./..."}
	fmt.Fprintln(os.Stderr, "==> go", strings.Join(args, " "))
	cmd := exec.Command("go", args...)
	var buf bytes.Buffer
	cmd.Stdout = io.MultiWriter(os.Stdout, &buf)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "benchmarks failed:", err)
		os.Exit(1)
	}
	results := parse(&buf)
	sort.Slice(results, func(i, j int) bool { return results[i].Name < results[j].Name })

	var md strings.Builder
	fmt.Fprintf(&md, "# Benchmarks\n\nGenerated by `make bench` (`go run ./tools/benchreport`) on %s. Do not edit: run it again.\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&md, "| Machine | |\n|---|---|\n| CPU cores | %d |\n| Go | %s |\n| OS/arch | %s/%s |\n| Terraform | %s |\n| moto server | %s |\n\n",
		runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH, terraformVersion(os.Getenv("TF_ACC_TERRAFORM_PATH")), motoVersion())
	fmt.Fprintf(&md, "Reproduce: `go %s` (each benchmark: `go test -run '^$' -bench <Name> ./<package>`).\n\n", strings.Join(args, " "))
	for _, r := range results {
		fmt.Fprintf(&md, "## %s\n\n%s\n\n| Metric | Value |\n|---|---|\n", r.Name, about[r.Name])
		fmt.Fprintf(&md, "| iterations | %s |\n", r.N)
		for _, unit := range r.Order {
			fmt.Fprintf(&md, "| %s | %s |\n", unit, r.Metrics[unit])
		}
		md.WriteString("\n")
		if judge, ok := targets[r.Name]; ok {
			for _, l := range judge(r.Metrics) {
				fmt.Fprintf(&md, "- %s\n", l)
			}
			md.WriteString("\n")
		}
	}
	if err := os.WriteFile(*out, []byte(md.String()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "==> wrote %s (%d benchmarks)\n", *out, len(results))
}

func terraformVersion(bin string) string {
	if bin == "" {
		bin = "terraform"
	}
	b, _ := exec.Command(bin, "version").CombinedOutput()
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "Terraform v") {
			return strings.TrimSpace(l)
		}
	}
	return "not found"
}

func motoVersion() string {
	if _, err := exec.LookPath("moto_server"); err != nil {
		return "not found (its baselines are skipped)"
	}
	b, err := exec.Command("python3", "-c", "import moto; print(moto.__version__)").Output()
	if err != nil {
		return "present"
	}
	return "moto " + strings.TrimSpace(string(b))
}
