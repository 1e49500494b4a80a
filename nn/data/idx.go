package data

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// IDX magic numbers of the two kinds of file MNIST-style data sets ship:
// two zero bytes, the element type (0x08 = unsigned byte) and the number of
// dimensions.
const (
	IDXImagesMagic = 0x00000803 // uint8, 3 dims: N, H, W
	IDXLabelsMagic = 0x00000801 // uint8, 1 dim: N
)

// Sanity limits for headers. A header is only a claim: the reader never
// allocates more than the bytes that actually arrive (plus a bounded first
// buffer), and refuses outright any claim beyond these limits.
const (
	maxIDXBytes  = 1 << 32 // largest payload a header may declare
	maxIDXDim    = 1 << 31 // largest single dimension
	firstBufSize = 64 << 20
)

// ReadIDX reads an unsigned-byte IDX file from r, gzip-compressed or raw
// (detected from the first two bytes), and returns its dimensions and
// payload. name is used only in error messages, which all start with it.
// Any number of dimensions from 1 to 4 is accepted.
func ReadIDX(name string, r io.Reader) (dims []int, payload []byte, err error) {
	return readIDX(name, r, 0)
}

// ReadIDXFile is ReadIDX on the file at path.
func ReadIDXFile(path string) (dims []int, payload []byte, err error) {
	return readIDXFile(path, 0)
}

func readIDXFile(path string, wantMagic uint32) ([]int, []byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err // *PathError already names the file
	}
	defer f.Close()
	return readIDX(path, f, wantMagic)
}

// readIDX reads an IDX file; wantMagic 0 accepts any unsigned-byte IDX file,
// otherwise the magic must match exactly (checked before the body is read).
func readIDX(name string, r io.Reader, wantMagic uint32) ([]int, []byte, error) {
	hint := sizeHint(r)
	br := bufio.NewReader(r)
	src, compressed, err := maybeGunzip(name, br)
	if err != nil {
		return nil, nil, err
	}
	where := ""
	if compressed {
		where = " (decompressed)"
	}

	var head [4]byte
	if n, err := io.ReadFull(src, head[:]); err != nil {
		return nil, nil, readErr(name, err, compressed, int64(n), 4, "the IDX magic number")
	}
	magic := binary.BigEndian.Uint32(head[:])
	if wantMagic != 0 && magic != wantMagic {
		return nil, nil, fmt.Errorf("%s: wrong magic 0x%08x, want 0x%08x (%s)%s",
			name, magic, wantMagic, idxKind(wantMagic), idxMisuse(magic))
	}
	if head[0] != 0 || head[1] != 0 || head[2] != 0x08 || head[3] < 1 || head[3] > 4 {
		return nil, nil, fmt.Errorf("%s: wrong magic 0x%08x, want 0x000008NN (IDX unsigned bytes, NN = 1..4 dimensions)", name, magic)
	}
	nd := int(head[3])
	hdr := make([]byte, 4*nd)
	if n, err := io.ReadFull(src, hdr); err != nil {
		return nil, nil, readErr(name, err, compressed, 4+int64(n), 4+4*int64(nd), "the IDX header")
	}
	dims := make([]int, nd)
	size := int64(1)
	for i := range dims {
		d := binary.BigEndian.Uint32(hdr[4*i:])
		if d > maxIDXDim {
			return nil, nil, fmt.Errorf("%s: dimension %d is %d, more than the limit %d", name, i, d, maxIDXDim)
		}
		dims[i] = int(d)
		size *= int64(d)
		if size > maxIDXBytes {
			return nil, nil, fmt.Errorf("%s: header declares %s = more than %d bytes, beyond the %d-byte limit",
				name, dimString(dims[:i+1]), int64(maxIDXBytes), int64(maxIDXBytes))
		}
	}
	headerLen := int64(4 + 4*nd)
	body, err := readExactly(src, size, hint)
	got := int64(len(body))
	switch {
	case err != nil:
		return nil, nil, readErr(name, err, compressed, headerLen+got, headerLen+size, "data for "+dimString(dims))
	case got < size:
		return nil, nil, fmt.Errorf("%s: truncated at offset %d of %d expected bytes%s (header declares %s)",
			name, headerLen+got, headerLen+size, where, dimString(dims))
	case got > size:
		return nil, nil, fmt.Errorf("%s: longer than the %d bytes%s its header declares (%s): trailing data",
			name, headerLen+size, where, dimString(dims))
	}
	return dims, body, nil
}

// maybeGunzip returns a reader of the decompressed stream when br starts
// with the gzip magic bytes 1f 8b, else br itself.
func maybeGunzip(name string, br *bufio.Reader) (io.Reader, bool, error) {
	magic, _ := br.Peek(2)
	if len(magic) < 2 || magic[0] != 0x1f || magic[1] != 0x8b {
		return br, false, nil
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, true, fmt.Errorf("%s: gzip header truncated", name)
		}
		return nil, true, fmt.Errorf("%s: gzip data corrupt: %v", name, err)
	}
	return zr, true, nil
}

// readExactly reads up to size+1 bytes from r (one more than wanted, so that
// trailing data is noticed and a gzip stream is read to its checksum).
// hint is the number of bytes likely to arrive: the first buffer is at most
// that (and at most firstBufSize), and beyond it the buffer grows only as
// data actually arrives, so a lying header cannot make it allocate gigabytes.
func readExactly(r io.Reader, size, hint int64) ([]byte, error) {
	want := size + 1
	buf := make([]byte, 0, max(min(want, hint, firstBufSize), 512))
	for int64(len(buf)) < want {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, int(min(int64(cap(buf)), want-int64(len(buf)))))
		}
		room := min(int64(cap(buf)), want)
		n, err := r.Read(buf[len(buf):room])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return clip(buf), nil
		}
		if err != nil {
			return buf, err
		}
	}
	return clip(buf), nil
}

