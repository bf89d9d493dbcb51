package provider_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
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
	provider  time.Duration // the provider's share of cpu
	calls     int           // API calls the sandbox answered
}

// BenchmarkStateScale runs the same story on states of N and of 2N
// rollout_function + rollout_alias pairs (N from ROLLOUT_BENCH_SCALE_N,
// default 100, the size issue 22's target names) through the real
// terraform and the built provider: create, a no-op plan, a code change of
// every function, and the revert to the previous code (adopting retained
// versions). It reports API calls per pair and, for each command, the CPU
// and wall time of 2N over N (target at most 2.2: the cost per resource
// stays flat as the state grows), the CPU split into the provider's and
// Terraform's own: the provider runs as one process started here (debug
// mode, attached through TF_REATTACH_PROVIDERS, loggers off as a normal
// run has them), so its CPU is read from /proc and terraform's from this
// process's waited-for children. The no-op plan is also run with the
// provider started by terraform with the SDK's loggers forced on (as every
// run was before the provider quieted them when no TF_LOG* is set;
// Terraform discards those lines either way), side by side.
//
// Beside ours, at each size, the floor (runScaleFloor): the same terraform
// running the same story on built-in terraform_data resources with as
// large a state per pair, so that Terraform's own growth is a figure
// measured in the same run. Terraform's local backend writes the whole
// state after each resource instance an apply changes (v1.11.4:
// updateStateHook in internal/terraform/node_resource_apply_instance.go
// calls StateHook.PostStateUpdate, internal/backend/local/hook_state.go,
// which calls statemgr.Filesystem.WriteState: a deep copy, a comparison
// and a write of the whole file, internal/states/statemgr/filesystem.go),
// so its CPU in an apply grows as N squared whatever the provider does.
func BenchmarkStateScale(b *testing.B) {
	if os.Getenv("TF_ACC_TERRAFORM_PATH") == "" {
		b.Skip("needs TF_ACC_TERRAFORM_PATH (make bench sets it)")
	}
	n := 100
	if v := os.Getenv("ROLLOUT_BENCH_SCALE_N"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("ROLLOUT_BENCH_SCALE_N=%q: want a positive integer, for example 15", v)
		}
	}
	ops := []string{"create", "noop-plan", "code-change", "revert", "noop-plan-logs-on"}
	results := map[int]map[string]scaleOp{}
	add := func(size int, got map[string]scaleOp) {
		if results[size] == nil {
			results[size] = map[string]scaleOp{}
		}
		for op, m := range got {
			r := results[size][op]
			results[size][op] = scaleOp{wall: r.wall + m.wall, cpu: r.cpu + m.cpu, provider: r.provider + m.provider, calls: r.calls + m.calls}
		}
	}
	var stateBytes, floorBytes int // per pair, from the last run of each
	// Each iteration is scaleRounds rounds (N, its floor, 2N, its floor),
	// so a ratio stands on more than one run even when the benchmark runs
	// once: one run's 2N/N moved by 0.3 from run to run on this machine.
	const scaleRounds = 3
	rounds := b.N * scaleRounds
	for i := 0; i < rounds; i++ {
		for _, size := range []int{n, 2 * n} {
			got, bytes := runScale(b, size)
			add(size, got)
			stateBytes = bytes
			// The floor, right after ours at the same size: the same
			// terraform with no provider of ours, its state as large.
			got, floorBytes = runScaleFloor(b, size, stateBytes)
			add(size, got)
		}
	}
	b.StopTimer()
	per := func(size int, op string) scaleOp {
		r := results[size][op]
		return scaleOp{wall: r.wall / time.Duration(rounds), cpu: r.cpu / time.Duration(rounds), provider: r.provider / time.Duration(rounds), calls: r.calls / rounds}
	}
	for _, op := range ops[:4] {
		small, large := per(n, "floor-"+op), per(2*n, "floor-"+op)
		b.ReportMetric(large.cpu.Seconds()/small.cpu.Seconds(), "floor-"+op+"-cpu-x-2N/N")
		b.ReportMetric(large.wall.Seconds()/small.wall.Seconds(), "floor-"+op+"-wall-x-2N/N")
	}
	b.ReportMetric(float64(stateBytes)/1024, "state-KB/pair")
	b.ReportMetric(float64(floorBytes)/1024, "floor-state-KB/pair")
	for _, op := range ops[:4] {
		small, large := per(n, op), per(2*n, op)
		b.ReportMetric(float64(large.calls)/float64(2*n), op+"-calls/pair")
		b.ReportMetric(large.cpu.Seconds()/small.cpu.Seconds(), op+"-cpu-x-2N/N")
		b.ReportMetric(large.wall.Seconds()/small.wall.Seconds(), op+"-wall-x-2N/N")
		b.ReportMetric(large.cpu.Seconds(), op+"-cpu-s-2N")
		b.ReportMetric(large.provider.Seconds()/small.provider.Seconds(), op+"-provider-cpu-x-2N/N")
		b.ReportMetric((large.cpu-large.provider).Seconds()/(small.cpu-small.provider).Seconds(), op+"-terraform-cpu-x-2N/N")
		b.ReportMetric(large.provider.Seconds()/float64(2*n)*1000, op+"-provider-cpu-ms/pair-2N")
		b.ReportMetric(small.provider.Seconds()/float64(n)*1000, op+"-provider-cpu-ms/pair-N")
	}
	quiet, loud := per(2*n, "noop-plan"), per(2*n, "noop-plan-logs-on")
	b.ReportMetric(loud.cpu.Seconds()/quiet.cpu.Seconds(), "noop-plan-cpu-logs-on-x-quiet")
	b.ReportMetric(float64(n), "N")
	b.ReportMetric(float64(rounds), "samples")
}

