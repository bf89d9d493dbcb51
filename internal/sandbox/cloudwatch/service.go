package cloudwatch

import (
	"fmt"
	"net/http"
	"time"
)

// Service is the sandbox's CloudWatch: the metric store, the alarms and
// their background evaluation, answering in the protocol each request
// speaks.
type Service struct {
	store   *metricStore
	clock   func() time.Time
	region  string
	account string
	stop    chan struct{}
}

// New returns an in-memory service; Open makes it durable. clock is the
// sandbox clock (UTC).
func New(clock func() time.Time, region, account string) *Service {
	return &Service{store: newMetricStore(clock), clock: clock, region: region, account: account}
}

// Open loads the metrics and alarms persisted under dir and keeps every
// later change there (see persist.go). recoverLog starts over a log damaged
// in the middle instead of refusing it.
func (s *Service) Open(dir string, recoverLog bool) error {
	return s.store.openPersistence(dir, recoverLog)
}

// StartEvaluator evaluates, every tick, the alarms whose period has passed,
// until Close.
func (s *Service) StartEvaluator(tick time.Duration) {
	s.stop = make(chan struct{})
	go s.store.evaluateLoop(tick, s.stop)
}

// Close stops the evaluator and closes the data files.
func (s *Service) Close() error {
	if s.stop != nil {
		close(s.stop)
		s.stop = nil
	}
	return s.store.closePersistence()
}

// OnAlarmStateChange installs a function called when the background
// evaluation changes an alarm's state (tests). nil removes it.
func (s *Service) OnAlarmStateChange(hook func(name, state string)) {
	s.store.amu.Lock()
	s.store.onChange = hook
	s.store.amu.Unlock()
}

// RecordInvocation stores the metrics Lambda emits for one invocation.
// They become durable with the next fsync.
func (s *Service) RecordInvocation(inv Invocation) { s.store.recordInvocation(inv) }

// Serve answers one CloudWatch request that Route recognised. admit is
// called once the operation is known (awsQuery names it in the body); an
// error it returns (an injected fault) is answered instead.
func (s *Service) Serve(w http.ResponseWriter, r *http.Request, proto Protocol, op string, admit func(op string) *Error) {
	in, op, cerr := decode(r, proto, op)
	if cerr != nil {
		WriteError(w, proto, cerr)
		return
	}
	if cerr := admit(op); cerr != nil {
		WriteError(w, proto, cerr)
		return
	}
	out, cerr := s.durableOp(op, in)
	if cerr != nil {
		WriteError(w, proto, cerr)
		return
	}
	writeResult(w, proto, op, out)
}

// durableOp runs an operation and answers once what it changed is durable.
func (s *Service) durableOp(op string, in map[string]any) (map[string]any, *Error) {
	out, cerr := s.op(op, in)
	if cerr != nil {
		return out, cerr
	}
	var err error
	switch op {
	case "PutMetricAlarm", "DeleteAlarms", "SetAlarmState":
		if op == "PutMetricAlarm" {
			s.store.amu.Lock()
			s.store.lastEval[str(in, "AlarmName")] = s.clock()
			s.store.amu.Unlock()
		}
		err = s.store.logAlarms()
	}
	if err == nil {
		err = s.store.durable()
	}
	if err != nil {
		return nil, InternalFault("Could not store the change durably.")
	}
	return out, nil
}

// op dispatches an operation to the store.
func (s *Service) op(op string, in map[string]any) (map[string]any, *Error) {
	m := s.store
	switch op {
	case "PutMetricData":
		return nil, m.putMetricData(in, s.clock())
	case "GetMetricData":
		return m.getMetricData(in)
	case "ListMetrics":
		return m.listMetricsOp(in), nil
	case "PutMetricAlarm":
		return nil, m.putMetricAlarm(in, s.clock())
	case "DescribeAlarms":
		return m.describeAlarms(in, s.clock(), s.region, s.account), nil
	case "DeleteAlarms":
		return nil, m.deleteAlarms(in)
	case "SetAlarmState":
		return nil, m.setAlarmState(in, s.clock())
	case "ListTagsForResource":
		return map[string]any{"Tags": []any{}}, nil
	}
	return nil, &Error{Status: 400, Shape: "InvalidAction", Code: "InvalidAction", Message: fmt.Sprintf("The action %s is not valid for this web service.", op)}
}

// RecordQueueMetric stores one datapoint of an AWS/SQS metric of a queue
// (dimension QueueName). It becomes durable with the next fsync.
func (s *Service) RecordQueueMetric(queue, name string, value float64, unit string, at time.Time) {
	s.store.putPoints("AWS/SQS", name, unit, []dimension{{"QueueName", queue}}, at, []point{{value, 1}})
}
