package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/pipe-ml/pipe/results"
)

// staleAfter is how long a progress file may go unchanged before the
// dashboard greys it out: its run was probably killed without cleaning up.
const staleAfter = 30 * time.Second

// Server is pipe serve: a read-only dashboard over an output root (the
// folder holding trials/, live/ and one folder per pipeline). Every request
// reads the folder afresh, so records appearing, changing or being corrupt
// while it runs show up on the next request. It serves nothing outside the
// root: files are opened through an os.Root, and a path with a ".."
// segment or an absolute path is 404.
type Server struct {
	dir   string
	root  *os.Root
	store *store
	now   func() time.Time
}

// NewServer serves the output root dir.
func NewServer(dir string) (*Server, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	return &Server{dir: dir, root: root, store: newStore(dir), now: time.Now}, nil
}

// Close releases the root folder.
func (s *Server) Close() error { return s.root.Close() }

// ServeHTTP routes:
//
//	/                     pipelines, live progress, every trial
//	/compare?keys=K,K...  trials side by side, differing settings marked, curves overlaid
//	/p/NAME/              one pipeline: its checks, tables and figures
//	/p/NAME/FILE          a file of the pipeline's folder (report.html, tables, figures)
//	/files/PATH           any file under the root
//	/api/state            live progress and the store's stamp, as JSON
//	/fragment/trials      the trials table alone, for the page to refresh
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "read-only: only GET and HEAD", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	for _, seg := range strings.Split(p, "/") {
		if seg == ".." || strings.ContainsAny(seg, "\\\x00") {
			http.NotFound(w, r)
			return
		}
	}
	switch {
	case p == "/":
		s.dashboard(w)
	case p == "/compare":
		s.compare(w, r)
	case p == "/api/state":
		s.state(w)
	case p == "/fragment/trials":
		writeHTML(w, s.trialsHTML(s.store.list()))
	case strings.HasPrefix(p, "/files/"):
		s.file(w, r, strings.TrimPrefix(p, "/files/"))
	case strings.HasPrefix(p, "/p/"):
		name, rest, _ := strings.Cut(strings.TrimPrefix(p, "/p/"), "/")
		if rest == "" {
			if !strings.HasSuffix(p, "/") {
				http.Redirect(w, r, "/p/"+url.PathEscape(name)+"/", http.StatusFound)
				return
			}
			s.pipeline(w, r, name)
			return
		}
		s.file(w, r, name+"/"+rest)
	default:
		http.NotFound(w, r)
	}
}

func writeHTML(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(body))
}

// file serves rel, a slash-separated path under the root.
func (s *Server) file(w http.ResponseWriter, r *http.Request, rel string) {
	if !fs.ValidPath(rel) || rel == "." {
		http.NotFound(w, r)
		return
	}
	f, err := s.root.Open(filepath.FromSlash(rel))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	http.ServeContent(w, r, path.Base(rel), st.ModTime(), f)
}

// nav is the header of every page.
func nav(title string) string {
	return fmt.Sprintf("<header class=\"top\"><a class=\"brand\" href=\"/\">pipe serve</a><span>%s</span></header>\n", html.EscapeString(title))
}

// pipelineInfo is one folder of the root with a manifest.
type pipelineInfo struct {
	name string
	m    *results.Manifest
	err  error
}

