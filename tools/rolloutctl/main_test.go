package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestSignalsStopWithinASecond runs the built rolloutctl on a stdin that
// never ends (a pipe nobody writes to or closes) and sends SIGINT or
// SIGTERM: it must exit within a second, with the interrupted code.
func TestSignalsStopWithinASecond(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "rolloutctl")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for name, sig := range map[string]os.Signal{"SIGINT": os.Interrupt, "SIGTERM": syscall.SIGTERM} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			// A signal that arrives before rolloutctl has installed its
			// handlers kills it by the signal's default action, which is
			// not what is tested: then again, with a longer start.
			for _, startup := range []time.Duration{300 * time.Millisecond, time.Second, 3 * time.Second} {
				if signalled(t, bin, name, sig, startup) {
					return
				}
			}
			t.Fatalf("rolloutctl died of %s each time instead of handling it, even 3s after it started", name)
		})
	}
}

// signalled runs rolloutctl history on a stdin that never ends, sends sig
// after startup, and checks it exits within a second with code 130. It
// returns false when the process died of the signal itself (its handlers
// were not installed yet).
func signalled(t *testing.T, bin, name string, sig os.Signal, startup time.Duration) bool {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = w.Close() }()
	cmd := exec.Command(bin, "history", "-")
	cmd.Stdin = r
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	_ = r.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	// Let it reach the read of stdin; then the signal.
	select {
	case err := <-done:
		t.Fatalf("exited before the signal: %v", err)
	case <-time.After(startup):
	}
	sent := time.Now()
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == sig {
				t.Logf("died of %s %s after it started: it had not installed its handlers yet", name, startup)
				return false
			}
		}
		if !errors.As(err, &exit) || exit.ExitCode() != 130 {
			t.Errorf("exit %v, want code 130 (interrupted)", err)
		}
		if d := time.Since(sent); d > time.Second {
			t.Errorf("exited %s after %s, want within a second", d, name)
		}
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("still running 5s after %s", name)
	}
	return true
}
