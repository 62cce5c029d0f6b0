package dataset

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
)

// Frame cache file layout (all integers little-endian):
//
//	offset 0   magic "ASNNFRM1" (8 bytes)
//	offset 8   u32 sample count N, u32 T, u32 C (2), u32 H, u32 W
//	offset 28  u32 reserved (0)
//	offset 32  key: SHA-256 of the parameters and sources (32 bytes)
//	offset 64  N x u32 labels
//	then       N x T*C*H*W x u16 event counts, sample after sample
//
// A file is valid only if its size is exactly that of its header; files are
// written to a temporary name in the same directory, synced and renamed, so a
// crashed integration never leaves a partial cache under the final name.
const (
	frameMagic     = "ASNNFRM1"
	frameHeaderLen = 64
)

// frameFile is an open frame cache: sample frames are read on demand.
type frameFile struct {
	f      *os.File
	path   string
	n      int
	per    int // values per sample
	labels []int32
	data   int64 // offset of the frames
}

// cacheKey hashes everything the frames depend on.
type cacheKey struct{ h [32]byte }

func newCacheKey(parts ...any) cacheKey {
	s := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(s, "%v\x00", p)
	}
	var k cacheKey
	copy(k.h[:], s.Sum(nil))
	return k
}

func (k cacheKey) short() string { return hex.EncodeToString(k.h[:6]) }

// openFrameFile opens a cache file and checks it against key and geometry.
// A missing file returns an error satisfying errors.Is(err, fs.ErrNotExist).
func openFrameFile(path string, key cacheKey, g FrameGeometry) (*frameFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	ff, err := checkFrameFile(f, path, key, g)
	if err != nil {
		f.Close()
		return nil, err
	}
	return ff, nil
}

func checkFrameFile(f *os.File, path string, key cacheKey, g FrameGeometry) (*frameFile, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	var hdr [frameHeaderLen]byte
	if _, err := io.ReadFull(f, hdr[:]); err != nil {
		return nil, formatErrorf(path, 0, "expected a %d-byte frame cache header: %v", frameHeaderLen, err)
	}
	if string(hdr[:8]) != frameMagic {
		return nil, formatErrorf(path, 0, "expected frame cache magic %q, got %q", frameMagic, hdr[:8])
	}
	u := func(o int) int { return int(binary.LittleEndian.Uint32(hdr[o:])) }
	n, t, c, h, w := u(8), u(12), u(16), u(20), u(24)
	if t != g.T || c != 2 || h != g.H || w != g.W {
		return nil, formatErrorf(path, 12, "expected frames T=%d C=2 H=%d W=%d, got T=%d C=%d H=%d W=%d", g.T, g.H, g.W, t, c, h, w)
	}
	if string(hdr[32:64]) != string(key.h[:]) {
		return nil, formatErrorf(path, 32, "cache key does not match the requested parameters and source files")
	}
	per := g.Len()
	want := int64(frameHeaderLen) + 4*int64(n) + 2*int64(per)*int64(n)
	if st.Size() != want {
		return nil, formatErrorf(path, min(st.Size(), want), "expected a %d-byte frame cache for %d samples, file has %d bytes", want, n, st.Size())
	}
	lb := make([]byte, 4*n)
	if _, err := io.ReadFull(f, lb); err != nil {
		return nil, formatErrorf(path, frameHeaderLen, "reading labels: %v", err)
	}
	labels := make([]int32, n)
	for i := range labels {
		labels[i] = int32(binary.LittleEndian.Uint32(lb[4*i:]))
	}
	return &frameFile{f: f, path: path, n: n, per: per, labels: labels, data: frameHeaderLen + 4*int64(n)}, nil
}

// read reads the frames of sample i into dst (length per). raw, if it has
// room for 2*per bytes, is used as the byte buffer; otherwise one is
// allocated. Safe for concurrent use (ReadAt).
func (ff *frameFile) read(i int, dst []uint16, raw []byte) error {
	if i < 0 || i >= ff.n {
		panic(fmt.Sprintf("dataset: frame sample %d out of range [0,%d)", i, ff.n))
	}
	if len(dst) != ff.per {
		panic(fmt.Sprintf("dataset: frame buffer has %d values, want %d", len(dst), ff.per))
	}
	if cap(raw) < 2*ff.per {
		raw = make([]byte, 2*ff.per)
	}
	raw = raw[:2*ff.per]
	off := ff.data + int64(i)*int64(2*ff.per)
	if _, err := ff.f.ReadAt(raw, off); err != nil {
		return fmt.Errorf("dataset: frame cache %s: reading sample %d at offset %d: %w", ff.path, i, off, err)
	}
	for k := range dst {
		dst[k] = binary.LittleEndian.Uint16(raw[2*k:])
	}
	return nil
}

func (ff *frameFile) close() error { return ff.f.Close() }

// frameWriter writes a cache file atomically.
type frameWriter struct {
	f     *os.File
	w     *bufio.Writer
	final string
	left  int
	buf   []byte
}

