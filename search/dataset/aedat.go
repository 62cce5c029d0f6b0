package dataset

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
)

// ReadAEDAT2File reads an AEDAT 2.0 file; see ReadAEDAT2.
func ReadAEDAT2File(path string) ([]Event, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	defer f.Close()
	return ReadAEDAT2(f, path)
}

// ReadAEDAT2 reads an AEDAT 2.0 stream as recorded by jAER for a DVS128
// sensor (the CIFAR10-DVS format): header lines that start with '#' (the
// first must be "#!AER-DAT2.0"), then 8-byte big-endian records
// (uint32 address, uint32 timestamp in microseconds). Addresses decode as
// x = 127 - ((a & 0xFE) >> 1), y = (a & 0x7F00) >> 8, p = 1 - (a & 1).
// name is used in errors.
func ReadAEDAT2(r io.Reader, name string) ([]Event, error) {
	c := &countingReader{r: r}
	br := bufio.NewReaderSize(c, 1<<16)
	off := int64(0)
	first := true
	for {
		b, err := br.Peek(1)
		if err != nil {
			if errors.Is(err, io.EOF) {
				if first {
					return nil, formatErrorf(name, 0, "expected an AEDAT 2.0 header line #!AER-DAT2.0, file is empty")
				}
				return nil, nil // header only, no events
			}
			return nil, formatErrorf(name, off, "reading header: %v", err)
		}
		if b[0] != '#' {
			if first {
				return nil, formatErrorf(name, off, "expected an AEDAT 2.0 header line #!AER-DAT2.0, got byte 0x%02x", b[0])
			}
			break
		}
		line, err := br.ReadSlice('\n')
		if err != nil {
			if errors.Is(err, bufio.ErrBufferFull) {
				return nil, formatErrorf(name, off, "expected a header line ending in a newline within %d bytes", br.Size())
			}
			return nil, formatErrorf(name, off+int64(len(line)), "truncated header line: expected a newline")
		}
		if first && !bytes.HasPrefix(line, []byte("#!AER-DAT2.")) {
			return nil, formatErrorf(name, off, "expected the AEDAT 2.0 header line #!AER-DAT2.0, got %q", bytes.TrimRight(line, "\r\n"))
		}
		first = false
		off += int64(len(line))
	}
	dataStart := off
	var ev []Event
	var rec [8]byte
	var order byteOrderCheck
	for {
		n, err := io.ReadFull(br, rec[:])
		if n == 0 && errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, formatErrorf(name, off, "truncated event: expected 8 bytes (address, timestamp), got %d; %d events read after the header at offset %d", n, len(ev), dataStart)
			}
			return nil, formatErrorf(name, off, "reading events: %v", err)
		}
		a := binary.BigEndian.Uint32(rec[0:4])
		t := binary.BigEndian.Uint32(rec[4:8])
		order.add(a, t, off)
		ev = append(ev, Event{
			T: int64(t),
			X: uint16(127 - ((a & 0xFE) >> 1)),
			Y: uint16((a & 0x7F00) >> 8),
			P: uint8(1 - (a & 1)),
		})
		off += 8
	}
	if err := order.check(name, len(ev)); err != nil {
		return nil, err
	}
	return ev, nil
}

// dvs128AddrBits is the width of a DVS128 address in AEDAT 2.0 (polarity
// bit 0, x bits 1-7, y bits 8-14); jAER uses bit 15 for special events.
const dvs128AddrBits = 16

// byteOrderCheck tells big-endian AEDAT 2.0 records from records written in
// the wrong byte order, which parse just as well: read big-endian, a
// little-endian address has its x and y bytes above bit 16 and its
// timestamps jump back and forth. It counts, for the records as read and as
// byte-swapped, the addresses with bits above the DVS128 address and the
// timestamps smaller than the previous one.
type byteOrderCheck struct {
	n                    int
	wide, back           int // as read
	swWide, swBack       int // byte-swapped
	prevT, prevSwT       uint32
	firstWide, firstBack int64 // offsets of the first offending records
}

