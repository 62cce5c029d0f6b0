// Package backends describes the neuromorphic chips autosnn compiles for.
//
// A chip profile (Profile) is a YAML document that states, with the unit in
// every field name, what one multi-core network-on-chip (NoC) neuromorphic
// chip offers: the mesh of tiles and cores (and of chips on a board), the
// per-core limits the compiler must respect (neurons, fan-in, fan-out,
// synaptic memory, routing tables, numeric precision, neuron models), the NoC
// (routing, buffers, link bandwidth, hop latencies), the energy of each event
// (synaptic operation, neuron update, spike, hop), static power and the cost
// of the per-timestep barrier. Built-in profiles of published chips are
// embedded in the binary; each cites its sources and marks what is assumed.
//
// A profile that passed validation becomes a Target, the value the compiler
// passes (package passes), the virtual chip (package sim) and the
// chip-aware cost models of the search take. A Target adds derived
// quantities: total core count, the coordinates of a core, the route of a
// message link by link, hop counts per direction, the energy and zero-load
// latency of a message between two cores, and the barrier cost for n tiles.
//
// The route walk in route.go is the one definition of the chip's
// dimension-order routing: NextHop is the routing function a router
// applies, Walk (a cursor) and WalkRoute (a visitor) follow it hop by hop
// without allocating, and Route and Hops derive from them; the compiler's
// placement and the simulator's routers use these rather than routing on
// their own. Likewise ConnectivityOf is the one mapping from a projection's
// operator to the Connectivity kind that prices its synaptic operations.
//
// # Coordinates
//
// Cores are numbered 0..NumCores-1. Core id c lives on tile c / CoresPerTile
// (global tile id) at slot c % CoresPerTile of that tile. Global tile id g
// lives on chip g / TilesPerChip at local tile id g % TilesPerChip. Within a
// chip, local tile id i sits at x = i / TilesY, y = i % TilesY (the SANA-FE
// convention); chips are numbered the same way over the board (chip id k at
// chip column k / ChipsY, chip row k % ChipsY). The global mesh position of a
// tile is (chipX*TilesX + x, chipY*TilesY + y). East is +x, North is +y.
//
// # Invariants
//
// A Target is immutable after Lookup, Load or NewTarget returns it: its
// methods are safe for concurrent use and callers must not modify the slices
// of its Profile. Every Target method that takes a core id panics if the id
// is out of range (a bug in the caller; check with ValidCore first when the
// id comes from user input). Errors about bad profiles name the file (or
// "builtin:NAME") and the YAML field path, in got/want form.
//
// Zero in a limit field means "no limit of that kind" only where the field's
// doc comment says so; negative values are always invalid.
package backends
