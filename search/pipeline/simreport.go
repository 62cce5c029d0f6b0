package pipeline

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"os"
	"path/filepath"

	"github.com/autosnn/autosnn/backends"
	"github.com/autosnn/autosnn/ir"
)

// SimReport is what the HTML report of one simulation shows
// (WriteSimReport): the run, the network it ran, and the compiler's
// summary of the mapping.
type SimReport struct {
	// Res is the run; G the compiled graph it ran (per-layer rows).
	Res *SimResult
	G   *ir.Graph
	// Mapping is the mapping directory simulated; its compiler summary
	// (backends.SummaryFile) is shown when present.
	Mapping string
	// Data names the inputs ("mnist test", "synthetic"); Command is the
	// command line that reproduces the run.
	Data, Command string
}

// simLayer is one row of the report's layer table.
type simLayer struct {
	Name, Model, Shape string
	Neurons            int
	Spikes             float64 // per image
	Rate               float64 // spikes per neuron per timestep
}

var simReportTmpl = template.Must(template.New("sim").Funcs(template.FuncMap{
	"f": func(format string, x any) string { return fmt.Sprintf(format, x) },
	"png": func(b []byte) template.URL {
		return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(b))
	},
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>autosnn simulation: {{.S.Graph}} on {{.S.Chip}}</title>
<style>
body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;font-size:90%}
th{background:#f0f0f0}td.n{text-align:right}code,pre{background:#f6f6f6;font-size:85%}
pre{padding:6px;white-space:pre-wrap}figure{margin:2em 0}img{max-width:100%;border:1px solid #ddd}
</style></head><body>
<h1>{{.S.Graph}} on the virtual {{.S.Chip}}</h1>
<p>{{.S.Images}} images of {{.Data}}, {{.S.Timesteps}} timesteps each ({{.S.Semantics}} semantics, {{.S.StepsPerImage}} chip steps per image),
mapping <code>{{.Mapping}}</code>: {{.S.Neurons}} neurons and {{.S.Synapses}} synapses on {{.S.CoresUsed}} cores ({{.S.TilesUsed}} tiles).
Reproduce:</p><pre>{{.Command}}</pre>
<h2>Result per image</h2>
<table>
{{if .S.Labeled}}<tr><th>on-chip accuracy</th><td>{{f "%.2f" .Acc}}% ({{.S.Correct}}/{{.S.Labeled}})</td></tr>{{end}}
<tr><th>spikes</th><td>{{.P.Spikes}} neuron spikes, {{.P.Messages}} messages, {{.P.Hops}} hops, {{.P.SynOps}} synaptic operations</td></tr>
<tr><th>energy</th><td>{{f "%.4f" .S.EnergyPerImageUJ}} uJ: synapses {{f "%.4f" .SynUJ}}, neurons {{f "%.4f" .NeuUJ}}, network {{f "%.4f" .NetUJ}}, static {{f "%.4f" .StaUJ}}</td></tr>
<tr><th>latency</th><td>{{f "%.3f" .S.LatencyPerImageUs}} us (compute {{f "%.3f" .ComputeUs}} us, barriers {{f "%.3f" .BarrierUs}} us)</td></tr>
<tr><th>congestion</th><td>link utilisation mean {{f "%.4f" .S.Total.LinkUtilMean}}, max {{f "%.4f" .S.Total.LinkUtilMax}};
 max buffer {{.S.Total.MaxBufferOccupancy}}; delivered/offered {{f "%.4f" .S.DeliveredRatio}}; dropped {{.S.Total.Dropped}};
 busiest link {{.R.BusiestLink}} with {{f "%.1f" .R.MaxLinkLoad}} messages per image; mean message latency {{f "%.1f" .S.MeanMessageLatencyNs}} ns</td></tr>
</table>
<h2>Layers</h2>
<table><tr><th>layer</th><th>neuron</th><th>shape</th><th>neurons</th><th>spikes per image</th><th>rate (spikes/neuron/step)</th></tr>
{{range .Layers}}<tr><td>{{.Name}}</td><td>{{.Model}}</td><td>{{.Shape}}</td><td class="n">{{.Neurons}}</td><td class="n">{{f "%.1f" .Spikes}}</td><td class="n">{{f "%.4f" .Rate}}</td></tr>
{{end}}</table>
<figure><h3>Link load</h3><img src="{{png .R.HeatmapPNG}}" alt="messages per mesh link">
<figcaption>Messages per mesh link per image over the {{.S.Images}} images (<code>linkload.png</code>).</figcaption></figure>
{{if .Compiler}}<h2>The compiler's summary of the mapping</h2>
<p>Its analytical estimate (<code>{{.Mapping}}/summary.yaml</code>), beside the simulated figures above.</p>
<details><summary>summary.yaml</summary><pre>{{.Compiler}}</pre></details>{{end}}
{{if .S.Notes}}<h2>Notes</h2><ul>{{range .S.Notes}}<li>{{.}}</li>{{end}}</ul>{{end}}
</body></html>
`))

// WriteSimReport writes the report of r as dir/ReportHTML (figures
// embedded as data URIs).
func WriteSimReport(dir string, r SimReport) error {
	s := r.Res.Sim
	p := s.PerImage
	var layers []simLayer
	for i, pop := range r.G.Pops[1:] {
		l := simLayer{Name: pop.Name, Model: pop.Neuron.Model.String(), Shape: pop.Shape.String(), Neurons: pop.Shape.Len()}
		if pop.Neuron.Model == ir.LI && pop == r.G.Output() {
			l.Model += " (readout: potential probed, no spikes)"
		}
		if i+1 < len(r.Res.PopSpikes) {
			l.Spikes = r.Res.PopSpikes[i+1]
			l.Rate = l.Spikes / float64(l.Neurons*max(s.Timesteps, 1))
		}
		layers = append(layers, l)
	}
	var compiler string
	if b, err := os.ReadFile(filepath.Join(r.Mapping, backends.SummaryFile)); err == nil {
		compiler = string(b)
	}
	var h bytes.Buffer
	err := simReportTmpl.Execute(&h, map[string]any{
		"S": s, "P": p, "R": r.Res, "Data": r.Data, "Command": r.Command, "Mapping": r.Mapping, "Layers": layers, "Compiler": compiler,
		"Acc": 100 * s.Accuracy, "SynUJ": p.Energy.SynapsePJ / 1e6, "NeuUJ": p.Energy.NeuronPJ / 1e6, "NetUJ": p.Energy.NetworkPJ / 1e6,
		"StaUJ": p.Energy.StaticPJ / 1e6, "ComputeUs": p.ComputeNs / 1e3, "BarrierUs": p.BarrierNs / 1e3,
	})
	if err != nil {
		return fmt.Errorf("pipeline: simulation report: %w", err)
	}
	return writeFiles(dir, map[string][]byte{ReportHTML: h.Bytes()})
}