// clip drops the growth slack of a buffer that is kept for the whole run
// (up to a quarter of a data set's size) by copying it once.
func clip(b []byte) []byte {
	if cap(b)-len(b) <= len(b)/64 {
		return b
	}
	return append(make([]byte, 0, len(b)), b...)
}

// sizeHint guesses how many bytes r will deliver: a file's size or a byte
// reader's length times 4 (room for gzip's typical ratio on image data),
// else a small start; readExactly grows past it if needed.
func sizeHint(r io.Reader) int64 {
	const unknown = 64 << 10
	switch v := r.(type) {
	case interface{ Len() int }:
		return 4 * int64(v.Len())
	case *os.File:
		if fi, err := v.Stat(); err == nil && fi.Mode().IsRegular() {
			return 4 * fi.Size()
		}
	}
	return unknown
}

// readErr turns a read error at offset got of want expected bytes into a
// message that names the file and says what is wrong.
func readErr(name string, err error, compressed bool, got, want int64, what string) error {
	where := ""
	if compressed {
		where = " (decompressed)"
	}
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		if compressed {
			return fmt.Errorf("%s: gzip stream truncated at offset %d of %d expected bytes%s, reading %s",
				name, got, want, where, what)
		}
		return fmt.Errorf("%s: truncated at offset %d of %d expected bytes, reading %s", name, got, want, what)
	case compressed:
		return fmt.Errorf("%s: gzip data corrupt at offset %d%s of %d expected bytes: %v", name, got, where, want, err)
	default:
		return fmt.Errorf("%s: reading %s at offset %d: %v", name, what, got, err)
	}
}

func idxKind(magic uint32) string {
	switch magic {
	case IDXImagesMagic:
		return "IDX images: unsigned bytes, 3 dimensions"
	case IDXLabelsMagic:
		return "IDX labels: unsigned bytes, 1 dimension"
	}
	return "IDX"
}

// idxMisuse adds a hint when the file is a valid IDX file of the other kind.
func idxMisuse(magic uint32) string {
	switch magic {
	case IDXImagesMagic:
		return "; this is an image file, not a label file"
	case IDXLabelsMagic:
		return "; this is a label file, not an image file"
	case 0x1f8b0800, 0x1f8b0808:
		return "; looks like a damaged gzip file"
	}
	return ""
}

func dimString(dims []int) string {
	s := make([]string, len(dims))
	for i, d := range dims {
		s[i] = fmt.Sprint(d)
	}
	return strings.Join(s, "x")
}

// WriteIDX writes payload as an unsigned-byte IDX file with the given
// dimensions (1 to 4, product = len(payload)). It is the inverse of ReadIDX
// and is used to build the embedded data set and test files.
func WriteIDX(w io.Writer, dims []int, payload []byte) error {
	if len(dims) < 1 || len(dims) > 4 {
		return fmt.Errorf("data: WriteIDX: %d dimensions, want 1 to 4", len(dims))
	}
	size := int64(1)
	hdr := make([]byte, 4+4*len(dims))
	hdr[2], hdr[3] = 0x08, byte(len(dims))
	for i, d := range dims {
		if d < 0 || d > maxIDXDim {
			return fmt.Errorf("data: WriteIDX: dimension %d is %d, want 0..%d", i, d, maxIDXDim)
		}
		binary.BigEndian.PutUint32(hdr[4+4*i:], uint32(d))
		size *= int64(d)
	}
	if size != int64(len(payload)) {
		return fmt.Errorf("data: WriteIDX: dimensions %s hold %d bytes, payload has %d", dimString(dims), size, len(payload))
	}
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	_, err := w.Write(payload)
	return err
}

// readIDXPair reads an image file and its label file and checks that they
// agree: n images of h x w pixels and n labels, each below numClasses.
func readIDXPair(imagesPath, labelsPath string, numClasses int) (images, labels []byte, n, h, w int, err error) {
	dims, images, err := readIDXFile(imagesPath, IDXImagesMagic)
	if err != nil {
		return nil, nil, 0, 0, 0, err
	}
	n, h, w = dims[0], dims[1], dims[2]
	if n == 0 {
		// Left to class selection, this read "class 0 has no images; it
		// holds only " (and nothing), which hides the real problem.
		return nil, nil, 0, 0, 0, fmt.Errorf("data: %s: holds no images (an IDX file with a count of 0)", imagesPath)
	}
	if h == 0 || w == 0 {
		return nil, nil, 0, 0, 0, fmt.Errorf("%s: images of %dx%d pixels", imagesPath, h, w)
	}
	ldims, labels, err := readIDXFile(labelsPath, IDXLabelsMagic)
	if err != nil {
		return nil, nil, 0, 0, 0, err
	}
	if ldims[0] != n {
		return nil, nil, 0, 0, 0, fmt.Errorf("image/label count mismatch: %s holds %d images, %s holds %d labels",
			imagesPath, n, labelsPath, ldims[0])
	}
	for i, l := range labels {
		if int(l) >= numClasses {
			return nil, nil, 0, 0, 0, fmt.Errorf("%s: label %d of image %d (offset %d) out of range 0..%d",
				labelsPath, l, i, 8+i, numClasses-1)
		}
	}
	return images, labels, n, h, w, nil
}
