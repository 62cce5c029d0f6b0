package hdf5

import (
	"fmt"
	"math/bits"
)

// lookup3 is Bob Jenkins' hashlittle (lookup3.c, 2006) with initial value
// init: the checksum of HDF5's version-2 structures (H5_checksum_lookup3).
func lookup3(k []byte, init uint32) uint32 {
	a := 0xdeadbeef + uint32(len(k)) + init
	b, c := a, a
	le := func(p []byte) uint32 {
		return uint32(p[0]) | uint32(p[1])<<8 | uint32(p[2])<<16 | uint32(p[3])<<24
	}
	for len(k) > 12 {
		a += le(k[0:])
		b += le(k[4:])
		c += le(k[8:])
		a -= c
		a ^= bits.RotateLeft32(c, 4)
		c += b
		b -= a
		b ^= bits.RotateLeft32(a, 6)
		a += c
		c -= b
		c ^= bits.RotateLeft32(b, 8)
		b += a
		a -= c
		a ^= bits.RotateLeft32(c, 16)
		c += b
		b -= a
		b ^= bits.RotateLeft32(a, 19)
		a += c
		c -= b
		c ^= bits.RotateLeft32(b, 4)
		b += a
		k = k[12:]
	}
	if len(k) == 0 {
		return c
	}
	var tail [12]byte
	copy(tail[:], k)
	a += le(tail[0:])
	b += le(tail[4:])
	c += le(tail[8:])
	c ^= b
	c -= bits.RotateLeft32(b, 14)
	a ^= c
	a -= bits.RotateLeft32(c, 11)
	b ^= a
	b -= bits.RotateLeft32(a, 25)
	c ^= b
	c -= bits.RotateLeft32(b, 16)
	a ^= c
	a -= bits.RotateLeft32(c, 4)
	b ^= a
	b -= bits.RotateLeft32(a, 14)
	c ^= b
	c -= bits.RotateLeft32(b, 24)
	return c
}

// checkSum verifies that the 4 bytes after body are lookup3(body).
func checkSum(what string, body, sum []byte) error {
	if len(sum) < 4 {
		return fmt.Errorf("%s: truncated checksum", what)
	}
	want := uint32(sum[0]) | uint32(sum[1])<<8 | uint32(sum[2])<<16 | uint32(sum[3])<<24
	if got := lookup3(body, 0); got != want {
		return fmt.Errorf("%s: checksum %#08x, stored %#08x", what, got, want)
	}
	return nil
}
