package runtime

// The pool of execution environments: warm reuse, the concurrency cap,
// the cap on kept environments, least-recently-used eviction.

import (
	"errors"
	"sync"
	"time"
)

// Pool owns every environment. Two limits apply, as on Lambda: limit is
// the concurrency, the invocations running at once (beyond it Acquire
// throttles); keep is how many environments, busy or idle, may exist at
// once (beyond it the least recently used idle one is stopped to make
// room, never a busy one).
type Pool struct {
	dir   string // unpacked code per blob
	limit int
	keep  int
	// ReadyWait is how long Release waits for an environment's runtime to
	// ask for its next event before it is replaced (default 2s).
	ReadyWait time.Duration
	// InitLimit is how long a cold start's init may take before the
	// invoke's timeout starts counting (Lambda's 10 s init limit).
	InitLimit time.Duration
	// afterSend, when set (by tests), runs in an invoke right after its
	// event was handed to env's runtime: a descheduled goroutine, at will.
	afterSend func(env *Env)

	mu    sync.Mutex
	idle  map[Key][]*Env
	total int // environments that exist or are being started
	busy  int // environments running an invocation or starting
	all   map[*Env]bool

	unpackMu sync.Mutex
}

// NewPool is a pool that unpacks code under dir, runs at most limit
// invocations at once and keeps at most keep environments (at least
// limit).
func NewPool(dir string, limit, keep int) *Pool {
	if keep < limit {
		keep = limit
	}
	return &Pool{dir: dir, limit: limit, keep: keep, ReadyWait: 2 * time.Second, InitLimit: InitLimit, idle: map[Key][]*Env{}, all: map[*Env]bool{}}
}

// InitLimit is Lambda's limit on an on-demand environment's init phase:
// "The Init phase is limited to 10 seconds" (Lambda developer guide,
// "Understanding the Lambda execution environment lifecycle").
const InitLimit = 10 * time.Second

// ErrThrottled is Acquire's answer when every slot is taken.
var ErrThrottled = errors.New("concurrency limit reached")

// Acquire returns an idle warm environment for key, or reserves a slot for
// a cold start (env nil, cold true), or ErrThrottled.
func (p *Pool) Acquire(key Key) (*Env, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for list := p.idle[key]; len(list) > 0; list = p.idle[key] {
		env := list[len(list)-1]
		p.idle[key] = list[:len(list)-1]
		select {
		case <-env.dead:
			p.forgetLocked(env)
			continue
		default:
			p.busy++
			return env, nil
		}
	}
	if p.busy >= p.limit {
		return nil, ErrThrottled
	}
	if p.total >= p.keep {
		p.evictLocked()
	}
	p.total++
	p.busy++
	return nil, nil
}

// evictLocked stops the idle environment that has waited longest, of any
// version.
func (p *Pool) evictLocked() {
	var victimKey Key
	var victim *Env
	for k, list := range p.idle {
		if len(list) > 0 && (victim == nil || list[0].idleSince.Before(victim.idleSince)) {
			victimKey, victim = k, list[0]
		}
	}
	if victim == nil {
		return
	}
	p.idle[victimKey] = p.idle[victimKey][1:]
	if len(p.idle[victimKey]) == 0 {
		delete(p.idle, victimKey)
	}
	p.forgetLocked(victim)
	go victim.stop()
}

func (p *Pool) forgetLocked(env *Env) {
	if p.all[env] {
		delete(p.all, env)
		p.total--
	}
}

// Release puts an environment back once its runtime is waiting for the
// next event again, or forgets it when its process ended.
func (p *Pool) Release(env *Env) {
	select {
	case <-env.ready:
		p.mu.Lock()
		p.busy--
		env.idleSince = time.Now()
		p.idle[env.key] = append(p.idle[env.key], env)
		p.mu.Unlock()
	case <-env.dead:
		p.mu.Lock()
		p.busy--
		p.forgetLocked(env)
		p.mu.Unlock()
	case <-time.After(p.ReadyWait):
		p.mu.Lock()
		p.busy--
		p.forgetLocked(env)
		p.mu.Unlock()
		go env.stop()
	}
}

// Unreserve gives back a slot whose cold start failed.
func (p *Pool) Unreserve() {
	p.mu.Lock()
	p.total--
	p.busy--
	p.mu.Unlock()
}

// CloseAll stops every environment.
func (p *Pool) CloseAll() {
	p.mu.Lock()
	envs := make([]*Env, 0, len(p.all))
	for e := range p.all {
		envs = append(envs, e)
	}
	p.all, p.idle, p.total, p.busy = map[*Env]bool{}, map[Key][]*Env{}, 0, 0
	p.mu.Unlock()
	for _, e := range envs {
		e.stop()
	}
}
