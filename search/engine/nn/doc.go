// Package nn holds the layers of the spiking-network training engine: each a
// small module with an explicit multi-step forward over T timesteps and an
// explicit backward (backpropagation through time), with the exact semantics
// of the AutoSNN reference (PyTorch + SpikingJelly; see
// shared/spec/autosnn-reference.md sections 1-6). Networks are assembled from
// these layers elsewhere (package search/engine/train); this package knows nothing
// of architectures.
//
// # Layout and the module contract
//
// Activations are dense float32 [Tensor]s in row-major order whose first
// dimension is time: a convolutional activation is [T, N, C, H, W], a
// fully-connected one [T, N, F]. Static images enter with T = 1 and are
// broadcast to T steps by [Repeat] (direct encoding: the stem conv and BN run
// once per image).
//
// Every single-input layer implements [Layer]:
//
//   - Forward consumes a whole sequence of T steps and returns the output.
//     Neuron state (membrane potential) starts at 0 in every Forward call, so
//     state is reset per mini-batch by construction.
//   - Backward takes dL/dy for the last Forward and returns dL/dx, adding
//     parameter gradients into Param.Grad (callers zero them with [ZeroGrad]
//     once per optimiser step).
//   - Params lists the learnable tensors by dotted name ("blocks.2.conv1.weight");
//     [BatchNorm] also lists its running statistics through [Buffered].
//
// Which types implement which interface:
//
//	type            Layer  Container  Buffered  SpikeCounter  params
//	Conv2d          yes                                       weight
//	Linear          yes                                       weight
//	BatchNorm       yes               yes                     weight, bias (+ running_mean, running_var)
//	Neuron          yes                         yes           w (PLIF only)
//	ReLU            yes
//	MaxPool2d       yes                         yes
//	AvgPool2d       yes
//	GlobalAvgPool   yes
//	Flatten         yes
//	Repeat          yes
//	Vote            yes
//	Sequential      yes    yes                                children's
//	Residual        yes    yes                                children's
//	Add             two-input node (Forward(a, b), Backward -> (da, db))
//	MSERateLoss, CrossEntropyLoss   losses: Forward(x, labels) -> loss, Backward() -> dL/dx
//	SpikeRegularizer                spike penalty: Value, and Apply to Neuron.SpikeRegBeta
//	Adam                            optimiser with exportable per-parameter state
//
// Layer constructors take a *rand.Rand for initialisation and a
// *tensor.Workspace for the convolution/GEMM kernels; Neuron, BatchNorm,
// MaxPool2d, AvgPool2d and Repeat take an optional *Workers (set on a whole
// network with UseWorkers; WorkersOf runs them on the goroutines of the
// network's tensor.Workspace) to split their elementwise work. None of these
// share mutable state between layers except the scratch memory of the
// Workspace and Workers, which must therefore be used by one goroutine at a
// time. Results are deterministic and independent of the worker count.
//
// # Aliasing and lifetime
//
// A returned tensor is owned by the layer that returned it and stays valid
// until that layer's next Forward (outputs) or Backward (input gradients).
// Layers keep a reference to their input for the backward pass instead of
// copying it, so a caller must not modify an input between Forward and
// Backward. Buffers are reused across calls: in steady state (same shapes)
// Forward and Backward do not allocate. [Flatten] returns views sharing the
// input's data; [Add] returns dy itself as both input gradients.
//
// # Semantics kept from the reference
//
//   - BatchNorm is called per timestep: in training, statistics are computed
//     over (N, H, W) of each step separately and the running statistics are
//     updated once per step (T times per Forward; once for the T = 1 stem).
//   - PLIF: H = V + k(X - V), k = sigmoid(w); S = [H >= 1]; V = H(1 - S) with S
//     detached; ATan surrogate dS/dH = 1/(1 + (pi (H - 1))^2) (alpha = 2).
//   - Max pooling routes gradient to the first maximum of each window in
//     row-major order, as PyTorch does; ties are the rule on spike maps.
//
// # Bad input and non-finite values
//
// Shape mismatches return an error naming the layer and the shapes ("nn:
// blocks.2.conv1: input has shape [...], want [T N 8 H W]"); constructors
// panic only on impossible hyper-parameters (a non-positive channel count),
// which an assembler validates first. [CheckFinite] scans a tensor for NaN or
// Inf and returns a [NonFiniteError] naming the layer and the training step;
// [FirstNonFinite] finds the first layer of a network (in forward order)
// whose last output is not finite, and [CheckParams] the first bad parameter
// or gradient.
//
// # Fused layers
//
// A [BatchNorm] with Defer set computes its statistics but returns its input
// unnormalised; the [Neuron] whose In is that batch-norm applies the affine
// map as it reads its input, with the same bits as the separate layers. A
// Neuron (or a MaxPool2d over spikes) given an [EventList] records the
// positions of its spikes in training mode, for the event-driven
// convolutions it feeds. [Neuron.BackwardSum] and [MaxPool2d.BackwardSum]
// take an output gradient given as two tensors and add them as they read
// them. [Neuron] saves only its membrane potential H for the backward pass
// (4 bytes per neuron and step; spikes are recomputed from it).
//
// On amd64 with AVX2 (and without the purego tag) the elementwise loops run
// in assembly (simd_amd64.s; simd_other.go is the portable build) with the
// same bits as the Go loops, except the PLIF's dL/dk partial sum, which is
// accumulated in 8 lanes. How these fusions and kernels work and what they
// gain: docs/performance.md, "Training engine: how the kernels are built".
package nn
