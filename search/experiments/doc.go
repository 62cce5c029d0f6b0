// Package experiments reproduces the AutoSNN paper's tables end to end:
// one Experiment per table (Table 1/8, 2, 3, 5, 6, 7, 9-10 and the
// super-network's ranking quality, Kendall tau), each producing its rows
// from the training, super-network and search machinery of search/pipeline
// under a Protocol (the paper's recipe or a reduced one, with seeds), and
// writing a markdown table (NAME.md) and the raw results (NAME.json)
// into an output directory. Report renders a directory's results as
// markdown, WriteHTML as an HTML page with a figure per experiment
// (html.go, figures.go; drawn from the JSON alone, so any earlier run can
// be looked at).
//
// Invariants:
//   - Runs are resumable. Every stand-alone training run checkpoints to
//     OUT/runs/KEY-sSEED.ckpt after each epoch and records its result in
//     OUT/runs/KEY-sSEED.json when done; a super-network checkpoints to
//     OUT/supernet-SPACE.ckpt; a run of searches to OUT/search-.../search.ckpt.
//     Running an experiment again skips what is done and continues what
//     was interrupted, with the same results as an uninterrupted run.
//   - Every row states the paper's number beside ours (or that the paper
//     has none for it: paper.go; the figures belong to the experiment
//     definition and are laid over results read from disk), the seeds, mean and standard deviation over them
//     (sample standard deviation, 0 for one seed), the commit, the machine
//     and the wall and CPU time it took in the process that ran it.
//   - The test set is used only to report stand-alone (retrained)
//     accuracies; searches rank candidates on D_val (the last 20% of the
//     training set) as in the paper.
//
// With Runner.Remote set (a fleet of workers, search/fleet), Run first
// plans an experiment's stand-alone runs (TrainJob, the run as data),
// hands the unfinished ones over at once and stores their results where a
// local run would (remote.go); the tables are then built from the files,
// equal to a local run's.
//
// The presets (Presets) are the training recipes the CLI's --preset names.
package experiments
