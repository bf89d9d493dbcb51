// Command benchreport runs every benchmark of the project and writes
// docs/benchmarks.md from the measured results: each figure with the
// baseline measured beside it in the same run, the ratio, the machine and
// the command that reproduces it. Nothing in the report is typed by hand.
package main

import (
	"bufio"
	"bytes"
	"errors"
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

// benchLine is one result line; the -N suffix (GOMAXPROCS) is not part
// of the name.
var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+(\d+)\s+(.*)$`)

func parse(r io.Reader) []result {
	var out []result
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		res := result{Name: m[1], N: m[2], Metrics: map[string]string{}}
		fields := strings.Fields(m[3])
		for i := 0; i+1 < len(fields); i += 2 {
			res.Metrics[fields[i+1]] = fields[i]
			res.Order = append(res.Order, fields[i+1])
		}
		out = append(out, res)
	}
	return out
}

// A target is one goal a benchmark's figure is held to: Metric compared
// with Cmp ("<=" or ">=") against either a number (Value) or another
// metric of the same run (Than). Source says where the target comes from.
// Floor, when set, names a metric of the same run in the same unit that
// measures the best this figure can be on this machine (the same work
// with everything of ours taken out); a miss then says whether that
// floor itself misses the target, that is whether the machine forbids it.
// FloorIs says in words what that floor is, so a reader can judge whether
// it is a limit of the machine or of this design.
type target struct {
	Metric  string
	Cmp     string
	Value   float64
	Than    string
	Floor   string
	FloorIs string
	Source  string
}

// targets are the goals the report checks each figure against, so a miss
// is printed as a miss instead of left for the reader to notice.
var targets = map[string][]target{
	"BenchmarkControlPlaneVsMoto": {
		{Metric: "throughput-x-moto", Cmp: ">=", Value: 10, Floor: "durable-floor-x-moto", FloorIs: "the same SDK client against a server that only syncs the four writes: a limit of the client and the disk, for any server measured this way", Source: "issue 22: the sandbox at least 10x a warmed moto, one client, every acknowledged write synced"},
		{Metric: "sandbox-x-durable-floor", Cmp: ">=", Value: 0.8, Source: "issue 22: where the disk forbids 10x, the ratio to the measured floor (the sandbox's own logic at most a quarter of the time)"},
	},
	"BenchmarkInvokeVsDirect": {
		{Metric: "c1-p50-x-floor", Cmp: "<=", Value: 2, Floor: "c1-runtime-floor-x-floor", FloorIs: "this design's floor, not the machine's: the same function behind a bare Runtime API, two processes and three loopback exchanges; only a design that ran handlers in the sandbox's process could go lower", Source: "issue 22: one client, p50 within 2x of the same SDK client's floor"},
		{Metric: "c1-p50-x-runtime-floor", Cmp: "<=", Value: 1.5, Source: "the sandbox's own logic: within 1.5x of the runtime floor (same function binary behind a bare Runtime API)"},
		{Metric: "c8-sandbox-invokes/s", Cmp: ">=", Value: 1000, Source: "DESIGN.md: at least 1,000 warm invocations/s"},
	},
	"BenchmarkFunctionRefresh": {
		{Metric: "calls/refresh-300-versions", Cmp: "<=", Than: "calls/refresh-1-version", Source: "issue 13: a refresh's calls do not grow with retained versions"},
		{Metric: "time-ratio-300/1", Cmp: "<=", Value: 1.2, Source: "issue 13"},
	},
	"BenchmarkHistoryPickVsNaive": {
		{Metric: "cold-s", Cmp: "<=", Value: 10, Source: "rolloutctl: 1,000 revisions cold within 10 s"},
		{Metric: "warm-s", Cmp: "<=", Value: 1, Source: "rolloutctl: warm under 1 s"},
	},
	"BenchmarkLargeObjectMemory": {
		{Metric: "peak-above-idle-MiB", Cmp: "<=", Value: 64, Source: "issue 14: large objects streamed, peak under 64 MiB above idle"},
	},
	"BenchmarkMultipartUploadMemory": {
		{Metric: "peak-above-idle-MiB", Cmp: "<=", Value: 64, Source: "issue 14: large objects streamed whatever the client sends (a multipart upload held every part in memory: 699 MiB above idle for 256 MiB)"},
	},
	"BenchmarkLambdaLatencyStalledConns": {
		{Metric: "p99-ratio", Cmp: "<=", Value: 2, Source: "issue 14: stalled clients do not slow others beyond 2x"},
	},
	"BenchmarkCanaryDetectionToRestore": {
		{Metric: "detection-to-restore-max-s", Cmp: "<=", Value: 2, Source: "interval (1 s) + 1 s"},
		{Metric: "rollback-UpdateAlias/op", Cmp: "<=", Value: 1, Source: "one write restores traffic"},
	},
	"BenchmarkCanariesAtScale": {
		{Metric: "group-20/group-1-canary-span", Cmp: "<=", Value: 1.2, Source: "issue 18: a group of 20 takes about one canary's duration, through the real terraform (the canary spans, without the publishing both share)"},
	},
	"BenchmarkUnreadableHealthRollback": {
		{Metric: "unreadable-to-restore-max-s", Cmp: "<=", Value: 5, Source: "issue 13: 3 intervals (1 s) + 2 s"},
	},
	"BenchmarkMetricQueryVsHistory": {
		{Metric: "time-ratio-day/min", Cmp: "<=", Value: 1.5, Source: "issue 22: metrics indexed, no scan of the history"},
	},
	"BenchmarkStateScale": {
		{Metric: "create-cpu-x-2N/N", Cmp: "<=", Value: 2.2, Floor: "floor-create-cpu-x-2N/N", FloorIs: "Terraform itself managing the same number of terraform_data resources: its own growth in N, outside the provider", Source: "issue 22: CPU per resource flat in N"},
		{Metric: "noop-plan-cpu-x-2N/N", Cmp: "<=", Value: 2.2, Floor: "floor-noop-plan-cpu-x-2N/N", FloorIs: "Terraform itself managing the same number of terraform_data resources: its own growth in N, outside the provider", Source: "issue 22"},
		{Metric: "code-change-cpu-x-2N/N", Cmp: "<=", Value: 2.2, Floor: "floor-code-change-cpu-x-2N/N", FloorIs: "Terraform itself managing the same number of terraform_data resources: its own growth in N, outside the provider", Source: "issue 22"},
		{Metric: "revert-cpu-x-2N/N", Cmp: "<=", Value: 2.2, Floor: "floor-revert-cpu-x-2N/N", FloorIs: "Terraform itself managing the same number of terraform_data resources: its own growth in N, outside the provider", Source: "issue 22"},
		{Metric: "revert-wall-x-2N/N", Cmp: "<=", Value: 2.2, Floor: "floor-revert-wall-x-2N/N", FloorIs: "Terraform itself managing the same number of terraform_data resources: its own growth in N, outside the provider", Source: "issue 22"},
		{Metric: "noop-plan-calls/pair", Cmp: "<=", Value: 4, Source: "issue 22: a no-op plan at most 2 API calls per resource (a pair is 2)"},
		{Metric: "create-provider-cpu-x-2N/N", Cmp: "<=", Value: 2.2, Source: "issue 22: provider CPU per resource flat in N"},
		{Metric: "noop-plan-provider-cpu-x-2N/N", Cmp: "<=", Value: 2.2, Source: "issue 22"},
		{Metric: "code-change-provider-cpu-x-2N/N", Cmp: "<=", Value: 2.2, Source: "issue 22"},
		{Metric: "revert-provider-cpu-x-2N/N", Cmp: "<=", Value: 2.2, Source: "issue 22"},
		{Metric: "create-cpu-x-2N/N", Cmp: "<=", Than: "floor-create-cpu-x-2N/N", Source: "the measured floor: the same terraform on terraform_data, same N and 2N, as large a state per pair, this run"},
		{Metric: "code-change-cpu-x-2N/N", Cmp: "<=", Than: "floor-code-change-cpu-x-2N/N", Source: "the measured floor (terraform_data), this run"},
		{Metric: "revert-cpu-x-2N/N", Cmp: "<=", Than: "floor-revert-cpu-x-2N/N", Source: "the measured floor (terraform_data), this run"},
		{Metric: "code-change-terraform-cpu-x-2N/N", Cmp: "<=", Than: "floor-code-change-cpu-x-2N/N", Source: "Terraform's own CPU beside ours grows no faster than on terraform_data: the growth is Terraform's, not induced by the provider"},
		{Metric: "revert-terraform-cpu-x-2N/N", Cmp: "<=", Than: "floor-revert-cpu-x-2N/N", Source: "as above"},
	},
	"BenchmarkAliasGroupDuration": {
		{Metric: "group-20/group-1", Cmp: "<=", Value: 1.2, Source: "issue 18: 20 members within 1.2x of 1"},
	},
	"BenchmarkAliasGroupDetectionToRestore": {
		{Metric: "first-failure-to-all-restored-max-s", Cmp: "<=", Value: 2, Source: "issue 18: interval (1 s) + 1 s"},
		{Metric: "rollback-UpdateAlias/release", Cmp: "<=", Value: 5, Source: "issue 18: one rollback write per member (5), issued in parallel"},
	},
	"BenchmarkHistoryPickScaling": {
		{Metric: "cold-exponent", Cmp: "<=", Value: 1.1, Source: "issue 21: history + pick linear or better in revisions (1 is linear)"},
		{Metric: "warm-exponent", Cmp: "<=", Value: 1.1, Source: "issue 21"},
		{Metric: "warm-s-largest", Cmp: "<=", Value: 1, Source: "issue 21: warm under 1 s at 10,000 revisions"},
		{Metric: "pick-heap-x-10000/1000", Cmp: "<=", Value: 1.5, Source: "issue 22: memory bounded independent of the number of revisions, for S3 as for folders (pick reads S3's listing as it goes, newest first)"},
	},
	"BenchmarkHistoryPickFolder/held": {
		{Metric: "pick-heap-x-5000/500", Cmp: "<=", Value: 1.5, Source: "issue 22: memory bounded independent of the number of revisions (pick: heap at 10x revisions within 1.5x)"},
		{Metric: "history-table-heap-B/added-revision", Cmp: "<=", Value: 1000, Source: "issue 22: the history table prints a row per revision and holds a small one (was 49.8 KB per revision)"},
		{Metric: "history-json-heap-B/added-revision", Cmp: "<=", Value: 1000, Source: "issue 22: history --json walks the history and spools its lines instead of holding every revision's summary (the whole history: 7.7 KB per revision)"},
		{Metric: "diff-heap-B/added-revision", Cmp: "<=", Value: 1000, Source: "issue 22: diff walks the history and keeps the two revisions it names"},
	},
	"BenchmarkHistoryPickFolder/pairs=100": {
		{Metric: "cold/warm", Cmp: ">=", Value: 10, Source: "issue 22: snapshot folders cached like S3 (warm at least 10x faster than cold)"},
		{Metric: "heap-KB/revision", Cmp: "<=", Value: 100, Source: "issue 22: revisions keep summaries, not states (was about 100 KB per revision)"},
	},
	"BenchmarkRollbackCriticalPath": {
		{Metric: "rollback-writes-until-safe", Cmp: "<=", Value: 1, Source: "issue 13: the first write of a rollback makes traffic safe"},
	},
	"BenchmarkInterlockRollback": {
		{Metric: "messages-lost", Cmp: "<=", Value: 0, Source: "issue 19: a rollback through the interlock loses no message"},
		{Metric: "seen-by-rejected-after-decision", Cmp: "<=", Value: 0, Source: "issue 19: no message reaches the rejected version after the rollback decision"},
		{Metric: "processed-twice", Cmp: "<=", Value: 0, Source: "issue 19: none processed twice"},
	},
}

// verdict is one target checked against a run.
type verdict struct {
	Benchmark string
	Target    target
	Measured  string
	Samples   string
	Met       bool
	Missing   bool
	FloorNote string // for a miss with a Floor: what the measured floor says
}

func (t target) String() string {
	if t.Than != "" {
		return fmt.Sprintf("%s %s %s", t.Metric, t.Cmp, t.Than)
	}
	return fmt.Sprintf("%s %s %s", t.Metric, t.Cmp, strconv.FormatFloat(t.Value, 'g', -1, 64))
}

// samples is how many measurements stand behind a benchmark's figures: its
// own "samples" metric when it reports one (several measurements per
// iteration), else its iterations.
func (r result) samples() string {
	n := r.N
	if s, ok := r.Metrics["samples"]; ok {
		n = s
	}
	if f, err := strconv.ParseFloat(n, 64); err == nil && f == 1 {
		return "1 (one sample)"
	}
	return n
}

// check holds every result against its targets; a target whose metric the
// run did not report is a miss, never a pass.
func check(results []result) []verdict {
	var out []verdict
	for _, r := range results {
		for _, t := range targets[r.Name] {
			v := verdict{Benchmark: r.Name, Target: t, Samples: r.samples()}
			got, ok := number(r.Metrics[t.Metric])
			want := t.Value
			if t.Than != "" {
				var okThan bool
				want, okThan = number(r.Metrics[t.Than])
				ok = ok && okThan
			}
			if !ok {
				v.Missing = true
				v.Measured = "not reported"
				out = append(out, v)
				continue
			}
			v.Measured = r.Metrics[t.Metric]
			if t.Than != "" {
				v.Measured += fmt.Sprintf(" (%s = %s)", t.Than, r.Metrics[t.Than])
			}
			v.Met = meets(t.Cmp, got, want)
			if !v.Met && t.Floor != "" {
				v.FloorNote = floorNote(t, r.Metrics[t.Floor], want)
			}
			out = append(out, v)
		}
	}
	return out
}

func meets(cmp string, got, want float64) bool {
	switch cmp {
	case "<=":
		return got <= want
	case ">=":
		return got >= want
	}
	return false
}

// floorNote says whether the measured floor of a missed figure meets the
// target itself: if it does not, nothing built on this machine could.
func floorNote(t target, floor string, want float64) string {
	f, ok := number(floor)
	if !ok {
		return fmt.Sprintf("its floor %s was not reported", t.Floor)
	}
	if meets(t.Cmp, f, want) {
		return fmt.Sprintf("the measured floor allows it: %s = %s", t.Floor, floor)
	}
	if t.FloorIs != "" {
		return fmt.Sprintf("the measured floor forbids it: %s = %s; the floor is %s", t.Floor, floor, t.FloorIs)
	}
	return fmt.Sprintf("the measured floor forbids it: %s = %s", t.Floor, floor)
}

func number(s string) (float64, bool) {
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

func (v verdict) word() string {
	switch {
	case v.Met:
		return "met"
	case v.FloorNote != "":
		return "**MISSED** (" + v.FloorNote + ")"
	}
	return "**MISSED**"
}

// about says what each benchmark compares; the numbers come from the run.
var about = map[string]string{
	"BenchmarkControlPlaneVsMoto":                       "A fixed control-plane sequence (create, publish, create alias, update alias, get) from one client, against rollout-sandbox (persisting, every change synced before its answer), moto server (in memory) and the durable floor, interleaved sequence by sequence so all three see the same disk and the same load, all warmed by one sequence first. The durable floor is the same SDK client against a loopback handler that writes each of the four writes' request body into a preallocated file and syncs it (fdatasync, as the sandbox's log does) before answering {}, and answers the read at once: the least one client can pay here for four acknowledged, durable writes. Targets: the sandbox at least 10x moto's throughput (durable-floor-x-moto says whether this disk and client allow that at all), and at least 0.8 of the floor's throughput (sandbox-x-durable-floor: the sandbox's own logic). sync-p50-ms is one small record synced into existing blocks, back to back, for reference; sync-after-idle-p50-ms the same after 200 µs asleep, as between a client's requests: on this machine a sync that follows an idle CPU costs more (the floor, which idles between requests as the sandbox does, pays that).",
	"BenchmarkControlPlaneThroughputVsMoto":             "The same sequence from 8 concurrent clients against each server (an iteration is one round: each of the 8 runs the sequence once), both servers warmed by one sequence first; concurrent writers share the sandbox's fsyncs (group commit).",
	"BenchmarkInvokeVsDirect":                           "Warm invocations of the real aws-lambda-go test function through an alias, at concurrency 1 and 8, against the floor: the same AWS SDK client calling Invoke on a loopback handler that answers at once (both sides pay the SDK); and against the runtime floor: the same function binary behind a bare Runtime API (long-polled next, posted response) with nothing else, the least this design of two processes and three loopback exchanges costs. Where the sandbox misses 2x of the plain floor, its ratio to the runtime floor says how much is its own logic. cpu-us/invoke is this process's CPU per call (client + sandbox, or client + floor handler); the function's own process is not in it. Targets: at concurrency 1 the p50 within 2x of the floor; at least 1,000 invocations/s.",
	"BenchmarkFunctionRefresh":                          "A refresh (Read) of rollout_function with 1 and with 300 retained versions, side by side. Target: equal API calls, time ratio at most 1.2.",
	"BenchmarkHistoryPickVsNaive":                       "rolloutctl's history + pick over 1,000 revisions of a state terraform wrote (testdata/terraform-1.11.4/02.tfstate) with its resources repeated for 100 function/alias pairs (0.7 MB; the version moves every 100 revisions), in the sandbox's S3, cold (empty cache) and warm (object versions and their summaries cached on disk), with the heap held; side by side with the loop a user writes today: aws s3api get-object of a version, then terraform show -json of it in a working directory with this provider (so terraform decodes every resource with the provider's schema), timed per revision on a sample of versions spread evenly over the history (naive-sampled-revisions of them, ROLLOUTCTL_BENCH_NAIVE_SAMPLE; the whole loop over 1,000 takes about 20 minutes). naive-s-for-1000-from-sample is the sample's mean times 1,000, an estimate, and says so. Targets: at most 10 s cold, under 1 s warm.",
	"BenchmarkRollbackCriticalPath":                     "The on-call rollback (apply of the previous release's configuration, adopting a retained version) side by side with a no-op apply of the same configuration, through the real terraform: API calls, writes and time.",
	"BenchmarkLargeObjectMemory":                        "A 1 GiB object PUT then GET (ROLLOUT_BENCH_OBJECT_MB to change the size) through a sandbox in its own process with a data dir, streamed both ways; the process's resident memory at idle and at its peak (VmHWM), against the object's size. Target: peak under 64 MiB above idle.",
	"BenchmarkMultipartUploadMemory":                    "The same size (ROLLOUT_BENCH_OBJECT_MB) uploaded as a multipart upload of 64 MiB parts, as aws s3 cp and SDK upload managers send large files, completed and read back, through a sandbox in its own process with a data dir; resident memory at idle and at its peak (VmHWM). Target: peak under 64 MiB above idle.",
	"BenchmarkLambdaLatencyStalledConns":                "GetFunction p99 on an idle sandbox, then while 100 connections hold a TagResource whose body never finishes, side by side. Target: within 2x of idle.",
	"BenchmarkListObjectVersions10k":                    "Paging through 10,000 object versions (1,000 a page, NextKeyMarker/NextVersionIdMarker) side by side with ListObjectsV2 over 10,000 keys in the same sandbox.",
	"BenchmarkHistoryPickFolder/pairs=100":              "rolloutctl's history + pick over a snapshot folder of 500 revisions (ROLLOUTCTL_BENCH_FOLDER_REVISIONS) of a state terraform wrote, its resources repeated for 100 function/alias pairs (0.7 MB, every resource in rolloutctl's view), cold (empty summary cache) and warm, with the heap the revisions hold (measured by dropping them). Targets: warm at least 10x faster than cold; at most 100 KB held per revision.",
	"BenchmarkHistoryPickFolder/pairs=1":                "As pairs=100 with one function/alias pair (7 KB): under 64 KiB a snapshot is summarised, not cached, so warm is about cold.",
	"BenchmarkHistoryPickFolder/held":                   "The heap rolloutctl pick, history, history --json and diff hold over 500 and over 5,000 revisions (ROLLOUTCTL_BENCH_HELD_REVISIONS=SMALL,LARGE) of an evolving snapshot folder of the state terraform wrote, repeated for 100 function/alias pairs (0.7 MB): every tenth revision publishes a new version of one function in turn, four revisions later its alias moves to it, the others change the serial only. pick reads newest first (PickFrom) and holds the reference and the revisions back to the one it chooses (they are printed), one batch of summaries being read (32) and the last 8 distinct summaries decoded (shared by equal ones), and per revision of the history only the folder's listing entry (name, time, size, inode: what ordering by time needs), so it is bounded but for that entry (pick-heap-B/added-revision). history's table prints a row per revision, sorted, its columns aligned over all rows: it walks oldest first and holds a row per revision (time, hash, lineage, serial, flags, the line's text shared with the row before when equal), so it grows by that row (history-table-heap-B/added-revision). history --json walks oldest first and spools each line to a temporary file, written out as one array at the end; diff walks and keeps the two revisions it names (here the first and the last); both hold per revision the listing entry and the lineage/serial key that flags a duplicate serial. Each heap is sampled after a full GC at 20 points of the walk, the most kept. Side by side: the whole history read into memory and picked in (every revision's summary, equal summaries of consecutive revisions shared; what rolloutctl report still reads, to draw its timelines), measured by dropping it. Targets: pick's heap at 10x the revisions within 1.5x; history's table, history --json and diff at most 1 KB per added revision.",
	"BenchmarkSummaryParse/full":                        "One state terraform wrote, repeated for 100 function/alias pairs, decoded in full (every attribute into maps): the baseline of the summary parser.",
	"BenchmarkSummaryParse/narrow-struct":               "The same state through rolloutctl's summary parser: one goccy/go-json Unmarshal into narrow structs naming only what the summary reads (on any error, encoding/json decides; FuzzSummaryDecodersAgree holds the two to the same answers).",
	"BenchmarkSummaryParse/narrow-struct-encoding-json": "The same narrow structs through encoding/json alone: the decoder the summary parser used before.",
	"BenchmarkSummaryParse/token-stream":                "The same state through a json.Decoder token stream keeping the same fields (measured, not used).",
	"BenchmarkHistoryPickScaling":                       "rolloutctl's history + pick over 1,000 and over 10,000 revisions of the same state terraform wrote, repeated for 100 function/alias pairs (0.7 MB), in the sandbox's S3 (objects on disk), cold (empty cache) and warm (summaries cached), side by side: the ratio 10,000/1,000 and the scaling exponent (log of the time ratio over log of the size ratio: 1 is linear). ROLLOUTCTL_BENCH_REVISIONS=SMALL,LARGE changes the sizes. The history is written by eight writers at once, its newest ten revisions one at a time so that it ends alike at both sizes. heap-MB is the whole history in memory (every revision's summary, as rolloutctl report reads it); pick-heap-MB is rolloutctl pick's walk over the warm history, sampled after a full GC at 20 points of the walk, the median of three walks' peaks: S3 lists a key's versions newest first, so pick reads the listing as it goes and holds a page of it (1,000 entries) at most, the batch of summaries being read, the last 8 distinct summaries decoded, and the revisions back to the one it chooses (pick-held-revisions: the reference, those it rejects and prints, the chosen one). Targets: linear or better (exponent at most 1.1), warm under 1 s at 10,000, pick's heap at 10x the revisions within 1.5x.",
	"BenchmarkStateScale":                               "The same story on a state of N and of 2N rollout_function + rollout_alias pairs (N = 100, the size issue 22's target names; ROLLOUT_BENCH_SCALE_N to change it), through the real terraform and the built provider against the sandbox, three rounds (N, its floor, 2N, its floor) whose means are compared: create, a no-op plan, a code change of every function, the revert to the previous code. API calls per pair at 2N, and each command's CPU (terraform and provider together) and wall time at 2N over N, with the CPU split: the provider runs as one process attached through TF_REATTACH_PROVIDERS (its CPU read from /proc; provider-cpu-ms/pair at N and at 2N) and terraform-cpu is Terraform's own. Beside it, in the same run, the floor: the same terraform binary running the same story on built-in terraform_data resources (two per pair, the second taking the first's output, the first's input changing in the code change and back in the revert), no provider of ours and no API, with a padding that makes its state as large per pair as ours (state-KB/pair and floor-state-KB/pair, both measured); floor-*-cpu-x-2N/N is Terraform's own growth (its constant start-up cost is in it, which if anything lowers the ratio), and the total-CPU targets are held to it as well as to 2.2; the floor's wall time is mostly Terraform's start-up (no API behind terraform_data), so it is reported but no target is held to it, and on this 2-core machine the wall time of ours follows the total CPU. Terraform's growth in applies is its local backend's: after each resource instance it applies, Terraform calls the PostStateUpdate hook with the whole state (internal/terraform/node_resource_apply_instance.go and update_state_hook.go in Terraform v1.11.4), whose StateHook (internal/backend/local/hook_state.go) calls statemgr.Filesystem.WriteState, which deep-copies the whole state, compares it with the last one written and writes the whole file again (internal/states/statemgr/filesystem.go, writeState): O(N) work per resource, O(N squared) per apply; a no-op plan writes no state and grows linearly. The no-op plan is also run with the provider started by terraform with the SDK's loggers forced on, as before the provider quieted them when no TF_LOG* variable is set (Terraform discards those lines either way): logs-on-x-quiet is that CPU over the quiet run's (the logs-on side also pays the provider's start). ROLLOUT_BENCH_SCALE_PROFILE=DIR writes the provider's CPU and heap profiles at N and 2N there (provider-N.pprof, provider-N.heap; compare with go tool pprof -top -normalize -diff_base).",
	"BenchmarkMetricQueryVsHistory":                     "The canary's CloudWatch read (one minute of one series) on a sandbox metric store holding one minute of that series and on one holding a day of it at 10 samples/s, with 200 other series, side by side. Target: a query reads its window, not the history (ratio at most 1.5).",
	"BenchmarkCanaryDetectionToRestore":                 "With real traffic and interval = 1s, the time from the first failing invocation of a bad canary to 100% of the traffic back on the old version, and the API writes of the rollback, over ten rollouts or more. Target: at most interval + 1 s, one UpdateAlias. For comparison, not measured here: CodeDeploy's alarm-driven rollback waits for a CloudWatch alarm, whose standard metrics have a 60 s period (AWS CloudWatch docs).",
	"BenchmarkEventSourceMappingThroughput":             "b.N messages, already in an SQS queue of the sandbox, through one event source mapping (BatchSize 10) to the real test function: messages/s from the first receive to the queue being empty, each batch received, invoked and deleted, every step durable. For reference: no target is held to it (AWS's own SQS poller scales its concurrency with the backlog; this is one poller).",
	"BenchmarkUnreadableHealthRollback":                 "With CloudWatch failing every read (the sandbox's fault injection) and interval = 1s, the time from the first failed CloudWatch read of a blocking canary's health to 100% of the traffic back on the stable version (the rollback UpdateAlias), five rollouts per iteration, through the engine and the provider's bounded health reads. Target: at most 3 intervals + 2 s. (A re-run of a rolled-back configuration sends no invocation to the rolled-back version: TestAccAliasRolledBack_neverRelaunched asserts it and prints measure/rerun-rolled-back under make test.)",
	"BenchmarkAliasGroupDuration":                       "One rollout_alias_group release of 1, 5 and 20 healthy members with the same schedule (20% for 2s, interval 1s), with real traffic, through the provider's release code; side by side with 20 single-alias canaries run 10 at a time, as Terraform's default -parallelism=10 runs them. Target: 20 members within 1.2x of 1 member.",
	"BenchmarkInterlockRollback":                        "A worker fed by an SQS queue holding 1,000 messages (ROLLOUT_BENCH_INTERLOCK_MESSAGES to change it) through an event source mapping on its alias, released with a canary (50%, interval 1s) whose new version fails every batch, with event_source_interlock pausing at start, promotion and rollback; through the real terraform and the built provider against the sandbox. From the journal, the queue, the dead-letter queue and the worker's own record: the rollback's pause-to-resume window (the pause's UpdateEventSourceMapping to the read that saw the mapping Enabled again; it includes the wait for the batch in flight), messages lost, processed twice, received by the rejected version, and received by it in a batch that started after the rollback decision. Targets: 0 lost, 0 twice, 0 after the decision.",
	"BenchmarkCanariesAtScale":                          "N = 1, 5 and 20 functions released in one terraform apply through the real terraform and the built provider against the sandbox, with the same canary schedule (20% for 2s, interval 1s, the schedule alone deciding) two ways side by side: N single rollout_alias canaries and one rollout_alias_group of N members. The measured apply also publishes the N new versions (the same work on both sides). Single canaries run at Terraform's default -parallelism=10 (each holds a slot for its whole schedule, so with N above the parallelism they queue), and N = 20 also at -parallelism=20. From the sandbox journal: the most canaries in flight at once (max-in-flight) and the canary span, from the first canary's first UpdateAlias to the last one's promotion, which leaves out the publishing both sides share.",
	"BenchmarkAliasGroupDetectionToRestore":             "A group of 5 members with real traffic, one member's new version failing every call, interval = 1s: the time from the first failing invocation in any member to every member's alias at 100% on its old version (the last rollback UpdateAlias answered), over ten releases or more (p50 and maximum), and the rollback writes per release (one per member, in parallel). Targets: at most interval + 1 s; one write per member.",
}

func main() {
	out := flag.String("o", "docs/benchmarks.md", "report file")
	benchtime := flag.String("benchtime", "1s", "go test -benchtime")
	from := flag.String("from", "", "write the report from this saved output of the run below (a make bench log) instead of running it again")
	flag.Parse()
	args := []string{"test", "-run", "^$", "-bench", ".", "-benchtime", *benchtime, "./..."}
	var buf bytes.Buffer
	ran, how := time.Now(), ""
	if *from != "" {
		b, err := os.ReadFile(*from)
		st, serr := os.Stat(*from)
		if err != nil || serr != nil {
			fmt.Fprintln(os.Stderr, errors.Join(err, serr))
			os.Exit(1)
		}
		buf.Write(b)
		ran, how = st.ModTime(), " (the run's saved output, rewritten into this report with -from)"
	} else {
		fmt.Fprintln(os.Stderr, "==> go", strings.Join(args, " "))
		cmd := exec.Command("go", args...)
		cmd.Stdout = io.MultiWriter(os.Stdout, &buf)
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "benchmarks failed:", err)
			os.Exit(1)
		}
	}
	results := parse(&buf)
	sort.Slice(results, func(i, j int) bool { return results[i].Name < results[j].Name })

	var md strings.Builder
	fmt.Fprintf(&md, "# Benchmarks\n\nGenerated by `make bench` (`go run ./tools/benchreport`) from a run that ended %s%s. Do not edit: run it again.\n\n", ran.UTC().Format("2006-01-02 15:04 UTC"), how)
	fmt.Fprintf(&md, "| Machine | |\n|---|---|\n| CPU cores | %d |\n| Go | %s |\n| OS/arch | %s/%s |\n| Terraform | %s |\n| moto server | %s |\n\n",
		runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH, terraformVersion(os.Getenv("TF_ACC_TERRAFORM_PATH")), motoVersion())
	fmt.Fprintf(&md, "Reproduce: `go %s` (each benchmark: `go test -run '^$' -bench <Name> ./<package>`).\n\n", strings.Join(args, " "))
	writeTargets(&md, check(results))
	for _, r := range results {
		fmt.Fprintf(&md, "## %s\n\n%s\n\n| Metric | Value |\n|---|---|\n", r.Name, about[r.Name])
		fmt.Fprintf(&md, "| iterations | %s |\n| samples | %s |\n", r.N, r.samples())
		for _, unit := range r.Order {
			if unit == "samples" {
				continue
			}
			fmt.Fprintf(&md, "| %s | %s |\n", unit, r.Metrics[unit])
		}
		md.WriteString("\n")
	}
	if err := os.WriteFile(*out, []byte(md.String()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "==> wrote %s (%d benchmarks)\n", *out, len(results))
}

// writeTargets prints every target beside its measured figure with met or
// MISSED, misses first in the summary line, so the report says plainly
// where a figure misses its goal.
func writeTargets(md *strings.Builder, vs []verdict) {
	var missed []string
	for _, v := range vs {
		if !v.Met {
			note := ""
			if v.FloorNote != "" {
				note = "; " + v.FloorNote
			}
			missed = append(missed, fmt.Sprintf("%s (%s: %s%s)", v.Benchmark, v.Target, v.Measured, note))
		}
	}
	fmt.Fprintf(md, "## Targets\n\n%d of %d targets met in this run.", len(vs)-len(missed), len(vs))
	if len(missed) > 0 {
		fmt.Fprintf(md, " Missed: %s.", strings.Join(missed, "; "))
	}
	md.WriteString(" A figure from one sample says so in the Samples column; one run on a shared machine is not a distribution.\n\n")
	md.WriteString("| Benchmark | Target | Measured | Samples | Verdict | Source of the target |\n|---|---|---|---|---|---|\n")
	for _, v := range vs {
		fmt.Fprintf(md, "| %s | %s | %s | %s | %s | %s |\n", strings.TrimPrefix(v.Benchmark, "Benchmark"), v.Target, v.Measured, v.Samples, v.word(), v.Target.Source)
	}
	md.WriteString("\n")
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
