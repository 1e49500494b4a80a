package results

// This file is the one place that decides whether bytes read back from the
// store can be trusted. A file in the store may be torn by a crash, edited by
// hand, copied under another name, or written by an older pipe; none of that
// may reach a table as if it were a finished trial. Readers of other store
// files (state files, claims) seal them with Seal and open them with Unseal,
// then check their own meaning the way VerifyRecord does for records.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/pipe-ml/pipe/nn"
)

// sealHead starts every sealed file: the checksum is the first field of the
// JSON object, on a line of its own, so that it can be checked before the
// rest is decoded and so that the file stays plain JSON.
const sealHead = "{\n  \"checksum\": \"sha256:"

// sealLineLen is the length of the whole first field: head, 64 hex digits,
// closing quote and comma.
const sealLineLen = len(sealHead) + 2*sha256.Size + len(`",`)

// ErrNoChecksum is returned by Unseal (and so by Cache.Get) for a well-formed
// JSON file without a checksum: a record written by a pipe older than
// checksummed records. Such a record cannot be told from a hand-edited one,
// so it is retrained like any untrusted record; callers use errors.Is to
// warn about it once rather than once per record.
var ErrNoChecksum = errors.New("written without a checksum (by an older pipe)")

// Seal encodes v (which must encode as a non-empty JSON object) as indented
// JSON whose first field, "checksum", is "sha256:" and the hex SHA-256 of
// every byte after that field's line. Unseal checks it.
func Seal(v any) ([]byte, error) {
	body, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(body, []byte("{\n")) {
		return nil, fmt.Errorf("results: cannot seal %T: not a non-empty JSON object", v)
	}
	rest := append(body[1:], '\n') // "\n  \"key\": ...}\n"
	sum := sha256.Sum256(rest)
	out := make([]byte, 0, sealLineLen+len(rest))
	out = append(out, sealHead...)
	out = hex.AppendEncode(out, sum[:])
	out = append(out, `",`...)
	return append(out, rest...), nil
}

// Unseal checks that b is a file Seal wrote and that no byte of it changed
// since: it returns nil, ErrNoChecksum for valid JSON without a checksum, or
// an error saying the file is torn or edited.
func Unseal(b []byte) error {
	if !bytes.HasPrefix(b, []byte(sealHead)) {
		if json.Valid(b) {
			return ErrNoChecksum
		}
		return errors.New("not a complete JSON file (torn write?)")
	}
	if len(b) < sealLineLen || string(b[sealLineLen-2:sealLineLen]) != `",` {
		return errors.New("malformed checksum line")
	}
	want := b[len(sealHead) : sealLineLen-2]
	sum := sha256.Sum256(b[sealLineLen:])
	if !bytes.Equal(want, hex.AppendEncode(nil, sum[:])) {
		return errors.New("checksum mismatch: the file was edited or damaged after it was written")
	}
	return nil
}

// VerifyRecord decodes the bytes of the record file named key (path is only
// for messages) and returns the record only if it can be trusted as that
// trial's finished result:
//
//   - the file is sealed and its checksum matches (Unseal): nothing was
//     edited, torn or appended after pipe wrote it;
//   - it decodes as a record whose key is key and whose trial re-hashes to
//     key, so the record describes the trial its file name says;
//   - its numerics version is the current NumericsVersion;
//   - its status is final ("ok" or "diverged") and its result is complete
//     (see checkResult).
//
// Every error names path and the reason. The scheduler warns and retrains
// over an untrusted record; pipe report stops and names it.
func VerifyRecord(path, key string, b []byte) (Record, error) {
	if err := Unseal(b); err != nil {
		return Record{}, fmt.Errorf("%s: corrupt record: %w", path, err)
	}
	rec, err := decodeRecord(path, b)
	if err != nil {
		return Record{}, err
	}
	bad := func(format string, args ...any) (Record, error) {
		return Record{}, fmt.Errorf("%s: untrusted record: %s", path, fmt.Sprintf(format, args...))
	}
	switch {
	case rec.Key != key:
		return bad("it has key %q, want %q (file renamed or copied?)", rec.Key, key)
	case rec.NumericsVersion != NumericsVersion:
		return bad("numerics version %q, want %q", rec.NumericsVersion, NumericsVersion)
	case rec.Trial.Key() != key:
		return bad("its trial hashes to key %s, not to its own key (trial edited?)", rec.Trial.Key())
	}
	if err := checkResult(rec.Result, rec.Trial.Train.Epochs); err != nil {
		return bad("%v", err)
	}
	if !(rec.Seconds >= 0) || math.IsInf(rec.Seconds, 0) {
		return bad("seconds %v is not a duration", rec.Seconds)
	}
	if !(rec.CoreSecs >= 0) || math.IsInf(rec.CoreSecs, 0) {
		return bad("core_seconds %v is not a duration", rec.CoreSecs)
	}
	return rec, nil
}

// checkResult reports whether r is the complete result of a run of epochs
// epochs: a final status, one accuracy per finished epoch (all of them
// unless it diverged or stopped early), at least one loss per epoch, accuracies in [0, 1] and
// a best epoch among the finished ones.
func checkResult(r nn.Result, epochs int) error {
	finished := len(r.ValAccs)
	switch r.Status {
	case nn.StatusOK:
		ran := epochs
		if r.StoppedAt != 0 { // early stopping (patience) ended the run
			ran = r.StoppedAt
		}
		if epochs < 1 || ran < 1 || ran > epochs || finished != ran {
			return fmt.Errorf("status ok with %d of %d epochs' accuracies (stopped at %d)", finished, epochs, r.StoppedAt)
		}
		if len(r.Loss) < ran {
			return fmt.Errorf("%d losses for %d epochs", len(r.Loss), ran)
		}
	case nn.StatusDiverged:
		if r.DivergedAt < 1 || len(r.Loss) != r.DivergedAt-1 || finished >= max(epochs, 1) {
			return fmt.Errorf("diverged at iteration %d with %d losses and %d of %d epochs", r.DivergedAt, len(r.Loss), finished, epochs)
		}
	default:
		return fmt.Errorf("status %q is not a finished trial's", r.Status)
	}
	if len(r.TrainAccs) != finished {
		return fmt.Errorf("%d training accuracies for %d validation accuracies", len(r.TrainAccs), finished)
	}
	if r.BestEpoch < 0 || r.BestEpoch > finished || (finished > 0) != (r.BestEpoch > 0) {
		return fmt.Errorf("best epoch %d of %d finished", r.BestEpoch, finished)
	}
	accs := append(append([]float64{r.TrainAcc, r.ValAcc, r.TestAcc}, r.TrainAccs...), r.ValAccs...)
	for _, a := range accs {
		if !(a >= 0 && a <= 1) {
			return fmt.Errorf("accuracy %v is outside [0, 1]", a)
		}
	}
	return nil
}
