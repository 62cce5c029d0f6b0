package pipeline

import (
	"bytes"
	"fmt"
	"image/png"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/search/dataset"
)

// InspectOptions configure InspectData.
type InspectOptions struct {
	// Split is the split drawn in the sample grid.
	Split dataset.Split
	// Loaded is how long opening the set took (printed).
	Loaded time.Duration
	// Norm also computes the per-channel mean and std of the full training
	// set (static sets).
	Norm bool
	// Scale is the grid's pixels per sample pixel (0: by image size).
	Scale int
	// Out is the directory of the grid PNG (NAME-SPLIT-samples.png).
	Out string
}

// InspectData prints what `autosnn data inspect` shows of s: source,
// sample layout, classes, split sizes, normalisation, the class histogram
// per split, and writes a PNG grid of samples of opt.Split (one row per
// class for at most 12 classes; event samples as their T frames).
func InspectData(w io.Writer, s *dataset.Set, opt InspectOptions) error {
	if err := PrepareOut(opt.Out); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "dataset\t%s (%s)\n", s.Name, s.Kind)
	fmt.Fprintf(tw, "source\t%s\n", s.Source)
	fmt.Fprintf(tw, "loaded in\t%.2fs\n", opt.Loaded.Seconds())
	if s.Kind == dataset.Events {
		fmt.Fprintf(tw, "sample\t%v event counts [T 2 H W], uint16; batches are [T B 2 H W] float32\n", s.SampleShape())
	} else {
		fmt.Fprintf(tw, "sample\t%v uint8 CHW; batches are [B C H W] float32, normalised\n", s.SampleShape())
	}
	fmt.Fprintf(tw, "classes\t%d\n", s.Classes())
	var parts []string
	for _, sp := range dataset.Splits {
		parts = append(parts, fmt.Sprintf("%s %d", sp, s.Len(sp)))
	}
	fmt.Fprintf(tw, "splits\t%s\n", strings.Join(parts, ", "))
	if s.Mean != nil {
		fmt.Fprintf(tw, "normalise\tmean %v std %v\n", s.Mean, s.Std)
		fmt.Fprintf(tw, "\t(%s)\n", s.NormSource)
	}
	if opt.Norm && s.Kind == dataset.Static {
		mean, std, err := dataset.ComputeNorm(s, dataset.FullTrain)
		if err != nil {
			return fmt.Errorf("pipeline: %w", err)
		}
		fmt.Fprintf(tw, "computed\tmean %.4f std %.4f (full training set)\n", mean, std)
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(w, "\nclass histogram")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "label\tclass\ttrain\tval\ttest\t")
	hist := [][]int{s.Histogram(dataset.Train), s.Histogram(dataset.Val), s.Histogram(dataset.Test)}
	for i, name := range s.ClassNames {
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%d\t\n", i, name, hist[0][i], hist[1][i], hist[2][i])
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	perRow := 8
	if s.Kind == dataset.Events {
		perRow = 1
	}
	rows := dataset.PickGridRows(s, opt.Split, perRow, 12)
	if len(rows) == 0 {
		return fmt.Errorf("pipeline: split %s of %s is empty, nothing to draw", opt.Split, s.Name)
	}
	scale := opt.Scale
	if scale <= 0 {
		scale = max(1, 96/max(s.H, s.W))
	}
	img, err := dataset.SampleGrid(s, opt.Split, rows, scale)
	if err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	path := filepath.Join(opt.Out, fmt.Sprintf("%s-%s-samples.png", s.Name, opt.Split))
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	if err := ir.WriteFileAtomic(path, b.Bytes()); err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	fmt.Fprintf(w, "\ngrid %s (%dx%d pixels), %s split:\n", path, img.Bounds().Dx(), img.Bounds().Dy(), opt.Split)
	for i, r := range rows {
		if s.Kind == dataset.Events {
			fmt.Fprintf(w, "  row %d: sample %d, class %s, frames 0..%d left to right\n", i, r.Indices[0], s.ClassNames[r.Labels[0]], s.T-1)
			continue
		}
		fmt.Fprintf(w, "  row %d: samples %v, labels %v\n", i, r.Indices, r.Labels)
	}
	return nil
}
