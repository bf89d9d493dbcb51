package sandbox_test

import (
	"fmt"
	"sync"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// TestSQSCrashKeepsAcknowledgedMessages SIGKILLs a sandbox process while
// four clients send messages, restarts it over the same folder and
// receives everything: every message SendMessage acknowledged is there.
func TestSQSCrashKeepsAcknowledgedMessages(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cmd, url := startSandboxProcess(t, dir)
	c := sqsAt(url)
	q := sqsQueue(t, c, "crash", nil)
	var mu sync.Mutex
	acked := map[string]bool{}
	enough := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				body := fmt.Sprintf("w%d-%d", w, i)
				if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(q), MessageBody: aws.String(body)}); err != nil {
					return // the sandbox is gone
				}
				mu.Lock()
				acked[body] = true
				if len(acked) >= 200 {
					once.Do(func() { close(enough) })
				}
				mu.Unlock()
			}
		}()
	}
	<-enough
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	wg.Wait()
	_, url2 := startSandboxProcess(t, dir)
	c2 := sqsAt(url2)
	q2 := sqsQueue(t, c2, "crash", nil)
	seen := map[string]bool{}
	for {
		got := sqsReceive(t, c2, q2, 10)
		if len(got) == 0 {
			break
		}
		for _, m := range got {
			seen[aws.ToString(m.Body)] = true
		}
	}
	lost := 0
	for body := range acked {
		if !seen[body] {
			lost++
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d acknowledged messages lost in the crash", lost, len(acked))
	}
	fmt.Printf("reliability/sqs-crash: SIGKILL under 4 senders, %d messages acknowledged, %d found after restart, lost: %d\n", len(acked), len(seen), lost)
}
