package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	out := `goos: linux
BenchmarkControlPlaneVsMoto-2   	      60	  18671239 ns/op	         5.623 throughput-x-moto
BenchmarkFunctionRefresh-2   	    2148	    838775 ns/op	         2.000 calls/refresh-1-version	         3.000 calls/refresh-300-versions	         1.009 time-ratio-300/1
BenchmarkCanaryDetectionToRestore-2   	       1	1772178857 ns/op	         0.9528 detection-to-restore-max-s	        10.00 samples
BenchmarkLargeObjectMemory-2   	       1	4626265222 ns/op	         2.887 other-metric
BenchmarkHistoryPickScaling 	 1	 123 ns/op	 0.9 cold-exponent	 1.3 warm-exponent	 10000 revisions-largest	 0.5 warm-s-largest
`
	type row struct {
		Target, Measured, Samples string
		Met                       bool
	}
	var got []row
	for _, v := range check(parse(strings.NewReader(out))) {
		got = append(got, row{Target: v.Target.String(), Measured: v.Measured, Samples: v.Samples, Met: v.Met})
	}
	want := []row{
		{Target: "throughput-x-moto >= 10", Measured: "5.623", Samples: "60"},
		{Target: "sandbox-x-durable-floor >= 0.8", Measured: "not reported", Samples: "60"},
		{Target: "calls/refresh-300-versions <= calls/refresh-1-version", Measured: "3.000 (calls/refresh-1-version = 2.000)", Samples: "2148"},
		{Target: "time-ratio-300/1 <= 1.2", Measured: "1.009", Samples: "2148", Met: true},
		{Target: "detection-to-restore-max-s <= 2", Measured: "0.9528", Samples: "10.00", Met: true},
		{Target: "rollback-UpdateAlias/op <= 1", Measured: "not reported", Samples: "10.00"},
		{Target: "peak-above-idle-MiB <= 64", Measured: "not reported", Samples: "1 (one sample)"},
		{Target: "cold-exponent <= 1.1", Measured: "0.9", Samples: "1 (one sample)", Met: true},
		{Target: "warm-exponent <= 1.1", Measured: "1.3", Samples: "1 (one sample)"},
		{Target: "warm-s-largest <= 1", Measured: "0.5", Samples: "1 (one sample)", Met: true},
		{Target: "pick-heap-x-10000/1000 <= 1.5", Measured: "not reported", Samples: "1 (one sample)"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("verdicts (-want +got):\n%s", diff)
	}
}

func TestWriteTargetsSaysWhatMissed(t *testing.T) {
	t.Parallel()
	var md strings.Builder
	writeTargets(&md, check(parse(strings.NewReader("BenchmarkControlPlaneVsMoto-2 60 1 ns/op 5.623 throughput-x-moto 0.9 sandbox-x-durable-floor\n"))))
	for _, want := range []string{"1 of 2 targets met", "Missed: BenchmarkControlPlaneVsMoto (throughput-x-moto >= 10: 5.623", "**MISSED**"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, md.String())
		}
	}
}

// TestMissSaysWhatTheFloorAllows: a missed target with a measured floor
// says whether the floor itself meets the target (the machine allows it)
// or not (it forbids it), with the floor's figure.
func TestMissSaysWhatTheFloorAllows(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ line, want string }{
		{"BenchmarkControlPlaneVsMoto-2 60 1 ns/op 5.6 throughput-x-moto 6.1 durable-floor-x-moto 0.9 sandbox-x-durable-floor", "the measured floor forbids it: durable-floor-x-moto = 6.1; the floor is the same SDK client against a server that only syncs the four writes"},
		{"BenchmarkControlPlaneVsMoto-2 60 1 ns/op 5.6 throughput-x-moto 12 durable-floor-x-moto 0.5 sandbox-x-durable-floor", "the measured floor allows it: durable-floor-x-moto = 12"},
		{"BenchmarkControlPlaneVsMoto-2 60 1 ns/op 5.6 throughput-x-moto", "its floor durable-floor-x-moto was not reported"},
	} {
		var md strings.Builder
		writeTargets(&md, check(parse(strings.NewReader(tc.line+"\n"))))
		if !strings.Contains(md.String(), "**MISSED** ("+tc.want) {
			t.Errorf("for %q the report lacks %q:\n%s", tc.line, tc.want, md.String())
		}
	}
}