// runScale applies the story to a state of size pairs and measures each
// command; it also returns the state's size per pair after create.
func runScale(b *testing.B, size int) (map[string]scaleOp, int) {
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
	prov := startAttachedProvider(b, size)
	r.env = append(r.env, "TF_REATTACH_PROVIDERS="+prov.reattach)
	out := map[string]scaleOp{}
	measure := func(op string, env []string, args ...string) {
		r.env = append(r.env, env...)
		defer func() { r.env = r.env[:len(r.env)-len(env)] }()
		mark := inst.Journal.Mark()
		cpu0, p0 := childCPU(b), prov.cpu(b)
		start := time.Now()
		if o, err := r.run(args...); err != nil {
			b.Fatalf("%s of %d pairs: %v\n%s", op, size, err, o)
		}
		wall, provider := time.Since(start), prov.cpu(b)-p0
		out[op] = scaleOp{wall: wall, cpu: childCPU(b) - cpu0 + provider, provider: provider, calls: len(inst.Journal.Since(mark))}
	}
	r.write(cfg(v1))
	measure("create", nil, "apply", "-auto-approve")
	st, err := os.Stat(filepath.Join(r.dir, "terraform.tfstate"))
	if err != nil {
		b.Fatal(err)
	}
	measure("noop-plan", nil, "plan")
	// Logs on: terraform starts the provider (not attached), so the
	// children's CPU holds both.
	measure("noop-plan-logs-on", []string{"TF_REATTACH_PROVIDERS=", "TF_LOG_SDK=trace", "TF_LOG_SDK_PROTO=trace", "TF_LOG_SDK_FRAMEWORK=trace", "TF_LOG_PROVIDER_ROLLOUT=trace"}, "plan")
	r.write(cfg(v2))
	measure("code-change", nil, "apply", "-auto-approve")
	r.write(cfg(v1))
	measure("revert", nil, "apply", "-auto-approve")
	return out, int(st.Size()) / size
}

