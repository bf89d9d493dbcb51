// Command bootstrap is the sandbox's test function: a real aws-lambda-go
// handler whose failure rate and latency come from its environment, so a
// "good" and a "bad" version differ only in configuration, as a user's
// would. A payload can also ask for one behaviour: {"action": "error" |
// "panic" | "exit" | "sleep", "ms": N}.
//
// Fed by an SQS event source mapping ({"Records": [...]}), it appends one
// line per record to the file RECORD_FILE names, if any ("version<TAB>
// messageId<TAB>body<TAB>receive count"), so a test can count what each
// version saw. A record whose body is "fail" fails the whole invocation; one
// whose body is "fail-item" is reported in batchItemFailures. With
// OUTCOME_FILE set, it also appends, once it knows how the invocation
// ends, one line per record: "<version> <messageId> <body> <start unix
// ns> ok|failed" (the data interlock's tests: when each version started a
// batch, and whether it processed it). INIT_SLEEP_MS makes its init (before
// it asks for the first event) take that long.
package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type request struct {
	Action  string      `json:"action"`
	MS      int         `json:"ms"`
	Records []sqsRecord `json:"Records"`
}

type sqsRecord struct {
	MessageID  string            `json:"messageId"`
	Body       string            `json:"body"`
	Attributes map[string]string `json:"attributes"`
}

type itemFailure struct {
	ItemIdentifier string `json:"itemIdentifier"`
}

type response struct {
	OK                bool          `json:"ok"`
	Version           string        `json:"version"`
	Release           string        `json:"release,omitempty"`
	Request           string        `json:"request_id"`
	BatchItemFailures []itemFailure `json:"batchItemFailures,omitempty"`
}

// record appends what the function saw of an SQS batch to RECORD_FILE and
// returns the items it reports as failed; failed is set when the batch
// holds a "fail" record.
func record(records []sqsRecord) (items []itemFailure, failed bool, err error) {
	var b strings.Builder
	for _, r := range records {
		fmt.Fprintf(&b, "%s\t%s\t%s\t%s\n", os.Getenv("AWS_LAMBDA_FUNCTION_VERSION"), r.MessageID, r.Body, r.Attributes["ApproximateReceiveCount"])
		switch r.Body {
		case "fail":
			failed = true
		case "fail-item":
			items = append(items, itemFailure{ItemIdentifier: r.MessageID})
		}
	}
	if path := os.Getenv("RECORD_FILE"); path != "" {
		f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return nil, false, err
		}
		_, err = f.WriteString(b.String()) // one write: lines of concurrent invocations never interleave
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, false, err
		}
	}
	return items, failed, nil
}

// outcome appends how a batch ended to file, in one write.
func outcome(file string, records []sqsRecord, start int64, ok bool) error {
	word := "failed"
	if ok {
		word = "ok"
	}
	var b strings.Builder
	for _, r := range records {
		fmt.Fprintf(&b, "%s %s %s %d %s\n", os.Getenv("AWS_LAMBDA_FUNCTION_VERSION"), r.MessageID, r.Body, start, word)
	}
	f, err := os.OpenFile(file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteString(b.String())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func envFloat(name string) float64 {
	f, _ := strconv.ParseFloat(os.Getenv(name), 64)
	return f
}

func handle(ctx context.Context, req request) (resp response, err error) {
	if file := os.Getenv("OUTCOME_FILE"); file != "" && len(req.Records) > 0 {
		start := time.Now().UnixNano()
		defer func() {
			if werr := outcome(file, req.Records, start, err == nil); werr != nil {
				resp, err = response{}, werr // unrecorded is unprocessed: the batch is retried
			}
		}()
	}
	if ms := envFloat("LATENCY_MS"); ms > 0 {
		time.Sleep(time.Duration(ms * float64(time.Millisecond)))
	}
	switch req.Action {
	case "error":
		return response{}, errors.New("asked to fail")
	case "panic":
		panic("asked to panic")
	case "exit":
		os.Exit(2)
	case "sleep":
		time.Sleep(time.Duration(req.MS) * time.Millisecond)
	}
	var items []itemFailure
	if len(req.Records) > 0 {
		var failed bool
		var err error
		if items, failed, err = record(req.Records); err != nil {
			return response{}, err
		}
		if failed {
			return response{}, errors.New("asked to fail (a record's body is fail)")
		}
	}
	if rate := envFloat("FAIL_RATE"); rate > 0 && rand.Float64() < rate {
		return response{}, errors.New("injected failure (FAIL_RATE)")
	}
	id := ""
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		id = lc.AwsRequestID
	}
	return response{OK: true, Version: os.Getenv("AWS_LAMBDA_FUNCTION_VERSION"), Release: os.Getenv("RELEASE"), Request: id, BatchItemFailures: items}, nil
}

func main() {
	if v := os.Getenv("INIT_EXIT"); v != "" {
		// The exit status is INIT_EXIT (0 for a clean exit without an answer).
		code, err := strconv.Atoi(v)
		if err != nil {
			code = 3
		}
		os.Exit(code)
	}
	if ms, err := strconv.Atoi(os.Getenv("INIT_SLEEP_MS")); err == nil {
		time.Sleep(time.Duration(ms) * time.Millisecond)
	}
	lambda.Start(handle)
}
