package sns

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sort"
	"sync"
	"time"
)

// job is one delivery: a subscription's confirmation request, or a
// message to the subscriptions it still has to reach.
type job struct {
	confirm *Subscription
	message *Message
}

// deliverer POSTs to subscribers on one goroutine, in publish order, so a
// subscriber sees a topic's messages in the order they were published.
type deliverer struct {
	svc     *Service
	mu      sync.Mutex
	queue   []job
	wake    chan struct{}
	ctx     context.Context
	cancel  context.CancelFunc
	done    chan struct{}
	client  *http.Client
	backoff []time.Duration
}

func newDeliverer(svc *Service) *deliverer {
	d := &deliverer{svc: svc, wake: make(chan struct{}, 1), done: make(chan struct{}),
		backoff: []time.Duration{time.Second, 2 * time.Second}}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	d.client = &http.Client{
		Timeout: 5 * time.Second,
		// Never follow a redirect: it could lead off loopback.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{Proxy: nil, DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			ips, err := net.DefaultResolver.LookupIPAddr(ctx, host)
			if err != nil {
				return nil, err
			}
			for _, ip := range ips {
				if !ip.IP.IsLoopback() {
					return nil, fmt.Errorf("%s resolves to %s, not loopback: the sandbox delivers only to loopback", host, ip.IP)
				}
			}
			return dialer.DialContext(ctx, network, addr)
		}},
	}
	go d.run()
	return d
}

func (d *deliverer) enqueue(j job) {
	d.mu.Lock()
	d.queue = append(d.queue, j)
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

func (d *deliverer) stop() {
	d.cancel()
	<-d.done
}

func (d *deliverer) run() {
	defer close(d.done)
	for {
		d.mu.Lock()
		var j *job
		if len(d.queue) > 0 {
			j = &d.queue[0]
			d.queue = d.queue[1:]
		}
		d.mu.Unlock()
		if j == nil {
			select {
			case <-d.ctx.Done():
				return
			case <-d.wake:
				continue
			}
		}
		if j.confirm != nil {
			d.sendConfirmation(j.confirm)
		}
		if j.message != nil {
			d.sendMessage(j.message)
		}
		if d.ctx.Err() != nil {
			return
		}
	}
}

func (d *deliverer) baseURL() string {
	if u := d.svc.baseURL.Load(); u != nil {
		return *u
	}
	return "http://127.0.0.1"
}

// post delivers one body, retried with backoff until a 2xx answer, the
// retries run out or the sandbox stops (SNS gives up on an HTTP endpoint
// after its retries too).
func (d *deliverer) post(endpoint string, headers map[string]string, body []byte) {
	for i := 0; ; i++ {
		req, err := http.NewRequestWithContext(d.ctx, http.MethodPost, endpoint, bytes.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Content-Type", "text/plain; charset=UTF-8")
		req.Header.Set("User-Agent", "Amazon Simple Notification Service Agent")
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := d.client.Do(req)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode >= 200 && resp.StatusCode < 300 {
				return
			}
		}
		if i >= len(d.backoff) {
			return
		}
		t := time.NewTimer(d.backoff[i])
		select {
		case <-d.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

func (d *deliverer) sendConfirmation(sub *Subscription) {
	id := sub.ARN + "/confirm"
	q := url.Values{"Action": {"ConfirmSubscription"}, "TopicArn": {sub.TopicARN}, "Token": {sub.Token}}
	body, _ := json.Marshal(map[string]string{
		"Type": "SubscriptionConfirmation", "MessageId": id, "Token": sub.Token, "TopicArn": sub.TopicARN,
		"Message":      fmt.Sprintf("You have chosen to subscribe to the topic %s.\nTo confirm the subscription, visit the SubscribeURL included in this message.", sub.TopicARN),
		"SubscribeURL": d.baseURL() + "/?" + q.Encode(), "Timestamp": d.svc.clock().UTC().Format("2006-01-02T15:04:05.000Z"),
		"SignatureVersion": "1", "Signature": "SANDBOX-UNSIGNED", "SigningCertURL": d.baseURL() + "/_sandbox/sns/unsigned.pem",
	})
	d.post(sub.Endpoint, map[string]string{"x-amz-sns-message-type": "SubscriptionConfirmation", "x-amz-sns-message-id": id, "x-amz-sns-topic-arn": sub.TopicARN}, body)
}

func (d *deliverer) sendMessage(m *Message) {
	for _, subARN := range m.Pending {
		d.svc.store.mu.Lock()
		sub, ok := d.svc.store.subs[subARN]
		var c Subscription
		if ok {
			c = *sub
		}
		d.svc.store.mu.Unlock()
		if ok {
			fields := map[string]string{
				"Type": "Notification", "MessageId": m.ID, "TopicArn": m.TopicARN, "Message": m.Body,
				"Timestamp": m.Timestamp.Format("2006-01-02T15:04:05.000Z"), "SignatureVersion": "1", "Signature": "SANDBOX-UNSIGNED",
				"SigningCertURL": d.baseURL() + "/_sandbox/sns/unsigned.pem",
				"UnsubscribeURL": d.baseURL() + "/?" + url.Values{"Action": {"Unsubscribe"}, "SubscriptionArn": {c.ARN}}.Encode(),
			}
			if m.Subject != "" {
				fields["Subject"] = m.Subject
			}
			body, _ := json.Marshal(fields)
			d.post(c.Endpoint, map[string]string{"x-amz-sns-message-type": "Notification", "x-amz-sns-message-id": m.ID,
				"x-amz-sns-topic-arn": m.TopicARN, "x-amz-sns-subscription-arn": c.ARN}, body)
		}
		if d.ctx.Err() != nil {
			return // shutting down: what was not delivered stays in the log
		}
		// Delivered, or given up after the retries as SNS gives up on an
		// HTTP endpoint: either way the message is done for this subscription.
		d.svc.store.mu.Lock()
		_ = d.svc.store.commit(record{Op: "delivered", MessageID: m.ID, ARN: subARN})
		d.svc.store.mu.Unlock()
	}
}

func sortStrings(s []string) { sort.Strings(s) }
