package data

import (
	"bufio"
	"fmt"
	"io"
	"os"
)

// CIFAR-10 binary format: each record is one label byte followed by the
// 32x32 image as 1024 red, 1024 green and 1024 blue bytes, rows top to
// bottom — already the CHW order a Set keeps. Each batch file holds 10,000
// records.
const (
	CIFARPixels       = 3 * 32 * 32
	CIFARRecord       = 1 + CIFARPixels
	CIFARBatchRecords = 10000
	maxCIFARRecords   = 1 << 20 // refuse inputs beyond this when no count is given
)

// ReadCIFAR reads CIFAR-10 binary records from r (gzip-compressed or raw).
// With records > 0 the input must hold exactly that many records; with
// records <= 0 any whole number of records is accepted. Labels must be
// below numClasses (10 for CIFAR-10). images holds len(labels) images of
// 3x32x32 pixels. name is used in error messages, which all start with it.
func ReadCIFAR(name string, r io.Reader, records, numClasses int) (images, labels []byte, err error) {
	hint := sizeHint(r)
	br := bufio.NewReader(r)
	src, compressed, err := maybeGunzip(name, br)
	if err != nil {
		return nil, nil, err
	}
	limit := int64(maxCIFARRecords) * CIFARRecord
	if records > 0 {
		limit = min(limit, int64(records)*CIFARRecord)
	}
	body, err := readExactly(src, limit, hint)
	got := int64(len(body))
	if err != nil {
		return nil, nil, readErr(name, err, compressed, got, limit, "CIFAR records")
	}
	where := ""
	if compressed {
		where = " (decompressed)"
	}
	switch {
	case got > limit && records > 0:
		return nil, nil, fmt.Errorf("%s: longer than the %d bytes%s of %d records of %d bytes: trailing data",
			name, limit, where, records, CIFARRecord)
	case got > limit:
		return nil, nil, fmt.Errorf("%s: more than %d records", name, maxCIFARRecords)
	case records > 0 && got < limit:
		return nil, nil, fmt.Errorf("%s: truncated at offset %d of %d expected bytes%s (%d records of %d bytes: 1 label + %d pixels)",
			name, got, limit, where, records, CIFARRecord, CIFARPixels)
	case got%CIFARRecord != 0:
		return nil, nil, fmt.Errorf("%s: truncated at offset %d of %d expected bytes%s: not a whole number of %d-byte records",
			name, got, (got/CIFARRecord+1)*CIFARRecord, where, CIFARRecord)
	}
	n := int(got / CIFARRecord)
	images = make([]byte, n*CIFARPixels)
	labels = make([]byte, n)
	for i := range n {
		rec := body[i*CIFARRecord : (i+1)*CIFARRecord]
		if int(rec[0]) >= numClasses {
			return nil, nil, fmt.Errorf("%s: record %d (offset %d) has label %d, want 0..%d",
				name, i, i*CIFARRecord, rec[0], numClasses-1)
		}
		labels[i] = rec[0]
		copy(images[i*CIFARPixels:], rec[1:])
	}
	return images, labels, nil
}

func readCIFARFile(path string, records, numClasses int) (images, labels []byte, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	return ReadCIFAR(path, f, records, numClasses)
}
