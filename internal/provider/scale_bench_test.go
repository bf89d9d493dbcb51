package provider_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rollout-tf/terraform-provider-rollout/internal/acctest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

// scaleOp is one Terraform command of the scale benchmark, measured.
type scaleOp struct {
	wall, cpu time.Duration // cpu: terraform and the provider, together
	calls     int           // API calls the sandbox answered
}

// BenchmarkStateScale runs the same story on states of N and of 2N
// rollout_function + rollout_alias pairs (N from ROLLOUT_BENCH_SCALE_N,
// default 15) through the real terraform and the built provider: create,
// a no-op plan, a code change of every function, and the revert to the
// previous code (adopting retained versions). It reports API calls per
// pair and, for each command, the CPU and wall time of 2N over N (target
// at most 2.2: the cost per resource stays flat as the state grows). The
// no-op plan is also run with the SDK's loggers forced on (as every run
// was before the provider quieted them when no TF_LOG* is set; Terraform
// discards those lines either way), side by side.
func BenchmarkStateScale(b *testing.B) {
	if os.Getenv("TF_ACC_TERRAFORM_PATH") == "" {
		b.Skip("needs TF_ACC_TERRAFORM_PATH (make bench sets it)")
	}
	n := 15
	if v := os.Getenv("ROLLOUT_BENCH_SCALE_N"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("ROLLOUT_BENCH_SCALE_N=%q: want a positive integer, for example 15", v)
		}
	}
	ops := []string{"create", "noop-plan", "code-change", "revert", "noop-plan-logs-on"}
	results := map[int]map[string]scaleOp{}
	for i := 0; i < b.N; i++ {
		for _, size := range []int{n, 2 * n} {
			got := runScale(b, size)
			if results[size] == nil {
				results[size] = map[string]scaleOp{}
			}
			for op, m := range got {
				r := results[size][op]
				results[size][op] = scaleOp{wall: r.wall + m.wall, cpu: r.cpu + m.cpu, calls: r.calls + m.calls}
			}
		}
	}
	b.StopTimer()
	per := func(size int, op string) scaleOp {
		r := results[size][op]
		return scaleOp{wall: r.wall / time.Duration(b.N), cpu: r.cpu / time.Duration(b.N), calls: r.calls / b.N}
	}
	for _, op := range ops[:4] {
		small, large := per(n, op), per(2*n, op)
		b.ReportMetric(float64(large.calls)/float64(2*n), op+"-calls/pair")
		b.ReportMetric(large.cpu.Seconds()/small.cpu.Seconds(), op+"-cpu-x-2N/N")
		b.ReportMetric(large.wall.Seconds()/small.wall.Seconds(), op+"-wall-x-2N/N")
		b.ReportMetric(large.cpu.Seconds(), op+"-cpu-s-2N")
	}
	quiet, loud := per(2*n, "noop-plan"), per(2*n, "noop-plan-logs-on")
	b.ReportMetric(loud.cpu.Seconds()/quiet.cpu.Seconds(), "noop-plan-cpu-logs-on-x-quiet")
	b.ReportMetric(float64(n), "N")
}

// runScale applies the story to a state of size pairs and measures each
// command.
func runScale(b *testing.B, size int) map[string]scaleOp {
	inst := sandboxtest.Start(b, sandbox.Options{SettleDelay: time.Millisecond})
	dir := b.TempDir()
	v1 := writeZipTB(b, dir, "v1.zip", "release one")
	v2 := writeZipTB(b, dir, "v2.zip", "release two")
	cfg := func(zip string) string {
		var s strings.Builder
		s.WriteString(acctest.SandboxConfig(inst.URL))
		for i := 0; i < size; i++ {
			fmt.Fprintf(&s, `
resource "rollout_function" "f%[1]d" {
  function_name = "scale-%[1]d"
  role          = "%[2]s"
  runtime       = "provided.al2023"
  handler       = "bootstrap"
  filename      = "%[3]s"
}

resource "rollout_alias" "a%[1]d" {
  function_name    = rollout_function.f%[1]d.function_name
  name             = "live"
  function_version = rollout_function.f%[1]d.version
}
`, i, testRole, zip)
		}
		return s.String()
	}
	r := newTFRun(b)
	out := map[string]scaleOp{}
	measure := func(op string, env []string, args ...string) {
		r.env = append(r.env, env...)
		defer func() { r.env = r.env[:len(r.env)-len(env)] }()
		mark := inst.Journal.Mark()
		cpu0 := childCPU(b)
		start := time.Now()
		if o, err := r.run(args...); err != nil {
			b.Fatalf("%s of %d pairs: %v\n%s", op, size, err, o)
		}
		out[op] = scaleOp{wall: time.Since(start), cpu: childCPU(b) - cpu0, calls: len(inst.Journal.Since(mark))}
	}
	r.write(cfg(v1))
	measure("create", nil, "apply", "-auto-approve")
	measure("noop-plan", nil, "plan")
	measure("noop-plan-logs-on", []string{"TF_LOG_SDK=trace", "TF_LOG_SDK_PROTO=trace", "TF_LOG_SDK_FRAMEWORK=trace", "TF_LOG_PROVIDER_ROLLOUT=trace"}, "plan")
	r.write(cfg(v2))
	measure("code-change", nil, "apply", "-auto-approve")
	r.write(cfg(v1))
	measure("revert", nil, "apply", "-auto-approve")
	return out
}

// childCPU is the user+system CPU of this process's waited-for children
// (terraform, and the provider it waited for).
func childCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
