package results

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// cell formats column c of group g.
func cell(g *group, c string) string {
	if m, ok := findMetric(c); ok {
		return metricCell(g, m)
	}
	if m, ok := findMetric(strings.TrimSuffix(c, ciSuffix)); ok {
		return ciCell(g, m)
	}
	switch c {
	case statusColumn:
		return statusCell(g)
	case seedsColumn:
		return strconv.Itoa(len(g.recs))
	}
	// A setting: equal across the group except the seed, which lists all.
	var vals []string
	seen := map[string]bool{}
	for _, r := range g.recs {
		v, ok := r.Trial.Setting(c)
		s := "-"
		if ok {
			s = FormatValue(v)
		}
		if !seen[s] {
			seen[s] = true
			vals = append(vals, s)
		}
	}
	return strings.Join(vals, ",")
}

// csvCells are the CSV cells of column c of group g: numbers in full
// precision rather than rounded text, so that pandas or a spreadsheet reads
// a numeric column. In a grouped table (seeds) a metric is three cells —
// mean, sample std (empty for one value) and count; otherwise one. A
// missing value is an empty cell, which readers take as missing.
func csvCells(g *group, c string, grouped bool) []string {
	m, ok := findMetric(c)
	if !ok {
		if s := cell(g, c); s != "-" {
			return []string{s}
		}
		return []string{""}
	}
	var xs []float64
	for _, r := range g.recs {
		if v, ok := m.value(r); ok {
			xs = append(xs, v)
		}
	}
	num := formatFloat
	if !grouped {
		if len(xs) == 0 {
			return []string{""}
		}
		return []string{num(xs[0])}
	}
	n := strconv.Itoa(len(xs))
	switch len(xs) {
	case 0:
		return []string{"", "", n}
	case 1:
		return []string{num(xs[0]), "", n}
	}
	mean, std := meanStd(xs)
	if math.IsNaN(std) || math.IsInf(mean, 0) {
		return []string{num(mean), "", n}
	}
	return []string{num(mean), num(std), n}
}

// formatFloat is x to 10 significant digits, without trailing zeros
// ("0.842", "0.8433333333", "1e-05": more than any cell shows, without the
// float noise of 0.8420000000000001); NaN, +Inf and -Inf as those words,
// which CSV readers take as numbers.
func formatFloat(x float64) string {
	if s, ok := nonFinite(x); ok {
		return s
	}
	return strconv.FormatFloat(x, 'g', 10, 64)
}

// nonFinite names NaN, +Inf and -Inf.
func nonFinite(x float64) (string, bool) {
	switch {
	case math.IsNaN(x):
		return "NaN", true
	case math.IsInf(x, 1):
		return "+Inf", true
	case math.IsInf(x, -1):
		return "-Inf", true
	}
	return "", false
}

func metricCell(g *group, m metric) string {
	var xs []float64
	for _, r := range g.recs {
		if v, ok := m.value(r); ok {
			xs = append(xs, v)
		}
	}
	switch len(xs) {
	case 0:
		return "-"
	case 1:
		return formatFixed(xs[0], m.decimals)
	}
	mean, std := meanStd(xs)
	if math.IsNaN(mean) || math.IsInf(mean, 0) {
		return formatFixed(mean, m.decimals) // a diverged seed: no spread to show
	}
	d := m.decimals
	if d == 0 {
		d = 1 // an averaged integer is not an integer
	}
	return formatFixed(mean, d) + " ± " + formatFixed(std, d)
}

// statusCell shows the common status, or each status with its count
// ("diverged:1 ok:2") when the seeds of a configuration disagree.
func statusCell(g *group) string {
	counts := map[string]int{}
	for _, r := range g.recs {
		counts[string(r.Result.Status)]++
	}
	if len(counts) == 1 {
		return string(g.recs[0].Result.Status)
	}
	names := make([]string, 0, len(counts))
	for s := range counts {
		names = append(names, s)
	}
	sort.Strings(names)
	for i, s := range names {
		names[i] = fmt.Sprintf("%s:%d", s, counts[s])
	}
	return strings.Join(names, " ")
}

// formatFixed writes x with d decimals; non-finite values as NaN, +Inf, -Inf.
func formatFixed(x float64, d int) string {
	if s, ok := nonFinite(x); ok {
		return s
	}
	s := strconv.FormatFloat(x, 'f', d, 64)
	if strings.TrimLeft(s, "-0.") == "" {
		s = strings.TrimPrefix(s, "-") // no "-0.000"
	}
	return s
}

// meanStd returns the mean and the sample standard deviation (n-1), the
// usual spread of a few seeds.
func meanStd(xs []float64) (mean, std float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	if len(xs) < 2 {
		return mean, 0
	}
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / float64(len(xs)-1))
}

// sortValue orders cells: numbers numerically before text, missing last.
type sortValue struct {
	missing bool
	isNum   bool
	num     float64
	text    string
}

func (a sortValue) less(b sortValue) bool {
	if a.missing != b.missing {
		return !a.missing
	}
	if a.isNum != b.isNum {
		return a.isNum
	}
	if a.isNum {
		an, bn := math.IsNaN(a.num), math.IsNaN(b.num)
		if an || bn {
			return !an && bn
		}
		return a.num < b.num
	}
	return a.text < b.text
}

// sortKey is the value a group is sorted by in column c: the mean of a
// metric, the (first record's) value of a setting.
func sortKey(g *group, c string) sortValue {
	if m, ok := findMetric(c); ok {
		var xs []float64
		for _, r := range g.recs {
			if v, ok := m.value(r); ok {
				xs = append(xs, v)
			}
		}
		if len(xs) == 0 {
			return sortValue{missing: true}
		}
		mean, _ := meanStd(xs)
		return sortValue{isNum: true, num: mean}
	}
	switch c {
	case statusColumn:
		return sortValue{text: statusCell(g)}
	case seedsColumn:
		return sortValue{isNum: true, num: float64(len(g.recs))}
	}
	v, ok := g.recs[0].Trial.Setting(c)
	if !ok {
		return sortValue{missing: true}
	}
	switch x := v.(type) {
	case float64:
		return sortValue{isNum: true, num: x}
	case float32:
		return sortValue{isNum: true, num: float64(x)}
	case bool:
		return sortValue{text: FormatValue(x)}
	}
	if i, ok := asInt64(v); ok {
		return sortValue{isNum: true, num: float64(i)}
	}
	return sortValue{text: FormatValue(v)}
}
