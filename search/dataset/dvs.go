package dataset

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// dvsSensor is the resolution of the DVS128 sensor of both DVS datasets.
const dvsSensor = 128

// CIFAR10DVSTrainPercent: of every 1,000 recordings of a CIFAR10-DVS class,
// the first 900 by file number form the training set; the rest is the test
// set. For folders with other counts the same percentage applies (rounded
// down).
const CIFAR10DVSTrainPercent = 90

var gestureClassNames = []string{"hand_clapping", "right_hand_wave", "left_hand_wave", "right_arm_clockwise",
	"right_arm_counter_clockwise", "left_arm_clockwise", "left_arm_counter_clockwise", "arm_roll", "air_drums",
	"air_guitar", "other_gestures"}

func (o Options) geometry() FrameGeometry {
	return FrameGeometry{T: o.T, Mode: o.Integration, SensorH: dvsSensor, SensorW: dvsSensor, H: o.Size, W: o.Size}
}

// numericKey splits a file name into its text and its last number, for a
// natural order (cat_2 before cat_10).
func numericKey(name string) (string, int) {
	base := strings.TrimSuffix(name, filepath.Ext(name))
	end := len(base)
	start := end
	for start > 0 && unicode.IsDigit(rune(base[start-1])) {
		start--
	}
	n, err := strconv.Atoi(base[start:end])
	if err != nil {
		return base, -1
	}
	return base[:start], n
}

func naturalSort(names []string) {
	sort.Slice(names, func(i, j int) bool {
		ai, an := numericKey(names[i])
		bi, bn := numericKey(names[j])
		if ai != bi {
			return ai < bi
		}
		if an != bn {
			return an < bn
		}
		return names[i] < names[j]
	})
}

// LoadCIFAR10DVS loads CIFAR10-DVS from dir, which holds one folder per
// class (airplane ... truck) of AEDAT 2.0 recordings (*.aedat). In each
// class, the first 90% of the recordings in natural file-number order
// (900 of 1,000) are training samples and the rest test samples. The events
// are integrated into frames and cached (see Options).
func LoadCIFAR10DVS(ctx context.Context, dir string, opt Options) (*Set, error) {
	if err := opt.defaults(); err != nil {
		return nil, err
	}
	var train, test []eventItem
	for ci, cls := range cifar10ClassNames {
		cdir := filepath.Join(dir, cls)
		ents, err := os.ReadDir(cdir)
		if err != nil {
			return nil, fmt.Errorf("dataset: cifar10-dvs: class folder: %w", err)
		}
		var files []string
		for _, e := range ents {
			if !e.IsDir() && strings.EqualFold(filepath.Ext(e.Name()), ".aedat") {
				files = append(files, e.Name())
			}
		}
		if len(files) < 2 {
			return nil, fmt.Errorf("dataset: cifar10-dvs: %s holds %d .aedat files, want at least 2 (1,000 in the real dataset)", cdir, len(files))
		}
		naturalSort(files)
		cut := len(files) * CIFAR10DVSTrainPercent / 100
		for i, f := range files {
			it := eventItem{File: filepath.Join(cdir, f), Label: int32(ci), End: -1}
			if i < cut {
				train = append(train, it)
			} else {
				test = append(test, it)
			}
		}
	}
	read := func(p string) ([]Event, error) { return ReadAEDAT2File(p) }
	s := &Set{Name: "cifar10-dvs", Kind: Events, Source: dir, ClassNames: cifar10ClassNames, C: 2, H: opt.Size, W: opt.Size, T: opt.T}
	if err := s.openFrames(ctx, opt, train, test, read); err != nil {
		return nil, err
	}
	return s, s.finish(true)
}

func (s *Set) openFrames(ctx context.Context, opt Options, train, test []eventItem, read eventReader) error {
	g := opt.geometry()
	var parts [2]*frameFile
	for i, items := range [][]eventItem{train, test} {
		src := &frameSource{dataset: s.Name, part: []string{"train", "test"}[i], geom: g, cacheDir: opt.CacheDir, items: items, read: read, logf: opt.Logf, allowEmpty: opt.AllowEmpty}
		ff, err := src.open(ctx.Err)
		s.Warnings = append(s.Warnings, src.warnings...)
		if err != nil {
			if parts[0] != nil {
				parts[0].close()
			}
			return err
		}
		parts[i] = ff
	}
	s.train = &samples{labels: parts[0].labels, frames: parts[0]}
	s.test = &samples{labels: parts[1].labels, frames: parts[1]}
	return nil
}

