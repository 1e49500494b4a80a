package results

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
)

// TestEvaluationCacheTrustsOnlySealed: a cached evaluation reads back only
// as written; an edited figure, a torn file or one without a seal is not
// found (and so measured again), never shown.
func TestEvaluationCacheTrustsOnlySealed(t *testing.T) {
	c := &Cache{Dir: t.TempDir()}
	ev := tinyEval()
	id := EvalKey(ev.Key, ev.Data, ev.Split)
	if err := c.PutEvaluation(ev); err != nil {
		t.Fatal(err)
	}
	got, ok := c.GetEvaluation(id)
	if !ok || got.Accuracy != ev.Accuracy || !bytes.Equal(got.Worst[0].Pixels, ev.Worst[0].Pixels) {
		t.Fatalf("read back %+v, %v", got, ok)
	}
	path := c.evalPath(id)
	sealed, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := json.MarshalIndent(ev, "", "  ")
	for name, b := range map[string][]byte{
		"edited":   bytes.Replace(sealed, []byte(`"accuracy": 0.5`), []byte(`"accuracy": 0.9`), 1),
		"torn":     sealed[:len(sealed)/2],
		"unsealed": plain,
	} {
		if bytes.Equal(b, sealed) {
			t.Fatalf("%s: nothing changed", name)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, ok := c.GetEvaluation(id); ok {
			t.Errorf("%s evaluation trusted", name)
		}
	}
}
