// Package train assembles trainable spiking networks from the IR and trains
// them: network assembly (Build), the training loop (Trainer), evaluation
// with the paper's per-layer spike view (Evaluate), and checkpoints that
// resume bit-identically and export the weighted IR the compiler reads
// (ReadCheckpoint).
//
// # From the IR to layers
//
// Build turns an *ir.Graph into a *Net, population by population. Each
// population becomes a stage: the outputs of its incoming projections are
// summed (a second projection into the same population is a residual add)
// and fed to its neuron layer. Projections map to layers of package
// search/nn:
//
//	IR                                  layers (search/nn)
//	Conv2D [+ BatchNorm]                Conv2d [+ BatchNorm]; from a spike map with
//	                                    stride 1: spikeConv (event-driven, below)
//	Dense [+ BatchNorm]                 Linear [+ BatchNorm]
//	MaxPool                             MaxPool2d (counted in the paper's metric)
//	AvgPool (also global average pool)  AvgPool2d
//	Identity                            none: the source tensor itself
//	population PLIF / LIF / IF          Neuron (fused multi-step forward/backward)
//	population ReLU                     ReLU (ANN mode)
//	population Relay                    none: the summed input is the output
//	Graph.Vote > 1                      Vote (mean of groups of Vote outputs)
//	Graph.Loss                          MSERateLoss or CrossEntropyLoss
//
// Under direct encoding the projections from the input population run once
// per batch on the static image ([1, N, C, H, W]) and their sum is repeated
// T times (nn.Repeat) in front of the neuron, so the stem batch-norm updates
// its running statistics once per batch, as in the reference. Under frame
// encoding the input is [T, N, C, H, W] and everything runs per step.
//
// Parameter names follow the PyTorch reference (search/train/testdata):
// "stem.conv", "blocks.<i>.conv1", "blocks.<i>.shortcut.bn", "pools.<j>",
// "gap.plif", "fc", "fc_plif"; populations outside the SNN macro roles are
// named after the population ("<pop>.conv", "<pop>.bn", "<pop>.<model>").
//
// # Event-driven convolutions
//
// A stride-1 convolution whose source outputs spikes (spiking neurons, or a
// max-pool over them) computes its forward pass and its filter gradient
// event by event: every nonzero input adds, per kernel row, one contiguous
// AXPY of K*Cout floats into an image kept in HWC order, so the zeros of a
// sparse spike map cost nothing. On amd64 the whole event loop of an image
// (index split, border clipping, row AXPYs) is one AVX2/FMA assembly call,
// with the same fused multiply-adds in the same order as the Go loop. The
// event list comes from the spiking neurons that produced the input, which
// record their spikes while the output is in cache (nn.EventList, training
// mode), or else from an AVX2 scan of each image; the filter gradient
// reuses it. HWC<->CHW conversions are 8x8 register transposes. Above 30%
// input density, and for the backward-data pass (whose output gradient is
// dense), the dense kernels of search/tensor are used (the input gradient
// of 3x3 and 5x5 convolutions by Winograd's algorithm). The sums are the
// dense kernels' in another order (float tolerance); Env.DenseConv turns
// the event-driven path off.
//
// A stage fed by one projection ending in a batch-norm, with spiking
// neurons, never writes the normalised tensor: the batch-norm only computes
// its statistics (nn.BatchNorm.Defer) and the neurons apply its affine map
// as they read their input (bit-identical). The per-stage sums, gradient
// accumulations and NaN/Inf screens are split across the workers
// (nn.Workers.Add, CheckFinite).
//
// # Fused inference
//
// In evaluation mode with Env.CheckFinite off, consecutive stages of the
// shape "spike conv -> batch-norm [+ second conv-BN or identity shortcut]
// -> PLIF/LIF/IF" run as one group image by image and step by step in
// cache, max-pool relays of spike maps run without window indices, and a
// block's last stage may feed the max-pool after it from cache (LinkPool);
// outputs are bit-identical to the layered path's (fused.go).
//
// A stage list with one entry population is a segment; a Net is the segment
// of all populations after the input, and BuildBlock builds the segment of one
// block position, so a super-network can hold every candidate block at every
// position with its own weights and run one sampled path per batch.
//
// # Invariants
//
//   - Everything random comes from the *rand.Rand given to Build (weights)
//     and from the trainer's seed (data order, augmentation); the kernels are
//     deterministic for any number of workers, so a run is reproducible bit
//     for bit, and a run resumed from a checkpoint continues exactly as the
//     uninterrupted run would have.
//   - Export produces a new graph; the Net never aliases the IR it was built
//     from after Build returns.
//   - Non-finite values stop training with a *nn.NonFiniteError naming the
//     layer and the step; checkpoints are written atomically, so the last
//     good one stays intact.
package train
