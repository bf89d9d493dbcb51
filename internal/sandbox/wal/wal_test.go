package wal_test

import (
	"errors"
	"os"
	"path/filepath"
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
	defer func() { _ = l.Close() }()
	if diff := cmp.Diff([]string{"one", "two", "three"}, got); diff != "" {
		t.Errorf("replayed records (-want +got):\n%s", diff)
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
