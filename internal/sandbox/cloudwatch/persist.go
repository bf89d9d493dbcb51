package cloudwatch

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/wal"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/wire"
)

// CloudWatch durability and background evaluation. Datapoints and alarms
// are kept like the other services' data: a write-ahead log
// (cloudwatch/metrics.wal, group commit) replayed over a snapshot
// (cloudwatch/snapshot.json) written at start, after which the log is
// emptied. PutMetricData and the alarm operations answer once their record
// is durable; invocation metrics ride on the next fsync. A snapshot keeps
// the last 15 days of datapoints, as CloudWatch keeps one-minute data.
//
// Alarms are evaluated in the background on their period (every Period
// seconds after their last evaluation, by the sandbox clock), and a state
// change is logged. DescribeAlarms still evaluates what it returns, so a
// read is never staler than the clock.

const metricRetention = 15 * 24 * time.Hour

// metricRecord is one log record: datapoints of a series, or every alarm.
type metricRecord struct {
	Series *seriesRecord  `json:"s,omitempty"`
	Alarms []*alarmRecord `json:"a,omitempty"`
	// NoAlarms marks an alarm record with no alarms left.
	NoAlarms bool `json:"na,omitempty"`
}

type seriesRecord struct {
	Namespace string      `json:"ns"`
	Name      string      `json:"n"`
	Unit      string      `json:"u,omitempty"`
	Dims      []dimension `json:"d,omitempty"`
	Times     []int64     `json:"t"` // unix nanoseconds
	Values    []float64   `json:"v"`
	// Counts: how many samples each value stands for (Counts, statistic
	// sets); absent when every value is one sample.
	Counts []float64 `json:"c,omitempty"`
	// Units: each sample's unit, when they are not all Unit.
	Units []string `json:"us,omitempty"`
}

// add appends one sample to the record.
func (r *seriesRecord) add(smp sample) {
	i := len(r.Times)
	r.Times = append(r.Times, smp.t.UnixNano())
	r.Values = append(r.Values, smp.v)
	if n := smp.n; n != 0 && n != 1 || r.Counts != nil {
		for len(r.Counts) < i {
			r.Counts = append(r.Counts, 1)
		}
		r.Counts = append(r.Counts, max(n, 1))
	}
	if smp.unit != "" && smp.unit != r.Unit || r.Units != nil {
		for len(r.Units) < i {
			r.Units = append(r.Units, r.Unit)
		}
		r.Units = append(r.Units, smp.unit)
	}
}

// sample returns the i-th sample of the record.
func (r *seriesRecord) sample(i int) sample {
	smp := sample{t: time.Unix(0, r.Times[i]).UTC(), v: r.Values[i], n: 1, unit: r.Unit}
	if i < len(r.Counts) {
		smp.n = r.Counts[i]
	}
	if i < len(r.Units) {
		smp.unit = r.Units[i]
	}
	if smp.unit == "" {
		smp.unit = "None"
	}
	return smp
}

// alarmRecord is an alarm with the fields the operations keep unexported.
type alarmRecord struct {
	alarm
	ForcedUntil time.Time `json:"forcedUntil"`
	LastEval    time.Time `json:"lastEval"`
}

type metricSnapshot struct {
	Series []*seriesRecord `json:"series"`
	Alarms []*alarmRecord  `json:"alarms"`
}

