// Command portfolio measures the compiler's mapping against a portfolio of
// baselines on the same problems with the same legality checks, and prints
// one markdown table (docs/performance.md, "Compiler vs a baseline
// portfolio", has results and the command).
//
// For every network of -nets on every target of -chips it compiles the
// network (passes.Compile: quantize, profile, split, partition, place,
// route, verify) and then, on the compiled graph (the same quantized
// weights and profiled spike rates), maps it again with:
//
//   - fill: passes.FillChannelsLast (layer by layer, channels-last order,
//     every per-core limit), placed row-major (parts in order on the cores
//     sorted by mesh row, column, slot), by the project's placer
//     (passes.Place, then a second cooler annealing: PlaceAndRefine without
//     its fragment moves, with its link stages, passes.BalanceLinks) and
//     by a plain greedy + pairwise-swap placer
//     (greedy.go), and the fill placed by the project's placer once more
//     through the compile's post-choice stages (passes.FillMapping, then
//     passes.PostChoice, below);
//   - METIS: gpmetis k-way, objectives cut and vol, on the fragment graphs
//     of split at several granularities (Problem.MetisGraph), k the cores of
//     the fill, each partition repaired to the limits
//     (Problem.RepairPartition, then parts whose cores break the fan-out
//     limit split in two) and placed by the project's placer (with its
//     link stages); and each legal METIS mapping once more through the
//     compile's post-choice stages (passes.PostChoice: emptying parts,
//     link spreading, heavy-edge and fine splitting, at most the fill's
//     cores), a row of its own ("... + post-choice stages").
//
// Every mapping is written into Population.Core and checked by the verify
// pass's own code (passes.Analyze, BuildRoutes, Violations); its figures
// come from passes.BuildReport, whose energy is backends/chipcost.Placed.
// CPU times are user+sys seconds of the process (and of gpmetis), not wall
// time. Usage:
//
//	go run ./search/pipeline/internal/portfolio [-nets autosnn:8,autosnn:16,...] [-chips loihi1,loihi1-kapoho-bay,loihi2-kapoho-point] [-seed 1]
//
// -baseline-link-stages=false places the baselines without the placer's
// link stages (as before they existed); -baseline-post-stages=false
// leaves out the fill and METIS mappings through the post-choice stages;
// -baselines=false compiles only
// (to compare the compile column with an earlier table); -granularity N
// pins the compile's split granularity; -v writes the compile's log to
// stderr.
//
// A network is NAME:C (a zoo entry with C initial channels and seeded
// random weights, profiled on random inputs) or @CKPT:DATA (a checkpoint of
// `autosnn train`, profiled on the first -samples validation images of the
// data spec DATA).
package main
