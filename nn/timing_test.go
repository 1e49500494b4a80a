package nn

import (
	"testing"
	"time"
)

// TestTimeSteps: every figure is positive, at least two steps are timed
// and they fill the budget, and the time spent stays near it. (Which model
// is faster is not asserted: timings on a loaded machine are noise.)
func TestTimeSteps(t *testing.T) {
	opt := OptimizerSpec{Name: "adam", LR: 1e-3}
	spec := ThreeLayerConvNet(ThreeLayerConfig{NumFilters: 2, FilterSize: 3, HiddenDim: 10, WeightScale: 1e-3})
	const budget = 50 * time.Millisecond
	start := time.Now()
	got, err := TimeSteps(spec, opt, [3]int{1, 28, 28}, 2, 50, 1, budget)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 10*time.Second { // a loaded machine
		t.Errorf("timing took %v for a budget of %v", took, budget)
	}
	if !(got.Step > 0 && got.EvalImage > 0 && got.Steps >= 2) {
		t.Errorf("timing %+v", got)
	}
	if float64(got.Steps)*got.Step < budget.Seconds() {
		t.Errorf("%d steps of %.3g s do not fill the budget %v", got.Steps, got.Step, budget)
	}
	if _, err := TimeSteps(spec, OptimizerSpec{Name: "nope", LR: 1}, [3]int{1, 28, 28}, 2, 50, 1, time.Millisecond); err == nil {
		t.Error("an unknown optimiser timed")
	}
}
