package sns

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/wire"
)

// Version is the query protocol version SNS requests carry.
const Version = "2010-03-31"

const xmlns = "http://sns.amazonaws.com/doc/2010-03-31/"

// MaxMessage is the largest message Publish accepts (256 KiB).
const MaxMessage = 256 * 1024

// Service is the sandbox's SNS.
type Service struct {
	store     *store
	clock     func() time.Time
	region    string
	account   string
	baseURL   atomic.Pointer[string]
	deliverer *deliverer
}

// New returns an in-memory service; Open makes it durable. Close stops
// its delivery.
func New(clock func() time.Time, region, account string) *Service {
	s := &Service{store: newStore(), clock: clock, region: region, account: account}
	s.deliverer = newDeliverer(s)
	return s
}

// Open replays the topics, subscriptions and undelivered messages logged
// under dir and logs every later change there, then resumes delivering
// what was published and not yet delivered.
func (s *Service) Open(dir string, recoverLog bool) error {
	if err := s.store.open(dir, recoverLog); err != nil {
		return err
	}
	for _, m := range s.store.undelivered() {
		s.deliverer.enqueue(job{message: &m})
	}
	return nil
}

// Close stops delivery and closes the log.
func (s *Service) Close() error {
	s.deliverer.stop()
	return s.store.close()
}

// SetBaseURL records where the sandbox is reached, for the SubscribeURL
// and UnsubscribeURL written in messages.
func (s *Service) SetBaseURL(u string) { s.baseURL.Store(&u) }

// Error is an SNS error answer.
type Error struct {
	Status        int
	Code, Message string
}

func invalid(format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "InvalidParameter", Message: fmt.Sprintf(format, args...)}
}

func notFound(what string) *Error {
	return &Error{Status: http.StatusNotFound, Code: "NotFound", Message: what + " does not exist"}
}

// WriteError answers an SNS error in the query protocol's XML.
func WriteError(w http.ResponseWriter, e *Error) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(e.Status)
	typ := "Sender"
	if e.Status >= 500 {
		typ = "Receiver"
	}
	_, _ = fmt.Fprintf(w, `<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`,
		xmlns, typ, e.Code, wire.XMLEscape(wire.Clip(e.Message, wire.MaxErrorMessage)), w.Header().Get("x-amzn-RequestId"))
}

func writeResult(w http.ResponseWriter, op, result string) {
	w.Header().Set("Content-Type", "text/xml")
	body := ""
	if result != "" {
		body = fmt.Sprintf("<%sResult>%s</%sResult>", op, result, op)
	}
	_, _ = fmt.Fprintf(w, `<%sResponse xmlns="%s">%s<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>`,
		op, xmlns, body, w.Header().Get("x-amzn-RequestId"), op)
}

// Serve answers one SNS request whose form (the query parameters of the
// body) is already read; region is the request's SigV4 region.
func (s *Service) Serve(w http.ResponseWriter, form url.Values, region string) {
	if region == "" {
		region = s.region
	}
	op := form.Get("Action")
	var result string
	var err *Error
	switch op {
	case "CreateTopic":
		result, err = s.createTopic(form, region)
	case "DeleteTopic":
		err = s.deleteTopic(form)
	case "ListTopics":
		result = s.listTopics()
	case "Subscribe":
		result, err = s.subscribe(form)
	case "ConfirmSubscription":
		result, err = s.confirm(form)
	case "Unsubscribe":
		err = s.unsubscribe(form)
	case "ListSubscriptionsByTopic":
		result, err = s.listSubscriptions(form)
	case "Publish":
		result, err = s.publish(form)
	default:
		err = &Error{Status: http.StatusBadRequest, Code: "InvalidAction", Message: fmt.Sprintf("The action %s is not valid for this endpoint.", wire.Clip(op, 100))}
	}
	if err != nil {
		WriteError(w, err)
		return
	}
	writeResult(w, op, result)
}

