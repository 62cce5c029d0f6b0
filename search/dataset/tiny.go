package dataset

import (
	"bufio"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// LoadTinyImageNet loads Tiny-ImageNet-200 from dir (the tiny-imagenet-200
// folder or its parent): wnids.txt lists the 200 class ids (label = line
// number); train/<wnid>/images/*.JPEG are the 100,000 training images (500
// per class, taken in natural file order); val/images/*.JPEG with
// val/val_annotations.txt (file, wnid, box) are the 10,000 labelled
// validation images, used as the Test split because the official test
// labels are not public. Images must be 64x64; greyscale images are
// replicated to three channels. Class names come from words.txt when
// present. Train/Val is stratified per class.
func LoadTinyImageNet(ctx context.Context, dir string) (*Set, error) {
	dir = findDir(dir, "tiny-imagenet-200", "wnids.txt", "train", "val")
	wnids, err := readNames(filepath.Join(dir, "wnids.txt"), -1, nil)
	if err != nil {
		return nil, err
	}
	classOf := map[string]int{}
	for i, w := range wnids {
		if _, dup := classOf[w]; dup {
			return nil, fmt.Errorf("dataset: %s: class id %q listed twice", filepath.Join(dir, "wnids.txt"), w)
		}
		classOf[w] = i
	}
	var trainFiles []string
	var trainLabels []int32
	for i, w := range wnids {
		idir := filepath.Join(dir, "train", w, "images")
		ents, err := os.ReadDir(idir)
		if err != nil {
			return nil, fmt.Errorf("dataset: tiny-imagenet: %w", err)
		}
		var names []string
		for _, e := range ents {
			if !e.IsDir() && strings.EqualFold(filepath.Ext(e.Name()), ".jpeg") {
				names = append(names, e.Name())
			}
		}
		if len(names) == 0 {
			return nil, fmt.Errorf("dataset: tiny-imagenet: %s holds no .JPEG images", idir)
		}
		naturalSort(names)
		for _, n := range names {
			trainFiles = append(trainFiles, filepath.Join(idir, n))
			trainLabels = append(trainLabels, int32(i))
		}
	}
	valFiles, valLabels, err := readValAnnotations(filepath.Join(dir, "val", "val_annotations.txt"), filepath.Join(dir, "val", "images"), classOf)
	if err != nil {
		return nil, err
	}
	tr, err := decodeJPEGs(ctx, trainFiles, trainLabels)
	if err != nil {
		return nil, err
	}
	te, err := decodeJPEGs(ctx, valFiles, valLabels)
	if err != nil {
		return nil, err
	}
	names := readWords(filepath.Join(dir, "words.txt"), wnids)
	s := &Set{Name: "tiny-imagenet", Kind: Static, Source: dir, ClassNames: names, C: 3, H: 64, W: 64, train: tr, test: te}
	s.Mean, s.Std, s.NormSource = normFor(s.Name)
	return s, s.finish(true)
}

// readValAnnotations reads val_annotations.txt: tab-separated rows
// "file wnid x0 y0 x1 y1".
func readValAnnotations(path, imgDir string, classOf map[string]int) ([]string, []int32, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("dataset: tiny-imagenet: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	var files []string
	var labels []int32
	off := int64(0)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		here := off
		off += int64(len(text)) + 1
		if strings.TrimSpace(text) == "" {
			continue
		}
		fields := strings.Split(text, "\t")
		if len(fields) < 2 {
			return nil, nil, formatErrorf(path, here, "line %d: expected tab-separated file name and class id, got %q", line, text)
		}
		c, ok := classOf[fields[1]]
		if !ok {
			return nil, nil, formatErrorf(path, here, "line %d: expected a class id from wnids.txt, got %q", line, fields[1])
		}
		if strings.ContainsAny(fields[0], `/\`) {
			return nil, nil, formatErrorf(path, here, "line %d: expected a plain file name, got %q", line, fields[0])
		}
		files = append(files, filepath.Join(imgDir, fields[0]))
		labels = append(labels, int32(c))
	}
	if err := sc.Err(); err != nil {
		return nil, nil, formatErrorf(path, off, "reading: %v", err)
	}
	if len(files) == 0 {
		return nil, nil, formatErrorf(path, 0, "expected validation annotations, file has none")
	}
	return files, labels, nil
}

// readWords maps class ids to the first name in words.txt ("wnid\tname,
// other names"); ids without a name keep the id.
func readWords(path string, wnids []string) []string {
	names := append([]string(nil), wnids...)
	b, err := os.ReadFile(path)
	if err != nil {
		return names
	}
	want := map[string]int{}
	for i, w := range wnids {
		want[w] = i
	}
	for _, l := range strings.Split(string(b), "\n") {
		id, rest, ok := strings.Cut(l, "\t")
		if i, found := want[id]; ok && found {
			first, _, _ := strings.Cut(rest, ",")
			names[i] = strings.TrimSpace(first)
		}
	}
	return names
}

// decodeJPEGs decodes 64x64 JPEG files into CHW uint8 samples using one
// worker per CPU; the result does not depend on scheduling.
func decodeJPEGs(ctx context.Context, files []string, labels []int32) (*samples, error) {
	const side = 64
	per := 3 * side * side
	p := &samples{labels: labels, pix: make([]uint8, len(files)*per)}
	errs := make([]error, len(files))
	workers := min(runtime.GOMAXPROCS(0), len(files))
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				errs[i] = decodeJPEGInto(files[i], p.pix[i*per:(i+1)*per], side)
			}
		}()
	}
	var ctxErr error
feed:
	for i := range files {
		select {
		case next <- i:
		case <-ctx.Done():
			ctxErr = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	if ctxErr != nil {
		return nil, ctxErr
	}
	idx := make([]int, 0)
	for i, e := range errs {
		if e != nil {
			idx = append(idx, i)
		}
	}
	if len(idx) > 0 {
		sort.Ints(idx)
		return nil, errs[idx[0]]
	}
	return p, nil
}

// decodeJPEGInto decodes one image into dst (CHW, 3 channels).
func decodeJPEGInto(path string, dst []uint8, side int) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("dataset: tiny-imagenet: %w", err)
	}
	defer f.Close()
	img, err := jpeg.Decode(bufio.NewReader(f))
	if err != nil {
		return formatErrorf(path, 0, "expected a JPEG image: %v", err)
	}
	b := img.Bounds()
	if b.Dx() != side || b.Dy() != side {
		return formatErrorf(path, 0, "expected a %dx%d image, got %dx%d", side, side, b.Dx(), b.Dy())
	}
	hw := side * side
	switch m := img.(type) {
	case *image.Gray:
		for y := range side {
			for x := range side {
				v := m.Pix[y*m.Stride+x]
				dst[y*side+x], dst[hw+y*side+x], dst[2*hw+y*side+x] = v, v, v
			}
		}
	case *image.YCbCr:
		for y := range side {
			for x := range side {
				yi := m.YOffset(b.Min.X+x, b.Min.Y+y)
				ci := m.COffset(b.Min.X+x, b.Min.Y+y)
				r, g, bl := color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
				dst[y*side+x], dst[hw+y*side+x], dst[2*hw+y*side+x] = r, g, bl
			}
		}
	default:
		for y := range side {
			for x := range side {
				c := color.RGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.RGBA)
				dst[y*side+x], dst[hw+y*side+x], dst[2*hw+y*side+x] = c.R, c.G, c.B
			}
		}
	}
	return nil
}
