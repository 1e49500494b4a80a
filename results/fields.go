package results

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
)

// Field is one value of a trial's full spec under a dotted path, e.g.
// "model.num_filters" = 32 or "train.optimizer.lr" = 0.001.
type Field struct {
	Name  string
	Value any // json.Number, string, bool or nil
}

// String renders the value as the record's JSON does (numbers exactly as
// stored, strings unquoted).
func (f Field) String() string {
	switch v := f.Value.(type) {
	case nil:
		return "null"
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	}
	return fmt.Sprint(f.Value)
}

// Fields flattens what a trial's key hashes — model, data and training
// settings, in the record's field order — into dotted paths, lists indexed
// as "layers[0]". Two trials have the same key exactly when their fields
// (and the numerics version) are equal, so comparing fields names what
// makes two trials differ.
func (t Trial) Fields() []Field {
	dec := json.NewDecoder(bytes.NewReader(t.canonicalJSON()))
	dec.UseNumber()
	var out []Field
	if err := flatten(dec, "", &out); err != nil {
		return []Field{{Name: "spec", Value: string(t.canonicalJSON())}}
	}
	var kept []Field
	for _, f := range out {
		if f.Name != "numerics_version" {
			kept = append(kept, f)
		}
	}
	return kept
}

// flatten reads one JSON value from dec and appends its leaves under
// prefix, keeping the order of object fields.
func flatten(dec *json.Decoder, prefix string, out *[]Field) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		n := 0
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return err
			}
			name, _ := k.(string)
			if prefix != "" {
				name = prefix + "." + name
			}
			if err := flatten(dec, name, out); err != nil {
				return err
			}
			n++
		}
		if n == 0 {
			*out = append(*out, Field{Name: prefix, Value: "{}"})
		}
		_, err = dec.Token()
		return err
	case json.Delim('['):
		i := 0
		for dec.More() {
			if err := flatten(dec, fmt.Sprintf("%s[%d]", prefix, i), out); err != nil {
				return err
			}
			i++
		}
		if i == 0 {
			*out = append(*out, Field{Name: prefix, Value: "[]"})
		}
		_, err = dec.Token()
		return err
	}
	*out = append(*out, Field{Name: prefix, Value: tok})
	return nil
}

// exportLine is one trial as WriteJSONL writes it.
type exportLine struct {
	Key      string         `json:"key"`
	Settings map[string]any `json:"settings"`
	Metrics  map[string]any `json:"metrics"`
	Config   map[string]any `json:"config"`
	TrainAcc []jsonFloat    `json:"train_acc_per_epoch"`
	ValAcc   []jsonFloat    `json:"val_acc_per_epoch"`
	Finished string         `json:"finished"`
}

// WriteJSONL writes one JSON object per record, one per line, for pandas
// (read_json(lines=True), json_normalize) or DuckDB (read_json_auto):
// key; settings (the values the pipeline varied, by name); metrics
// (status, final train/val/test accuracy, best epoch, epochs trained,
// final loss, seconds); config (every field of the spec, by dotted path);
// the accuracy per epoch; and when it finished. Non-finite numbers are
// written as the strings "NaN", "+Inf", "-Inf", as in records.
func WriteJSONL(w io.Writer, recs []Record) error {
	for _, r := range recs {
		line := exportLine{
			Key:      r.Key,
			Settings: map[string]any{},
			Config:   map[string]any{},
			TrainAcc: convertFloats[jsonFloat](r.Result.TrainAccs),
			ValAcc:   convertFloats[jsonFloat](r.Result.ValAccs),
			Finished: r.Finished,
		}
		for _, s := range r.Trial.Settings {
			line.Settings[s.Name] = s.Value
		}
		for _, f := range r.Trial.Fields() {
			line.Config[f.Name] = f.Value
		}
		res := r.Result
		loss := jsonFloat(0)
		if n := len(res.Loss); n > 0 {
			loss = jsonFloat(res.Loss[n-1])
		}
		line.Metrics = map[string]any{
			"status":     res.Status,
			"train_acc":  jsonFloat(res.TrainAcc),
			"val_acc":    jsonFloat(res.ValAcc),
			"test_acc":   jsonFloat(res.TestAcc),
			"best_epoch": res.BestEpoch,
			"epochs":     max(len(res.TrainAccs), len(res.ValAccs)),
			"final_loss": loss,
			"seconds":    r.Seconds,
		}
		if line.TrainAcc == nil {
			line.TrainAcc = []jsonFloat{}
		}
		if line.ValAcc == nil {
			line.ValAcc = []jsonFloat{}
		}
		b, err := json.Marshal(line)
		if err != nil {
			return fmt.Errorf("results: exporting %s: %w", r.Key, err)
		}
		if _, err := w.Write(append(b, '\n')); err != nil {
			return err
		}
	}
	return nil
}

// FieldRow is one field of several trials side by side: its value in each
// ("-" where a trial lacks it) and whether the values differ.
type FieldRow struct {
	Name    string
	Values  []string
	Differs bool
}

// CompareFields lines up the Fields of recs, in order of first appearance.
func CompareFields(recs []Record) []FieldRow {
	var rows []FieldRow
	index := map[string]int{}
	for i, r := range recs {
		for _, f := range r.Trial.Fields() {
			j, ok := index[f.Name]
			if !ok {
				j = len(rows)
				index[f.Name] = j
				vals := make([]string, len(recs))
				for k := range vals {
					vals[k] = "-"
				}
				rows = append(rows, FieldRow{Name: f.Name, Values: vals})
			}
			rows[j].Values[i] = f.String()
		}
	}
	for i := range rows {
		for _, v := range rows[i].Values[1:] {
			if v != rows[i].Values[0] {
				rows[i].Differs = true
			}
		}
	}
	return rows
}

// CompareMetrics lines up the results of recs: status, final accuracies,
// best epoch, epochs trained, final loss and seconds, formatted as tables
// format them.
func CompareMetrics(recs []Record) []FieldRow {
	type m struct {
		name string
		val  func(Record) string
	}
	acc := func(f func(Record) float64) func(Record) string {
		return func(r Record) string { return formatFixed(f(r), 3) }
	}
	ms := []m{
		{"status", func(r Record) string { return string(r.Result.Status) }},
		{"train_acc", acc(func(r Record) float64 { return r.Result.TrainAcc })},
		{"val_acc", acc(func(r Record) float64 { return r.Result.ValAcc })},
		{"test_acc", acc(func(r Record) float64 { return r.Result.TestAcc })},
		{"best_epoch", func(r Record) string { return strconv.Itoa(r.Result.BestEpoch) }},
		{"epochs", func(r Record) string { return strconv.Itoa(max(len(r.Result.TrainAccs), len(r.Result.ValAccs))) }},
		{"loss", func(r Record) string {
			if n := len(r.Result.Loss); n > 0 {
				return formatFixed(r.Result.Loss[n-1], 4)
			}
			return "-"
		}},
		{"seconds", func(r Record) string { return formatFixed(r.Seconds, 1) }},
	}
	rows := make([]FieldRow, len(ms))
	for i, m := range ms {
		rows[i] = FieldRow{Name: m.name, Values: make([]string, len(recs))}
		for j, r := range recs {
			rows[i].Values[j] = m.val(r)
			if rows[i].Values[j] != rows[i].Values[0] {
				rows[i].Differs = true
			}
		}
	}
	return rows
}