// runScaleFloor runs the same story on Terraform's built-in terraform_data
// resources, no provider of ours and no API behind them: per pair, one
// terraform_data standing for the function (its input holds the revision
// and a padding that makes the state as large per pair as ours,
// stateBytes) and one for the alias (its input is the first one's output,
// the same dependency). create, a no-op plan, a "code change" (every
// revision changes, so both of each pair change in place) and the revert,
// each measured as ours are: terraform's CPU (the built-in provider runs
// inside it) and wall time. It returns its state's size per pair.
func runScaleFloor(b *testing.B, size, stateBytes int) (map[string]scaleOp, int) {
	tf := os.Getenv("TF_ACC_TERRAFORM_PATH")
	dir := b.TempDir()
	pad := ""
	cfg := func(rev string, pairs int) string {
		var s strings.Builder
		for i := 0; i < pairs; i++ {
			fmt.Fprintf(&s, `
resource "terraform_data" "f%[1]d" {
  input = { revision = "%[2]s", pad = "%[3]s" }
}

resource "terraform_data" "a%[1]d" {
  input = terraform_data.f%[1]d.output
}
`, i, rev, pad)
		}
		return s.String()
	}
	out := map[string]scaleOp{}
	run := func(dir, config string, args ...string) {
		if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(config), 0o600); err != nil {
			b.Fatal(err)
		}
		cmd := exec.Command(tf, append(args, "-no-color", "-input=false")...)
		cmd.Dir, cmd.Env = dir, append(os.Environ(), "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1", "TF_CLI_CONFIG_FILE=")
		if o, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("terraform_data floor, %s of %d pairs: %v\n%s", strings.Join(args, " "), size, err, o)
		}
	}
	stateSize := func(dir string) int {
		st, err := os.Stat(filepath.Join(dir, "terraform.tfstate"))
		if err != nil {
			b.Fatal(err)
		}
		return int(st.Size())
	}
	// Calibration, not measured: the state bytes of 10 pairs without
	// padding; each pair's state holds the padding four times (input and
	// output of both resources), so the padding that matches ours is a
	// quarter of what ours has beyond that.
	const calibration = 10
	cal := b.TempDir()
	run(cal, cfg("one", calibration), "apply", "-auto-approve")
	pad = strings.Repeat("x", max(0, stateBytes-stateSize(cal)/calibration)/4)
	measure := func(op string, rev string, args ...string) {
		cpu0 := childCPU(b)
		start := time.Now()
		run(dir, cfg(rev, size), args...)
		out["floor-"+op] = scaleOp{wall: time.Since(start), cpu: childCPU(b) - cpu0}
	}
	measure("create", "one", "apply", "-auto-approve")
	created := stateSize(dir)
	measure("noop-plan", "one", "plan")
	measure("code-change", "two", "apply", "-auto-approve")
	measure("revert", "one", "apply", "-auto-approve")
	return out, created / size
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

// attachedProvider is the built provider running in debug mode, for
// terraform to attach to: a child of this process, so its CPU is its own.
type attachedProvider struct {
	pid      int
	reattach string // TF_REATTACH_PROVIDERS's value
}

// startAttachedProvider starts the built provider with -debug and the
// loggers a normal run has when no TF_LOG* is set (off: main.go's
// quietLogsUnlessAsked does not run in debug mode), and stops it when the
// benchmark ends.
//
// With ROLLOUT_BENCH_SCALE_PROFILE set to a folder, the provider writes a
// pprof CPU profile of its whole session there, provider-<size>.pprof
// (main.go's -cpuprofile, which only a debug-mode provider honours), to
// compare N with 2N: go tool pprof -top -normalize -diff_base.
func startAttachedProvider(b *testing.B, size int) *attachedProvider {
	args := []string{"-debug"}
	dir := os.Getenv("ROLLOUT_BENCH_SCALE_PROFILE")
	if dir != "" {
		args = append(args, "-cpuprofile="+filepath.Join(dir, fmt.Sprintf("provider-%d.pprof", size)),
			"-memprofile="+filepath.Join(dir, fmt.Sprintf("provider-%d.heap", size)))
	}
	cmd := exec.Command(filepath.Join(providerBinary(b), "terraform-provider-rollout"), args...)
	cmd.Env = append(os.Environ(), "TF_LOG_SDK=off", "TF_LOG_SDK_PROTO=off", "TF_LOG_SDK_FRAMEWORK=off", "TF_LOG_PROVIDER_ROLLOUT=off")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if dir != "" {
		// The provider's stderr beside its profile: GODEBUG=gctrace=1 in the
		// benchmark's environment reaches it and prints one line per GC.
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("provider-%d.stderr", size)))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = f.Close() })
		cmd.Stderr = f
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	})
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		line := strings.TrimSpace(lines.Text())
		if v, ok := strings.CutPrefix(line, "TF_REATTACH_PROVIDERS='"); ok {
			go func() { _, _ = io.Copy(io.Discard, stdout) }()
			return &attachedProvider{pid: cmd.Process.Pid, reattach: strings.TrimSuffix(v, "'")}
		}
	}
	b.Fatalf("the provider in debug mode printed no TF_REATTACH_PROVIDERS line (%v)", lines.Err())
	return nil
}

// cpu is the provider's user+system CPU so far, from /proc/<pid>/stat
// (fields 14 and 15, in USER_HZ = 100 ticks a second).
func (p *attachedProvider) cpu(b *testing.B) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.pid))
	if err != nil {
		b.Fatal(err)
	}
	// The command name (field 2) may hold spaces: count after its ')'.
	fields := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:]))
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		b.Fatalf("/proc/%d/stat: %q", p.pid, raw)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond
}
