package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// idxBytes builds an IDX file in memory, gzip-compressed if zip.
func idxBytes(t testing.TB, dims []int, payload []byte, zip bool) []byte {
	t.Helper()
	var b bytes.Buffer
	if !zip {
		if err := WriteIDX(&b, dims, payload); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	zw := gzip.NewWriter(&b)
	if err := WriteIDX(zw, dims, payload); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func seq(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + 3)
	}
	return b
}

func TestIDXRoundTrip(t *testing.T) {
	for _, zip := range []bool{false, true} {
		for _, dims := range [][]int{{5}, {3, 4, 2}, {0, 28, 28}, {2, 1, 3, 2}} {
			n := 1
			for _, d := range dims {
				n *= d
			}
			payload := seq(n)
			raw := idxBytes(t, dims, payload, zip)
			gotDims, got, err := ReadIDX("x", bytes.NewReader(raw))
			if err != nil {
				t.Fatalf("zip=%v dims %v: %v", zip, dims, err)
			}
			if !slices.Equal(gotDims, dims) || !bytes.Equal(got, payload) {
				t.Errorf("zip=%v dims %v: got dims %v and %d bytes", zip, dims, gotDims, len(got))
			}
		}
	}
	// The header is big-endian and the magic is 0x00000803 for images.
	raw := idxBytes(t, []int{2, 3, 4}, seq(24), false)
	if m := binary.BigEndian.Uint32(raw); m != IDXImagesMagic {
		t.Errorf("magic %#x", m)
	}
	if d := binary.BigEndian.Uint32(raw[4:]); d != 2 {
		t.Errorf("first dimension %d", d)
	}
}

