package awsclient

import (
	"context"
	"fmt"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// tflogLogger routes the SDK's own log lines (retries, deprecations) into
// tflog, using the context of the call so that Terraform's log levels and
// filters apply.
type tflogLogger struct {
	ctx context.Context
}

var _ logging.ContextLogger = tflogLogger{}

func (l tflogLogger) WithContext(ctx context.Context) logging.Logger { return tflogLogger{ctx: ctx} }

func (l tflogLogger) Logf(classification logging.Classification, format string, v ...any) {
	ctx := l.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	msg := fmt.Sprintf(format, v...)
	fields := map[string]any{"tf_rollout.sdk": true}
	if classification == logging.Warn {
		tflog.Warn(ctx, msg, fields)
		return
	}
	tflog.Debug(ctx, msg, fields)
}

// apiLogging adds a middleware that logs one structured line per API call:
// service, operation, HTTP status, request id and duration. Request and
// response bodies are never logged: they can hold function environments.
func apiLogging(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("RolloutAPILog",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			start := time.Now()
			out, md, err := next.HandleInitialize(ctx, in)
			fields := map[string]any{
				"tf_rollout.service":     awsmiddleware.GetServiceID(ctx),
				"tf_rollout.operation":   awsmiddleware.GetOperationName(ctx),
				"tf_rollout.duration_ms": time.Since(start).Milliseconds(),
			}
			if id, ok := awsmiddleware.GetRequestIDMetadata(md); ok {
				fields["tf_rollout.request_id"] = id
			}
			if raw, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response); ok && raw != nil {
				fields["tf_rollout.http_status"] = raw.StatusCode
			}
			if err != nil {
				fields["tf_rollout.error"] = err.Error()
			}
			tflog.Debug(ctx, "AWS API call", fields)
			return out, md, err
		}), middleware.Before)
}
