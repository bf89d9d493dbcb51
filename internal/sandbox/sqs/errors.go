package sqs

import "fmt"

// Error is an SQS error: Shape names it in AWS JSON 1.0 (__type), Code in
// the query protocol and in the X-Amzn-Query-Error header that JSON
// clients in query-compatible mode read.
type Error struct {
	Status      int
	Shape, Code string
	Message     string
}

func invalid(format string, a ...any) *Error {
	return &Error{Status: 400, Shape: "InvalidParameterValue", Code: "InvalidParameterValue", Message: fmt.Sprintf(format, a...)}
}

func missing(name string) *Error {
	return &Error{Status: 400, Shape: "MissingParameter", Code: "MissingParameter",
		Message: fmt.Sprintf("The request must contain the parameter %s.", name)}
}

func noQueue() *Error {
	return &Error{Status: 400, Shape: "QueueDoesNotExist", Code: "AWS.SimpleQueueService.NonExistentQueue",
		Message: "The specified queue does not exist."}
}

func badReceipt(handle string) *Error {
	return &Error{Status: 400, Shape: "ReceiptHandleIsInvalid", Code: "ReceiptHandleIsInvalid",
		Message: fmt.Sprintf("The input receipt handle %q is not a valid receipt handle.", handle)}
}

func notInflight() *Error {
	return &Error{Status: 400, Shape: "MessageNotInflight", Code: "AWS.SimpleQueueService.MessageNotInflight",
		Message: "The message referred to is not in flight."}
}

// Throttling is the answer to a request refused for its rate.
func Throttling() *Error {
	return &Error{Status: 400, Shape: "RequestThrottled", Code: "RequestThrottled", Message: "Rate exceeded"}
}

// InternalFault is the answer to a request that failed inside the service.
func InternalFault(message string) *Error {
	return &Error{Status: 500, Shape: "InternalError", Code: "InternalError", Message: message}
}
