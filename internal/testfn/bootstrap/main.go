// Command bootstrap is the sandbox's test function: a real aws-lambda-go
// handler whose failure rate and latency come from its environment, so a
// "good" and a "bad" version differ only in configuration, as a user's
// would. A payload can also ask for one behaviour: {"action": "error" |
// "panic" | "exit" | "sleep", "ms": N}. Fed by an SQS event source
// mapping ({"Records": [...]}), it keeps its own record when RECORD_FILE
// is set: one line per message it received, "<version> <messageId>
// <body> <start unix ns> ok|failed", appended before it answers.
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
	Action  string   `json:"action"`
	MS      int      `json:"ms"`
	Records []record `json:"Records"`
}

// record is one SQS message of an event source mapping's batch.
type record struct {
	MessageID string `json:"messageId"`
	Body      string `json:"body"`
}

type response struct {
	OK      bool   `json:"ok"`
	Version string `json:"version"`
	Release string `json:"release,omitempty"`
	Request string `json:"request_id"`
}

func envFloat(name string) float64 {
	f, _ := strconv.ParseFloat(os.Getenv(name), 64)
	return f
}

func handle(ctx context.Context, req request) (resp response, err error) {
	if file := os.Getenv("RECORD_FILE"); file != "" && len(req.Records) > 0 {
		start := time.Now().UnixNano()
		defer func() {
			outcome := "ok"
			if err != nil {
				outcome = "failed"
			}
			var b strings.Builder
			for _, r := range req.Records {
				fmt.Fprintf(&b, "%s %s %s %d %s\n", os.Getenv("AWS_LAMBDA_FUNCTION_VERSION"), r.MessageID, r.Body, start, outcome)
			}
			f, ferr := os.OpenFile(file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
			if ferr != nil {
				resp, err = response{}, ferr // unrecorded is unprocessed: the batch is retried
				return
			}
			_, werr := f.WriteString(b.String())
			if cerr := f.Close(); werr == nil {
				werr = cerr
			}
			if werr != nil {
				resp, err = response{}, werr
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
	if rate := envFloat("FAIL_RATE"); rate > 0 && rand.Float64() < rate {
		return response{}, errors.New("injected failure (FAIL_RATE)")
	}
	id := ""
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		id = lc.AwsRequestID
	}
	return response{OK: true, Version: os.Getenv("AWS_LAMBDA_FUNCTION_VERSION"), Release: os.Getenv("RELEASE"), Request: id}, nil
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
	lambda.Start(handle)
}
