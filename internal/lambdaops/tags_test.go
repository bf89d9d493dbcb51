package lambdaops

import (
	"fmt"
	"strconv"
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

func withProgress(m map[string]string, aliases ...string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	for _, a := range aliases {
		out[ProgressTagPrefix+a] = "p"
	}
	return out
}

func TestMakeRoom(t *testing.T) {
	t.Parallel()
	user := func(n int) map[string]string {
		m := map[string]string{}
		for i := 0; i < n; i++ {
			m[fmt.Sprintf("team%02d", i)] = "orders"
		}
		return m
	}
	rec := func(i int) (string, string) {
		r := RollbackRecord{Identity: fmt.Sprintf("%016x", i), Alias: "live", Version: strconv.Itoa(i), At: time.Date(2026, 1, i, 0, 0, 0, 0, time.UTC)}
		return r.TagKey(), r.TagValue()
	}
	with := func(m map[string]string, records []int, labels ...string) map[string]string {
		out := map[string]string{}
		for k, v := range m {
			out[k] = v
		}
		for _, i := range records {
			k, v := rec(i)
			out[k] = v
		}
		for _, l := range labels {
			out[ReleaseTagPrefix+l] = "v" + l
		}
		return out
	}
	key := func(i int) string { k, _ := rec(i); return k }
	newRec := func() map[string]string { k, v := rec(20); return map[string]string{k: v} }
	tests := map[string]struct {
		tags, add map[string]string
		want      []string
		wantErr   bool
	}{
		"room enough": {tags: with(user(10), []int{1, 2}), add: newRec()},
		"a record past MaxRollbackRecords drops the oldest": {
			tags: with(user(0), []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}), add: newRec(), want: []string{key(1)}},
		"a record on a full function drops labels, then the oldest records, keeping the override's slot": {
			tags: with(user(MaxUserTags), []int{1, 2, 3, 4}, "9", "10"), add: newRec(), want: []string{ReleaseTagPrefix + "9", ReleaseTagPrefix + "10", key(1)}},
		"a record may go below the minimum of records": {
			tags: with(user(48), []int{1}), add: newRec(), want: []string{key(1)}},
		"the override drops a label first": {
			tags: with(user(MaxUserTags), []int{1, 2, 3, 4}, "3"), add: map[string]string{OverrideTag: "promote alias=live from=1 to=2"}, want: []string{ReleaseTagPrefix + "3"}},
		"the override drops records only above the minimum": {
			tags: with(user(MaxUserTags), []int{1, 2, 3, 4, 5}), add: map[string]string{OverrideTag: "promote alias=live from=1 to=2"}, want: []string{key(1)}},
		"a label never drops the newest records": {
			tags: with(user(MaxUserTags+1), []int{1, 2, 3}), add: map[string]string{ReleaseTagPrefix + "4": "v4"}, wantErr: true},
		"a record on a full function drops progress tags first": {
			tags: with(withProgress(user(MaxUserTags), "live", "beta"), []int{1, 2, 3}), add: newRec(), want: []string{ProgressTagPrefix + "beta", ProgressTagPrefix + "live"}},
		"a progress tag drops a label, never a record": {
			tags: with(user(MaxUserTags), []int{1, 2, 3}, "4"), add: map[string]string{ProgressTagPrefix + "live": "x"}, want: []string{ReleaseTagPrefix + "4"}},
		"a progress tag without room is refused, records kept": {
			tags: with(user(MaxUserTags), []int{1, 2, 3, 4}), add: map[string]string{ProgressTagPrefix + "live": "x"}, wantErr: true},
		"replacing a tag in place needs no room": {
			tags: with(user(MaxUserTags), []int{1, 2, 3}, "4"), add: map[string]string{ReleaseTagPrefix + "4": "v4b"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := MakeRoom(tc.tags, tc.add)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("drop (-want +got):\n%s", diff)
			}
			if err != nil {
				return
			}
			after := map[string]string{}
			for k, v := range tc.tags {
				after[k] = v
			}
			for _, k := range got {
				delete(after, k)
			}
			for k, v := range tc.add {
				after[k] = v
			}
			if _, ok := after[OverrideTag]; !ok && len(after) >= MaxFunctionTags {
				t.Errorf("%d tags after the write leave no slot for the override", len(after))
			}
		})
	}
}
