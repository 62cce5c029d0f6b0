// Package supernet is AutoSNN's one-shot weight-sharing super-network: it
// holds every candidate block of a search space (package search) at every
// block position with independent weights, between a shared stem, shared
// pooling layers and a shared head; trains them by single-path uniform
// sampling (Trainer); and evaluates candidate architectures with the
// inherited weights (Evaluator, a search.Evaluator), so that the
// evolutionary search of package search can rank thousands of
// architectures without training any of them.
//
// # Structure
//
// New lowers the space once per candidate (frontend.Lower with that
// candidate at every position) and builds, with search/engine/train's BuildBlock,
// each candidate block of each position from the graph that holds it; the
// shared layers (stem, the pools between positions, GAP and the classifier)
// are built with train.BuildPart from the space lowered with candidate 1.
// Block populations depend only on the position, the choice and the macro,
// so a path's layers are exactly those of the plain network of that
// architecture (TestPathMatchesNet checks losses, spikes and gradients
// against train.Build). It works for every space of package search and
// every input the frontend lowers, including 1x28x28 MNIST and 2x128x128
// DVS frames (frame encoding, extra stem layers).
//
// # Training
//
// Each mini-batch draws one architecture uniformly (every position's
// candidate independently) from a PCG seeded by (Hyper.Seed, 0x9a7b);
// weights come from a PCG seeded by (Hyper.Seed, 0x5eed) and the data
// order from train.DataSource's seed, so the same seed gives the same
// super-network bit for bit. The batch runs through the sampled path,
// gradients are computed along it, and Adam steps only the path's
// parameters (nn.Adam.StepIf): the parameters, the Adam moments and the
// Adam step counts of the other candidates are untouched, as are their
// batch-norm statistics.
//
// Difference from the reference: its training loop calls optimizer.step()
// on all parameters after zeroing every gradient, so the unsampled
// candidates receive Adam updates driven by their stale moments (a zero
// gradient still moves a parameter whose first moment is non-zero) and
// their step counts advance. Here an unsampled candidate does not move at
// all, which makes a candidate's weights depend only on the batches its
// position sampled it for.
//
// N_avg, the normaliser of the spike-aware fitness, is measured rather than
// hand-entered (the reference's search script holds a constant): the mean
// paper-metric spikes per image of the paths sampled during the last
// completed epoch, stored in the checkpoint. Checkpoints (format
// "autosnn-supernet v1": gob body and CRC-32, written atomically, like
// search/engine/train's) hold every tensor by name, the Adam state, the path
// PCG's state and the position inside the epoch, so a resumed run is
// bit-identical to an uninterrupted one.
//
// # Evaluation
//
// The Evaluator reads the validation split in order without augmentation
// (the reference read it with training augmentation), runs batch-norm in
// evaluation mode, and returns accuracy as a fraction and the paper's spike
// metric per image (neuron spikes of the stem, blocks and head plus the
// max-pool outputs), with per-population counts for chip-aware costs. It
// evaluates a call's architectures in one pass over the data as a prefix
// tree over positions: the stem runs once per batch and a node (a choice at
// a position after a given prefix) once per batch, depth first, reading its
// parent's activations from the parent's own layer buffers. Results are
// bit-identical to evaluating every architecture alone. Optional batch-norm
// recalibration (Evaluator.Recalib) re-estimates each candidate block's
// statistics on a few training batches along the candidate's path, again
// shared along the tree.
//
// Evaluation runs with the per-layer finite checks off, which lets package
// train take its fused inference paths (search/engine/train/fused.go): each
// block's stages run image by image and step by step in cache, and
// SuperNet's step links a block to the max-pool after it (train.LinkPool)
// so the block's output is pooled from cache instead of being written
// whole. The results are bit-identical to the layered path's
// (Evaluator.Layered, TestFusedEvaluationExact); see docs/performance.md,
// section Search, for the costs.
//
// # Concurrency
//
// A SuperNet, its Trainer and its Evaluator must be used by one goroutine
// at a time; the kernels underneath use the Env's worker goroutines.
package supernet
