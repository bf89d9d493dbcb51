// Package wal is the sandbox's write-ahead log and its file helpers: an
// append-only log of framed records (length, CRC32, payload) with group
// commit, torn-tail and corruption detection, and atomic file replacement
// for the snapshots the services compact the log into.
package wal

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// Log is an append-only log of framed records (length, CRC32, payload) with
// group commit: appends are written in order at once, and one fsync makes
// every record written so far durable. A request waits for the fsync that
// covers its record before it is answered, so anything the sandbox
// acknowledged survives a crash, while concurrent requests share fsyncs.
type Log struct {
	f *os.File

	// The file is grown ahead of the records in zero-filled chunks, so an
	// append overwrites blocks that already exist and the file's size does
	// not change: the sync before an answer then flushes the record alone
	// (fdatasync on Linux), not a metadata change too. end is where the
	// records end, allocated where the zeros end. A zero length header
	// marks the end of the records at replay; Close cuts the zeros off.
	end, allocated int64

	mu      sync.Mutex
	cond    *sync.Cond
	written uint64 // records written
	synced  uint64 // records known durable
	syncing bool
	err     error // a failed fsync poisons the log: nothing more is acknowledged
}

// Open opens path, hands every intact record to apply in order, and cuts
// off a torn tail (a record a crash left half-written, never
// acknowledged). A bad record followed by intact ones is not a torn tail
// but corruption: Open refuses it with a *CorruptError, unless
// recoverLog is set, in which case it keeps the records before it and moves
// the rest of the file aside to path.corrupt-<offset>.
func Open(path string, apply func([]byte) error, recoverLog bool) (*Log, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	good, err := readRecords(f, apply)
	if err == nil {
		err = checkTail(f, path, good, recoverLog)
	}
	if err == nil {
		err = f.Truncate(good)
	}
	w := &Log{f: f, end: good, allocated: good}
	if err == nil {
		err = w.grow(0)
	}
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	w.cond = sync.NewCond(&w.mu)
	return w, nil
}

// Preallocation is how far ahead of the records the file is grown with
// zeros, at most: a chunk a quarter of the records so far, between 64 KiB
// and 4 MiB, so a small log stays small and a busy one grows rarely.
const (
	minPrealloc = 64 << 10
	maxPrealloc = 4 << 20
)

// grow makes sure at least need bytes past end are allocated, zero-filled
// and durable, so that records written there change no metadata.
func (w *Log) grow(need int64) error {
	if w.end+need <= w.allocated && w.allocated > w.end {
		return nil
	}
	chunk := min(max(w.end/4, minPrealloc, need), max(maxPrealloc, need))
	zeros := make([]byte, chunk)
	if _, err := w.f.WriteAt(zeros, w.end); err != nil {
		return err
	}
	if err := w.f.Sync(); err != nil {
		return err
	}
	w.allocated = w.end + chunk
	return nil
}

// CorruptError is a log that is damaged in the middle.
type CorruptError struct {
	Path      string
	Offset    int64 // the bad record
	Next      int64 // the first intact record after it
	TailBytes int64 // bytes from Offset to the end of the file
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("%s is corrupt at byte offset %d: the record there fails its checksum, yet intact records follow it "+
		"(the next at byte offset %d; %d bytes from the bad record to the end), so this is damage, not the torn tail a crash leaves. "+
		"The sandbox refuses to start rather than drop acknowledged writes silently. To start anyway, keeping every record before "+
		"byte %d and moving the rest of the file to %s.corrupt-%d for inspection, run rollout-sandbox serve --recover-corrupt-log",
		e.Path, e.Offset, e.Next, e.TailBytes, e.Offset, e.Path, e.Offset)
}

// checkTail decides what the bytes after the last intact record are: a
// torn tail (no intact record follows: cut it) or corruption.
func checkTail(f *os.File, path string, good int64, recoverLog bool) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	size := st.Size()
	if good >= size {
		return nil
	}
	next, found, err := findRecord(f, good+1, size)
	if err != nil || !found {
		return err
	}
	cerr := &CorruptError{Path: path, Offset: good, Next: next, TailBytes: size - good}
	if !recoverLog {
		return cerr
	}
	// Keep the damaged rest beside the log, durable, before cutting it.
	aside := fmt.Sprintf("%s.corrupt-%d", path, good)
	out, err := os.OpenFile(aside, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, io.NewSectionReader(f, good, size-good))
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = SyncDir(filepath.Dir(path))
	}
	return err
}

