// Package esm is the sandbox's Lambda event source mappings for SQS: the
// control plane (Create/Get/Update/List/DeleteEventSourceMapping, AWS's
// REST shapes and errors) and one poller per enabled mapping, which
// receives batches from the queue and invokes the mapped function or alias
// through Lambda's own invoke path.
//
// States move as on AWS: Creating -> Enabled or Disabled, Enabling ->
// Enabled, Disabling -> Disabled, Updating -> Enabled or Disabled,
// Deleting -> gone. The settled state is reached when the poller
// acknowledges it: Enabled once the poller runs with the new settings,
// Disabled (and a deletion done) once the poller has stopped taking
// batches AND the batch it had in flight is finished (invoked, deleted or
// left for redelivery). A change asked for while a mapping is in a
// transitional state is refused with ResourceInUseException, as on AWS.
package esm

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/lambda"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sqs"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/wal"
)

// Functions is what the mappings need of Lambda.
type Functions interface {
	ResolveFunction(raw, region string) (string, *lambda.Error)
	InvokeFromSource(ctx context.Context, functionARN string, payload []byte) (lambda.SourceResult, *lambda.Error)
}

// Queues is what the mappings need of SQS.
type Queues interface {
	QueueExists(arn string) bool
	ReceiveBatch(ctx context.Context, arn string, most int, wait, window time.Duration) ([]sqs.Message, *sqs.Error)
	DeleteBatch(arn string, handles []string) *sqs.Error
}

// Deps are the services and settings the mappings work with.
type Deps struct {
	AccountID string
	Now       func() time.Time // the sandbox clock (UTC)
	Functions Functions
	Queues    Queues
	// PollWait is how long one receive waits for a first message
	// (default 1s; a stop or an update cuts it short).
	PollWait time.Duration
	// RetryDelay is how long a poller waits after an invocation that did
	// not run (throttled, function gone) before it receives again
	// (default 200ms).
	RetryDelay time.Duration
}

// Manager keeps the mappings and runs their pollers.
type Manager struct {
	deps Deps
	log  *wal.Log // nil: in memory only

	mu       sync.Mutex
	mappings map[string]*mapping
	pollers  map[string]*poller
	seq      uint64

	ctx    context.Context // ends at Close: every poller and invocation stops
	cancel context.CancelFunc
	wg     sync.WaitGroup
	live   atomic.Int64 // pollers and settlers running
	closed bool

	closeOnce sync.Once
	closeErr  error
}

// poller is the running poller of one mapping.
type poller struct {
	stop context.CancelFunc // stops taking new batches
	kick context.CancelFunc // cuts the current receive short (an update)
}

// Open loads the mappings persisted under dir ("" keeps them in memory);
// Start runs their pollers.
func Open(dir string, recoverLog bool, deps Deps) (*Manager, error) {
	if deps.PollWait <= 0 {
		deps.PollWait = time.Second
	}
	if deps.RetryDelay <= 0 {
		deps.RetryDelay = 200 * time.Millisecond
	}
	m := &Manager{deps: deps, mappings: map[string]*mapping{}, pollers: map[string]*poller{}}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	if dir != "" {
		log, err := openLog(dir, recoverLog, m.mappings)
		if err != nil {
			return nil, err
		}
		m.log = log
	}
	for _, mp := range m.mappings {
		m.seq = max(m.seq, mp.Seq)
	}
	return m, nil
}

// Start resumes what was under way when the sandbox stopped: pollers for
// the enabled mappings, and the transitions in progress (a Disabling
// mapping had no batch in flight once the sandbox stopped, so it is
// Disabled; a Deleting one is deleted).
func (m *Manager) Start() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, mp := range sorted(m.mappings) {
		switch mp.State {
		case "Deleting":
			if err := m.removeLocked(mp.UUID); err != nil {
				return err
			}
			continue
		case "Disabling":
			mp.State = "Disabled"
			if err := m.saveLocked(mp); err != nil {
				return err
			}
		}
		m.reconcileLocked(mp)
	}
	return m.durable()
}

// Close stops every poller, waits for them (an invocation in flight is
// cancelled) and closes the data files.
func (m *Manager) Close() error {
	m.closeOnce.Do(func() {
		m.mu.Lock()
		m.closed = true
		m.mu.Unlock()
		m.cancel()
		m.wg.Wait()
		if m.log != nil {
			m.closeErr = m.log.Close()
		}
	})
	return m.closeErr
}

// Running is the number of poller and settling goroutines alive (tests:
// zero after Close).
func (m *Manager) Running() int { return int(m.live.Load()) }

func (m *Manager) saveLocked(mp *mapping) error {
	if m.log == nil {
		return nil
	}
	cp := *mp
	b, err := marshal(logRecord{Mapping: &cp})
	if err == nil {
		_, err = m.log.Write(b)
	}
	return err
}

func (m *Manager) removeLocked(uuid string) error {
	delete(m.mappings, uuid)
	if m.log == nil {
		return nil
	}
	b, err := marshal(logRecord{Delete: uuid})
	if err == nil {
		_, err = m.log.Write(b)
	}
	return err
}

// durable returns once every record written so far is on disk.
func (m *Manager) durable() error {
	if m.log == nil {
		return nil
	}
	return m.log.Wait(m.log.Position())
}

// reconcileLocked starts or stops mp's poller to match what it asks for;
// a transition with no poller to acknowledge it settles in the background.
func (m *Manager) reconcileLocked(mp *mapping) {
	if m.closed {
		return
	}
	want := mp.Enabled && mp.State != "Deleting"
	p := m.pollers[mp.UUID]
	switch {
	case want && p == nil:
		stopCtx, stop := context.WithCancel(m.ctx)
		p = &poller{stop: stop, kick: func() {}}
		m.pollers[mp.UUID] = p
		m.goLive(func() { m.run(mp.UUID, p, stopCtx) })
	case want && p != nil:
		p.kick() // an update: the poller takes it at its next receive
	case !want && p != nil:
		p.stop() // the poller settles the state once its batch is done
	case !want && p == nil && transitional(mp.State):
		uuid := mp.UUID
		m.goLive(func() { m.settle(uuid) })
	}
}

// goLive runs f in a goroutine Close waits for.
func (m *Manager) goLive(f func()) {
	m.wg.Add(1)
	m.live.Add(1)
	go func() {
		defer m.wg.Done()
		defer m.live.Add(-1)
		f()
	}()
}

func transitional(state string) bool {
	switch state {
	case "Creating", "Enabling", "Disabling", "Updating", "Deleting":
		return true
	}
	return false
}

// settle completes the transition of a mapping that has no poller (it is
// disabled): Disabled, or for Deleting, gone.
func (m *Manager) settle(uuid string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	mp := m.mappings[uuid]
	if mp == nil || m.pollers[uuid] != nil || m.closed {
		return
	}
	m.stoppedLocked(mp)
	_ = m.durable()
}

// stoppedLocked records that mp has no poller running any more.
func (m *Manager) stoppedLocked(mp *mapping) {
	now := m.deps.Now()
	switch {
	case mp.State == "Deleting":
		_ = m.removeLocked(mp.UUID)
	case transitional(mp.State) && !mp.Enabled:
		mp.State, mp.LastModified = "Disabled", now
		_ = m.saveLocked(mp)
	}
}