// pipelines lists the folders of the root that hold a manifest, by name.
func (s *Server) pipelines() []pipelineInfo {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil
	}
	var out []pipelineInfo
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || strings.HasPrefix(name, ".") || name == results.TrialsDir || name == results.LiveDir {
			continue
		}
		dir := filepath.Join(s.dir, name)
		if _, err := os.Stat(filepath.Join(dir, results.ManifestFile)); err != nil {
			continue
		}
		m, err := results.ReadManifest(dir)
		out = append(out, pipelineInfo{name: name, m: m, err: err})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func (s *Server) dashboard(w http.ResponseWriter) {
	snap := s.store.list()
	var b strings.Builder
	fmt.Fprintf(&b, "<h1>%s</h1>\n", html.EscapeString(s.dir))
	b.WriteString("<h2>Training now</h2>\n<div id=\"live\" class=\"live\" data-stamp=\"\"><p class=\"muted\">Nothing is training.</p></div>\n")
	b.WriteString("<h2>Pipelines</h2>\n")
	pls := s.pipelines()
	if len(pls) == 0 {
		b.WriteString("<p class=\"muted\">No pipeline has finished a run here yet.</p>\n")
	} else {
		b.WriteString("<table class=\"runs pipelines\"><thead><tr><th>pipeline</th><th>file</th><th class=\"num\">tables</th><th class=\"num\">figures</th><th class=\"num\">trials</th><th>report</th></tr></thead><tbody>\n")
		for _, p := range pls {
			link := fmt.Sprintf("<a href=\"/p/%s/\">%s</a>", url.PathEscape(p.name), html.EscapeString(p.name))
			if p.err != nil {
				fmt.Fprintf(&b, "<tr><td>%s</td><td colspan=\"5\" class=\"warn\">%s</td></tr>\n", link, html.EscapeString(p.err.Error()))
				continue
			}
			tables, figures, trials := p.m.Counts()
			var reports []string
			for _, f := range []string{ReportFile, results.ReportFile} {
				if _, err := os.Stat(filepath.Join(s.dir, p.name, f)); err == nil {
					reports = append(reports, fmt.Sprintf("<a href=\"/p/%s/%s\">%s</a>", url.PathEscape(p.name), f, f))
				}
			}
			fmt.Fprintf(&b, "<tr><td>%s</td><td>%s</td><td class=\"num\">%d</td><td class=\"num\">%d</td><td class=\"num\">%d</td><td>%s</td></tr>\n",
				link, html.EscapeString(p.m.Pipeline), tables, figures, trials, strings.Join(reports, " · "))
		}
		b.WriteString("</tbody></table>\n")
	}
	b.WriteString("<h2>Trials</h2>\n<div id=\"trials\" data-stamp=\"" + snap.stamp + "\">\n")
	b.WriteString(s.trialsHTML(snap))
	b.WriteString("</div>\n")
	writeHTML(w, page("pipe serve: "+s.dir, nav(s.dir), b.String()))
}

// settingsByKey returns, for every trial a manifest shows, the settings and
// pipelines it is shown with (the first manifest's settings win).
func (s *Server) settingsByKey() (map[string][]results.Setting, map[string][]string) {
	settings, pipelines := map[string][]results.Setting{}, map[string][]string{}
	for _, p := range s.pipelines() {
		if p.err != nil {
			continue
		}
		for _, it := range p.m.Items {
			for _, r := range it.Trials() {
				if _, ok := settings[r.Key]; !ok {
					settings[r.Key] = r.Settings
				}
				if ps := pipelines[r.Key]; len(ps) == 0 || ps[len(ps)-1] != p.name {
					pipelines[r.Key] = append(ps, p.name)
				}
			}
		}
	}
	return settings, pipelines
}

