package lambda

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestParseFunctionRef: every form AWS accepts for FunctionName (name,
// name:qualifier, partial ARN, full ARN) read into its parts, and AWS's
// validator answer for the rest.
func TestParseFunctionRef(t *testing.T) {
	t.Parallel()
	pattern := func(raw string) *Error {
		return errValidation("Value '" + raw + "' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: " + functionNamePattern)
	}
	long := strings.Repeat("f", 141)
	tests := map[string]struct {
		raw     string
		maxLen  int
		want    functionRef
		wantErr *Error
	}{
		"name":                            {raw: "fn", want: functionRef{Name: "fn"}},
		"name with qualifier":             {raw: "fn:live", want: functionRef{Name: "fn", Qualifier: "live"}},
		"name with $LATEST":               {raw: "fn:$LATEST", want: functionRef{Name: "fn", Qualifier: "$LATEST"}},
		"name with version":               {raw: "fn:7", want: functionRef{Name: "fn", Qualifier: "7"}},
		"twelve digits are a name":        {raw: "123456789012:fn", want: functionRef{Name: "123456789012", Qualifier: "fn"}},
		"partial ARN":                     {raw: "123456789012:function:fn", want: functionRef{Name: "fn", Account: "123456789012"}},
		"partial ARN with qualifier":      {raw: "123456789012:function:fn:3", want: functionRef{Name: "fn", Qualifier: "3", Account: "123456789012"}},
		"full ARN":                        {raw: "arn:aws:lambda:eu-west-1:123456789012:function:fn", want: functionRef{Name: "fn", Region: "eu-west-1", Account: "123456789012"}},
		"full ARN with qualifier":         {raw: "arn:aws:lambda:us-east-1:123456789012:function:fn:$LATEST", want: functionRef{Name: "fn", Qualifier: "$LATEST", Region: "us-east-1", Account: "123456789012"}},
		"ARN of another partition":        {raw: "arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:fn", want: functionRef{Name: "fn", Region: "us-gov-west-1", Account: "123456789012"}},
		"empty":                           {raw: "", wantErr: pattern("")},
		"bad character":                   {raw: "f!n", wantErr: pattern("f!n")},
		"bad qualifier":                   {raw: "fn:li!ve", wantErr: pattern("fn:li!ve")},
		"empty qualifier":                 {raw: "fn:", wantErr: pattern("fn:")},
		"too many parts":                  {raw: "a:b:c", wantErr: pattern("a:b:c")},
		"region without ARN":              {raw: "us-east-1:123456789012:function:fn", wantErr: pattern("us-east-1:123456789012:function:fn")},
		"ARN of another service":          {raw: "arn:aws:s3:us-east-1:123456789012:function:fn", wantErr: pattern("arn:aws:s3:us-east-1:123456789012:function:fn")},
		"ARN of a layer":                  {raw: "arn:aws:lambda:us-east-1:123456789012:layer:fn", wantErr: pattern("arn:aws:lambda:us-east-1:123456789012:layer:fn")},
		"ARN with a short account":        {raw: "arn:aws:lambda:us-east-1:123:function:fn", wantErr: pattern("arn:aws:lambda:us-east-1:123:function:fn")},
		"ARN without region":              {raw: "arn:aws:lambda::123456789012:function:fn", wantErr: pattern("arn:aws:lambda::123456789012:function:fn")},
		"ARN without name":                {raw: "arn:aws:lambda:us-east-1:123456789012:function:", wantErr: pattern("arn:aws:lambda:us-east-1:123456789012:function:")},
		"ARN with too many parts":         {raw: "arn:aws:lambda:us-east-1:123456789012:function:fn:1:2", wantErr: pattern("arn:aws:lambda:us-east-1:123456789012:function:fn:1:2")},
		"over the operation's length":     {raw: long, maxLen: 140, wantErr: errValidation("Value '" + long + "' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 140")},
		"within a longer operation's":     {raw: long, maxLen: 256, want: functionRef{Name: long}},
		"over-long and malformed at once": {raw: long + "!", maxLen: 140, wantErr: errValidation("Value '"+long+"!' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 140", "Value '"+long+"!' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: "+functionNamePattern)},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			maxLen := tc.maxLen
			if maxLen == 0 {
				maxLen = 256
			}
			got, err := parseFunctionRef(tc.raw, maxLen)
			if diff := cmp.Diff(tc.wantErr, err); diff != "" {
				t.Errorf("parseFunctionRef(%q) error (-want +got):\n%s", tc.raw, diff)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("parseFunctionRef(%q) (-want +got):\n%s", tc.raw, diff)
			}
		})
	}
}
