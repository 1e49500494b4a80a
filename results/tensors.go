package results

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"sort"
	"strings"
)

// This file reads and writes safetensors, the tensor file format PyTorch,
// JAX and Hugging Face read (https://huggingface.co/docs/safetensors):
//
//	8 bytes      N, the header's length, unsigned little-endian
//	N bytes      a JSON object: for each tensor its name →
//	             {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]},
//	             and "__metadata__" → an object of strings
//	the rest     the tensors' bytes, little-endian, row-major, back to back;
//	             offsets count from the first byte after the header
//
// The store keeps its state and weights files in this format, sealed with a
// checksum in the metadata (sealTensors), so an exported file is the stored
// one as it is.

// Tensor is one named array of a tensor file: float32 (F32) or int32 (I32)
// values, exactly one of them set, row-major in Shape.
type Tensor struct {
	Name  string
	Shape []int
	F32   []float32
	I32   []int32
}

// len is the number of values the tensor holds.
func (t Tensor) len() int {
	if t.I32 != nil {
		return len(t.I32)
	}
	return len(t.F32)
}

// tensorEntry is one tensor's header entry.
type tensorEntry struct {
	DType   string `json:"dtype"`
	Shape   []int  `json:"shape"`
	Offsets [2]int `json:"data_offsets"`
}

const (
	metadataKey = "__metadata__"
	// maxHeader bounds the header a reader accepts (the Rust reference
	// implementation's limit is 100 MB; ours hold a few kB).
	maxHeader = 100 << 20
)