// trialsHTML is the table of every record: key, pipelines, settings,
// results; constant columns hidden, rows selectable for comparison.
func (s *Server) trialsHTML(snap snapshot) string {
	var b strings.Builder
	for _, err := range snap.bad {
		fmt.Fprintf(&b, "<p class=\"warn\">skipped: %s</p>\n", html.EscapeString(err.Error()))
	}
	if len(snap.recs) == 0 {
		b.WriteString("<p class=\"muted\">The trial store is empty.</p>\n")
		return b.String()
	}
	settings, pipelines := s.settingsByKey()
	var names []string
	seen := map[string]bool{}
	shown := make([][]results.Setting, len(snap.recs))
	for i, r := range snap.recs {
		st, ok := settings[r.Key]
		if !ok {
			st = r.Trial.Settings
		}
		shown[i] = st
		for _, x := range st {
			if !seen[x.Name] {
				seen[x.Name] = true
				names = append(names, x.Name)
			}
		}
	}
	t := results.Table{Columns: append(append([]string{"key", "pipeline"}, names...), "status", "epochs", "train_acc", "val_acc", "test_acc", "seconds", "finished")}
	keys := make([]string, len(snap.recs))
	for i, r := range snap.recs {
		keys[i] = r.Key
		row := []string{r.Key[:min(8, len(r.Key))], strings.Join(pipelines[r.Key], ", ")}
		for _, n := range names {
			v := "-"
			for _, x := range shown[i] {
				if x.Name == n {
					v = results.FormatValue(x.Value)
				}
			}
			row = append(row, v)
		}
		metrics := results.CompareMetrics([]results.Record{r})
		get := func(name string) string {
			for _, m := range metrics {
				if m.Name == name {
					return m.Values[0]
				}
			}
			return "-"
		}
		finished := strings.TrimSuffix(strings.Replace(r.Finished, "T", " ", 1), "Z")
		row = append(row, get("status"), get("epochs"), get("train_acc"), get("val_acc"), get("test_acc"), get("seconds"), finished)
		t.Rows = append(t.Rows, row)
	}
	b.WriteString(tableHTML(t, tableOptions{Keys: keys}))
	return b.String()
}

