package pipeline

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"path/filepath"
	"strings"
)

// Files of the demo's report directory besides the steps' outputs.
const (
	ReportHTML = "report.html"
	ReportJSON = "report.json"
)

// WriteSummary prints the short report: accuracy, spikes, cores, traffic,
// congestion, energy.
func (r *DemoResult) WriteSummary(w io.Writer) {
	s, d, c := r.Summary, r.Deployment, r.Chosen
	fmt.Fprintf(w, "autosnn demo on %s: chose lambda %g -> %s (%.0f s in total)\n", r.Chip, c.Lambda, strings.Join(c.Blocks, ","), r.Seconds)
	fmt.Fprintf(w, "  accuracy     %.2f%% validation (inherited weights), %.2f%% test after retraining (%d images), %.2f%% on the chip (%d images)\n",
		100*s["val_accuracy_inherited"], 100*s["test_accuracy_retrained"], r.Retrained.Images, 100*s["chip_accuracy"], d.Sim.Images)
	fmt.Fprintf(w, "  spikes       %.0f per image (paper metric, float network), %.0f neuron spikes per image on the chip\n",
		s["spikes_per_image"], s["chip_spikes_per_image"])
	fmt.Fprintf(w, "  cores        %.0f of %d (%.0f tiles)\n", s["cores"], d.Unit.Target.NumCores, s["tiles"])
	fmt.Fprintf(w, "  traffic      %.0f messages and %.0f hops per inference (%.2f hops per message), busiest link %s %.0f messages per inference\n",
		s["messages_per_inference"], s["hops_per_inference"], s["mean_hops"], d.BusiestLink, s["max_link_load"])
	fmt.Fprintf(w, "  congestion   link utilisation max %.4f, max buffer occupancy %.0f, delivered/offered %.4f, mean message latency %.1f ns\n",
		s["link_util_max"], s["max_buffer_occupancy"], s["delivered_ratio"], s["mean_message_latency_ns"])
	fmt.Fprintf(w, "  energy       %.3f uJ per inference simulated: dynamic synapses %.3f, neurons %.3f, network %.3f; static %.3f (compiler's dynamic estimate %.3f uJ)\n",
		s["energy_per_inference_uj"], s["synapse_energy_uj"], s["neuron_energy_uj"], s["network_energy_uj"], s["static_energy_uj"], s["compiler_estimated_energy_uj"])
	fmt.Fprintf(w, "  latency      %.2f us per inference\n", s["latency_per_inference_us"])
	fmt.Fprintf(w, "  report       %s\n", filepath.Join(r.Config.Out, ReportHTML))
}

var reportTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct":  func(x float64) string { return fmt.Sprintf("%.2f%%", 100*x) },
	"f":    func(format string, x any) string { return fmt.Sprintf(format, x) },
	"join": func(s []string) string { return strings.Join(s, ", ") },
	"uj":   func(pj float64) string { return fmt.Sprintf("%.4g", pj/1e6) },
	"us":   func(ns float64) string { return fmt.Sprintf("%.4g", ns/1e3) },
	"png": func(b []byte) template.URL {
		return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(b))
	},
	"isrow": func(i, j int) bool { return i == j },
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>autosnn demo on {{.R.Chip}}</title>
<style>
body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;font-size:90%}
th{background:#f0f0f0}tr.chosen{background:#ffe8e8;font-weight:bold}code,pre{background:#f6f6f6;font-size:85%}
pre{padding:6px;white-space:pre-wrap;word-break:break-all}figure{margin:2em 0}img{max-width:100%;border:1px solid #ddd}
</style></head><body>
<h1>autosnn demo: a spiking network searched, trained, compiled and simulated for {{.R.Chip}}</h1>
<p>Data {{.R.Config.Data}}, search space snn1 at C={{.R.Config.C}}, T={{.R.Config.T}}, seed {{.R.Config.Seed}}; total wall time {{f "%.0f" .R.Seconds}} s.
Lambda policy: {{.Policy}}.</p>
<h2>Result</h2>
<table>
<tr><th>chosen lambda</th><td>{{.R.Chosen.Lambda}}</td></tr>
<tr><th>architecture</th><td>{{join .R.Chosen.Blocks}}</td></tr>
<tr><th>accuracy</th><td>{{pct (index .S "val_accuracy_inherited")}} validation with inherited super-network weights;
 {{pct (index .S "test_accuracy_retrained")}} on {{.R.Retrained.Images}} test images after retraining;
 {{pct (index .S "chip_accuracy")}} on the virtual chip ({{.Sim.Images}} test images, integer network)</td></tr>
<tr><th>spikes</th><td>{{f "%.0f" (index .S "spikes_per_image")}} per image (paper metric, retrained float network);
 {{f "%.0f" (index .S "chip_spikes_per_image")}} neuron spikes per image on the chip</td></tr>
<tr><th>cores</th><td>{{f "%.0f" (index .S "cores")}} of {{.Cores}} ({{f "%.0f" (index .S "tiles")}} tiles)</td></tr>
<tr><th>traffic</th><td>{{f "%.0f" (index .S "messages_per_inference")}} messages, {{f "%.0f" (index .S "hops_per_inference")}} hops per inference
 ({{f "%.2f" (index .S "mean_hops")}} hops per message); busiest link {{.D.BusiestLink}} with {{f "%.0f" (index .S "max_link_load")}} messages per inference</td></tr>
<tr><th>congestion</th><td>max link utilisation {{f "%.4f" (index .S "link_util_max")}}, max buffer occupancy {{f "%.0f" (index .S "max_buffer_occupancy")}} messages,
 delivered/offered {{f "%.4f" (index .S "delivered_ratio")}}, mean message latency {{f "%.1f" (index .S "mean_message_latency_ns")}} ns</td></tr>
<tr><th>energy</th><td>{{f "%.3f" (index .S "energy_per_inference_uj")}} uJ per inference simulated, dynamic + static: dynamic synapses {{f "%.3f" (index .S "synapse_energy_uj")}},
 neurons {{f "%.3f" (index .S "neuron_energy_uj")}}, network {{f "%.3f" (index .S "network_energy_uj")}} uJ; static {{f "%.3f" (index .S "static_energy_uj")}} uJ (static power over the simulated latency)
 (the compiler's analytical estimate of the dynamic part: {{f "%.3f" (index .S "compiler_estimated_energy_uj")}} uJ)</td></tr>
<tr><th>latency</th><td>{{f "%.2f" (index .S "latency_per_inference_us")}} us per inference</td></tr>
</table>
<h2>Lambda sweep on {{.R.Chip}}</h2>
<p>One evolutionary search per lambda over one super-network (shared evaluations: {{.L.Evaluations}} architectures in total), fitness cost {{.L.Cost}}, budget {{.L.Budget}}.
Each winner was compiled with its inherited weights and simulated on {{.R.Config.SimImages}} test images; the chip columns are per inference (per test image).</p>
<table><tr><th>lambda</th><th>architecture</th><th>val acc</th><th>chip acc</th><th>spikes/image</th><th>cores</th><th>energy/inf (uJ, simulated, dynamic + static)</th><th>latency/inf (us)</th><th>max link load (msg/inf)</th><th>note</th></tr>
{{range $i, $r := .L.Rows}}<tr{{if isrow $i $.L.Chosen}} class="chosen"{{end}}><td>{{$r.Lambda}}</td><td>{{join $r.Blocks}}</td><td>{{pct $r.Acc}}</td>
{{if $r.Fits}}<td>{{pct $r.ChipAcc}}</td><td>{{f "%.0f" $r.Spikes}}</td><td>{{$r.Cores}}</td><td>{{uj $r.EnergyPJ}}</td><td>{{us $r.LatencyNs}}</td><td>{{f "%.0f" $r.MaxLinkLoad}}</td><td>{{if isrow $i $.L.Chosen}}chosen{{else}}{{join $r.Violations}}{{end}}</td>
{{else}}<td>-</td><td>{{f "%.0f" $r.Spikes}}</td><td>-</td><td>-</td><td>-</td><td>-</td><td>does not fit: {{$r.FitError}}</td>{{end}}</tr>
{{end}}</table>
<h2>Figures</h2>
{{range .R.Figures}}<figure><h3>{{.Title}}</h3><img src="{{png .PNG}}" alt="{{.Title}}">
<figcaption>{{.Caption}} File: <code>{{.File}}</code>. Reproduce alone:<pre>{{.Command}}</pre></figcaption></figure>
{{end}}
<h2>Steps</h2>
<table><tr><th>step</th><th>time (s)</th><th>command that runs it alone</th><th>output</th></tr>
{{range .R.Steps}}<tr><td>{{.Name}}</td><td>{{f "%.1f" .Seconds}}</td><td><code>{{.Command}}</code></td><td><code>{{.Output}}</code></td></tr>
{{end}}</table>
{{if .Notes}}<h2>Notes</h2><ul>{{range .Notes}}<li>{{.}}</li>{{end}}</ul>{{end}}
</body></html>
`))

// writeReport writes report.html (figures embedded as data URIs) and
// report.json into the report directory.
func (r *DemoResult) writeReport() error {
	d := r.Deployment
	notes := r.reportNotes()
	var h bytes.Buffer
	err := reportTmpl.Execute(&h, map[string]any{
		"R": r, "S": r.Summary, "L": r.Lambda.SweepResult, "D": d, "Sim": d.Sim, "Cores": d.Unit.Target.NumCores,
		"Policy": r.Lambda.Policy, "Notes": notes,
	})
	if err != nil {
		return fmt.Errorf("pipeline: report: %w", err)
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("pipeline: report: %w", err)
	}
	return writeFiles(r.Config.Out, map[string][]byte{ReportHTML: h.Bytes(), ReportJSON: append(js, '\n')})
}

// reportNotes returns the report's notes: first which energy each figure
// is (simulated or analytical, dynamic or static), then the compiler's
// notes on its analytical estimate and the simulator's notes, each naming
// its source, so no note reads as a statement about the simulated figures.
func (r *DemoResult) reportNotes() []string {
	d, s := r.Deployment, r.Summary
	m := d.Unit.Report.Mapping
	notes := []string{
		fmt.Sprintf("Energy: the result's %.3f uJ per inference, the lambda table's energy/inf and the left panel of the accuracy/energy figure are simulated on the chip "+
			"and include static energy (static power over the simulated latency: %.3f uJ of the %.3f here; dynamic %.3f uJ: synapses, neurons, network). "+
			"The compiler's %.3f uJ is its analytical estimate of the dynamic part only; its static estimate, over its zero-load latency of %.2f us, is %.3f uJ "+
			"(mapping/summary.yaml). The right panel's analytical energies (package chipcost) include static energy too.",
			s["energy_per_inference_uj"], s["static_energy_uj"], s["energy_per_inference_uj"],
			s["synapse_energy_uj"]+s["neuron_energy_uj"]+s["network_energy_uj"],
			s["compiler_estimated_energy_uj"], m.LatencyNs/1e3, m.StaticPJ/1e6),
		fmt.Sprintf("Per inference: every traffic, energy and latency figure is per test image (inference); the NoC heatmap's scale is messages per link per inference over the %d simulated images.", d.Sim.Images),
	}
	for _, n := range m.Notes {
		notes = append(notes, "Compiler's analytical estimate (mapping/summary.yaml): "+n)
	}
	for _, n := range d.Sim.Notes {
		notes = append(notes, "Simulator: "+n)
	}
	return notes
}
