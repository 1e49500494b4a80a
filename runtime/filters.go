package runtime

import (
	"github.com/pipe-ml/pipe/nn"
	"github.com/pipe-ml/pipe/results"
)

// attachFilters keeps the first conv layer's weights of the trained model in
// rec, so the filter figure can be drawn from the record alone. nn puts a
// model's parameters in layer order, so when the first layer is a conv its
// weights are Params()[0], shaped (filters, channels, height, width).
func attachFilters(rec *results.Record, model *nn.Model[float32]) {
	if model == nil || len(rec.Trial.Model.Layers) == 0 || rec.Trial.Model.Layers[0].Kind != nn.Conv {
		return
	}
	ps := model.Params()
	if len(ps) == 0 || ps[0].Value == nil || len(ps[0].Value.Shape) != 4 {
		return
	}
	if f, err := results.NewFilters(ps[0].Value.Shape, ps[0].Value.Data); err == nil {
		rec.Filters = f
	}
}
