// Package frontend reads model descriptions and lowers them to the IR, and
// reads the files that hold a graph: ReadGraph (and ReadModel, which stops
// before lowering) takes a training checkpoint, an IR directory or graph
// file, or an architecture, and recognises files by their content (the
// checkpoint's magic line, the IR document's autosnn_ir key, the HDF5
// signature of a NIR file), not their names. ImportNIR lowers a NIR graph
// (docs/nir.md) through the package's own pure-Go HDF5 reader
// (internal/hdf5). The checkpoint envelope (EncodeEnvelope: magic line, gob body,
// CRC-32) and the graph part of a checkpoint body (CheckpointGraph) are
// defined here, so that the compiler and the simulator read trained graphs
// without the training engine (search/engine/train writes and resumes the
// full checkpoints through them).
//
// A model description is an architecture spec: a small YAML file (or the
// compact block list used in papers, "SRB_k5,SRB_k5,skip,SRB_k3,SRB_k5", or
// the name of a built-in zoo entry) that names a macro architecture, the
// initial channel count C, the timesteps T, the input shape, the number of
// classes and, for searchable macros, the block chosen at each position.
// Lower turns a spec into an untrained ir.Graph whose populations carry the
// paper's layer names (stem, TBDb/Ll, pools, head).
//
// The block and macro definitions follow the AutoSNN paper (Na et al., ICML
// 2022) and its reference implementation as summarised in
// shared/spec/autosnn-reference.md sections 4 and 5; the hand-crafted
// baselines follow the papers that introduced them.
package frontend
