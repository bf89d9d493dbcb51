package provider

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
)

// TestMemberDiagnostics: the alias's own checks, run for a group member,
// point at that member's attribute and name it.
func TestMemberDiagnostics(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in   diag.Diagnostic
		want diag.Diagnostic
	}{
		"attribute error": {
			in:   diag.NewAttributeErrorDiagnostic(path.Root("function_version"), "Release Rolled Back", "version 2 was rolled back"),
			want: diag.NewAttributeErrorDiagnostic(path.Root("members").AtMapKey("api").AtName("function_version"), "Release Rolled Back", `Member "api": version 2 was rolled back`),
		},
		"nested attribute warning": {
			in: diag.NewAttributeWarningDiagnostic(path.Root("routing").AtName("version"), "Unchecked Data Compatibility", "no range"),
			want: diag.NewAttributeWarningDiagnostic(path.Root("members").AtMapKey("api").AtName("routing").AtName("version"), "Unchecked Data Compatibility",
				`Member "api": no range`),
		},
		"error without a path": {
			in:   diag.NewErrorDiagnostic("Rollback Memory Unreadable", "tags unreadable"),
			want: diag.NewErrorDiagnostic("Rollback Memory Unreadable", `Member "api": tags unreadable`),
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := memberDiagnostics("api", diag.Diagnostics{tc.in})
			if diff := cmp.Diff(diag.Diagnostics{tc.want}, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