func createFrameFile(path string, key cacheKey, g FrameGeometry, labels []int32) (*frameWriter, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("dataset: frame cache: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("dataset: frame cache: %w", err)
	}
	fw := &frameWriter{f: f, w: bufio.NewWriterSize(f, 1<<20), final: path, left: len(labels), buf: make([]byte, 2*g.Len())}
	var hdr [frameHeaderLen]byte
	copy(hdr[:], frameMagic)
	binary.LittleEndian.PutUint32(hdr[8:], uint32(len(labels)))
	binary.LittleEndian.PutUint32(hdr[12:], uint32(g.T))
	binary.LittleEndian.PutUint32(hdr[16:], 2)
	binary.LittleEndian.PutUint32(hdr[20:], uint32(g.H))
	binary.LittleEndian.PutUint32(hdr[24:], uint32(g.W))
	copy(hdr[32:], key.h[:])
	fw.w.Write(hdr[:])
	var b [4]byte
	for _, l := range labels {
		binary.LittleEndian.PutUint32(b[:], uint32(l))
		fw.w.Write(b[:])
	}
	return fw, nil
}

// add appends the frames of the next sample.
func (fw *frameWriter) add(frames []uint16) error {
	if fw.left == 0 {
		return errors.New("dataset: frame cache: more samples than declared")
	}
	fw.left--
	for k, v := range frames {
		binary.LittleEndian.PutUint16(fw.buf[2*k:], v)
	}
	_, err := fw.w.Write(fw.buf[:2*len(frames)])
	return err
}

// commit flushes, syncs and renames the file to its final name.
func (fw *frameWriter) commit() error {
	if fw.left != 0 {
		fw.abort()
		return fmt.Errorf("dataset: frame cache: %d samples missing", fw.left)
	}
	err := fw.w.Flush()
	if err == nil {
		err = fw.f.Sync()
	}
	if cerr := fw.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(fw.f.Name(), fw.final)
	}
	if err != nil {
		os.Remove(fw.f.Name())
		return fmt.Errorf("dataset: frame cache %s: %w", fw.final, err)
	}
	return nil
}

// abort removes the temporary file.
func (fw *frameWriter) abort() {
	fw.f.Close()
	os.Remove(fw.f.Name())
}

// eventItem is one sample of an event dataset before integration: the events
// of file in [Start, End) microseconds (End < 0: the whole recording).
type eventItem struct {
	File       string
	Label      int32
	Start, End int64
}

// eventReader parses one recording.
type eventReader func(path string) ([]Event, error)

// frameSource builds (or reuses) the frame cache of one part of an event
// dataset.
type frameSource struct {
	dataset, part string
	geom          FrameGeometry
	cacheDir      string
	items         []eventItem
	read          eventReader
	logf          func(string, ...any)
	// allowEmpty accepts samples without events (all-zero frames);
	// otherwise they are an error naming the file and the sample.
	allowEmpty bool
	// warnings collects what integration found suspicious but valid, in
	// sample order (see integrateFile).
	warnings []string
}

// open returns the cached frames, integrating the events first if no valid
// cache exists. Items of one file must be adjacent so each file is parsed
// once.
func (src *frameSource) open(ctxErr func() error) (*frameFile, error) {
	if err := src.geom.check(); err != nil {
		return nil, err
	}
	parts := []any{"frames-v1", src.dataset, src.part, src.geom.T, src.geom.Mode, src.geom.SensorH, src.geom.SensorW, src.geom.H, src.geom.W}
	for _, it := range src.items {
		st, err := os.Stat(it.File)
		if err != nil {
			return nil, fmt.Errorf("dataset: %s: %w", src.dataset, err)
		}
		parts = append(parts, it.File, st.Size(), st.ModTime().UnixNano(), it.Label, it.Start, it.End)
	}
	if src.allowEmpty {
		// A cache holding empty samples is not reused by a load that
		// refuses them (without the option, keys are as before).
		parts = append(parts, "allow-empty")
	}
	key := newCacheKey(parts...)
	path := filepath.Join(src.cacheDir, fmt.Sprintf("%s-%s-T%d-%s-%dx%d-%s.frames", src.dataset, src.part, src.geom.T, src.geom.Mode, src.geom.H, src.geom.W, key.short()))
	ff, err := openFrameFile(path, key, src.geom)
	if err == nil {
		w, werr := readWarnings(path)
		if werr != nil {
			src.logf("%v", werr)
		}
		for _, msg := range w {
			src.logf("warning: %s", msg)
		}
		src.warnings = w
		return ff, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		src.logf("frame cache %s unusable (%v); integrating again", path, err)
	}
	labels := make([]int32, len(src.items))
	for i, it := range src.items {
		labels[i] = it.Label
	}
	src.logf("integrating %d %s %s samples into %d frames (split by %s) -> %s", len(src.items), src.dataset, src.part, src.geom.T, src.geom.Mode, path)
	fw, err := createFrameFile(path, key, src.geom, labels)
	if err != nil {
		return nil, err
	}
	if err := src.integrateAll(fw, ctxErr); err != nil {
		fw.abort()
		return nil, err
	}
	if err := writeWarnings(path, src.warnings); err != nil {
		fw.abort()
		return nil, err
	}
	if err := fw.commit(); err != nil {
		return nil, err
	}
	return openFrameFile(path, key, src.geom)
}

