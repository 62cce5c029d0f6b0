//go:build unix

package pipeline

import (
	"math"

	"golang.org/x/sys/unix"
)

// addressSpaceLimit returns the soft RLIMIT_AS (ulimit -v) in bytes, and
// false when it is unlimited or unknown.
func addressSpaceLimit() (int64, bool) {
	var r unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_AS, &r); err != nil || r.Cur == unix.RLIM_INFINITY || r.Cur > math.MaxInt64 {
		return 0, false
	}
	return int64(r.Cur), true
}
