package provider_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rollout-tf/terraform-provider-rollout/internal/acctest"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sandboxtest"
)

// scaleCanaryPolicy is the schedule both sides of BenchmarkCanariesAtScale
// run: one 20% step held 2s, gates read every second; no minimum of
// invocations, so the schedule alone decides (the figure is the release's
// time, not how soon traffic reached every function).
const scaleCanaryPolicy = `  steps    = [{ weight_percent = 20, hold = "2s" }]
  interval = "1s"
  health   = { max_error_rate = 0.1 }`

// singleCanaries is groupStack's n functions with one rollout_alias canary
// each instead of the group: the same functions, releases and policy.
func singleCanaries(url, zip, prefix string, n int, release string) string {
	var b strings.Builder
	b.WriteString(acctest.SandboxConfig(url))
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `
resource "rollout_function" "m%[1]d" {
  function_name = "%[2]s-%[1]d"
  role          = %[3]q
  runtime       = "provided.al2023"
  handler       = "bootstrap"
  filename      = %[4]q
  release       = %[5]q
  environment   = { RELEASE = %[5]q, FAIL_RATE = "0" }
}

resource "rollout_alias" "m%[1]d" {
  function_name    = rollout_function.m%[1]d.function_name
  name             = "live"
  function_version = rollout_function.m%[1]d.version
  canary_policy    = rollout_canary_policy.p.spec
}
`, i, prefix, testRole, zip, release)
	}
	b.WriteString("\n" + canaryPolicy(scaleCanaryPolicy))
	return b.String()
}

// BenchmarkCanariesAtScale releases N = 1, 5 and 20 functions in one
// terraform apply, through the real terraform and the built provider, with
// the same canary schedule (scaleCanaryPolicy) two ways side by side: N
// single rollout_alias canaries (at Terraform's default -parallelism=10,
// and for N = 20 also at -parallelism=20) and one rollout_alias_group of N
// members. It reports each apply's wall time (the release apply, which
// also publishes the N new versions: the same work on both sides) and the
// ratios singles/group and N/1; and, from the sandbox journal, how many
// canaries were in flight at once at most and the span from the first
// canary's start to the last one's end (a function's canary runs from its
// alias's first UpdateAlias, the shift to 20%, to its last, the promotion).
func BenchmarkCanariesAtScale(b *testing.B) {
	if os.Getenv("TF_ACC_TERRAFORM_PATH") == "" {
		b.Skip("needs TF_ACC_TERRAFORM_PATH (make bench sets it)")
	}
	zip := writeZipTB(b, b.TempDir(), "fn.zip", "canary at scale")
	sizes := []int{1, 5, 20}
	took := map[string]time.Duration{}
	inFlight := map[string]int{}
	spans := map[string]time.Duration{}
	// release creates the stack at release r0, then applies r1 (the
	// measured apply: N canaries, or one group of N), and destroys it.
	release := func(kind string, n int, args ...string) {
		inst := sandboxtest.Start(b, sandbox.Options{SettleDelay: time.Millisecond})
		prefix := fmt.Sprintf("%s%d", kind[:1], n)
		stack := func(rel string) string {
			if kind == "group" {
				return groupStack(inst.URL, zip, prefix, n, rel, nil, scaleCanaryPolicy)
			}
			return singleCanaries(inst.URL, zip, prefix, n, rel)
		}
		r := newTFRun(b)
		r.write(stack("r0"))
		if out, err := r.run("apply", "-auto-approve"); err != nil {
			b.Fatalf("%s of %d, first apply: %v\n%s", kind, n, err, out)
		}
		r.write(stack("r1"))
		mark := inst.Journal.Mark()
		start := time.Now()
		if out, err := r.run(append([]string{"apply", "-auto-approve"}, args...)...); err != nil {
			b.Fatalf("%s of %d, release apply: %v\n%s", kind, n, err, out)
		}
		key := fmt.Sprintf("%s-%d", kind, n)
		if len(args) > 0 {
			key += "-" + strings.TrimPrefix(args[0], "-")
		}
		took[key] += time.Since(start)
		most, span := canariesInFlight(inst.Journal.Since(mark))
		inFlight[key] = max(inFlight[key], most)
		spans[key] += span
		if out, err := r.destroy(inst.URL); err != nil {
			b.Fatalf("%s of %d, destroy: %v\n%s", kind, n, err, out)
		}
	}
	for i := 0; i < b.N; i++ {
		for _, n := range sizes {
			release("singles", n)
			release("group", n)
		}
		release("singles", 20, "-parallelism=20")
	}
	b.StopTimer()
	per := func(key string) float64 { return took[key].Seconds() / float64(b.N) }
	for _, n := range sizes {
		b.ReportMetric(per(fmt.Sprintf("singles-%d", n)), fmt.Sprintf("singles-%d-s", n))
		b.ReportMetric(per(fmt.Sprintf("group-%d", n)), fmt.Sprintf("group-%d-s", n))
		b.ReportMetric(per(fmt.Sprintf("singles-%d", n))/per(fmt.Sprintf("group-%d", n)), fmt.Sprintf("singles/group-%d", n))
	}
	b.ReportMetric(per("singles-20-parallelism=20"), "singles-20-parallelism-20-s")
	b.ReportMetric(float64(inFlight["singles-20"]), "singles-20-max-in-flight")
	b.ReportMetric(float64(inFlight["singles-20-parallelism=20"]), "singles-20-parallelism-20-max-in-flight")
	b.ReportMetric(float64(inFlight["group-20"]), "group-20-max-in-flight")
	span := func(key string) float64 { return spans[key].Seconds() / float64(b.N) }
	b.ReportMetric(span("singles-1"), "singles-1-canary-span-s")
	b.ReportMetric(span("singles-20"), "singles-20-canary-span-s")
	b.ReportMetric(span("singles-20-parallelism=20"), "singles-20-parallelism-20-canary-span-s")
	b.ReportMetric(span("group-20"), "group-20-canary-span-s")
	b.ReportMetric(span("group-1"), "group-1-canary-span-s")
	b.ReportMetric(span("group-20")/span("group-1"), "group-20/group-1-canary-span")
	b.ReportMetric(per("singles-20")/per("singles-1"), "singles-20/singles-1")
	b.ReportMetric(per("singles-20-parallelism=20")/per("singles-1"), "singles-20-parallelism-20/singles-1")
	b.ReportMetric(per("group-20")/per("group-1"), "group-20/group-1")
}

// canariesInFlight is the most canaries running at once in calls (each
// function's from its first answered UpdateAlias to its last) and the span
// from the first canary's start to the last one's end.
func canariesInFlight(calls []sandbox.Call) (int, time.Duration) {
	first, last := map[string]time.Time{}, map[string]time.Time{}
	for _, c := range calls {
		if c.Operation != "UpdateAlias" || c.Status != 200 {
			continue
		}
		if _, ok := first[c.Function]; !ok {
			first[c.Function] = c.Time
		}
		last[c.Function] = c.Time
	}
	most := 0
	var from, to time.Time
	for fn, start := range first {
		if from.IsZero() || start.Before(from) {
			from = start
		}
		if last[fn].After(to) {
			to = last[fn]
		}
		n := 0
		for other, s := range first {
			if other == fn || !s.After(start) && last[other].After(start) {
				n++
			}
		}
		most = max(most, n)
	}
	return most, to.Sub(from)
}
