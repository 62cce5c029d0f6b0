package experiments

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// checkHTML writes the HTML report of out (where every experiment ran)
// and checks it: index.html holds every experiment's section with its
// title, table, verdict and command, and references a figure per
// experiment, each a PNG that decodes and is not a blank canvas.
func checkHTML(t *testing.T, out string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "html")
	files, err := WriteHTML(out, dir, "test command")
	if err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(dir, HTMLFile))
	if err != nil {
		t.Fatal(err)
	}
	html := string(page)
	if len(files) != len(Names())+1 {
		t.Errorf("WriteHTML wrote %d files, want index.html and %d figures: %v", len(files), len(Names()), files)
	}
	for _, name := range Names() {
		var res Result
		if _, err := readJSON(filepath.Join(out, name+".json"), &res); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{`<section id="` + name + `">`, "<h2>" + htmlEscape(res.Title) + "</h2>", `<img src="` + name + `.png"`,
			"<th>spikes/image</th>", "<code>" + htmlEscape(res.Commit) + "</code>"} {
			if !strings.Contains(html, want) {
				t.Errorf("index.html: %s's section lacks %q", name, want)
			}
		}
		if res.Verdict != "" && !strings.Contains(html, htmlEscape(res.Verdict)) {
			t.Errorf("index.html lacks %s's verdict %q", name, res.Verdict)
		}
		checkPNG(t, filepath.Join(dir, name+".png"))
	}
	if strings.Contains(html, "not run into this directory yet") {
		t.Error("index.html lists an experiment as not run; every one ran")
	}
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;", "+", "&#43;").Replace(s)
}

// checkPNG decodes path and checks that it is a figure (figureProblem).
func checkPNG(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if p := figureProblem(data); p != "" {
		t.Errorf("%s: %s", path, p)
	}
}

// figureProblem says what is wrong with a figure's PNG bytes ("": nothing):
// not a PNG, too small, or a blank canvas, with fewer than 3% of its
// pixels inked or no colours besides black, white and greys (the series).
func figureProblem(data []byte) string {
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return fmt.Sprintf("not a PNG: %v", err)
	}
	b := img.Bounds()
	if b.Dx() < 400 || b.Dy() < 300 {
		return fmt.Sprintf("%v, want at least 400x300 pixels", b)
	}
	inked, coloured := 0, 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			if c.A > 0 && (c.R < 240 || c.G < 240 || c.B < 240) {
				inked++
			}
			if hi, lo := max(c.R, c.G, c.B), min(c.R, c.G, c.B); c.A > 0 && int(hi)-int(lo) > 60 {
				coloured++
			}
		}
	}
	if n := b.Dx() * b.Dy(); float64(inked) < 0.03*float64(n) || coloured < 50 {
		return fmt.Sprintf("%d of %d pixels inked, %d coloured: a blank canvas?", inked, n, coloured)
	}
	return ""
}

