// Package validate holds attribute validators whose messages name the
// attribute, repeat the rejected value and show a valid example, so a user
// can fix the configuration from the error alone.
package validate

import (
	"context"
	"fmt"
	"regexp"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// Detail formats the body of a validation error: the attribute, the value,
// what is wrong with it and a valid example.
func Detail(attr, value, problem, example string) string {
	return fmt.Sprintf("%s = %s is not valid: %s.\n\nA valid example: %s", attr, value, problem, example)
}

// String returns a validator that runs check on known, non-null values.
// summary is the short Title-Case headline of the error ("Invalid Endpoint URL").
func String(summary, description, example string, check func(string) error) validator.String {
	return stringValidator{summary: summary, description: description, example: example, check: check}
}

type stringValidator struct {
	summary, description, example string
	check                         func(string) error
}

func (v stringValidator) Description(context.Context) string { return v.description }

func (v stringValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v stringValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	value := req.ConfigValue.ValueString()
	if err := v.check(value); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, v.summary,
			Detail(req.Path.String(), fmt.Sprintf("%q", value), err.Error(), v.example))
	}
}

// Matches returns a check that value matches re, explained as want.
func Matches(re *regexp.Regexp, want string) func(string) error {
	return func(value string) error {
		if !re.MatchString(value) {
			return fmt.Errorf("it must be %s", want)
		}
		return nil
	}
}

// Int64AtLeast returns a validator that rejects values below minimum
// (int64validator.AtLeast with our message).
func Int64AtLeast(summary string, minimum int64, example string) validator.Int64 {
	return Int64(Msg{Summary: summary, Problem: fmt.Sprintf("it must be at least %d", minimum), Example: example}, int64validator.AtLeast(minimum))
}

// Regex returns a validator that rejects strings re does not match,
// explained as want (stringvalidator.RegexMatches with our message).
func Regex(summary string, re *regexp.Regexp, want, example string) validator.String {
	return Strings(Msg{Summary: summary, Problem: "it must be " + want, Example: example}, stringvalidator.RegexMatches(re, "must be "+want))
}
