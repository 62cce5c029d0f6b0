// Package pipeline is the end-to-end application of autosnn: everything
// the `autosnn` commands do beyond parsing flags and printing, as a Go API
// (options structs with units, context.Context for long runs, errors as
// values), so that a Go program never copies CLI logic. One file per
// concern:
//
//	samples.go   network inputs: Source, Samples, OpenData/OpenSource (dataset
//	             samples checked against the graph), Synthetic (seeded inputs in
//	             the trained range), LoadSamples
//	augment.go   the augmentation policies of training and DataSource
//	train.go     NewTrainer, ResumeTrainer, Evaluate and the evaluation report
//	search.go    NewSupernetTrainer, OpenSupernet, Search (one search per lambda)
//	compile.go   Compile: the compiler passes with CompileOptions
//	mapdir.go    WriteMappingDir: the one writer of a mapping directory
//	simulate.go  Simulate on the virtual chip, SimResult.WriteDir, WriteSANAFE
//	simshard.go  SimulateShard and the merge of shards run elsewhere (SimShards)
//	nocsweep.go  RunNoCSweep: a simulation rerun per link bandwidth or buffer depth
//	summary.go   the printed summaries of a compile and of a simulation
//	tables.go    the zoo and layer tables; inspect.go the dataset inspection
//	deploy.go    Deploy: compile then simulate, a network that does not fit
//	             being a result (Fits false), not an error
//	lambda.go    Sweep: lambda chosen by the chip (below); run.go RunLambda on
//	             a dataset; budget.go, rank.go, rankcheck.go, output.go its parts
//	demo.go      RunDemo and DemoCommands; command.go the command lines it
//	             records; report.go its HTML report
//
// A chip profile decides the accuracy/efficiency trade-off of the search:
// the search (package search) runs one evolutionary search per lambda over
// one super-network (package search/supernet), all sharing one evaluation
// cache; each lambda's winner is exported with its inherited weights,
// compiled for the chip (package passes) and run on the virtual chip
// (package sim); and a stated policy (Policy, Choose) picks the lambda to
// deploy: the highest validation accuracy among winners that fit the chip
// and meet a Budget (cores, energy and latency per inference), ties going to
// the lower simulated energy. The fitness cost may be the paper's spike
// count or an analytical chip cost (package backends/chipcost); RankCheck
// measures how well that estimate ranks candidates against the compiler and
// the simulator (Spearman's rho, Kendall's tau-b).
//
// RunDemo is the whole mission end to end (`autosnn demo`): train a small
// super-network, sweep lambda on the default chip, retrain the chosen
// winner from scratch, evaluate, compile, simulate, and write a report
// directory with a self-contained HTML page (figures embedded as data URIs)
// whose every step and figure names the CLI command that reproduces it
// alone (DemoCommands; cmd/autosnn's tests check them against the CLI).
//
// The package lives apart from package search because it imports the
// compiler, the simulator and the super-network, which themselves import
// search; search stays free of them.
//
// # Invariants
//
//   - Deterministic given the seeds in the configurations: the same
//     super-network, data and seeds give the same table and choice (wall
//     times aside).
//   - A winner the compiler cannot fit onto the chip is a row with Fits
//     false and the compiler's reason, never an error; only candidates that
//     fit and meet the budget can be chosen.
//   - Energies are in pJ (uJ only in printed tables and plots), latencies in
//     ns, per inference (all T timesteps of one input).
//   - Synthetic inputs and dataset samples reach the compiler and the
//     simulator through one Source, checked once against the graph (input
//     shape, encoding, frames per event sample, split size).
package pipeline
