package sandbox

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestJournalBounded(t *testing.T) {
	t.Parallel()
	j := NewJournal(8)
	for i := 0; i < 100; i++ {
		j.add(Call{Status: i})
	}
	if n := len(j.Calls()); n > 8 {
		t.Fatalf("journal with limit 8 holds %d calls", n)
	}
	mark := j.Mark()
	if mark != 100 {
		t.Fatalf("Mark = %d after 100 calls, want 100 (positions count dropped calls)", mark)
	}
	j.add(Call{Status: 100})
	j.add(Call{Status: 101})
	var got []int
	for _, c := range j.Since(mark) {
		got = append(got, c.Status)
	}
	if diff := cmp.Diff([]int{100, 101}, got); diff != "" {
		t.Errorf("Since(mark) (-want +got):\n%s", diff)
	}
	if j.Dropped()+len(j.Calls()) != 102 {
		t.Errorf("dropped %d + held %d != 102 recorded", j.Dropped(), len(j.Calls()))
	}
	defer func() {
		if recover() == nil {
			t.Error("Since(0) after drops returned a part as the whole; want a panic naming the limit")
		}
	}()
	j.Since(0)
}
