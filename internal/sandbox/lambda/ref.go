package lambda

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// functionRef is what a FunctionName parameter names.
type functionRef struct {
	Name      string
	Qualifier string // version, alias or $LATEST; "" when not given
	Region    string // from a full ARN; "" otherwise
	Account   string // from a partial or full ARN; "" otherwise
}

// functionNameRefRE is functionNamePattern, the FunctionName pattern AWS's
// validator quotes, matched against the whole value.
var functionNameRefRE = regexp.MustCompile("^" + functionNamePattern + "$")

// Length limits of FunctionName in the service model: 256 for the
// operations whose input is a NamespacedFunctionName, 140 for the others.
const (
	maxFunctionRef           = 140
	maxNamespacedFunctionRef = 256
)

// maxFunctionRefLen is the model's length limit of FunctionName for an
// operation; the tagging operations get TaggableResource's (256).
func maxFunctionRefLen(operation string) int {
	switch operation {
	case "GetFunction", "GetFunctionConfiguration", "DeleteFunction", "ListVersionsByFunction", "Invoke",
		"GetFunctionCodeSigningConfig", "ListTags", "TagResource", "UntagResource",
		"CreateEventSourceMapping", "UpdateEventSourceMapping":
		return maxNamespacedFunctionRef
	}
	return maxFunctionRef
}

// parseFunctionRef reads a FunctionName parameter in each form AWS accepts:
// a name, name:qualifier, a partial ARN 123456789012:function:name[:qualifier]
// or a full ARN arn:aws:lambda:region:123456789012:function:name[:qualifier].
// Anything else, or a value longer than maxLen, gets the ValidationException
// of AWS's validator.
func parseFunctionRef(raw string, maxLen int) (functionRef, *Error) {
	var problems []string
	if len(raw) > maxLen {
		problems = append(problems, fmt.Sprintf("Value '%s' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to %d", raw, maxLen))
	}
	ref, ok := splitFunctionRef(raw)
	if !ok {
		problems = append(problems, fmt.Sprintf("Value '%s' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", raw, functionNamePattern))
	}
	if len(problems) > 0 {
		return functionRef{}, errValidation(problems...)
	}
	return ref, nil
}

// splitFunctionRef splits a FunctionName that matches AWS's pattern into
// its parts; ok is false when it does not match, or matches only in a form
// none of the accepted ones reads (a region without arn:, say).
func splitFunctionRef(raw string) (ref functionRef, ok bool) {
	if !functionNameRefRE.MatchString(raw) {
		return functionRef{}, false
	}
	if arn.IsARN(raw) {
		a, err := arn.Parse(raw)
		if err != nil {
			return functionRef{}, false
		}
		rest, found := strings.CutPrefix(a.Resource, "function:")
		if !found {
			return functionRef{}, false
		}
		ref = functionRef{Region: a.Region, Account: a.AccountID}
		ref.Name, ref.Qualifier, _ = strings.Cut(rest, ":")
		return ref, true
	}
	switch parts := strings.Split(raw, ":"); {
	case len(parts) == 1:
		return functionRef{Name: raw}, true
	case len(parts) == 2:
		return functionRef{Name: parts[0], Qualifier: parts[1]}, true
	case len(parts) <= 4 && parts[1] == "function":
		ref = functionRef{Account: parts[0], Name: parts[2]}
		if len(parts) == 4 {
			ref.Qualifier = parts[3]
		}
		return ref, true
	}
	return functionRef{}, false
}
