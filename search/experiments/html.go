package experiments

// This file writes the HTML report of an output directory (WriteHTML):
// what Report renders as markdown, with a figure per experiment.

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
)

// HTMLFile is the report's page in the directory WriteHTML writes; each
// experiment's figure is NAME.png beside it.
const HTMLFile = "index.html"

// htmlSection is one run experiment in the report.
type htmlSection struct {
	*Result
	Head      []string
	Rows      [][]string
	PNG       string // file name beside index.html, "" without a figure
	Caption   string
	Wall, CPU string
	PaperNote string // where the paper column's figures come from
}

// htmlRun is one finished stand-alone run of OUT/runs.
type htmlRun struct {
	Key, Seed, Setup, Accuracy, Spikes, Neurons, Epochs, Time string
}

var htmlTmpl = template.Must(template.New("experiments").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>autosnn: the AutoSNN paper's tables reproduced</title>
<style>
body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222;line-height:1.4}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;font-size:88%;vertical-align:top}
th{background:#f0f0f0}code,pre{background:#f6f6f6;font-size:85%}pre{padding:6px;white-space:pre-wrap;word-break:break-all}
figure{margin:1.5em 0}img{max-width:100%;border:1px solid #ddd}figcaption{font-size:90%;color:#444}
section{border-top:2px solid #ddd;margin-top:2.5em}p.verdict{background:#eef6ee;padding:6px 10px;border-left:4px solid #4a4}
table.meta th{width:9em}.missing{color:#777}td.nw{white-space:nowrap}
</style></head><body>
<h1>The AutoSNN paper's tables, reproduced</h1>
<p>Results read from <code>{{.Out}}</code>: {{len .Sections}} of {{.Total}} experiments run there.
Each table gives the paper's number beside ours, and the protocol says how the run differs from the paper's.
Regenerate this page:</p><pre>{{.Command}}</pre>
<ul>
{{range .Sections}}<li><a href="#{{.Experiment}}">{{.Title}}</a> ({{.Protocol}} protocol, {{.Date}})</li>
{{end}}{{range .MissingTitles}}<li class="missing">{{.}}</li>
{{end}}</ul>
{{if .Missing}}<p>Run one that is missing with <code>autosnn experiments run --out {{.Out}} NAME</code> (autosnn experiments list gives the names and protocols).</p>
{{end}}
{{range .Sections}}<section id="{{.Experiment}}">
<h2>{{.Title}}</h2>
<p><b>Paper:</b> {{.Paper}}</p>
<p>{{.PaperNote}}</p>
{{if .PNG}}<figure><img src="{{.PNG}}" alt="{{.Title}}"><figcaption>{{.Caption}} File: <code>{{.PNG}}</code>.</figcaption></figure>
{{end}}<table><tr>{{range .Head}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>
{{if .Verdict}}<p class="verdict">{{.Verdict}}</p>{{end}}
<table class="meta">
<tr><th>protocol</th><td>{{.Protocol}}; differs from the paper: {{.Differs}}</td></tr>
<tr><th>command</th><td><code>{{.Command}}</code></td></tr>
<tr><th>commit</th><td><code>{{.Commit}}</code></td></tr>
<tr><th>machine</th><td>{{.Machine}}</td></tr>
<tr><th>finished</th><td>{{.Date}}</td></tr>
<tr><th>time</th><td>{{.Wall}} wall, {{.CPU}} CPU in the process that finished it (resumed work of earlier processes not counted)</td></tr>
</table>
</section>
{{end}}{{if .Runs}}<section><h2>Stand-alone runs finished so far</h2>
<details{{if .Missing}} open{{end}}><summary>{{len .Runs}} training runs have finished in <code>{{.Out}}/runs</code>
(an experiment's table appears above once all its runs are done)</summary>
{{if .Setup}}<p>Setup of every run: {{.Setup}}.</p>{{end}}
<table><tr><th>run</th><th>seed</th><th>test accuracy</th><th>spikes/image</th><th>neurons</th><th>epochs</th><th>wall / CPU</th>{{if not .Setup}}<th>setup</th>{{end}}</tr>
{{range .Runs}}<tr><td class="nw">{{.Key}}</td><td>{{.Seed}}</td><td>{{.Accuracy}}</td><td>{{.Spikes}}</td><td>{{.Neurons}}</td><td>{{.Epochs}}</td><td class="nw">{{.Time}}</td>{{if not $.Setup}}<td>{{.Setup}}</td>{{end}}</tr>
{{end}}</table></details></section>
{{end}}</body></html>
`))

// WriteHTML writes the HTML report of the results in the output directory
// out into dir: dir/index.html (HTMLFile; every run experiment's title,
// the paper's claim, the table, the verdict, the protocol and how it
// differs from the paper, the command, commit, machine and times; the
// experiments not run yet; the stand-alone runs finished in out/runs) and
// dir/NAME.png, the figure of each run experiment (an earlier report's
// NAME.png of an experiment without a figure now is removed). It returns
// the files written. A missing out, or a result file that cannot be read, is an
// error naming it; command is the command line shown to regenerate the
// page.
func WriteHTML(out, dir, command string) ([]string, error) {
	results, missing, err := ReadResults(out)
	if err != nil {
		return nil, err
	}
	runs, err := finishedRuns(out)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("experiments: report: %w", err)
	}
	var written []string
	var sections []htmlSection
	for _, res := range results {
		head, rows := res.Table()
		s := htmlSection{Result: res, Head: head, Rows: rows, Wall: dur(res.Seconds), CPU: dur(res.CPUSeconds), PaperNote: res.paperNote()}
		png, caption, ok, err := Figure(res)
		if err != nil {
			return written, err
		}
		if ok {
			s.PNG, s.Caption = res.Experiment+".png", caption
			path := filepath.Join(dir, s.PNG)
			if err := writeFile(path, png); err != nil {
				return written, fmt.Errorf("experiments: report: %w", err)
			}
			written = append(written, path)
		}
		sections = append(sections, s)
	}
	// An earlier report into dir may have drawn experiments that out has
	// no figure of: remove those figures (only NAME.png of an experiment),
	// so that dir holds this report alone.
	for _, n := range Names() {
		path := filepath.Join(dir, n+".png")
		if slices.Contains(written, path) {
			continue
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return written, fmt.Errorf("experiments: report: removing an earlier figure: %w", err)
		}
	}
	var titles []string
	for _, n := range missing {
		e, err := Lookup(n)
		if err != nil {
			return written, err
		}
		titles = append(titles, n+": "+e.Title+": not run into this directory yet")
	}
	setup := ""
	for i, r := range runs {
		if i > 0 && r.Setup != setup {
			setup = ""
			break
		}
		setup = r.Setup
	}
	var b bytes.Buffer
	err = htmlTmpl.Execute(&b, map[string]any{
		"Out": out, "Total": len(Names()), "Sections": sections, "Missing": missing, "MissingTitles": titles, "Runs": runs, "Setup": setup, "Command": command,
	})
	if err != nil {
		return written, fmt.Errorf("experiments: report: %w", err)
	}
	path := filepath.Join(dir, HTMLFile)
	if err := writeFile(path, b.Bytes()); err != nil {
		return written, fmt.Errorf("experiments: report: %w", err)
	}
	return append(written, path), nil
}

// finishedRuns reads the results of the stand-alone runs in out/runs
// (KEY-sSEED.json), by key and seed; none when the directory is absent.
func finishedRuns(out string) ([]htmlRun, error) {
	paths, err := filepath.Glob(filepath.Join(out, "runs", "*.json"))
	if err != nil {
		return nil, err
	}
	var runs []Run
	for _, p := range paths {
		var r Run
		if _, err := readJSON(p, &r); err != nil {
			return nil, err
		}
		if r.Key == "" {
			return nil, fmt.Errorf("experiments: %s: not a stand-alone run's result (no key)", p)
		}
		runs = append(runs, r)
	}
	sort.Slice(runs, func(i, j int) bool {
		if runs[i].Key != runs[j].Key {
			return runs[i].Key < runs[j].Key
		}
		return runs[i].Seed < runs[j].Seed
	})
	out2 := make([]htmlRun, len(runs))
	for i, r := range runs {
		out2[i] = htmlRun{Key: r.Key, Seed: fmt.Sprint(r.Seed), Setup: r.Setup, Accuracy: fmt.Sprintf("%.2f%%", 100*r.Accuracy),
			Spikes: group(r.Spikes), Neurons: group(float64(r.Neurons)), Epochs: fmt.Sprint(r.Epochs),
			Time: fmt.Sprintf("%s / %s", dur(r.Seconds), dur(r.CPUSeconds))}
	}
	return out2, nil
}