var topicName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

func (s *Service) createTopic(form url.Values, region string) (string, *Error) {
	name := form.Get("Name")
	base := strings.TrimSuffix(name, ".fifo")
	if !topicName.MatchString(base) || len(name) > 256 {
		return "", invalid("Invalid parameter: Topic Name")
	}
	arn := fmt.Sprintf("arn:aws:sns:%s:%s:%s", region, s.account, name)
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	if _, ok := s.store.topics[arn]; !ok {
		if err := s.store.commit(record{Op: "topic", Topic: &Topic{ARN: arn, Name: name}}); err != nil {
			return "", internal(err)
		}
	}
	return "<TopicArn>" + wire.XMLEscape(arn) + "</TopicArn>", nil
}

func internal(err error) *Error {
	return &Error{Status: http.StatusInternalServerError, Code: "InternalError", Message: "the sandbox could not save the change: " + err.Error()}
}

func (s *Service) topic(arn string) (*Topic, *Error) {
	t, ok := s.store.topics[arn]
	if !ok {
		return nil, notFound("Topic")
	}
	return t, nil
}

func (s *Service) deleteTopic(form url.Values) *Error {
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	arn := form.Get("TopicArn")
	if _, ok := s.store.topics[arn]; !ok {
		return nil // DeleteTopic of a missing topic succeeds
	}
	if err := s.store.commit(record{Op: "delete_topic", ARN: arn}); err != nil {
		return internal(err)
	}
	return nil
}

func (s *Service) listTopics() string {
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	var b strings.Builder
	b.WriteString("<Topics>")
	for _, arn := range sortedKeys(s.store.topics) {
		b.WriteString("<member><TopicArn>" + wire.XMLEscape(arn) + "</TopicArn></member>")
	}
	b.WriteString("</Topics>")
	return b.String()
}

// LoopbackEndpoint checks that an HTTP/HTTPS endpoint names a loopback
// host: the sandbox delivers nowhere else.
func LoopbackEndpoint(endpoint, protocol string) error {
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != protocol || u.Host == "" {
		return fmt.Errorf("endpoint must be a %s:// URL", protocol)
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); (ip == nil || !ip.IsLoopback()) && !strings.EqualFold(host, "localhost") {
		return fmt.Errorf("endpoint %s is not on loopback; the sandbox delivers only to 127.0.0.1, ::1 or localhost", wire.Clip(endpoint, 200))
	}
	return nil
}

func (s *Service) subscribe(form url.Values) (string, *Error) {
	protocol, endpoint := form.Get("Protocol"), form.Get("Endpoint")
	if protocol != "http" && protocol != "https" {
		return "", invalid("Invalid parameter: Protocol %q: the sandbox delivers to http and https endpoints", wire.Clip(protocol, 50))
	}
	if err := LoopbackEndpoint(endpoint, protocol); err != nil {
		return "", invalid("Invalid parameter: %s", strings.ToUpper(err.Error()[:1])+err.Error()[1:])
	}
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	t, err := s.topic(form.Get("TopicArn"))
	if err != nil {
		return "", err
	}
	for _, sub := range s.store.subs { // subscribing again returns the same subscription
		if sub.TopicARN == t.ARN && sub.Endpoint == endpoint && sub.Protocol == protocol {
			return subscriptionResult(sub, form.Get("ReturnSubscriptionArn") == "true"), nil
		}
	}
	token := make([]byte, 32)
	_, _ = rand.Read(token)
	sub := &Subscription{ARN: t.ARN + ":" + uuid.NewString(), TopicARN: t.ARN, Protocol: protocol, Endpoint: endpoint, Token: hex.EncodeToString(token)}
	if err := s.store.commit(record{Op: "subscribe", Subscription: sub}); err != nil {
		return "", internal(err)
	}
	s.deliverer.enqueue(job{confirm: sub})
	return subscriptionResult(sub, form.Get("ReturnSubscriptionArn") == "true"), nil
}

