// Command function is the demo's Lambda function: an orders API handler
// built into a provided.al2023 bootstrap. Each release is built with its
// own label; release v1.1.0 carries a defect (a nil map write on most
// requests), fixed in v1.1.1.
package main

import (
	"context"
	"errors"
	"math/rand"

	"github.com/aws/aws-lambda-go/lambda"
)

// Set at build time: -ldflags "-X main.release=v1.1.0 -X main.defect=true".
var (
	release = "dev"
	defect  = "false"
)

type order struct {
	ID    string `json:"id"`
	Items int    `json:"items"`
}

type reply struct {
	Release string `json:"release"`
	Total   int    `json:"total"`
}

func handle(_ context.Context, o order) (reply, error) {
	if defect == "true" && rand.Intn(10) < 6 {
		return reply{}, errors.New("pricing: assignment to entry in nil map")
	}
	return reply{Release: release, Total: o.Items * 100}, nil
}

func main() { lambda.Start(handle) }
