package cloudwatch

import "fmt"

// Error is a CloudWatch error: Shape names it in the JSON and CBOR
// protocols, Code in awsQuery and in X-Amzn-Query-Error.
type Error struct {
	Status      int
	Shape, Code string
	Message     string
}

func invalid(format string, a ...any) *Error {
	return &Error{Status: 400, Shape: "InvalidParameterValueException", Code: "InvalidParameterValue", Message: fmt.Sprintf(format, a...)}
}

func missing(name string) *Error {
	return &Error{Status: 400, Shape: "MissingRequiredParameterException", Code: "MissingParameter",
		Message: fmt.Sprintf("The parameter %s is required.", name)}
}

func combination(format string, a ...any) *Error {
	return &Error{Status: 400, Shape: "InvalidParameterCombinationException", Code: "InvalidParameterCombination", Message: fmt.Sprintf(format, a...)}
}

// Throttling is the answer to a request refused for its rate.
func Throttling() *Error {
	return &Error{Status: 400, Shape: "Throttling", Code: "Throttling", Message: "Rate exceeded"}
}

// InternalFault is the answer to a request that failed inside the service.
func InternalFault(message string) *Error {
	return &Error{Status: 500, Shape: "InternalServiceFault", Code: "InternalServiceError", Message: message}
}
