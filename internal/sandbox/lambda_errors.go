package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// apiError is an AWS error answer: HTTP status, error code and message.
type apiError struct {
	Status  int
	Code    string
	Message string
	// Reason is set on TooManyRequestsException.
	Reason     string
	RetryAfter string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// Lambda error constructors, with the status codes of the service model and
// the texts AWS sends (see research/api_fidelity.md section 2.1).
func errInvalidParameter(format string, a ...any) *apiError {
	return &apiError{Status: 400, Code: "InvalidParameterValueException", Message: fmt.Sprintf(format, a...)}
}

func errValidation(problems ...string) *apiError {
	n := len(problems)
	noun := "error"
	if n > 1 {
		noun = "errors"
	}
	return &apiError{Status: 400, Code: "ValidationException",
		Message: fmt.Sprintf("%d validation %s detected: %s", n, noun, strings.Join(problems, "; "))}
}

func errNotFound(arn string) *apiError {
	return &apiError{Status: 404, Code: "ResourceNotFoundException", Message: "Function not found: " + arn}
}

// errOtherRegion answers a function ARN of another region (localstack's AWS
// recording test_get_function_wrong_region, 2025-11-25).
func errOtherRegion(arnRegion, region string) *apiError {
	return &apiError{Status: 404, Code: "ResourceNotFoundException",
		Message: fmt.Sprintf("Functions from '%s' are not reachable in this region ('%s')", arnRegion, region)}
}

func errConflict(format string, a ...any) *apiError {
	return &apiError{Status: 409, Code: "ResourceConflictException", Message: fmt.Sprintf(format, a...)}
}

func errPrecondition() *apiError {
	return &apiError{Status: 412, Code: "PreconditionFailedException",
		Message: "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id"}
}

func errUpdateInProgress(arn string) *apiError {
	return errConflict("The operation cannot be performed at this time. An update is in progress for resource: %s", arn)
}

func errPending() *apiError {
	return errConflict("The operation cannot be performed at this time. The function is currently in the following state: Pending")
}

// capitalMessage lists the Lambda errors whose message member is "Message".
var capitalMessage = map[string]bool{
	"ResourceNotFoundException": true, "ServiceException": true,
	"InvalidZipFileException": true, "InvalidRuntimeException": true,
}

func writeLambdaError(w http.ResponseWriter, e *apiError) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-ErrorType", e.Code)
	e.Message = clip(e.Message, maxErrorMessage)
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