func (c *byteOrderCheck) add(a, t uint32, off int64) {
	sa, st := bits.ReverseBytes32(a), bits.ReverseBytes32(t)
	if a>>dvs128AddrBits != 0 {
		if c.wide == 0 {
			c.firstWide = off
		}
		c.wide++
	}
	if sa>>dvs128AddrBits != 0 {
		c.swWide++
	}
	if c.n > 0 {
		if t < c.prevT {
			if c.back == 0 {
				c.firstBack = off + 4
			}
			c.back++
		}
		if st < c.prevSwT {
			c.swBack++
		}
	}
	c.prevT, c.prevSwT = t, st
	c.n++
}

// check returns a FormatError when most addresses are too wide for the
// DVS128 or more than a quarter of the timestamps go backwards (32-bit
// timestamps wrap once every 71 minutes; recordings last seconds).
func (c *byteOrderCheck) check(name string, n int) error {
	wide := 2*c.wide > n
	back := n >= 4 && 4*c.back > n-1
	if !wide && !back {
		return nil
	}
	off := c.firstWide
	if !wide {
		off = c.firstBack
	}
	hint := "the records are not DVS128 events"
	if 2*c.swWide <= n && (n < 4 || 4*c.swBack <= n-1) {
		hint = "read byte-swapped they are plausible: the file was written little-endian, but AEDAT 2.0 is big-endian"
	}
	return formatErrorf(name, off, "implausible events for the 128x128 sensor: %d of %d addresses use bits above bit %d and %d of %d timestamps go backwards; %s", c.wide, n, dvs128AddrBits-1, c.back, max(0, n-1), hint)
}

// AEDAT 3.1 packet header field layout (28 bytes, little-endian).
const (
	aedat3HeaderLen    = 28
	aedat3Polarity     = 1 // event type of polarity events
	aedat3PolaritySize = 8
	aedat3MaxPacket    = 1 << 30 // bytes of one packet's events
)

// ReadAEDAT31File reads an AEDAT 3.1 file; see ReadAEDAT31.
func ReadAEDAT31File(path string, sensorW, sensorH int) ([]Event, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	defer f.Close()
	return ReadAEDAT31(f, path, sensorW, sensorH)
}

