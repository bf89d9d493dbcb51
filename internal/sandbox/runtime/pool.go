package runtime

// The pool of execution environments: warm reuse, the concurrency cap,
// eviction.

import (
	"errors"
	"sync"
	"time"
)

// Pool owns every environment.
type Pool struct {
	dir   string // unpacked code per blob
	limit int

	mu    sync.Mutex
	idle  map[Key][]*Env
	total int
	all   map[*Env]bool

	unpackMu sync.Mutex
}

// NewPool is a pool that unpacks code under dir and runs at most limit
// environments at once.
func NewPool(dir string, limit int) *Pool {
	return &Pool{dir: dir, limit: limit, idle: map[Key][]*Env{}, all: map[*Env]bool{}}
}

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
			return env, nil
		}
	}
	if p.total >= p.limit {
		// Evict an idle environment of another version to make room.
		for k, list := range p.idle {
			if len(list) > 0 {
				victim := list[0]
				p.idle[k] = list[1:]
				p.forgetLocked(victim)
				go victim.stop()
				break
			}
		}
	}
	if p.total >= p.limit {
		return nil, ErrThrottled
	}
	p.total++
	return nil, nil
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
		p.idle[env.key] = append(p.idle[env.key], env)
		p.mu.Unlock()
	case <-env.dead:
		p.mu.Lock()
		p.forgetLocked(env)
		p.mu.Unlock()
	case <-time.After(2 * time.Second):
		p.mu.Lock()
		p.forgetLocked(env)
		p.mu.Unlock()
		go env.stop()
	}
}

// Unreserve gives back a slot whose cold start failed.
func (p *Pool) Unreserve() {
	p.mu.Lock()
	p.total--
	p.mu.Unlock()
}

// CloseAll stops every environment.
func (p *Pool) CloseAll() {
	p.mu.Lock()
	envs := make([]*Env, 0, len(p.all))
	for e := range p.all {
		envs = append(envs, e)
	}
	p.all, p.idle, p.total = map[*Env]bool{}, map[Key][]*Env{}, 0
	p.mu.Unlock()
	for _, e := range envs {
		e.stop()
	}
}
