package sandbox

import (
	"bufio"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"sync"
)

// wal is an append-only log of framed records (length, CRC32, payload) with
// group commit: appends are written in order at once, and one fsync makes
// every record written so far durable. A request waits for the fsync that
// covers its record before it is answered, so anything the sandbox
// acknowledged survives a crash, while concurrent requests share fsyncs.
type wal struct {
	f *os.File

	mu      sync.Mutex
	cond    *sync.Cond
	written uint64 // records written
	synced  uint64 // records known durable
	syncing bool
	err     error // a failed fsync poisons the log: nothing more is acknowledged
}

// openWAL opens path, hands every intact record to apply in order, and cuts
// off a torn or corrupt tail (a record that was never acknowledged).
func openWAL(path string, apply func([]byte) error) (*wal, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	good, err := readRecords(f, apply)
	if err == nil {
		err = f.Truncate(good)
	}
	if err == nil {
		_, err = f.Seek(good, io.SeekStart)
	}
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	w := &wal{f: f}
	w.cond = sync.NewCond(&w.mu)
	return w, nil
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
	if n > 1<<30 {
		return nil, false
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, false
	}
	return body, crc32.ChecksumIEEE(body) == binary.BigEndian.Uint32(hdr[4:])
}

// write appends one record and returns its sequence number; call wait with
// it before acknowledging. The caller serialises writes that must stay in
// order (it holds its store's lock).
func (w *wal) write(payload []byte) (uint64, error) {
	buf := make([]byte, 8+len(payload))
	binary.BigEndian.PutUint32(buf[:4], uint32(len(payload)))
	binary.BigEndian.PutUint32(buf[4:8], crc32.ChecksumIEEE(payload))
	copy(buf[8:], payload)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return 0, w.err
	}
	if _, err := w.f.Write(buf); err != nil {
		w.err = err
		return 0, err
	}
	w.written++
	return w.written, nil
}

// position is the sequence number of the newest record written.
func (w *wal) position() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.written
}

// wait returns once record seq is durable; one caller fsyncs for everyone.
func (w *wal) wait(seq uint64) error {
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
		err := w.f.Sync()
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

// reset empties the log after its content was saved elsewhere (compaction).
func (w *wal) reset() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.f.Truncate(0); err != nil {
		return err
	}
	if _, err := w.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	return w.f.Sync()
}

func (w *wal) close() error {
	if w == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Sync()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	w.f = nil
	if w.err == nil {
		w.err = errors.New("log closed")
	}
	return err
}
