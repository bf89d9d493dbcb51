package provider

import (
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
)

// configureData extracts the provider data handed to a resource or data
// source. It returns nil, without error, before the provider is configured:
// Terraform validates resources before it configures providers.
func configureData(raw any, diags *diag.Diagnostics) *providerData {
	if raw == nil {
		return nil
	}
	data, ok := raw.(*providerData)
	if !ok {
		diags.AddError("Unexpected Provider Data Type",
			fmt.Sprintf("Expected *providerData, got: %T. Please report this issue to the provider developers.", raw))
		return nil
	}
	return data
}

// apiErrorDetail formats the detail of a failed AWS call: what was attempted,
// what to do about it, then the original error.
func apiErrorDetail(what, remedy string, err error) string {
	return fmt.Sprintf("%s\n\n%s\n\nOriginal Error: %s", what, remedy, err)
}