// TestIDXErrors checks that each broken file gives a message naming the
// file and what is wrong.
func TestIDXErrors(t *testing.T) {
	images := idxBytes(t, []int{3, 4, 5}, seq(60), false)
	labels := idxBytes(t, []int{3}, []byte{1, 2, 3}, false)
	gz := idxBytes(t, []int{3, 4, 5}, seq(60), true)

	corruptGz := slices.Clone(gz)
	corruptGz[len(corruptGz)-6] ^= 0xff // inside the CRC-32 trailer
	badDeflate := slices.Clone(gz)
	for i := 10; i < 20; i++ {
		badDeflate[i] = 0xff
	}
	huge := slices.Clone(images)
	binary.BigEndian.PutUint32(huge[4:], 1<<31)
	binary.BigEndian.PutUint32(huge[8:], 1<<31)

	for _, tc := range []struct {
		name  string
		input []byte
		magic uint32
		want  []string
	}{
		{"empty", nil, IDXImagesMagic, []string{"f.idx:", "truncated at offset 0 of 4"}},
		{"short header", images[:10], IDXImagesMagic, []string{"f.idx:", "truncated at offset 10 of 16", "header"}},
		{"truncated body", images[:40], IDXImagesMagic, []string{"f.idx:", "truncated at offset 40 of 76 expected bytes", "3x4x5"}},
		{"trailing", append(slices.Clone(images), 9), IDXImagesMagic, []string{"f.idx:", "longer than the 76 bytes"}},
		{"labels as images", labels, IDXImagesMagic, []string{"f.idx:", "wrong magic 0x00000801, want 0x00000803", "label file"}},
		{"images as labels", images, IDXLabelsMagic, []string{"f.idx:", "wrong magic 0x00000803, want 0x00000801", "image file"}},
		{"not idx", []byte("hello world, not an idx file"), 0, []string{"f.idx:", "wrong magic 0x68656c6c"}},
		{"float idx", []byte{0, 0, 0x0d, 1, 0, 0, 0, 0}, 0, []string{"f.idx:", "wrong magic 0x00000d01"}},
		{"huge claim", huge, 0, []string{"f.idx:", "limit"}},
		{"gzip truncated", gz[:len(gz)/2], IDXImagesMagic, []string{"f.idx:", "gzip stream truncated"}},
		{"gzip header truncated", gz[:5], IDXImagesMagic, []string{"f.idx:", "gzip header truncated"}},
		{"gzip checksum", corruptGz, IDXImagesMagic, []string{"f.idx:", "gzip data corrupt", "checksum"}},
		{"gzip deflate", badDeflate, IDXImagesMagic, []string{"f.idx:", "gzip data corrupt"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := readIDX("f.idx", bytes.NewReader(tc.input), tc.magic)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func writeFile(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadIDXPair(t *testing.T) {
	dir := t.TempDir()
	ip := writeFile(t, dir, "i", idxBytes(t, []int{3, 2, 2}, seq(12), true))
	lp := writeFile(t, dir, "l", idxBytes(t, []int{3}, []byte{0, 9, 4}, false))
	images, labels, n, h, w, err := readIDXPair(ip, lp, 10)
	if err != nil || n != 3 || h != 2 || w != 2 || !bytes.Equal(images, seq(12)) || !bytes.Equal(labels, []byte{0, 9, 4}) {
		t.Fatalf("got n=%d h=%d w=%d labels %v err %v", n, h, w, labels, err)
	}
	_, _, _, _, _, err = readIDXPair(ip, lp, 5)
	if err == nil || !strings.Contains(err.Error(), lp) || !strings.Contains(err.Error(), "label 9 of image 1") {
		t.Errorf("label out of range: %v", err)
	}
	lp2 := writeFile(t, dir, "l2", idxBytes(t, []int{2}, []byte{0, 1}, false))
	_, _, _, _, _, err = readIDXPair(ip, lp2, 10)
	if err == nil || !strings.Contains(err.Error(), "count mismatch") || !strings.Contains(err.Error(), "3 images") ||
		!strings.Contains(err.Error(), "2 labels") {
		t.Errorf("count mismatch: %v", err)
	}
	_, _, _, _, _, err = readIDXPair(filepath.Join(dir, "missing"), lp, 10)
	if err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing file: %v", err)
	}
}

// cifarBytes builds n CIFAR records whose label is i%10 and pixels seq.
func cifarBytes(n int) []byte {
	b := make([]byte, 0, n*CIFARRecord)
	for i := range n {
		b = append(b, byte(i%10))
		px := seq(CIFARPixels)
		px[0] = byte(i)
		b = append(b, px...)
	}
	return b
}

func TestReadCIFAR(t *testing.T) {
	raw := cifarBytes(3)
	for _, records := range []int{0, 3} {
		images, labels, err := ReadCIFAR("b.bin", bytes.NewReader(raw), records, 10)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(labels, []byte{0, 1, 2}) || len(images) != 3*CIFARPixels {
			t.Fatalf("labels %v, %d pixels", labels, len(images))
		}
		if images[CIFARPixels] != 1 || !bytes.Equal(images[CIFARPixels+1:2*CIFARPixels], seq(CIFARPixels)[1:]) {
			t.Error("image 1 pixels do not match its record")
		}
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(raw)
	zw.Close()
	if _, labels, err := ReadCIFAR("b.bin.gz", bytes.NewReader(gz.Bytes()), 3, 10); err != nil || len(labels) != 3 {
		t.Errorf("gzip: %v", err)
	}

	badLabel := slices.Clone(raw)
	badLabel[2*CIFARRecord] = 200
	for _, tc := range []struct {
		name    string
		input   []byte
		records int
		want    []string
	}{
		{"truncated", raw[:5000], 3, []string{"b.bin:", "truncated at offset 5000 of 9219 expected bytes"}},
		{"partial record", raw[:5000], 0, []string{"b.bin:", "truncated at offset 5000 of 6146", "whole number"}},
		{"trailing", raw, 2, []string{"b.bin:", "longer than the 6146 bytes"}},
		{"label", badLabel, 3, []string{"b.bin:", "record 2 (offset 6146) has label 200"}},
		{"gzip truncated", gz.Bytes()[:gz.Len()/2], 3, []string{"b.bin:", "gzip stream truncated"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ReadCIFAR("b.bin", bytes.NewReader(tc.input), tc.records, 10)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// FuzzReadIDX: no input makes the reader panic or return inconsistent
// results. The seed corpus (testdata/fuzz/FuzzReadIDX) runs under go test.
func FuzzReadIDX(f *testing.F) {
	f.Add(idxBytes(f, []int{2, 3, 3}, seq(18), false))
	f.Add(idxBytes(f, []int{2, 3, 3}, seq(18), true))
	f.Add(idxBytes(f, []int{4}, seq(4), false))
	f.Add([]byte{0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 28, 0, 0, 0, 28})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, magic := range []uint32{0, IDXImagesMagic, IDXLabelsMagic} {
			dims, payload, err := readIDX("fuzz", bytes.NewReader(b), magic)
			if err != nil {
				if !strings.HasPrefix(err.Error(), "fuzz: ") {
					t.Fatalf("error does not name the file: %v", err)
				}
				continue
			}
			n := 1
			for _, d := range dims {
				n *= d
			}
			if n != len(payload) {
				t.Fatalf("dims %v but %d bytes", dims, len(payload))
			}
		}
	})
}

// FuzzReadCIFAR: as FuzzReadIDX, for CIFAR-10 binary records.
func FuzzReadCIFAR(f *testing.F) {
	f.Add(cifarBytes(1), 1)
	f.Add(cifarBytes(2), 0)
	f.Add(cifarBytes(2)[:4000], 2)
	f.Add([]byte{0x1f, 0x8b, 8, 0}, 0)
	f.Fuzz(func(t *testing.T, b []byte, records int) {
		if records > 4 {
			records %= 5 // the fuzzer's inputs are small; keep claims in their range
		}
		images, labels, err := ReadCIFAR("fuzz", bytes.NewReader(b), records, 10)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz: ") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if len(images) != len(labels)*CIFARPixels || (records > 0 && len(labels) != records) {
			t.Fatalf("%d labels, %d pixels, %d records wanted", len(labels), len(images), records)
		}
		for _, l := range labels {
			if l >= 10 {
				t.Fatalf("label %d", l)
			}
		}
	})
}

// TestReadExactlyKeepsNoSlack: a data set's bytes stay in memory for the
// whole run, so the buffer they were read into keeps no growth slack.
func TestReadExactlyKeepsNoSlack(t *testing.T) {
	data := bytes.Repeat([]byte{7}, 3<<20+12345)
	src := struct{ io.Reader }{bytes.NewReader(data)} // no size to go by
	b, err := readExactly(src, int64(len(data)), sizeHint(src))
	if err != nil || !bytes.Equal(b, data) {
		t.Fatalf("read %d bytes, %v", len(b), err)
	}
	if slack := cap(b) - len(b); slack > len(b)/64 {
		t.Errorf("buffer of %d bytes keeps %d bytes of slack", len(b), slack)
	}
}