// TestWriteHTMLPartial: experiments without a result are listed as not
// run (not an error), the finished stand-alone runs are shown, and a
// missing results directory is one error naming it.
func TestWriteHTMLPartial(t *testing.T) {
	out := t.TempDir()
	res := &Result{Experiment: "table2", Title: "Table 2: spike-aware search", Paper: "p", Protocol: "reduced", Differs: "Fashion-MNIST",
		Command: "autosnn experiments run table2", Commit: "abc1234", Machine: "m", Columns: []string{"lambda"},
		Rows: []Row{
			{Key: "a", Cells: []string{"0"}, Paper: "88.69% / 127K", Runs: []Run{{Seed: 1, Accuracy: 0.8, Spikes: 9000}, {Seed: 2, Accuracy: 0.82, Spikes: 9400}}},
			{Key: "b", Cells: []string{"-0.24"}, Paper: "86.58% / 54K", Runs: []Run{{Seed: 1, Accuracy: 0.78, Spikes: 6000}, {Seed: 2, Accuracy: 0.77, Spikes: 6500}}},
		},
		Verdict: "Direction holds."}
	for i := range res.Rows {
		res.Rows[i].summarise()
	}
	if err := writeJSON(filepath.Join(out, "table2.json"), res); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(out, "runs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := writeJSON(filepath.Join(out, "runs", "snn1-scbk3-s1.json"), Run{Key: "snn1-scbk3", Seed: 1, Setup: "data fashion-mnist, C 8", Accuracy: 0.8123, Spikes: 12345, Neurons: 9508, Epochs: 20}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "html")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"table1.png", "notes.png"} { // an earlier report's figure, and a file of the user's
		if err := os.WriteFile(filepath.Join(dir, f), []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	files, err := WriteHTML(out, dir, "cmd")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "table1.png")); err == nil {
		t.Error("an earlier report's table1.png is still there, with no Table 1 in out")
	}
	if _, err := os.Stat(filepath.Join(dir, "notes.png")); err != nil {
		t.Errorf("a file that is no experiment's figure was removed: %v", err)
	}
	if len(files) != 2 {
		t.Errorf("wrote %v, want table2.png and index.html", files)
	}
	checkPNG(t, filepath.Join(dir, "table2.png"))
	page, err := os.ReadFile(filepath.Join(dir, HTMLFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"1 of 8 experiments run", "table1: Table 1 / Table 8: macro design choices", "not run into this directory yet", "Setup of every run: data fashion-mnist, C 8.",
		"88.69% / 127K", "81.00 ± 1.41%", "snn1-scbk3", "81.23%", "12,345", "Direction holds."} {
		if !strings.Contains(string(page), htmlEscape(want)) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	if strings.Count(string(page), "not run into this directory yet") != len(Names())-1 || strings.Contains(string(page), "table2: Table 2") {
		t.Error("index.html lists table2 as not run")
	}

	missing := filepath.Join(t.TempDir(), "no-such-dir")
	dir2 := filepath.Join(t.TempDir(), "html")
	if _, err := WriteHTML(missing, dir2, "cmd"); err == nil || !strings.Contains(err.Error(), missing) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing results directory: error %v, want one naming %s", err, missing)
	}
	if _, err := os.Stat(dir2); err == nil {
		t.Errorf("missing results directory: %s was created anyway", dir2)
	}
}

func TestParseNumber(t *testing.T) {
	for _, c := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"12.50%", 12.5, true}, {"9,348", 9348, true}, {"127K", 127000, true}, {"0.011", 0.011, true},
		{"0 (ReLU)", 0, true}, {"-", 0, false}, {"", 0, false}, {"none", 0, false}, {"NaN", 0, false},
	} {
		got, ok := parseNumber(c.in)
		if ok != c.ok || math.Abs(got-c.want) > 1e-9 {
			t.Errorf("parseNumber(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
	if a, s, ok := paperPoint("88.69% / 127K"); !ok || a != 88.69 || s != 127000 {
		t.Errorf("paperPoint = %v, %v, %v", a, s, ok)
	}
	if _, _, ok := paperPoint("79.59%"); ok {
		t.Error(`paperPoint("79.59%") ok, want not a point`)
	}
	if got := rowLabel([]string{"network", "blocks"}, Row{Cells: []string{"autosnn", "SRB_k5, skip"}}); got != "autosnn" {
		t.Errorf("rowLabel = %q, want the blocks left out", got)
	}
	if got := rowLabel([]string{"method", "lambda"}, Row{Cells: []string{"WS + evolution", "-0.08"}}); got != "WS + evolution, λ -0.08" {
		t.Errorf("rowLabel = %q", got)
	}
	if got := "λ 0, " + strings.TrimPrefix("λ -0.24", commonPrefix("λ 0", "λ -0.24")); got != "λ 0, -0.24" {
		t.Errorf("merged label %q", got)
	}
}

// A blank canvas and an axes-only figure fail figureProblem (the check
// can fail).
func TestFigureProblem(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 500, 400))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for x := 20; x < 480; x++ { // black axes only
		img.Set(x, 380, color.Black)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if p := figureProblem(b.Bytes()); !strings.Contains(p, "blank canvas") {
		t.Errorf("figureProblem(blank) = %q, want a blank canvas", p)
	}
	if p := figureProblem([]byte("not a png")); !strings.Contains(p, "not a PNG") {
		t.Errorf("figureProblem(garbage) = %q", p)
	}
}

// TestKendallFigure: the figure reads the inherited-weight values from
// the rows' extra cells, and its titles' tau is KendallTau of them.
func TestKendallFigure(t *testing.T) {
	res := &Result{Experiment: "kendall", Columns: []string{"architecture"}}
	for i, v := range []struct{ inh, acc float64 }{{50, 0.60}, {55, 0.70}, {52, 0.65}, {58, 0.66}} {
		row := Row{Key: fmt.Sprint(i), Cells: []string{fmt.Sprint(i)}, Runs: []Run{{Seed: 1, Accuracy: v.acc, Spikes: 1000 + 10*v.inh}},
			Extra: map[string]string{"D_val accuracy (inherited)": fmt.Sprintf("%.2f%%", v.inh), "D_val spikes (inherited)": group(900 + 10*v.inh)}}
		row.summarise()
		res.Rows = append(res.Rows, row)
	}
	png, caption, ok, err := Figure(res)
	if err != nil || !ok {
		t.Fatalf("Figure: %v, %v", ok, err)
	}
	if p := figureProblem(png); p != "" {
		t.Error(p)
	}
	if !strings.Contains(caption, "Kendall") {
		t.Errorf("caption %q", caption)
	}
	// 6 pairs: (50,55) c, (50,52) c, (50,58) c, (55,52) c, (55,58) d, (52,58) c.
	if got := tauText([]float64{50, 55, 52, 58}, []float64{0.60, 0.70, 0.65, 0.66}); got != "τ = 0.67 (n = 4)" {
		t.Errorf("tauText = %q, want τ = 0.67 (n = 4)", got)
	}
	if got := tauText([]float64{1}, []float64{1}); !strings.Contains(got, "undefined") {
		t.Errorf("tauText of one pair = %q", got)
	}
	if _, _, ok, _ := Figure(&Result{Experiment: "table4"}); ok {
		t.Error("an experiment without a figure has one")
	}
}
