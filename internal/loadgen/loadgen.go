// Package loadgen sends steady traffic to a Lambda function or alias and
// measures what happened, per executed version: the traffic behind a canary
// in tests, in the demo and in `rollout-sandbox load`.
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// Options describe a run.
type Options struct {
	Client    *lambda.Client
	Function  string
	Qualifier string // alias or version; "" for $LATEST
	RPS       float64
	Duration  time.Duration // 0 runs until ctx ends
	Payload   []byte
	// Workers bounds concurrent requests (default 16).
	Workers int
	// Every, when set, receives a snapshot about once a second.
	Every func(Stats)
}

// VersionStats is what one executed version did.
type VersionStats struct {
	Invocations int
	Errors      int
}

// Stats is the outcome so far.
type Stats struct {
	Elapsed   time.Duration
	Sent      int
	Throttled int
	Failed    int // requests that got no answer from Lambda
	ByVersion map[string]VersionStats
	P50, P90  time.Duration
	P99       time.Duration
	latencies []time.Duration
}

// Rate is the achieved request rate.
func (s Stats) Rate() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Sent) / s.Elapsed.Seconds()
}

// String is the one-line live report.
func (s Stats) String() string {
	var parts []string
	versions := make([]string, 0, len(s.ByVersion))
	for v := range s.ByVersion {
		versions = append(versions, v)
	}
	sort.Strings(versions)
	for _, v := range versions {
		vs := s.ByVersion[v]
		parts = append(parts, fmt.Sprintf("v%s %d/%d err", v, vs.Errors, vs.Invocations))
	}
	return fmt.Sprintf("%6.1fs %7.1f rps | %s | throttled %d failed %d | p50 %s p90 %s p99 %s",
		s.Elapsed.Seconds(), s.Rate(), strings.Join(parts, ", "), s.Throttled, s.Failed,
		s.P50.Round(100*time.Microsecond), s.P90.Round(100*time.Microsecond), s.P99.Round(100*time.Microsecond))
}

// Run sends requests at o.RPS until o.Duration passes or ctx ends.
func Run(ctx context.Context, o Options) (Stats, error) {
	if o.Client == nil || o.Function == "" || o.RPS <= 0 {
		return Stats{}, errors.New("loadgen: Client, Function and a positive RPS are required")
	}
	if o.Workers <= 0 {
		o.Workers = 16
	}
	if o.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Duration)
		defer cancel()
	}
	var mu sync.Mutex
	st := Stats{ByVersion: map[string]VersionStats{}}
	start := time.Now()
	snapshot := func() Stats {
		mu.Lock()
		defer mu.Unlock()
		s := st
		s.Elapsed = time.Since(start)
		s.ByVersion = make(map[string]VersionStats, len(st.ByVersion))
		for k, v := range st.ByVersion {
			s.ByVersion[k] = v
		}
		l := append([]time.Duration(nil), st.latencies...)
		sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
		pick := func(p float64) time.Duration {
			if len(l) == 0 {
				return 0
			}
			i := int(p * float64(len(l)-1))
			return l[i]
		}
		s.P50, s.P90, s.P99, s.latencies = pick(0.5), pick(0.9), pick(0.99), nil
		return s
	}
	jobs := make(chan struct{}, o.Workers)
	var wg sync.WaitGroup
	for w := 0; w < o.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				in := &lambda.InvokeInput{FunctionName: aws.String(o.Function), Payload: o.Payload}
				if o.Qualifier != "" {
					in.Qualifier = aws.String(o.Qualifier)
				}
				t0 := time.Now()
				out, err := o.Client.Invoke(context.Background(), in)
				d := time.Since(t0)
				mu.Lock()
				st.Sent++
				var tm *types.TooManyRequestsException
				switch {
				case errors.As(err, &tm):
					st.Throttled++
				case err != nil:
					st.Failed++
				default:
					v := aws.ToString(out.ExecutedVersion)
					vs := st.ByVersion[v]
					vs.Invocations++
					if out.FunctionError != nil {
						vs.Errors++
					}
					st.ByVersion[v] = vs
					st.latencies = append(st.latencies, d)
				}
				mu.Unlock()
			}
		}()
	}
	interval := time.Duration(float64(time.Second) / o.RPS)
	tick := time.NewTicker(interval)
	report := time.NewTicker(time.Second)
	defer tick.Stop()
	defer report.Stop()
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-tick.C:
			select {
			case jobs <- struct{}{}:
			default: // all workers busy: the rate drops rather than queueing without bound
			}
		case <-report.C:
			if o.Every != nil {
				o.Every(snapshot())
			}
		}
	}
	close(jobs)
	wg.Wait()
	return snapshot(), nil
}
