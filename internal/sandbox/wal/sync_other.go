//go:build !linux

package wal

import "os"

// SyncData makes the file's data durable; where fdatasync is not offered,
// a full fsync.
func SyncData(f *os.File) error { return f.Sync() }
