//go:build !unix

package pipeline

// addressSpaceLimit reports no address-space limit: this system has no
// RLIMIT_AS; only --max-memory and the files MachineMemory reads apply.
func addressSpaceLimit() (int64, bool) { return 0, false }