// state sends the progress files, each with its age and elapsed time by
// the server's clock (the browser's may differ) and whether it is stale,
// and the store's stamp, as JSON.
func (s *Server) state(w http.ResponseWriter) {
	live, bad := results.ReadLive(s.dir)
	now := s.now()
	out := struct {
		Live  []map[string]any `json:"live"`
		Stamp string           `json:"stamp"`
		Bad   []string         `json:"bad"`
	}{Live: []map[string]any{}, Stamp: s.store.list().stamp, Bad: []string{}}
	for _, l := range live {
		var j map[string]any
		b, err := json.Marshal(l)
		if err == nil {
			err = json.Unmarshal(b, &j)
		}
		if err != nil {
			out.Bad = append(out.Bad, err.Error())
			continue
		}
		age, elapsed := 0.0, 0.0
		if t, err := time.Parse(time.RFC3339, l.Updated); err == nil {
			age = now.Sub(t).Seconds()
		}
		if st, err := os.Stat(filepath.Join(s.dir, results.LiveDir, l.Key+".json")); err == nil {
			age = now.Sub(st.ModTime()).Seconds() // finer than the file's seconds
		}
		if t, err := time.Parse(time.RFC3339, l.Started); err == nil {
			elapsed = now.Sub(t).Seconds()
		}
		j["age_seconds"], j["elapsed_seconds"], j["stale"] = age, elapsed, age > staleAfter.Seconds()
		out.Live = append(out.Live, j)
	}
	for _, e := range bad {
		out.Bad = append(out.Bad, e.Error())
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(out)
}

func (s *Server) compare(w http.ResponseWriter, r *http.Request) {
	snap := s.store.list()
	var recs []results.Record
	var b strings.Builder
	for _, k := range strings.FieldsFunc(r.URL.Query().Get("keys"), func(c rune) bool { return c == ',' || c == ' ' }) {
		rec, err := snap.resolve(k)
		if err != nil {
			fmt.Fprintf(&b, "<p class=\"warn\">%s</p>\n", html.EscapeString(err.Error()))
			continue
		}
		recs = append(recs, rec)
	}
	title := "Compare trials"
	if len(recs) == 1 {
		title = "Trial " + recs[0].Key
	}
	fmt.Fprintf(&b, "<h1>%s</h1>\n", html.EscapeString(title))
	if len(recs) == 0 {
		b.WriteString("<p>Pick trials on the <a href=\"/\">dashboard</a> and press “compare selected”.</p>\n")
		writeHTML(w, page(title, nav(title), b.String()))
		return
	}
	settings, _ := s.settingsByKey()
	labels := make([]string, len(recs))
	for i, rec := range recs {
		if st, ok := settings[rec.Key]; ok {
			rec.Trial.Settings = st
		}
		labels[i] = rec.Key[:8]
		if len(rec.Trial.Settings) > 0 {
			labels[i] += " " + results.FormatSettings(rec.Trial.Settings)
		}
		recs[i] = rec
	}
	fields := results.CompareFields(recs)
	differing := 0
	for _, f := range fields {
		if f.Differs {
			differing++
		}
	}
	if len(recs) > 1 {
		fmt.Fprintf(&b, "<p>%d of %d settings differ (highlighted).</p>\n", differing, len(fields))
	}
	b.WriteString(compareTable("Results", recs, labels, results.CompareMetrics(recs), false))
	b.WriteString(compareTable("Settings", recs, labels, fields, len(recs) > 1))
	b.WriteString(lossChart("Training loss", recs, labels).html("cmp-loss"))
	b.WriteString(accuracyChart("Accuracy", recs, labels).html("cmp-acc"))
	writeHTML(w, page(title, nav(title), b.String()))
}

// compareTable shows rows of values per trial; with mark, rows whose
// values differ get the class "differs" (highlighted) and a box hides the
// others.
func compareTable(title string, recs []results.Record, labels []string, rows []results.FieldRow, mark bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<h2>%s</h2>\n<div class=\"tablebox\">\n", html.EscapeString(title))
	if mark {
		b.WriteString("<div class=\"controls\"><label><input type=\"checkbox\" class=\"only-diff\"> only differing settings</label></div>\n")
	}
	b.WriteString("<table class=\"runs diff\"><thead><tr><th></th>")
	for i, r := range recs {
		fmt.Fprintf(&b, "<th title=\"%s\"><span class=\"swatch-dot\" style=\"color:%s\">●</span> %s</th>", r.Key, results.SeriesHex(i), html.EscapeString(labels[i]))
	}
	b.WriteString("</tr></thead>\n<tbody>\n")
	for _, row := range rows {
		class := ""
		if mark && row.Differs {
			class = " class=\"differs\""
		}
		fmt.Fprintf(&b, "<tr%s><td>%s</td>", class, html.EscapeString(row.Name))
		for _, v := range row.Values {
			fmt.Fprintf(&b, "<td>%s</td>", html.EscapeString(v))
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</tbody></table>\n</div>\n")
	return b.String()
}

func (s *Server) pipeline(w http.ResponseWriter, r *http.Request, name string) {
	dir := filepath.Join(s.dir, name)
	if name == "" || name == results.TrialsDir || name == results.LiveDir || !fs.ValidPath(name) || strings.Contains(name, "/") {
		http.NotFound(w, r)
		return
	}
	m, err := results.ReadManifest(dir)
	if err != nil {
		if _, statErr := os.Stat(dir); errors.Is(statErr, fs.ErrNotExist) {
			http.NotFound(w, r)
			return
		}
		writeHTML(w, page(name, nav(name), fmt.Sprintf("<h1>%s</h1>\n<p class=\"warn\">%s</p>\n", html.EscapeString(name), html.EscapeString(err.Error()))))
		return
	}
	all := *m
	all.Report = &results.ReportSpec{Title: name, Items: len(m.Items)}
	snap := s.store.list()
	var b strings.Builder
	sections, err := all.ReportSections(dir, snap)
	if err == nil {
		var body string
		body, err = sectionsHTML(dir, name+" ("+m.Pipeline+")", sections, snap)
		b.WriteString(body)
	}
	if err != nil {
		b.Reset()
		fmt.Fprintf(&b, "<h1>%s</h1>\n<p class=\"warn\">%s</p>\n", html.EscapeString(name), html.EscapeString(strings.TrimPrefix(err.Error(), "results: ")))
	}
	writeHTML(w, page(name, nav(name), b.String()))
}
