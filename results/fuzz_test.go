package results

import (
	"encoding/json"
	"testing"
)

// FuzzDecodeRecord feeds arbitrary bytes to the record decoder the cache
// uses: it must return an error or a record, never panic, and a record it
// accepts must encode and decode again to the same JSON.
func FuzzDecodeRecord(f *testing.F) {
	rec := sweepRecord(3, 1, 0.8)
	rec.Filters = &Filters{Shape: [4]int{1, 1, 1, 2}, Data: []float32{1, -1}}
	good, _ := json.Marshal(rec)
	f.Add(good)
	f.Add([]byte(`{"key":"ab","result":{"loss":["NaN","+Inf",1]},"trial":{"settings":[{"name":"x","value":1.5e300}]}}`))
	f.Add([]byte(`{"key":"ab","filters":{"shape":[1,1,1,1],"data":[]}}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := decodeRecord("fuzz.json", b)
		if err != nil {
			return
		}
		once, err := json.Marshal(rec)
		if err != nil {
			t.Fatalf("accepted record does not encode: %v", err)
		}
		again, err := decodeRecord("fuzz.json", once)
		if err != nil {
			t.Fatalf("re-encoded record %s does not decode: %v", once, err)
		}
		twice, err := json.Marshal(again)
		if err != nil || string(twice) != string(once) {
			t.Fatalf("encoding is not stable:\n%s\n%s", once, twice)
		}
	})
}
