package sqs

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The operations, on generic values in AWS JSON 1.0's shapes (the query
// codec converts to and from them). Sources: the SQS API reference and
// botocore's sqs/2012-11-05 service model.

const maxBody = 262144

var queueNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// settable are the attributes CreateQueue and SetQueueAttributes accept,
// with their defaults ("" for none) and ranges.
var settable = map[string]struct {
	def      string
	min, max int
}{
	"VisibilityTimeout":             {"30", 0, 43200},
	"MessageRetentionPeriod":        {"345600", 60, 1209600},
	"DelaySeconds":                  {"0", 0, 900},
	"MaximumMessageSize":            {"262144", 1024, 262144},
	"ReceiveMessageWaitTimeSeconds": {"0", 0, 20},
	"RedrivePolicy":                 {"", 0, 0},
}

type redrivePolicy struct {
	DeadLetterTargetArn string `json:"deadLetterTargetArn"`
	MaxReceiveCount     any    `json:"maxReceiveCount"`
}

// ctxOp is what an operation knows about its request.
type ctxOp struct {
	base string // http://host of the request, for queue URLs
	now  time.Time
}

func (s *Service) queueURL(base, name string) string { return base + "/" + s.account + "/" + name }

func (s *Service) queueArn(name string) string {
	return fmt.Sprintf("arn:aws:sqs:%s:%s:%s", s.region, s.account, name)
}

// queueLocked finds the queue a QueueUrl names.
func (s *Service) queueLocked(in map[string]any) (*queue, *Error) {
	u := str(in, "QueueUrl")
	if u == "" {
		return nil, missing("QueueUrl")
	}
	name := u[strings.LastIndex(u, "/")+1:]
	q := s.store.queues[name]
	if q == nil {
		return nil, noQueue()
	}
	return q, nil
}

