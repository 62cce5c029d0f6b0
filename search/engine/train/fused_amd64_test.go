//go:build amd64 && !purego

package train

import (
	"testing"
	"unsafe"
)

// TestKernelLayouts checks the struct layouts the assembly kernels read by
// offset.
func TestKernelLayouts(t *testing.T) {
	var p eventParams
	var e pixEntry
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"eventParams.plane", unsafe.Offsetof(p.plane), 8},
		{"eventParams.kcout4", unsafe.Offsetof(p.kcout4), 16},
		{"eventParams.owcout4", unsafe.Offsetof(p.owcout4), 24},
		{"eventParams.cinStride", unsafe.Offsetof(p.cinStride), 32},
		{"pixEntry size", unsafe.Sizeof(e), 16},
		{"pixEntry.rows", unsafe.Offsetof(e.rows), 12},
	} {
		if c.got != c.want {
			t.Errorf("%s at %d, want %d (the assembly's offset)", c.name, c.got, c.want)
		}
	}
}
