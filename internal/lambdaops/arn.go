package lambdaops

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// ParseFunctionARN reads a Lambda function ARN,
// arn:<partition>:lambda:<region>:<account>:function:<name>[:<qualifier>],
// where the qualifier is a version or an alias. ok is false for anything
// that is not a function ARN.
func ParseFunctionARN(s string) (name, qualifier string, ok bool) {
	_, rest, ok := functionResource(s)
	if !ok {
		return "", "", false
	}
	name, qualifier, _ = strings.Cut(rest, ":")
	return name, qualifier, name != ""
}

// UnqualifiedFunctionARN drops the qualifier (version or alias) from a
// function ARN; anything else is returned as it is.
func UnqualifiedFunctionARN(s string) string {
	a, rest, ok := functionResource(s)
	if !ok {
		return s
	}
	name, _, _ := strings.Cut(rest, ":")
	a.Resource = "function:" + name
	return a.String()
}

// functionResource parses s as an ARN of the lambda service whose resource
// is function:<rest>.
func functionResource(s string) (arn.ARN, string, bool) {
	if !arn.IsARN(s) {
		return arn.ARN{}, "", false
	}
	a, err := arn.Parse(s)
	if err != nil || a.Service != "lambda" {
		return arn.ARN{}, "", false
	}
	rest, found := strings.CutPrefix(a.Resource, "function:")
	return a, rest, found
}
