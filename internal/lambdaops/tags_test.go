package lambdaops

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func fptr(v float64) *float64 { return &v }

func TestRollbackRecordRoundTrip(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 26, 13, 15, 2, 0, time.UTC)
	tests := map[string]struct {
		rec       RollbackRecord
		wantValue string
		wantToken string
	}{
		"error rate": {
			rec:       RollbackRecord{Identity: "9f2c4e1a7b3d5c60", Alias: "live", Version: "7", Release: "v1.4.0", At: at, Gate: "error_rate", Value: fptr(0.25), Threshold: fptr(0.05)},
			wantValue: "version=7 at=20261126T131502Z gate=error_rate value=0.25 threshold=0.05 alias=live release=v1.4.0",
			wantToken: "9f2c4e1a7b3d5c60@20261126T131502Z",
		},
		"alarm, no measure, a version published elsewhere": {
			rec:       RollbackRecord{Identity: "version-3", Alias: "live", Version: "3", At: at, Gate: "alarm:orders 5xx (p1)"},
			wantValue: "version=3 at=20261126T131502Z gate=alarm:orders_5xx__p1_ alias=live",
			wantToken: "version-3@20261126T131502Z",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.wantValue, tc.rec.TagValue()); diff != "" {
				t.Errorf("TagValue (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantToken, tc.rec.Token()); diff != "" {
				t.Errorf("Token (-want +got):\n%s", diff)
			}
			if !TokenRE.MatchString(tc.rec.Token()) {
				t.Errorf("token %q does not match TokenRE", tc.rec.Token())
			}
			got, ok := ParseRollbackRecord(tc.rec.TagKey(), tc.rec.TagValue())
			if !ok {
				t.Fatalf("ParseRollbackRecord(%q, %q) failed", tc.rec.TagKey(), tc.rec.TagValue())
			}
			want := tc.rec
			want.Gate = strings.NewReplacer(" ", "_", "(", "_", ")", "_").Replace(want.Gate)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRollbackRecordLimits(t *testing.T) {
	t.Parallel()
	rec := RollbackRecord{Identity: "9f2c4e1a7b3d5c60", Alias: strings.Repeat("a", 128), Version: "12", Release: strings.Repeat("r", 64),
		At: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Gate: "p99", Value: fptr(812.5), Threshold: fptr(800)}
	v := rec.TagValue()
	if len(v) > 256 {
		t.Errorf("tag value is %d characters, AWS allows 256", len(v))
	}
	got, ok := ParseRollbackRecord(rec.TagKey(), v)
	if !ok || got.Gate != "p99" || *got.Value != 812.5 || got.Alias != rec.Alias {
		t.Errorf("a long record lost its essentials: %+v %v", got, ok)
	}
	for _, bad := range [][2]string{{"rollout:override", "promote"}, {RolledBackTagPrefix + "x", "version=1"}, {"team", "orders"}} {
		if _, ok := ParseRollbackRecord(bad[0], bad[1]); ok {
			t.Errorf("ParseRollbackRecord(%q, %q) accepted a tag that is not a record", bad[0], bad[1])
		}
	}
	tags := map[string]string{"team": "orders"}
	for i, id := range []string{"bbbbbbbbbbbbbbbb", "aaaaaaaaaaaaaaaa"} {
		r := RollbackRecord{Identity: id, Version: "1", Alias: "live", At: time.Date(2026, 1, 1+i, 0, 0, 0, 0, time.UTC)}
		tags[r.TagKey()] = r.TagValue()
	}
	var order []string
	for _, r := range RollbackRecords(tags) {
		order = append(order, r.Identity)
	}
	if diff := cmp.Diff([]string{"bbbbbbbbbbbbbbbb", "aaaaaaaaaaaaaaaa"}, order); diff != "" {
		t.Errorf("RollbackRecords is not oldest first (-want +got):\n%s", diff)
	}
}

func TestOverrideScope(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		value      string
		wantScoped bool
		forLive12  bool
	}{
		"scoped, this rollout":       {FormatOverride(Override{Action: "promote", Alias: "live", From: "1", To: "2"}), true, true},
		"scoped, another rollout":    {"promote alias=live from=1 to=3", true, false},
		"scoped, another alias":      {"abort alias=staging from=1 to=2", true, false},
		"scoped without from":        {"pause alias=live to=2", true, true},
		"bare, as older tools wrote": {"promote", false, false},
		"empty":                      {"", false, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			o, scoped := ParseOverride(tc.value)
			if scoped != tc.wantScoped {
				t.Errorf("ParseOverride(%q) scoped = %v, want %v", tc.value, scoped, tc.wantScoped)
			}
			if got := scoped && o.For("live", "1", "2"); got != tc.forLive12 {
				t.Errorf("ParseOverride(%q).For(live, 1, 2) = %v, want %v", tc.value, got, tc.forLive12)
			}
		})
	}
	if got := FormatOverride(Override{Action: "promote", Alias: "live", From: "1", To: "2"}); got != "promote alias=live from=1 to=2" {
		t.Errorf("FormatOverride = %q", got)
	}
}