// openPersistence loads dir's snapshot and log into m and compacts them.
func (m *metricStore) openPersistence(dir string, recoverLog bool) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := wal.RemoveStaleTemps(dir); err != nil {
		return err
	}
	if b, err := os.ReadFile(filepath.Join(dir, "snapshot.json")); err == nil {
		var snap metricSnapshot
		if err := json.Unmarshal(b, &snap); err != nil {
			return fmt.Errorf("cloudwatch/snapshot.json is corrupt (%s); move it away to start without the saved metrics", wire.JSONProblem(err))
		}
		m.load(metricRecord{Alarms: snap.Alarms, NoAlarms: len(snap.Alarms) == 0})
		for _, s := range snap.Series {
			m.load(metricRecord{Series: s})
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	log, err := wal.Open(filepath.Join(dir, "metrics.wal"), func(b []byte) error {
		var rec metricRecord
		if err := json.Unmarshal(b, &rec); err != nil {
			return err
		}
		m.load(rec)
		return nil
	}, recoverLog)
	if err != nil {
		return fmt.Errorf("replaying metrics.wal: %w", err)
	}
	snap, err := json.Marshal(m.snapshot(m.clock().Add(-metricRetention)))
	if err == nil {
		err = wal.WriteFileAtomic(filepath.Join(dir, "snapshot.json"), snap)
	}
	if err == nil {
		err = log.Reset()
	}
	if err != nil {
		_ = log.Close()
		return fmt.Errorf("compacting CloudWatch data: %w", err)
	}
	m.log = log
	return nil
}

// load applies a record read back (no logging).
func (m *metricStore) load(rec metricRecord) {
	if s := rec.Series; s != nil {
		m.mu.Lock()
		key := seriesKey(s.Namespace, s.Name, s.Dims)
		cur := m.seriesLocked(key, s.Namespace, s.Name, s.Unit, s.Dims)
		for i := range s.Times {
			if i < len(s.Values) {
				cur.add(s.sample(i))
			}
		}
		m.mu.Unlock()
	}
	if len(rec.Alarms) > 0 || rec.NoAlarms {
		m.amu.Lock()
		m.alarms = map[string]*alarm{}
		for _, a := range rec.Alarms {
			if a == nil || a.Name == "" {
				continue
			}
			a.forcedUntil = a.ForcedUntil
			m.alarms[a.Name] = &a.alarm
			m.lastEval[a.Name] = a.LastEval
		}
		m.amu.Unlock()
	}
}

// snapshot returns every datapoint since cutoff and every alarm.
func (m *metricStore) snapshot(cutoff time.Time) metricSnapshot {
	var snap metricSnapshot
	m.mu.Lock()
	for _, s := range m.series {
		rec := &seriesRecord{Namespace: s.namespace, Name: s.name, Unit: s.unit, Dims: s.dims}
		for _, m := range s.sortedMinutes() {
			for _, smp := range s.minutes[m] {
				if !smp.t.Before(cutoff) {
					rec.add(smp)
				}
			}
		}
		if len(rec.Times) > 0 {
			snap.Series = append(snap.Series, rec)
		}
	}
	m.mu.Unlock()
	sort.Slice(snap.Series, func(i, j int) bool {
		a, b := snap.Series[i], snap.Series[j]
		return seriesKey(a.Namespace, a.Name, a.Dims) < seriesKey(b.Namespace, b.Name, b.Dims)
	})
	m.amu.Lock()
	snap.Alarms = m.alarmRecordsLocked()
	m.amu.Unlock()
	return snap
}

func (m *metricStore) alarmRecordsLocked() []*alarmRecord {
	out := make([]*alarmRecord, 0, len(m.alarms))
	for _, a := range m.alarms {
		out = append(out, &alarmRecord{alarm: *a, ForcedUntil: a.forcedUntil, LastEval: m.lastEval[a.Name]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// logSamples appends datapoints to the log (not waiting for the fsync).
func (m *metricStore) logSamples(ns, name, unit string, dims []dimension, t time.Time, points []point) {
	if m.log == nil {
		return
	}
	rec := &seriesRecord{Namespace: ns, Name: name, Unit: unit, Dims: dims}
	for _, p := range points {
		rec.add(sample{t: t, v: p.v, n: p.n, unit: unit})
	}
	if b, err := json.Marshal(metricRecord{Series: rec}); err == nil {
		_, _ = m.log.Write(b)
	}
}

// logAlarms appends the state of every alarm to the log.
func (m *metricStore) logAlarms() error {
	if m.log == nil {
		return nil
	}
	m.amu.Lock()
	recs := m.alarmRecordsLocked()
	b, err := json.Marshal(metricRecord{Alarms: recs, NoAlarms: len(recs) == 0})
	if err == nil {
		_, err = m.log.Write(b)
	}
	m.amu.Unlock()
	return err
}

// durable returns once every record written so far is on disk.
func (m *metricStore) durable() error {
	if m.log == nil {
		return nil
	}
	return m.log.Wait(m.log.Position())
}

func (m *metricStore) closePersistence() error {
	if m.log == nil {
		return nil
	}
	return m.log.Close()
}

// evaluateLoop evaluates the alarms whose period has passed, every tick,
// until stop is closed.
func (m *metricStore) evaluateLoop(tick time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			m.evaluateDue(m.clock())
		}
	}
}

// evaluateDue evaluates every alarm whose period has passed since its last
// evaluation, logs the states that changed and tells the hook.
func (m *metricStore) evaluateDue(now time.Time) {
	type change struct{ name, state string }
	var changes []change
	m.amu.Lock()
	for name, a := range m.alarms {
		period := time.Duration(a.Period) * time.Second
		if period <= 0 {
			continue
		}
		last, ok := m.lastEval[name]
		if !ok {
			last = a.ConfigUpdated
		}
		if now.Before(last.Add(period)) {
			continue
		}
		before := a.State
		m.evaluate(a, now)
		m.lastEval[name] = now
		if a.State != before {
			changes = append(changes, change{name, a.State})
		}
	}
	hook := m.onChange
	m.amu.Unlock()
	if len(changes) == 0 {
		return
	}
	_ = m.logAlarms()
	_ = m.durable()
	if hook != nil {
		for _, c := range changes {
			hook(c.name, c.state)
		}
	}
}
