// Command bootstrap is the sandbox's test function: a real aws-lambda-go
// handler whose failure rate and latency come from its environment, so a
// "good" and a "bad" version differ only in configuration, as a user's
// would. A payload can also ask for one behaviour: {"action": "error" |
// "panic" | "exit" | "sleep", "ms": N}.
package main

import (
	"context"
	"errors"
	"math/rand"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type request struct {
	Action string `json:"action"`
	MS     int    `json:"ms"`
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

func handle(ctx context.Context, req request) (response, error) {
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
