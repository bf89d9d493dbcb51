package lambda

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/wire"
)

// Error is an AWS error answer: HTTP status, error code and message.
type Error struct {
	Status  int
	Code    string
	Message string
	// Reason is set on TooManyRequestsException.
	Reason     string
	RetryAfter string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Lambda error constructors, with the status codes of the service model and
// the texts AWS sends (see research/api_fidelity.md section 2.1).
func errInvalidParameter(format string, a ...any) *Error {
	return &Error{Status: 400, Code: "InvalidParameterValueException", Message: fmt.Sprintf(format, a...)}
}

func errValidation(problems ...string) *Error {
	n := len(problems)
	noun := "error"
	if n > 1 {
		noun = "errors"
	}
	return &Error{Status: 400, Code: "ValidationException",
		Message: fmt.Sprintf("%d validation %s detected: %s", n, noun, strings.Join(problems, "; "))}
}

func errNotFound(arn string) *Error {
	return &Error{Status: 404, Code: "ResourceNotFoundException", Message: "Function not found: " + arn}
}

// errOtherRegion answers a function ARN of another region (localstack's AWS
// recording test_get_function_wrong_region, 2025-11-25).
func errOtherRegion(arnRegion, region string) *Error {
	return &Error{Status: 404, Code: "ResourceNotFoundException",
		Message: fmt.Sprintf("Functions from '%s' are not reachable in this region ('%s')", arnRegion, region)}
}

func errConflict(format string, a ...any) *Error {
	return &Error{Status: 409, Code: "ResourceConflictException", Message: fmt.Sprintf(format, a...)}
}

func errPrecondition() *Error {
	return &Error{Status: 412, Code: "PreconditionFailedException",
		Message: "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id"}
}

func errUpdateInProgress(arn string) *Error {
	return errConflict("The operation cannot be performed at this time. An update is in progress for resource: %s", arn)
}

func errPending() *Error {
	return errConflict("The operation cannot be performed at this time. The function is currently in the following state: Pending")
}

// capitalMessage lists the Lambda errors whose message member is "Message".
var capitalMessage = map[string]bool{
	"ResourceNotFoundException": true, "ServiceException": true,
	"InvalidZipFileException": true, "InvalidRuntimeException": true,
}

func WriteError(w http.ResponseWriter, e *Error) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-ErrorType", e.Code)
	e.Message = wire.Clip(e.Message, wire.MaxErrorMessage)
	body := map[string]any{}
	switch {
	case e.Code == "ValidationException":
		body["message"] = e.Message
	case capitalMessage[e.Code]:
		body["Type"], body["Message"] = "User", e.Message
		if e.Code == "ServiceException" {
			body["Type"] = "Service"
		}
	default:
		body["Type"], body["message"] = "User", e.Message
	}
	if e.Code == "UnknownOperationException" {
		delete(body, "Type")
	}
	if e.Reason != "" {
		body["Reason"] = e.Reason
	}
	if e.RetryAfter != "" {
		h.Set("Retry-After", e.RetryAfter)
	}
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(body)
}

// maxBody is the largest request Lambda accepts (CreateFunction with a
// base64 zip); Invoke's own limit is MaxSyncPayload.
const maxBody = 70167211

// BodyLimit is the largest body operation op accepts.
func BodyLimit(op string) int64 {
	if op == "Invoke" {
		return MaxSyncPayload
	}
	return maxBody
}

// BodyError is the answer for a body that could not be read: too large, or
// cut off by the client.
func BodyError(op string, tooLarge bool) *Error {
	if tooLarge {
		if op == "Invoke" {
			return &Error{Status: http.StatusRequestEntityTooLarge, Code: "RequestTooLargeException",
				Message: fmt.Sprintf("Request must be smaller than %d bytes for the InvokeFunction operation", MaxSyncPayload)}
		}
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: "RequestEntityTooLargeException",
			Message: fmt.Sprintf("Request must be smaller than %d bytes for the %s operation", maxBody, op)}
	}
	return &Error{Status: http.StatusBadRequest, Code: "InvalidRequestContentException",
		Message: "Could not read the request body: the client stopped sending it"}
}