// LoadDVSGesture loads DVS128 Gesture from dir (the DvsGesture folder):
// trials_to_train.txt and trials_to_test.txt list the recordings
// (userNN_lighting.aedat, AEDAT 3.1); each recording has a
// userNN_lighting_labels.csv with rows "class,startTime_usec,endTime_usec"
// (class 1..11). Every labelled row is one sample: the events with
// start <= t < end. Train/Val is the first/last part of the training
// samples in trial-list order (so Val holds the last users' recordings).
func LoadDVSGesture(ctx context.Context, dir string, opt Options) (*Set, error) {
	if err := opt.defaults(); err != nil {
		return nil, err
	}
	var parts [2][]eventItem
	for i, list := range []string{"trials_to_train.txt", "trials_to_test.txt"} {
		trials, err := readTrialList(filepath.Join(dir, list))
		if err != nil {
			return nil, err
		}
		for _, tr := range trials {
			aedat := filepath.Join(dir, tr)
			csv := filepath.Join(dir, strings.TrimSuffix(tr, filepath.Ext(tr))+"_labels.csv")
			segs, err := readGestureLabels(csv)
			if err != nil {
				return nil, err
			}
			for _, sg := range segs {
				sg.File = aedat
				parts[i] = append(parts[i], sg)
			}
		}
	}
	read := func(p string) ([]Event, error) { return ReadAEDAT31File(p, dvsSensor, dvsSensor) }
	s := &Set{Name: "dvs-gesture", Kind: Events, Source: dir, ClassNames: gestureClassNames, C: 2, H: opt.Size, W: opt.Size, T: opt.T}
	if err := s.openFrames(ctx, opt, parts[0], parts[1], read); err != nil {
		return nil, err
	}
	return s, s.finish(false)
}

// readTrialList reads a trials list: one .aedat file name per line, blank
// lines ignored.
func readTrialList(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: dvs-gesture: %w", err)
	}
	var out []string
	off := 0
	for _, line := range strings.SplitAfter(string(b), "\n") {
		name := strings.TrimSpace(line)
		if name != "" {
			if !strings.HasSuffix(name, ".aedat") || strings.ContainsAny(name, `/\`) {
				return nil, formatErrorf(path, int64(off), "expected a recording file name ending in .aedat, got %q", name)
			}
			out = append(out, name)
		}
		off += len(line)
	}
	if len(out) == 0 {
		return nil, formatErrorf(path, 0, "expected at least one recording name, file lists none")
	}
	return out, nil
}

// readGestureLabels reads a DVS Gesture label CSV: a header line
// "class,startTime_usec,endTime_usec", then rows of class 1..11 and
// start < end in microseconds. Labels become 0..10.
func readGestureLabels(path string) ([]eventItem, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: dvs-gesture: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	var out []eventItem
	off := int64(0)
	for lineNo := 0; sc.Scan(); lineNo++ {
		line := sc.Text()
		here := off
		off += int64(len(line)) + 1
		text := strings.TrimSpace(line)
		if lineNo == 0 {
			if !strings.HasPrefix(text, "class") {
				return nil, formatErrorf(path, 0, "expected the header class,startTime_usec,endTime_usec, got %q", text)
			}
			continue
		}
		if text == "" {
			continue
		}
		fields := strings.Split(text, ",")
		if len(fields) != 3 {
			return nil, formatErrorf(path, here, "line %d: expected 3 fields class,start,end, got %d", lineNo+1, len(fields))
		}
		var v [3]int64
		for k, fl := range fields {
			n, err := strconv.ParseInt(strings.TrimSpace(fl), 10, 64)
			if err != nil {
				return nil, formatErrorf(path, here, "line %d: expected an integer in field %d, got %q", lineNo+1, k+1, fl)
			}
			v[k] = n
		}
		if v[0] < 1 || v[0] > 11 {
			return nil, formatErrorf(path, here, "line %d: expected a class 1..11, got %d", lineNo+1, v[0])
		}
		if v[1] < 0 || v[2] <= v[1] {
			return nil, formatErrorf(path, here, "line %d: expected 0 <= start < end, got start %d end %d", lineNo+1, v[1], v[2])
		}
		out = append(out, eventItem{Label: int32(v[0] - 1), Start: v[1], End: v[2]})
	}
	if err := sc.Err(); err != nil {
		return nil, formatErrorf(path, off, "reading labels: %v", err)
	}
	if len(out) == 0 {
		return nil, formatErrorf(path, off, "expected at least one labelled segment, file has none")
	}
	return out, nil
}