// writeTensors writes ts (in that order) and meta to w as a safetensors
// file and returns the header it wrote first (length and JSON). The values
// go out through a 64 kB buffer: a file of any size costs no more memory to
// write than that.
func writeTensors(w io.Writer, ts []Tensor, meta map[string]string) ([]byte, error) {
	header := map[string]any{}
	if len(meta) > 0 {
		header[metadataKey] = meta
	}
	off := 0
	for _, t := range ts {
		if t.Name == "" || t.Name == metadataKey {
			return nil, fmt.Errorf("results: tensor name %q is not allowed", t.Name)
		}
		if _, dup := header[t.Name]; dup {
			return nil, fmt.Errorf("results: two tensors named %q", t.Name)
		}
		n := 1
		for _, d := range t.Shape {
			n *= d
		}
		if n != t.len() || (t.F32 == nil) == (t.I32 == nil) && n > 0 {
			return nil, fmt.Errorf("results: tensor %s: shape %v does not hold its %d values", t.Name, t.Shape, t.len())
		}
		dtype := "F32"
		if t.I32 != nil {
			dtype = "I32"
		}
		shape := t.Shape
		if shape == nil {
			shape = []int{}
		}
		header[t.Name] = tensorEntry{DType: dtype, Shape: shape, Offsets: [2]int{off, off + 4*n}}
		off += 4 * n
	}
	h, err := json.Marshal(header)
	if err != nil {
		return nil, fmt.Errorf("results: encoding tensor header: %w", err)
	}
	// Pad the header with spaces so the data starts 8-byte aligned, as the
	// format recommends.
	for len(h)%8 != 0 {
		h = append(h, ' ')
	}
	b := binary.LittleEndian.AppendUint64(make([]byte, 0, 8+len(h)), uint64(len(h)))
	b = append(b, h...)
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	buf := make([]byte, 0, 64<<10)
	put := func(u uint32) error {
		if len(buf) == cap(buf) {
			if _, err := w.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
		buf = binary.LittleEndian.AppendUint32(buf, u)
		return nil
	}
	for _, t := range ts {
		for _, v := range t.F32 {
			if err := put(math.Float32bits(v)); err != nil {
				return nil, err
			}
		}
		for _, v := range t.I32 {
			if err := put(uint32(v)); err != nil {
				return nil, err
			}
		}
	}
	if _, err := w.Write(buf); err != nil {
		return nil, err
	}
	return b, nil
}

// decodeTensors parses a safetensors file of F32 and I32 tensors held in b
// (readTensors, unsealed).
func decodeTensors(b []byte) ([]Tensor, map[string]string, error) {
	return readTensors(bytes.NewReader(b), int64(len(b)), false)
}

// readTensors reads a safetensors file of F32 and I32 tensors, size bytes,
// from r; the tensors are returned in the order of their data. It checks
// everything the format promises: the header's length, its JSON, each
// tensor's dtype, shape and offsets, and that the tensors tile the data
// exactly. With sealed it also checks the checksum entry (writeSealed),
// hashing the data as it reads, so that a file of any size is read into
// its tensors through a 64 kB buffer rather than held whole first.
func readTensors(r io.Reader, size int64, sealed bool) ([]Tensor, map[string]string, error) {
	var lenb [8]byte
	if size < 8 {
		return nil, nil, errors.New("shorter than a tensor file's 8-byte header length")
	}
	if _, err := io.ReadFull(r, lenb[:]); err != nil {
		return nil, nil, fmt.Errorf("reading the header length: %v", err)
	}
	n := binary.LittleEndian.Uint64(lenb[:])
	if n > maxHeader || n > uint64(size-8) {
		return nil, nil, fmt.Errorf("header length %d does not fit in the file's %d bytes", n, size)
	}
	head := make([]byte, 8+n)
	copy(head, lenb[:])
	if _, err := io.ReadFull(r, head[8:]); err != nil {
		return nil, nil, fmt.Errorf("reading the header: %v", err)
	}
	dataLen := int(size - 8 - int64(n))
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(head[8:], &raw); err != nil {
		return nil, nil, fmt.Errorf("header: %v", err)
	}
	var meta map[string]string
	if m, ok := raw[metadataKey]; ok {
		if err := json.Unmarshal(m, &meta); err != nil {
			return nil, nil, fmt.Errorf("header metadata: %v", err)
		}
		delete(raw, metadataKey)
	}
	ts := make([]Tensor, 0, len(raw))
	offs := make([][2]int, 0, len(raw))
	f32 := make([]bool, 0, len(raw))
	for name, r := range raw {
		var e tensorEntry
		dec := json.NewDecoder(bytes.NewReader(r))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			return nil, nil, fmt.Errorf("tensor %q: %v", name, err)
		}
		count := 1
		for _, d := range e.Shape {
			if d < 0 || d > dataLen || count*d > dataLen {
				return nil, nil, fmt.Errorf("tensor %q: shape %v does not fit in %d bytes", name, e.Shape, dataLen)
			}
			count *= d
		}
		if e.DType != "F32" && e.DType != "I32" {
			return nil, nil, fmt.Errorf("tensor %q: dtype %q (want F32 or I32)", name, e.DType)
		}
		begin, end := e.Offsets[0], e.Offsets[1]
		if begin < 0 || end < begin || end > dataLen || end-begin != 4*count {
			return nil, nil, fmt.Errorf("tensor %q: offsets %v do not hold shape %v in %d data bytes", name, e.Offsets, e.Shape, dataLen)
		}
		ts = append(ts, Tensor{Name: name, Shape: e.Shape})
		offs = append(offs, e.Offsets)
		f32 = append(f32, e.DType == "F32")
	}
	idx := make([]int, len(ts))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(i, j int) bool {
		a, b := offs[idx[i]], offs[idx[j]]
		return a[0] < b[0] || a[0] == b[0] && a[1] < b[1]
	})
	out := make([]Tensor, len(ts))
	at := 0
	for i, k := range idx {
		if offs[k][0] != at {
			return nil, nil, fmt.Errorf("tensor %q starts at byte %d of the data, want %d (gap or overlap)", ts[k].Name, offs[k][0], at)
		}
		at = offs[k][1]
		out[i] = ts[k]
	}
	if at != dataLen {
		return nil, nil, fmt.Errorf("tensors end at byte %d of %d data bytes", at, dataLen)
	}
	var h hash.Hash
	var sum string
	if sealed {
		var ok bool
		if sum, ok = strings.CutPrefix(meta[checksumMeta], "sha256:"); !ok || len(sum) != 2*sha256.Size {
			return nil, nil, checksumError("no checksum")
		}
		i := sumAt(head, sum)
		if i < 0 {
			return nil, nil, checksumError("malformed checksum entry")
		}
		h = sha256.New()
		h.Write(head[:i])
		h.Write([]byte(zeroSum))
		h.Write(head[i+len(zeroSum):])
	}
	// The values, in data order, through one buffer.
	buf := make([]byte, 64<<10)
	for i, k := range idx {
		t := &out[i]
		count := (offs[k][1] - offs[k][0]) / 4
		if f32[k] {
			t.F32 = make([]float32, count)
		} else {
			t.I32 = make([]int32, count)
		}
		for j := 0; j < count; {
			b := buf[:4*min(count-j, len(buf)/4)]
			if _, err := io.ReadFull(r, b); err != nil {
				return nil, nil, fmt.Errorf("reading tensor %q: %v", t.Name, err)
			}
			if h != nil {
				h.Write(b)
			}
			for q := 0; q < len(b); q, j = q+4, j+1 {
				u := binary.LittleEndian.Uint32(b[q:])
				if t.F32 != nil {
					t.F32[j] = math.Float32frombits(u)
				} else {
					t.I32[j] = int32(u)
				}
			}
		}
	}
	if sealed && hex.EncodeToString(h.Sum(nil)) != sum {
		return nil, nil, checksumError("checksum mismatch: the file was edited or damaged after it was written")
	}
	return out, meta, nil
}

