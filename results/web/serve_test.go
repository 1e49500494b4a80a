package web

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/results"
)

// serve starts a Server over root and returns its URL.
func serve(t *testing.T, root string) string {
	t.Helper()
	s, err := NewServer(root)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(func() { ts.Close(); s.Close() })
	return ts.URL
}

// rawGet sends target exactly as given (no client-side cleaning of "..")
// and returns the status code and body.
func rawGet(t *testing.T, base, target string) (int, string) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", target)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// Nothing outside the served folder is reachable: not by "..", not
// encoded, not by an absolute path, not through a symbolic link; files
// inside are.
func TestServeNothingOutsideRoot(t *testing.T) {
	outer := t.TempDir()
	root := filepath.Join(outer, "results")
	if err := os.MkdirAll(filepath.Join(root, "study"), 0o755); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(outer, "secret.txt")
	for path, text := range map[string]string{secret: "SECRET", filepath.Join(root, "study", "report.html"): "REPORT"} {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(outer, filepath.Join(root, "study", "up")); err != nil {
		t.Fatal(err)
	}
	base := serve(t, root)
	for _, target := range []string{
		"/../secret.txt", "/files/../secret.txt", "/files/../../secret.txt", "/files/study/../../secret.txt",
		"/files/..%2fsecret.txt", "/files/%2e%2e/secret.txt", "/p/../secret.txt", "/p/study/../../secret.txt",
		"/files/" + secret, "/files/" + strings.ReplaceAll(secret, "/", "%2f"), secret, "//" + secret,
		"/files/study/up/secret.txt", "/p/study/up/secret.txt", "/files/study/..\\..\\secret.txt",
		"/files/", "/files/study", "/p/trials/", "/nowhere",
	} {
		code, body := rawGet(t, base, target)
		if code != http.StatusNotFound || strings.Contains(body, "SECRET") {
			t.Errorf("GET %s: %d %q, want 404", target, code, body[:min(len(body), 40)])
		}
	}
	for _, target := range []string{"/files/study/report.html", "/p/study/report.html"} {
		if code, body := rawGet(t, base, target); code != http.StatusOK || body != "REPORT" {
			t.Errorf("GET %s: %d %q, want 200 REPORT", target, code, body)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/files/study/report.html", strings.NewReader("x"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d, want 405 (read-only)", resp.StatusCode)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}

// Records appearing, changing and turning corrupt while the server runs
// show on the next request; a corrupt one is a warning, not a failure.
func TestServeSurvivesChangingStore(t *testing.T) {
	root, recs := writeFixture(t)
	base := serve(t, root)
	page := get(t, base+"/")
	for _, r := range recs {
		if !strings.Contains(page, r.Key[:8]) {
			t.Errorf("dashboard lacks trial %s", r.Key[:8])
		}
	}
	if !strings.Contains(page, `<a href="/p/study/">study</a>`) || !strings.Contains(page, `href="/p/study/report.html"`) {
		t.Error("dashboard lacks the pipeline and its report")
	}
	stamp := regexp.MustCompile(`"stamp":"([0-9a-f]+)"`)
	before := stamp.FindStringSubmatch(get(t, base+"/api/state"))

	trials := filepath.Join(root, results.TrialsDir)
	if err := os.WriteFile(filepath.Join(trials, recs[0].Key+".json"), []byte(`{"key": "`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(trials, "."+recs[1].Key+".json.123.tmp"), []byte(`{`), 0o644); err != nil {
		t.Fatal(err)
	}
	extra := fixtureRecord(0.5, 7)
	if err := (&results.Cache{Dir: root}).Put(extra); err != nil {
		t.Fatal(err)
	}
	page = get(t, base+"/fragment/trials")
	if !strings.Contains(page, "corrupt record") || !strings.Contains(page, recs[0].Key) {
		t.Errorf("the corrupt record is not named:\n%s", page[:min(len(page), 400)])
	}
	if !strings.Contains(page, extra.Key[:8]) || !strings.Contains(page, recs[1].Key[:8]) {
		t.Error("the new record or an intact one is missing")
	}
	after := stamp.FindStringSubmatch(get(t, base+"/api/state"))
	if before == nil || after == nil || before[1] == after[1] {
		t.Errorf("the store's stamp did not change: %v -> %v", before, after)
	}
	get(t, base+"/p/study/") // names the corrupt record instead of failing
	if err := os.RemoveAll(trials); err != nil {
		t.Fatal(err)
	}
	if page := get(t, base+"/"); !strings.Contains(page, "The trial store is empty.") {
		t.Error("dashboard of a removed store does not say it is empty")
	}
}

// The comparison marks exactly the settings that differ.
func TestServeCompareMarksDifferences(t *testing.T) {
	root, recs := writeFixture(t)
	base := serve(t, root)
	page := get(t, base+"/compare?keys="+recs[1].Key[:6]+","+recs[3].Key)
	marked := regexp.MustCompile(`<tr class="differs"><td>([^<]+)</td>`).FindAllStringSubmatch(page, -1)
	var names []string
	for _, m := range marked {
		names = append(names, m[1])
	}
	if strings.Join(names, " ") != "train.seed" {
		t.Errorf("marked as differing: %v, want [train.seed]", names)
	}
	if !strings.Contains(page, "1 of ") || !strings.Contains(page, `id="cmp-loss"`) || !strings.Contains(page, `id="cmp-acc"`) {
		t.Error("comparison lacks the count of differing settings or the overlaid curves")
	}
	if page := get(t, base+"/compare?keys=ffff"); !strings.Contains(page, "no trial has a key starting with") {
		t.Error("an unknown key is not named")
	}
}

// Progress files show in /api/state with their age; a corrupt one is
// listed as bad.
func TestServeLiveState(t *testing.T) {
	root, recs := writeFixture(t)
	l := results.Live{Key: recs[0].Key, Pipeline: "study.star", Group: "sweep", Label: "reg=0", Iter: 5, Iters: 10, Epoch: 1, Epochs: 1, Loss: 0.5,
		Started: "2026-01-01T00:00:00Z", Updated: "2026-01-01T00:00:00Z", Curve: [][2]float64{{1, 0.9}, {5, 0.5}}}
	if err := results.WriteLive(root, l); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, results.LiveDir, recs[1].Key+".json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := serve(t, root)
	st := get(t, base+"/api/state")
	for _, want := range []string{`"label":"reg=0"`, `"iter":5`, `"curve":[[1,0.9],[5,0.5]]`, `"bad":["`, `"elapsed_seconds":`, `"age_seconds":`, `"stale":false`} {
		if !strings.Contains(st, want) {
			t.Errorf("/api/state lacks %s: %s", want, st)
		}
	}
}
