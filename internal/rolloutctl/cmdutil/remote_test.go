package cmdutil

import (
	"bytes"
	"testing"
)

// TestProgressLines: off a terminal, a long fetch prints a line every
// 1,000 versions and one at the end; a total not known yet (pick reading
// S3's listing as it goes) prints the count alone.
func TestProgressLines(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		total int
		want  string
	}{
		"total known":   {total: 2500, want: "fetched 1000/2500 versions of s3://b/k\nfetched 2000/2500 versions of s3://b/k\nfetched 2500/2500 versions of s3://b/k\n"},
		"total unknown": {total: -1, want: "fetched 1000 versions of s3://b/k\nfetched 2000 versions of s3://b/k\nfetched 2500/2500 versions of s3://b/k\n"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var errOut bytes.Buffer
			p := progress(&Factory{IO: IOStreams{ErrOut: &errOut}}, "s3://b/k")
			for done := 1; done <= 2500; done++ {
				p(done, tc.total)
			}
			if tc.total < 0 {
				p(2500, 2500)
			}
			if errOut.String() != tc.want {
				t.Errorf("stderr:\n%s\nwant:\n%s", errOut.String(), tc.want)
			}
		})
	}
}