// checksumMeta is the metadata entry that seals a store tensor file:
// "sha256:" and the hex SHA-256 of the whole file with those 64 digits
// written as zeros. It covers every byte, header and data alike.
const checksumMeta = "pipe.checksum"

var zeroSum = strings.Repeat("0", 2*sha256.Size)

// writeSealed writes ts and meta to f, an empty file, as a safetensors file
// with a checksum entry (checksumMeta): the header goes out with the digits
// zero, the data is hashed as it is written, and the digits are written in
// place last. Nothing is held in memory but the header and writeTensors'
// buffer.
func writeSealed(f io.WriterAt, ts []Tensor, meta map[string]string) error {
	m := make(map[string]string, len(meta)+1)
	for k, v := range meta {
		m[k] = v
	}
	m[checksumMeta] = "sha256:" + zeroSum
	h := sha256.New()
	header, err := writeTensors(io.MultiWriter(io.NewOffsetWriter(f, 0), h), ts, m)
	if err != nil {
		return err
	}
	at := sumAt(header, zeroSum)
	if at < 0 {
		return errors.New("results: checksum entry missing from the encoded header") // a bug
	}
	_, err = f.WriteAt(hex.AppendEncode(nil, h.Sum(nil)), int64(at))
	return err
}

// checksumError is a sealed file whose checksum is missing or does not
// match (readTensors); any other error of a sealed read is a torn file.
type checksumError string

func (e checksumError) Error() string { return string(e) }

// unsealTensors checks a file writeSealed wrote (no byte changed since) and
// decodes it.
func unsealTensors(r io.Reader, size int64) ([]Tensor, map[string]string, error) {
	ts, meta, err := readTensors(r, size, true)
	var ce checksumError
	if err != nil && !errors.As(err, &ce) {
		return nil, nil, fmt.Errorf("not a complete tensor file (torn write?): %v", err)
	}
	return ts, meta, err
}

// sumAt is where the checksum digits sum start in the header of b, or -1.
func sumAt(b []byte, sum string) int {
	if len(b) < 8 {
		return -1
	}
	n := binary.LittleEndian.Uint64(b)
	if n > uint64(len(b)-8) {
		return -1
	}
	entry := []byte(`"` + checksumMeta + `":"sha256:` + sum + `"`)
	i := bytes.Index(b[8:8+n], entry)
	if i < 0 {
		return -1
	}
	return 8 + i + len(entry) - 1 - len(sum)
}
