package statehistory

import (
	"context"
	"sync"
)

// defaultParallel is how many versions a remote source fetches at once.
const defaultParallel = 8

// fetchAll builds n revisions with fetch, par at a time (default 8),
// telling progress how many are done. It stops handing out work when ctx
// is cancelled and then returns ctx's error: a signal stops a long fetch
// within the time of the requests in flight, which honour ctx too.
func fetchAll(ctx context.Context, n, par int, progress func(done, total int), fetch func(context.Context, int) Revision) ([]Revision, error) {
	if par <= 0 {
		par = defaultParallel
	}
	revs := make([]Revision, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	jobs := make(chan int)
	for w := 0; w < par; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				revs[i] = fetch(ctx, i)
				mu.Lock()
				done++
				if progress != nil {
					progress(done, n)
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for i := 0; i < n; i++ {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return revs, nil
}
