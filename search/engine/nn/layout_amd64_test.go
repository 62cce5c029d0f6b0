//go:build amd64 && !purego

package nn

import (
	"testing"
	"unsafe"
)

// TestKernelLayouts checks the struct layout lifBwdAffAVX2 reads by offset.
func TestKernelLayouts(t *testing.T) {
	var r affRuns
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"affRuns.c", unsafe.Offsetof(r.c), 0},
		{"affRuns.sc", unsafe.Offsetof(r.sc), 8},
		{"affRuns.sh", unsafe.Offsetof(r.sh), 16},
		{"affRuns.inner", unsafe.Offsetof(r.inner), 24},
		{"affRuns.nch", unsafe.Offsetof(r.nch), 32},
		{"affRuns.ch", unsafe.Offsetof(r.ch), 40},
		{"affRuns.first", unsafe.Offsetof(r.first), 48},
	} {
		if c.got != c.want {
			t.Errorf("%s at %d, want %d (the assembly's offset)", c.name, c.got, c.want)
		}
	}
}