// findRecord looks for an intact record starting anywhere in [from, size).
func findRecord(f *os.File, from, size int64) (int64, bool, error) {
	r := bufio.NewReaderSize(io.NewSectionReader(f, from, size-from), 1<<20)
	var window [8]byte
	filled := 0
	for off := from; off+8 <= size; off++ {
		if filled < 8 {
			n, err := io.ReadFull(r, window[filled:])
			filled += n
			if err != nil {
				return 0, false, endOfScan(err)
			}
		} else {
			b, err := r.ReadByte()
			if err != nil {
				return 0, false, endOfScan(err)
			}
			copy(window[:], window[1:])
			window[7] = b
		}
		n := int64(binary.BigEndian.Uint32(window[:4]))
		if n == 0 || off+8+n > size {
			continue
		}
		body := make([]byte, n)
		if _, err := f.ReadAt(body, off+8); err != nil {
			return 0, false, err
		}
		if crc32.ChecksumIEEE(body) == binary.BigEndian.Uint32(window[4:]) {
			return off, true, nil
		}
	}
	return 0, false, nil
}

// endOfScan is nil when err only says the file ended.
func endOfScan(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil
	}
	return err
}

func readRecords(f *os.File, apply func([]byte) error) (int64, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	r := bufio.NewReaderSize(f, 1<<20)
	var offset int64
	for {
		body, ok := nextRecord(r)
		if !ok {
			return offset, nil
		}
		if err := apply(body); err != nil {
			return offset, err
		}
		offset += int64(8 + len(body))
	}
}

// nextRecord reads one intact record; ok is false at the end of the log and
// at a torn or corrupt record (the tail a crash left, never acknowledged).
func nextRecord(r io.Reader) ([]byte, bool) {
	var hdr [8]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, false
	}
	n := binary.BigEndian.Uint32(hdr[:4])
	if n == 0 || n > 1<<30 { // a zero length: the preallocated rest
		return nil, false
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, false
	}
	return body, crc32.ChecksumIEEE(body) == binary.BigEndian.Uint32(hdr[4:])
}

// Write appends one record and returns its sequence number; call Wait with
// it before acknowledging. The caller serialises writes that must stay in
// order (it holds its store's lock).
func (w *Log) Write(payload []byte) (uint64, error) {
	if len(payload) == 0 {
		return 0, errors.New("wal: an empty record (a zero length marks the end of the log)")
	}
	buf := make([]byte, 8+len(payload))
	binary.BigEndian.PutUint32(buf[:4], uint32(len(payload)))
	binary.BigEndian.PutUint32(buf[4:8], crc32.ChecksumIEEE(payload))
	copy(buf[8:], payload)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return 0, w.err
	}
	if err := w.grow(int64(len(buf))); err != nil {
		w.err = err
		return 0, err
	}
	if _, err := w.f.WriteAt(buf, w.end); err != nil {
		w.err = err
		return 0, err
	}
	w.end += int64(len(buf))
	w.written++
	return w.written, nil
}

// Position is the sequence number of the newest record written.
func (w *Log) Position() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.written
}

// Wait returns once record seq is durable; one caller fsyncs for everyone.
func (w *Log) Wait(seq uint64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.synced < seq && w.err == nil {
		if w.syncing {
			w.cond.Wait()
			continue
		}
		w.syncing = true
		target := w.written
		w.mu.Unlock()
		err := SyncData(w.f)
		w.mu.Lock()
		w.syncing = false
		if err != nil {
			w.err = err
		} else if target > w.synced {
			w.synced = target
		}
		w.cond.Broadcast()
	}
	return w.err
}

// Reset empties the log after its content was saved elsewhere (compaction).
func (w *Log) Reset() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.f.Truncate(0); err != nil {
		return err
	}
	w.end, w.allocated = 0, 0
	return w.grow(0)
}

func (w *Log) Close() error {
	if w == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Truncate(w.end) // the zeros past the records
	if serr := w.f.Sync(); err == nil {
		err = serr
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	w.f = nil
	if w.err == nil {
		w.err = errors.New("log closed")
	}
	return err
}
