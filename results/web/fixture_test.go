package web

import (
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pipe-ml/pipe/nn"
	"github.com/pipe-ml/pipe/results"
)

// fixtureRecord is a finished trial with reg as its setting: 120 iterations
// of loss (enough for the smoothed line) and 3 epochs of accuracy.
func fixtureRecord(reg float64, seed uint64) results.Record {
	t := results.Trial{
		Model:    nn.ModelSpec{Layers: []nn.LayerSpec{{Kind: nn.Affine}}, Init: nn.InitNormal, WeightScale: 1e-3, Reg: reg},
		Data:     results.DataSpec{Name: "fake", Source: "test", Classes: []string{"a", "b"}},
		Train:    nn.TrainConfig{Optimizer: nn.OptimizerSpec{Name: "adam", LR: 1e-3}, Epochs: 3, BatchSize: 10, Seed: seed},
		Settings: []results.Setting{{Name: "reg", Value: reg}, {Name: "seed", Value: int64(seed)}},
	}
	loss := make([]float64, 120)
	for i := range loss {
		loss[i] = 0.7*math.Exp(-float64(i)/40) + 0.1 + 0.02*math.Sin(float64(i)*(1+reg))
	}
	acc := 0.8 - reg
	res := nn.Result{Status: "ok", Loss: loss,
		TrainAccs: []float64{acc - 0.05, acc, acc + 0.04}, ValAccs: []float64{acc - 0.08, acc - 0.02, acc},
		BestEpoch: 3, TrainAcc: acc + 0.04, ValAcc: acc, TestAcc: acc - 0.01}
	return results.NewRecord(t, res, 12.5, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
}

// writeFixture writes an output root: a trial store of four records and a
// pipeline folder "study" whose manifest has a check, a table, a loss and
// an accuracy figure and a report. It returns the root and the records.
func writeFixture(t *testing.T) (string, []results.Record) {
	t.Helper()
	root := t.TempDir()
	recs := []results.Record{fixtureRecord(0, 0), fixtureRecord(1e-3, 0), fixtureRecord(0.1, 0), fixtureRecord(1e-3, 1)}
	store := &results.Cache{Dir: root}
	for _, r := range recs {
		if err := store.Put(r); err != nil {
			t.Fatal(err)
		}
	}
	refs := results.Refs(recs)
	m := &results.Manifest{
		Version: results.ManifestVersion, Pipeline: "study.star",
		Files: []results.SourceFile{{Path: "study.star", Doc: "A **small** study of `reg`:\n\n- three values\n- one repeat"}},
		Items: []results.Item{
			{File: "study.star", Check: &results.CheckSpec{Name: "check_initial_loss", Lines: []string{"check_initial_loss: ok"}}},
			{File: "study.star", Table: &results.TableSpec{Title: "Reg sweep", Columns: []string{"reg", "val_acc", "test_acc", "status"}, Slug: "reg-sweep", Trials: refs}},
			{File: "study.star", Plot: &results.PlotSpec{Metric: "loss", Title: "Reg: loss", Slug: "reg-loss", Trials: refs}},
			{File: "study.star", Plot: &results.PlotSpec{Metric: "accuracy", Title: "Reg: accuracy", Slug: "reg-accuracy", Trials: refs}},
		},
	}
	m.Report = &results.ReportSpec{Title: "Study <report>", Intro: "Made by a test.", Items: len(m.Items)}
	dir := filepath.Join(root, "study")
	if _, err := results.WriteManifest(dir, m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ReportFile), []byte("<!DOCTYPE html><title>report</title>"), 0o644); err != nil {
		t.Fatal(err)
	}
	return root, recs
}