// checkAttributes validates attributes to set; RedrivePolicy's target must
// exist.
func (s *Service) checkAttributesLocked(name string, attrs map[string]string) *Error {
	for k, v := range attrs {
		rule, ok := settable[k]
		if !ok {
			return &Error{Status: 400, Shape: "InvalidAttributeName", Code: "InvalidAttributeName", Message: fmt.Sprintf("Unknown Attribute %s.", k)}
		}
		if k == "RedrivePolicy" {
			if v == "" {
				continue
			}
			var p redrivePolicy
			if err := json.Unmarshal([]byte(v), &p); err != nil {
				return invalid("Invalid value for the parameter RedrivePolicy. Reason: Redrive policy is not a valid JSON map.")
			}
			n, err := strconv.Atoi(strings.TrimSpace(fmt.Sprint(p.MaxReceiveCount)))
			if err != nil || n < 1 || n > 1000 {
				return invalid("Value %s for parameter RedrivePolicy is invalid. Reason: Invalid value for maxReceiveCount: %v, valid values are from 1 to 1000 both inclusive.", v, p.MaxReceiveCount)
			}
			target := p.DeadLetterTargetArn[strings.LastIndex(p.DeadLetterTargetArn, ":")+1:]
			if p.DeadLetterTargetArn == "" || s.queueArn(target) != p.DeadLetterTargetArn || s.store.queues[target] == nil || target == name {
				return invalid("Value %s for parameter RedrivePolicy is invalid. Reason: Dead-letter target does not exist: %q (for example arn:aws:sqs:%s:%s:my-dlq).", v, p.DeadLetterTargetArn, s.region, s.account)
			}
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < rule.min || n > rule.max {
			return invalid("Invalid value for the parameter %s: %q (a whole number from %d to %d).", k, v, rule.min, rule.max)
		}
	}
	return nil
}

func (s *Service) createQueue(c ctxOp, in map[string]any) (map[string]any, *Error) {
	name := str(in, "QueueName")
	if name == "" {
		return nil, missing("QueueName")
	}
	if !queueNameRE.MatchString(name) {
		return nil, invalid("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length (got %q; for example orders-dlq). FIFO queues are not supported by the sandbox.", name)
	}
	attrs := strMap(in, "Attributes")
	st := s.store
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := s.checkAttributesLocked(name, attrs); err != nil {
		return nil, err
	}
	full := map[string]string{}
	for k, rule := range settable {
		if rule.def != "" {
			full[k] = rule.def
		}
	}
	for k, v := range attrs {
		if v != "" {
			full[k] = v
		}
	}
	if q := st.queues[name]; q != nil {
		for k, v := range attrs {
			if q.Attributes[k] != v && (v != "" || q.Attributes[k] != "") {
				return nil, &Error{Status: 400, Shape: "QueueNameExists", Code: "QueueAlreadyExists",
					Message: fmt.Sprintf("A queue already exists with the same name and a different value for attribute %s", k)}
			}
		}
		return map[string]any{"QueueUrl": s.queueURL(c.base, name)}, nil
	}
	if err := st.applyLocked(record{Queue: &queue{Name: name, Created: c.now, Modified: c.now, Attributes: full}}); err != nil {
		return nil, InternalFault("Could not store the change durably.")
	}
	return map[string]any{"QueueUrl": s.queueURL(c.base, name)}, nil
}

func (s *Service) getQueueURL(c ctxOp, in map[string]any) (map[string]any, *Error) {
	name := str(in, "QueueName")
	if name == "" {
		return nil, missing("QueueName")
	}
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	if s.store.queues[name] == nil {
		return nil, noQueue()
	}
	return map[string]any{"QueueUrl": s.queueURL(c.base, name)}, nil
}

func (s *Service) listQueues(c ctxOp, in map[string]any) (map[string]any, *Error) {
	prefix := str(in, "QueueNamePrefix")
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	urls := []any{}
	for _, n := range s.store.sortedNames() {
		if strings.HasPrefix(n, prefix) && len(urls) < 1000 {
			urls = append(urls, s.queueURL(c.base, n))
		}
	}
	if len(urls) == 0 {
		return map[string]any{}, nil
	}
	return map[string]any{"QueueUrls": urls}, nil
}

// onQueue runs op under the store's lock on the queue the request names
// (QueueUrl), answering QueueDoesNotExist when there is none: the opening
// every operation on one queue shares.
func (s *Service) onQueue(op func(c ctxOp, q *queue, in map[string]any) (map[string]any, *Error)) func(ctxOp, map[string]any) (map[string]any, *Error) {
	return func(c ctxOp, in map[string]any) (map[string]any, *Error) {
		s.store.mu.Lock()
		defer s.store.mu.Unlock()
		q, err := s.queueLocked(in)
		if err != nil {
			return nil, err
		}
		return op(c, q, in)
	}
}

func (s *Service) deleteQueue(_ ctxOp, q *queue, in map[string]any) (map[string]any, *Error) {
	st := s.store
	if e := st.applyLocked(record{Deleted: q.Name}); e != nil {
		return nil, InternalFault("Could not store the change durably.")
	}
	return map[string]any{}, nil
}

func (s *Service) getQueueAttributes(c ctxOp, q *queue, in map[string]any) (map[string]any, *Error) {
	all := map[string]string{}
	for k, v := range q.Attributes {
		if v != "" {
			all[k] = v
		}
	}
	visible, inflight, delayed := 0, 0, 0
	for _, m := range q.Messages {
		switch {
		case m.VisibleAt.After(c.now) && m.Receives > 0:
			inflight++
		case m.VisibleAt.After(c.now):
			delayed++
		default:
			visible++
		}
	}
	all["QueueArn"] = s.queueArn(q.Name)
	all["ApproximateNumberOfMessages"] = strconv.Itoa(visible)
	all["ApproximateNumberOfMessagesNotVisible"] = strconv.Itoa(inflight)
	all["ApproximateNumberOfMessagesDelayed"] = strconv.Itoa(delayed)
	all["CreatedTimestamp"] = strconv.FormatInt(q.Created.Unix(), 10)
	all["LastModifiedTimestamp"] = strconv.FormatInt(q.Modified.Unix(), 10)
	out := map[string]any{}
	for _, n := range strList(in, "AttributeNames") {
		if n == "All" {
			for k, v := range all {
				out[k] = v
			}
			continue
		}
		if _, known := settable[n]; !known && all[n] == "" {
			return nil, &Error{Status: 400, Shape: "InvalidAttributeName", Code: "InvalidAttributeName", Message: fmt.Sprintf("Unknown Attribute %s.", n)}
		}
		if v, ok := all[n]; ok {
			out[n] = v
		}
	}
	if len(out) == 0 {
		return map[string]any{}, nil
	}
	return map[string]any{"Attributes": out}, nil
}

func (s *Service) setQueueAttributes(c ctxOp, q *queue, in map[string]any) (map[string]any, *Error) {
	st := s.store
	attrs := strMap(in, "Attributes")
	if err := s.checkAttributesLocked(q.Name, attrs); err != nil {
		return nil, err
	}
	next := copyAttrs(q.Attributes)
	for k, v := range attrs {
		next[k] = v
	}
	if e := st.applyLocked(record{Queue: &queue{Name: q.Name, Created: q.Created, Modified: c.now, Attributes: next}}); e != nil {
		return nil, InternalFault("Could not store the change durably.")
	}
	return map[string]any{}, nil
}

// sendLocked adds one message to q.
func (s *Service) sendLocked(c ctxOp, q *queue, body string, delay any) (*message, *Error) {
	if body == "" {
		return nil, missing("MessageBody")
	}
	if len(body) > maxBody {
		return nil, invalid("One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", maxBody)
	}
	d, _ := strconv.Atoi(q.Attributes["DelaySeconds"])
	if delay != nil {
		n, ok := whole(delay)
		if !ok || n < 0 || n > 900 {
			return nil, invalid("Value %v for parameter DelaySeconds is invalid. Reason: must be between 0 and 900, if provided.", delay)
		}
		d = n
	}
	sum := md5.Sum([]byte(body))
	m := &message{ID: uuid.NewString(), Body: body, MD5: hex.EncodeToString(sum[:]), Sent: c.now, VisibleAt: c.now.Add(time.Duration(d) * time.Second)}
	if err := s.store.applyLocked(record{In: q.Name, Put: m}); err != nil {
		return nil, InternalFault("Could not store the change durably.")
	}
	return m, nil
}

func (s *Service) sendMessage(c ctxOp, q *queue, in map[string]any) (map[string]any, *Error) {
	m, err := s.sendLocked(c, q, str(in, "MessageBody"), in["DelaySeconds"])
	if err != nil {
		return nil, err
	}
	s.countLocked(q, "NumberOfMessagesSent", 1, c.now)
	s.wakeLocked()
	return map[string]any{"MessageId": m.ID, "MD5OfMessageBody": m.MD5}, nil
}

func (s *Service) sendMessageBatch(c ctxOp, q *queue, in map[string]any) (map[string]any, *Error) {
	entries, _ := in["Entries"].([]any)
	if len(entries) == 0 {
		return nil, &Error{Status: 400, Shape: "EmptyBatchRequest", Code: "AWS.SimpleQueueService.EmptyBatchRequest", Message: "There should be at least one SendMessageBatchRequestEntry in the request."}
	}
	if len(entries) > 10 {
		return nil, &Error{Status: 400, Shape: "TooManyEntriesInBatchRequest", Code: "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", Message: fmt.Sprintf("Maximum number of entries per request are 10. You have sent %d.", len(entries))}
	}
	seen := map[string]bool{}
	for _, e := range entries {
		em, _ := e.(map[string]any)
		id := str(em, "Id")
		if seen[id] {
			return nil, &Error{Status: 400, Shape: "BatchEntryIdsNotDistinct", Code: "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", Message: fmt.Sprintf("Id %s repeated.", id)}
		}
		seen[id] = true
	}
	ok, failed := []any{}, []any{}
	for _, e := range entries {
		em, _ := e.(map[string]any)
		m, err := s.sendLocked(c, q, str(em, "MessageBody"), em["DelaySeconds"])
		if err != nil {
			failed = append(failed, map[string]any{"Id": str(em, "Id"), "SenderFault": err.Status < 500, "Code": err.Code, "Message": err.Message})
			continue
		}
		ok = append(ok, map[string]any{"Id": str(em, "Id"), "MessageId": m.ID, "MD5OfMessageBody": m.MD5})
	}
	s.countLocked(q, "NumberOfMessagesSent", len(ok), c.now)
	s.wakeLocked()
	return map[string]any{"Successful": ok, "Failed": failed}, nil
}

func (s *Service) wakeLocked() {
	close(s.store.wake)
	s.store.wake = make(chan struct{})
}

// receiveLocked takes up to max visible messages from q, moving those
// past the redrive policy's maxReceiveCount to the dead-letter queue and
// dropping those past the retention period.
func (s *Service) receiveLocked(c ctxOp, q *queue, most int, vt time.Duration) ([]message, error) {
	retention, _ := strconv.Atoi(q.Attributes["MessageRetentionPeriod"])
	var dlq *queue
	maxReceives := 0
	if rp := q.Attributes["RedrivePolicy"]; rp != "" {
		var p redrivePolicy
		if json.Unmarshal([]byte(rp), &p) == nil {
			maxReceives, _ = strconv.Atoi(strings.TrimSpace(fmt.Sprint(p.MaxReceiveCount)))
			dlq = s.store.queues[p.DeadLetterTargetArn[strings.LastIndex(p.DeadLetterTargetArn, ":")+1:]]
		}
	}
	var out []message
	for _, m := range append([]*message(nil), q.Messages...) {
		if len(out) >= most {
			break
		}
		if m.VisibleAt.After(c.now) {
			continue
		}
		if retention > 0 && c.now.Sub(m.Sent) >= time.Duration(retention)*time.Second {
			if err := s.store.applyLocked(record{In: q.Name, Gone: m.ID}); err != nil {
				return nil, err
			}
			continue
		}
		if dlq != nil && maxReceives > 0 && m.Receives >= maxReceives {
			moved := *m
			moved.VisibleAt, moved.Handle = c.now, ""
			if err := s.store.applyLocked(record{In: q.Name, Gone: m.ID}); err != nil {
				return nil, err
			}
			if err := s.store.applyLocked(record{In: dlq.Name, Put: &moved}); err != nil {
				return nil, err
			}
			continue
		}
		next := *m
		next.Receives++
		if next.FirstReceive.IsZero() {
			next.FirstReceive = c.now
		}
		next.VisibleAt = c.now.Add(vt)
		next.Handle = newHandle(q.Name, m.ID)
		if err := s.store.applyLocked(record{In: q.Name, Put: &next}); err != nil {
			return nil, err
		}
		out = append(out, next)
	}
	return out, nil
}

func newHandle(queueName, id string) string {
	nonce := make([]byte, 12)
	_, _ = rand.Read(nonce)
	return base64.RawURLEncoding.EncodeToString([]byte(queueName + "\x00" + id + "\x00" + hex.EncodeToString(nonce)))
}

// parseHandle returns the message ID a receipt handle names.
func parseHandle(queueName, handle string) (string, *Error) {
	if handle == "" {
		return "", missing("ReceiptHandle")
	}
	b, err := base64.RawURLEncoding.DecodeString(handle)
	parts := strings.Split(string(b), "\x00")
	if err != nil || len(parts) != 3 || parts[0] != queueName {
		return "", badReceipt(handle)
	}
	return parts[1], nil
}

func (s *Service) deleteMessage(c ctxOp, q *queue, in map[string]any) (map[string]any, *Error) {
	ok, err := s.deleteLocked(q, str(in, "ReceiptHandle"))
	if err != nil {
		return nil, err
	}
	if ok {
		s.countLocked(q, "NumberOfMessagesDeleted", 1, c.now)
	}
	return map[string]any{}, nil
}

// deleteLocked deletes the message a receipt handle names; it reports
// whether there was one (deleting a deleted message is no error).
func (s *Service) deleteLocked(q *queue, handle string) (bool, *Error) {
	id, err := parseHandle(q.Name, handle)
	if err != nil {
		return false, err
	}
	for _, m := range q.Messages {
		if m.ID == id {
			if e := s.store.applyLocked(record{In: q.Name, Gone: id}); e != nil {
				return false, InternalFault("Could not store the change durably.")
			}
			return true, nil
		}
	}
	return false, nil
}

func (s *Service) changeMessageVisibility(c ctxOp, q *queue, in map[string]any) (map[string]any, *Error) {
	st := s.store
	handle := str(in, "ReceiptHandle")
	id, err := parseHandle(q.Name, handle)
	if err != nil {
		return nil, err
	}
	vt, ok := whole(in["VisibilityTimeout"])
	if in["VisibilityTimeout"] == nil {
		return nil, missing("VisibilityTimeout")
	}
	if !ok || vt < 0 || vt > 43200 {
		return nil, invalid("Value %v for parameter VisibilityTimeout is invalid. Reason: must be between 0 and 43200.", in["VisibilityTimeout"])
	}
	for _, m := range q.Messages {
		if m.ID != id {
			continue
		}
		if m.Handle != handle || !m.VisibleAt.After(c.now) {
			return nil, notInflight()
		}
		next := *m
		next.VisibleAt = c.now.Add(time.Duration(vt) * time.Second)
		if e := st.applyLocked(record{In: q.Name, Put: &next}); e != nil {
			return nil, InternalFault("Could not store the change durably.")
		}
		return map[string]any{}, nil
	}
	return nil, notInflight()
}

// ---- generic value helpers ----

func str(in map[string]any, k string) string {
	v, _ := in[k].(string)
	return v
}

// whole reads a whole number sent as a JSON number or a query string.
func whole(v any) (int, bool) {
	switch x := v.(type) {
	case float64:
		return int(x), x == float64(int(x))
	case string:
		n, err := strconv.Atoi(x)
		return n, err == nil
	}
	return 0, false
}

func strList(in map[string]any, k string) []string {
	l, _ := in[k].([]any)
	out := make([]string, 0, len(l))
	for _, v := range l {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func strMap(in map[string]any, k string) map[string]string {
	m, _ := in[k].(map[string]any)
	out := make(map[string]string, len(m))
	for key, v := range m {
		if s, ok := v.(string); ok {
			out[key] = s
		}
	}
	return out
}