// ReadAEDAT31 reads the polarity events of an AEDAT 3.1 stream (the DVS128
// Gesture format): a text header from "#!AER-DAT3.1" up to and including
// "#!END-HEADER\r\n", then packets, each a 28-byte little-endian header
// (u16 type, u16 source, u32 event size, u32 timestamp offset,
// u32 timestamp overflow, u32 capacity, u32 number, u32 valid) followed by
// capacity*size bytes of events. Polarity events (type 1, 8 bytes: u32 data,
// u32 timestamp) decode as x = (data >> 17) & 0x7FFF, y = (data >> 2) & 0x7FFF,
// p = (data >> 1) & 1; bit 0 is the validity mark and invalid events are
// skipped; the timestamp is ts | overflow<<31 microseconds. Packets of other
// types are skipped. Events outside sensorW x sensorH are an error.
func ReadAEDAT31(r io.Reader, name string, sensorW, sensorH int) ([]Event, error) {
	c := &countingReader{r: r}
	br := bufio.NewReaderSize(c, 1<<16)
	off := int64(0)
	for lineNo := 0; ; lineNo++ {
		line, err := br.ReadSlice('\n')
		if err != nil {
			if errors.Is(err, bufio.ErrBufferFull) {
				return nil, formatErrorf(name, off, "expected a header line ending in a newline within %d bytes", br.Size())
			}
			return nil, formatErrorf(name, off+int64(len(line)), "truncated header: expected a line ending in a newline up to #!END-HEADER")
		}
		if lineNo == 0 && !bytes.HasPrefix(line, []byte("#!AER-DAT3.")) {
			return nil, formatErrorf(name, 0, "expected the AEDAT 3 header line #!AER-DAT3.1, got %q", truncateForMsg(line))
		}
		if len(line) == 0 || line[0] != '#' {
			return nil, formatErrorf(name, off, "expected a header line starting with '#', got %q", truncateForMsg(line))
		}
		off += int64(len(line))
		if bytes.Equal(bytes.TrimRight(line, "\r\n"), []byte("#!END-HEADER")) {
			break
		}
	}
	var ev []Event
	var hdr [aedat3HeaderLen]byte
	var buf []byte
	for {
		n, err := io.ReadFull(br, hdr[:])
		if n == 0 && errors.Is(err, io.EOF) {
			return ev, nil
		}
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, formatErrorf(name, off, "truncated packet header: expected %d bytes, got %d", aedat3HeaderLen, n)
			}
			return nil, formatErrorf(name, off, "reading packet header: %v", err)
		}
		typ := binary.LittleEndian.Uint16(hdr[0:2])
		size := binary.LittleEndian.Uint32(hdr[4:8])
		tsOff := binary.LittleEndian.Uint32(hdr[8:12])
		overflow := binary.LittleEndian.Uint32(hdr[12:16])
		capacity := binary.LittleEndian.Uint32(hdr[16:20])
		number := binary.LittleEndian.Uint32(hdr[20:24])
		valid := binary.LittleEndian.Uint32(hdr[24:28])
		if number > capacity || valid > number {
			return nil, formatErrorf(name, off+20, "expected packet event counts valid <= number <= capacity, got valid %d number %d capacity %d", valid, number, capacity)
		}
		if capacity > 0 && size == 0 {
			return nil, formatErrorf(name, off+4, "expected a positive event size for a packet of %d events", capacity)
		}
		bodyLen := uint64(size) * uint64(capacity)
		if bodyLen > aedat3MaxPacket {
			return nil, formatErrorf(name, off+4, "packet declares %d bytes of events (size %d x capacity %d), more than the %d-byte limit", bodyLen, size, capacity, aedat3MaxPacket)
		}
		if typ == aedat3Polarity && (size != aedat3PolaritySize || tsOff != 4) {
			return nil, formatErrorf(name, off+4, "expected polarity events of 8 bytes with the timestamp at byte 4, got size %d timestamp offset %d", size, tsOff)
		}
		bodyOff := off + aedat3HeaderLen
		if uint64(cap(buf)) < bodyLen {
			buf = make([]byte, 0, min(bodyLen, 1<<20))
		}
		body, err := readGrowing(br, buf[:0], int(bodyLen))
		if err != nil {
			return nil, formatErrorf(name, bodyOff+int64(len(body)), "truncated packet: expected %d bytes of events (type %d, %d x %d bytes), file ends after %d", bodyLen, typ, capacity, size, len(body))
		}
		buf = body
		if typ == aedat3Polarity {
			for k := range int(number) {
				d := binary.LittleEndian.Uint32(body[k*8:])
				ts := binary.LittleEndian.Uint32(body[k*8+4:])
				if d&1 == 0 {
					continue // invalid event
				}
				x := (d >> 17) & 0x7FFF
				y := (d >> 2) & 0x7FFF
				if int(x) >= sensorW || int(y) >= sensorH {
					return nil, formatErrorf(name, bodyOff+int64(k*8), "expected a polarity event inside the %dx%d sensor, got x=%d y=%d", sensorW, sensorH, x, y)
				}
				ev = append(ev, Event{T: int64(ts) | int64(overflow)<<31, X: uint16(x), Y: uint16(y), P: uint8((d >> 1) & 1)})
			}
		}
		off = bodyOff + int64(bodyLen)
	}
}

// readGrowing reads exactly n bytes into buf (appending, growing it at most
// geometrically as data arrives). On a short read it returns what it got and
// an error.
func readGrowing(r io.Reader, buf []byte, n int) ([]byte, error) {
	for len(buf) < n {
		if len(buf) == cap(buf) {
			nb := make([]byte, len(buf), min(n, 2*cap(buf)+4096))
			copy(nb, buf)
			buf = nb
		}
		m, err := io.ReadFull(r, buf[len(buf):min(n, cap(buf))])
		buf = buf[:len(buf)+m]
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

func truncateForMsg(b []byte) []byte {
	b = bytes.TrimRight(b, "\r\n")
	if len(b) > 40 {
		b = append(b[:40:40], "..."...)
	}
	return b
}