func subscriptionResult(sub *Subscription, returnARN bool) string {
	arn := sub.ARN
	if !sub.Confirmed && !returnARN {
		arn = "pending confirmation"
	}
	return "<SubscriptionArn>" + wire.XMLEscape(arn) + "</SubscriptionArn>"
}

func (s *Service) confirm(form url.Values) (string, *Error) {
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	t, err := s.topic(form.Get("TopicArn"))
	if err != nil {
		return "", err
	}
	token := form.Get("Token")
	for _, sub := range s.store.subs {
		if sub.TopicARN == t.ARN && token != "" && sub.Token == token {
			if !sub.Confirmed {
				if err := s.store.commit(record{Op: "confirm", ARN: sub.ARN}); err != nil {
					return "", internal(err)
				}
			}
			return "<SubscriptionArn>" + wire.XMLEscape(sub.ARN) + "</SubscriptionArn>", nil
		}
	}
	return "", invalid("Invalid token")
}

func (s *Service) unsubscribe(form url.Values) *Error {
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	arn := form.Get("SubscriptionArn")
	if _, ok := s.store.subs[arn]; !ok {
		return notFound("Subscription")
	}
	if err := s.store.commit(record{Op: "unsubscribe", ARN: arn}); err != nil {
		return internal(err)
	}
	return nil
}

func (s *Service) listSubscriptions(form url.Values) (string, *Error) {
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	t, err := s.topic(form.Get("TopicArn"))
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("<Subscriptions>")
	for _, arn := range sortedKeys(s.store.subs) {
		sub := s.store.subs[arn]
		if sub.TopicARN != t.ARN {
			continue
		}
		shown := sub.ARN
		if !sub.Confirmed {
			shown = "PendingConfirmation"
		}
		fmt.Fprintf(&b, "<member><TopicArn>%s</TopicArn><Protocol>%s</Protocol><SubscriptionArn>%s</SubscriptionArn><Owner>%s</Owner><Endpoint>%s</Endpoint></member>",
			wire.XMLEscape(t.ARN), sub.Protocol, wire.XMLEscape(shown), s.account, wire.XMLEscape(sub.Endpoint))
	}
	b.WriteString("</Subscriptions>")
	return b.String(), nil
}

func (s *Service) publish(form url.Values) (string, *Error) {
	body, subject := form.Get("Message"), form.Get("Subject")
	switch {
	case body == "":
		return "", invalid("Invalid parameter: Empty message")
	case len(body) > MaxMessage:
		return "", invalid("Invalid parameter: Message too long")
	case !utf8.ValidString(body):
		return "", invalid("Invalid parameter: Message must be UTF-8")
	case len(subject) > 100 || strings.IndexFunc(subject, func(r rune) bool { return r < 0x20 || r > 0x7e }) >= 0:
		return "", invalid("Invalid parameter: Subject")
	}
	arn := form.Get("TopicArn")
	if arn == "" {
		arn = form.Get("TargetArn")
	}
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	t, err := s.topic(arn)
	if err != nil {
		return "", err
	}
	m := &Message{ID: uuid.NewString(), TopicARN: t.ARN, Subject: subject, Body: body, Timestamp: s.clock().UTC()}
	for _, subARN := range sortedKeys(s.store.subs) {
		if sub := s.store.subs[subARN]; sub.TopicARN == t.ARN && sub.Confirmed {
			m.Pending = append(m.Pending, subARN)
		}
	}
	if len(m.Pending) > 0 {
		if err := s.store.commit(record{Op: "publish", Message: m}); err != nil {
			return "", internal(err)
		}
		c := *m
		c.Pending = append([]string(nil), m.Pending...)
		s.deliverer.enqueue(job{message: &c})
	}
	return "<MessageId>" + m.ID + "</MessageId>", nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sortStrings(out)
	return out
}
