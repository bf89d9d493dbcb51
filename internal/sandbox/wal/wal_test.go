package wal_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/wal"
)

func reopen(t *testing.T, path string, recoverLog bool) ([]string, *wal.Log, error) {
	t.Helper()
	var got []string
	l, err := wal.Open(path, func(b []byte) error { got = append(got, string(b)); return nil }, recoverLog)
	return got, l, err
}

func writeAll(t *testing.T, path string, records ...string) {
	t.Helper()
	_, l, err := reopen(t, path, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range records {
		seq, err := l.Write([]byte(r))
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Wait(seq); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestLogReplaysAndCutsATornTail: records written and waited for come back
// in order; half a record at the end (a crash mid-write) is cut off.
func TestLogReplaysAndCutsATornTail(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "x.wal")
	writeAll(t, path, "one", "two", "three")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.Write([]byte{0, 0, 0, 9, 1, 2}) // a header cut short
	_ = f.Close()
	got, l, err := reopen(t, path, false)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"one", "two", "three"}, got); diff != "" {
		t.Errorf("replayed records (-want +got):\n%s", diff)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	want := int64(3*8 + len("onetwothree"))
	if st, err := os.Stat(path); err != nil || st.Size() != want {
		t.Errorf("log after the torn tail was cut: %v, %v; want %d bytes", st, err, want)
	}
}

// TestLogRefusesDamageInTheMiddle: a bad record followed by an intact one
// is corruption: Open names it, and with recovery keeps what came before.
func TestLogRefusesDamageInTheMiddle(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "x.wal")
	writeAll(t, path, "one", "two", "three")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const bad = 8 + 3 // the record "two" starts here
	b[bad+8] ^= 0xff
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err = reopen(t, path, false)
	var cerr *wal.CorruptError
	if !errors.As(err, &cerr) || cerr.Offset != bad {
		t.Fatalf("Open of a log damaged at byte %d = %v, want a *wal.CorruptError at that offset", bad, err)
	}
	got, l, err := reopen(t, path, true)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	if diff := cmp.Diff([]string{"one"}, got); diff != "" {
		t.Errorf("records kept by recovery (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(path), "x.wal.corrupt-11")); err != nil {
		t.Errorf("the damaged rest was not kept aside: %v", err)
	}
}

// TestLogAppendsChangeNoFileSize: records land in blocks the log allocated
// ahead of them, so an append changes no metadata and the sync before an
// answer flushes the record alone (issue 22: the one-client control plane
// pays one data flush per acknowledged write, not a journal commit too).
func TestLogAppendsChangeNoFileSize(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "x.wal")
	_, l, err := reopen(t, path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	size := func() int64 {
		t.Helper()
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return st.Size()
	}
	before := size()
	rec := make([]byte, 1000)
	for i := range 50 {
		seq, err := l.Write(rec)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Wait(seq); err != nil {
			t.Fatal(err)
		}
		if got := size(); got != before {
			t.Fatalf("after %d records of 1,000 bytes the log file is %d bytes, was %d: appends change its size", i+1, got, before)
		}
	}
}

// TestLogGrowsPastItsAllocation: records beyond the first allocation (and
// one larger than any chunk) are written whole and replayed in order.
func TestLogGrowsPastItsAllocation(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "x.wal")
	var want []string
	for i := range 300 {
		want = append(want, fmt.Sprintf("%04d:%s", i, strings.Repeat("r", 1000)))
	}
	want = append(want, strings.Repeat("big", 3<<20)) // 9 MiB: more than a chunk
	writeAll(t, path, want...)
	got, l, err := reopen(t, path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	if len(got) != len(want) {
		t.Fatalf("replayed %d records, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("record %d differs after replay (%d bytes, want %d)", i, len(got[i]), len(want[i]))
		}
	}
}

// TestLogCrashKeepsEveryAcknowledgedRecord: a crash leaves the file as it
// was while open, zeros after the records; every record waited for comes
// back, a record torn over the zeros is cut as a torn tail, not called
// corruption, and new records follow the replayed ones.
func TestLogCrashKeepsEveryAcknowledgedRecord(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "x.wal")
	_, l, err := reopen(t, path, false)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"one", "two", "three"}
	for _, r := range want {
		seq, err := l.Write([]byte(r))
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Wait(seq); err != nil {
			t.Fatal(err)
		}
	}
	// The crash: the file as the disk holds it now, the log never closed.
	image, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_ = l.Close()
	end := 3*8 + len("onetwothree")
	if len(image) <= end {
		t.Fatalf("the open log is %d bytes, want zeros allocated past its %d bytes of records", len(image), end)
	}
	cases := map[string][]byte{
		"clean": image,
		// a header and half a body written over the zeros, never synced
		"torn": append(append(append([]byte(nil), image[:end]...), 0, 0, 0, 40, 9, 9, 9, 9, 'h', 'a', 'l', 'f'), image[end+12:]...),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "x.wal")
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
			got, l, err := reopen(t, p, false)
			if err != nil {
				t.Fatalf("Open after a crash: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("replayed records (-want +got):\n%s", diff)
			}
			seq, err := l.Write([]byte("four"))
			if err == nil {
				err = l.Wait(seq)
			}
			if err == nil {
				err = l.Close()
			}
			if err != nil {
				t.Fatal(err)
			}
			got, l, err = reopen(t, p, false)
			if err != nil {
				t.Fatal(err)
			}
			_ = l.Close()
			if diff := cmp.Diff(append(append([]string(nil), want...), "four"), got); diff != "" {
				t.Errorf("records after a write that followed the replay (-want +got):\n%s", diff)
			}
		})
	}
}
