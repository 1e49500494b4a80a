package results

import (
	"strings"
	"testing"
)

// Chart ticks: nice steps, enough labelled ticks, labels with the decimals
// the step needs.
func TestNiceTicks(t *testing.T) {
	for _, c := range []struct {
		lo, hi  float64
		integer bool
		want    string
	}{
		{0.74, 0.97, false, "0.75 0.80 0.85 0.90 0.95"},
		{0, 1, false, "0.0 0.2 0.4 0.6 0.8 1.0"},
		{1, 220, true, "50 100 150 200"},
		{0.5, 3.5, true, "1 2 3"},
		{0.1, 0.75, false, "0.1 0.2 0.3 0.4 0.5 0.6 0.7"},
	} {
		_, got := NiceTicks(c.lo, c.hi, 4, 8, c.integer)
		if s := strings.Join(got, " "); s != c.want {
			t.Errorf("ticks over [%v, %v]: %s, want %s", c.lo, c.hi, s, c.want)
		}
	}
}