// integrateAll parses and integrates the recordings with one worker per
// CPU and writes the frames in item order. Work proceeds in chunks of a few
// recordings so memory stays bounded; the output does not depend on the
// number of workers.
func (src *frameSource) integrateAll(fw *frameWriter, ctxErr func() error) error {
	type job struct{ lo, hi int } // items [lo, hi) share one file
	var jobs []job
	for i, it := range src.items {
		if i == 0 || it.File != src.items[i-1].File {
			jobs = append(jobs, job{i, i})
		}
		jobs[len(jobs)-1].hi = i + 1
	}
	workers := max(1, runtime.GOMAXPROCS(0))
	chunk := 2 * workers
	per := src.geom.Len()
	var buf []uint16
	done, nextLog := 0, len(src.items)/10
	for c0 := 0; c0 < len(jobs); c0 += chunk {
		if err := ctxErr(); err != nil {
			return err
		}
		c1 := min(c0+chunk, len(jobs))
		lo, hi := jobs[c0].lo, jobs[c1-1].hi
		if cap(buf) < (hi-lo)*per {
			buf = make([]uint16, (hi-lo)*per)
		}
		buf = buf[:(hi-lo)*per]
		errs := make([]error, c1-c0)
		warns := make([][]string, c1-c0)
		var wg sync.WaitGroup
		sem := make(chan struct{}, workers)
		for j := c0; j < c1; j++ {
			wg.Add(1)
			sem <- struct{}{}
			go func(j int) {
				defer func() { <-sem; wg.Done() }()
				jb := jobs[j]
				warns[j-c0], errs[j-c0] = src.integrateFile(jb.lo, src.items[jb.lo:jb.hi], buf[(jb.lo-lo)*per:(jb.hi-lo)*per])
			}(j)
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return err
			}
		}
		for _, w := range warns {
			for _, msg := range w {
				src.logf("warning: %s", msg)
			}
			src.warnings = append(src.warnings, w...)
		}
		for k := range hi - lo {
			if err := fw.add(buf[k*per : (k+1)*per]); err != nil {
				return fmt.Errorf("dataset: frame cache %s: %w", fw.final, err)
			}
		}
		done = hi
		if done >= nextLog && done < len(src.items) {
			src.logf("integrated %d of %d %s %s samples", done, len(src.items), src.dataset, src.part)
			nextLog = done + len(src.items)/10
		}
	}
	return nil
}

// integrateFile parses one recording and integrates its items (all of that
// file, the first being sample first of the part) into out, item after
// item. A sample without events is an error unless allowEmpty. A labelled
// segment that ends after the recording's last event gives a warning: AEDAT
// has no end marker, so a recording cut at a packet (or record) boundary
// reads as a complete file, and this is the only trace such a cut leaves.
func (src *frameSource) integrateFile(first int, items []eventItem, out []uint16) (warnings []string, err error) {
	ev, err := src.read(items[0].File)
	if err != nil {
		return nil, err
	}
	span := "the recording has no events (it ends after its header)"
	last := int64(-1)
	if len(ev) > 0 {
		t0 := ev[0].T
		for _, e := range ev {
			last = max(last, e.T)
			t0 = min(t0, e.T)
		}
		span = fmt.Sprintf("the recording's events span %d..%d us", t0, last)
	}
	per := src.geom.Len()
	for k, it := range items {
		seg := ev
		where := fmt.Sprintf("%s %s sample %d (class %d)", src.dataset, src.part, first+k, it.Label)
		if it.End >= 0 {
			seg = segment(ev, it.Start, it.End)
			where = fmt.Sprintf("%s %s sample %d (segment %d of the recording, class %d, %d..%d us)", src.dataset, src.part, first+k, k, it.Label, it.Start, it.End)
			// More than a tenth of the segment after the last event: the
			// sensor reports thousands of events per millisecond while a
			// hand moves, so a gap that long at the end means a cut.
			if len(ev) > 0 && len(seg) > 0 && it.End-last > (it.End-it.Start)/10 {
				warnings = append(warnings, fmt.Sprintf("%s: %s ends at %d us, after the last event (%d us): the recording may be cut short", it.File, where, it.End, last))
			}
		}
		if len(seg) == 0 && !src.allowEmpty {
			return nil, fmt.Errorf("dataset: %s: %s has no events; %s (Options.AllowEmpty, --allow-empty, keeps such samples as all-zero frames)", it.File, where, span)
		}
		if err := Integrate(seg, src.geom, out[k*per:(k+1)*per]); err != nil {
			return nil, fmt.Errorf("dataset: %s: %s: %w", it.File, where, err)
		}
	}
	return warnings, nil
}

// segment returns the events with Start <= T < End, in stream order.
func segment(ev []Event, start, end int64) []Event {
	var out []Event
	for _, e := range ev {
		if e.T >= start && e.T < end {
			out = append(out, e)
		}
	}
	return out
}
