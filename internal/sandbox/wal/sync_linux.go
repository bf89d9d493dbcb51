package wal

import (
	"os"
	"syscall"
)

// SyncData makes the file's data durable, and the metadata needed to read
// it back (fdatasync): the log's appends land in preallocated blocks, so
// there is no size change to flush and an mtime is not worth a journal
// commit.
func SyncData(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			return err
		}
	}
}
