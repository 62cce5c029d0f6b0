package main

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/search/dataset"
	"github.com/urfave/cli/v2"
)

// dataCommand groups the dataset commands: 'data inspect SPEC'.
func dataCommand() *cli.Command {
	return &cli.Command{
		Name:  "data",
		Usage: "inspect the datasets of the search and training",
		Subcommands: []*cli.Command{{
			Name:      "inspect",
			Usage:     "print counts, shapes and class histogram of a dataset and write a PNG grid of samples",
			ArgsUsage: "SPEC",
			Description: "SPEC is name[:path] with name one of " + strings.Join(dataset.Names, ", ") + ".\n" +
				"mnist needs no path (the files of the GoMNIST Go module are used); fashion-mnist defaults to\n" +
				"/usr/share/datasets/fashion-mnist (Debian package dataset-fashion-mnist). Event datasets\n" +
				"(cifar10-dvs, dvs-gesture) are integrated into --T frames once and cached in --cache.\n" +
				"The grid (OUT/NAME-SPLIT-samples.png) has one row per class when there are at most 12\n" +
				"classes: images of that class, or for event data the T frames of one sample (polarity 0\n" +
				"red, polarity 1 green).",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "out", Value: ".", Usage: use("out", "directory for the PNG grid")},
				&cli.StringFlag{Name: "split", Value: "train", Usage: use("split", "shown in the grid")},
				&cli.IntFlag{Name: "T", Value: 20, Usage: use("T")},
				&cli.StringFlag{Name: "integration", Value: "number", Usage: "event frame integration: number or time"},
				&cli.IntFlag{Name: "size", Value: 128, Usage: use("size")},
				&cli.StringFlag{Name: "cache", Usage: use("cache")},
				&cli.IntFlag{Name: "scale", Usage: "pixels per sample pixel in the grid (default: by image size)"},
				&cli.BoolFlag{Name: "norm", Usage: "also compute the per-channel mean and std of the full training set"},
			},
			Action: dataInspect,
		}},
	}
}

func dataInspect(c *cli.Context) error {
	if c.NArg() != 1 {
		for _, a := range c.Args().Slice() {
			if strings.HasPrefix(a, "-") {
				return fmt.Errorf("data inspect: flag %s after the spec, want flags first: autosnn data inspect %s SPEC", a, a)
			}
		}
		return fmt.Errorf("data inspect: got %d arguments, want one data SPEC such as mnist or cifar10:/path", c.NArg())
	}
	split, err := dataset.ParseSplit(c.String("split"))
	if err != nil {
		return fmt.Errorf("data inspect: %w", err)
	}
	mode, err := dataset.ParseIntegration(c.String("integration"))
	if err != nil {
		return fmt.Errorf("data inspect: %w", err)
	}
	w := c.App.Writer
	opt := dataset.Options{T: c.Int("T"), Integration: mode, Size: c.Int("size"), CacheDir: c.String("cache"),
		Logf: func(f string, a ...any) { fmt.Fprintf(c.App.ErrWriter, "data: "+f+"\n", a...) }}
	if opt.T <= 0 {
		return fmt.Errorf("data inspect: --T %d, want > 0", opt.T)
	}
	start := time.Now()
	s, err := dataset.Open(c.Context, c.Args().First(), opt)
	if err != nil {
		return fmt.Errorf("data inspect: %w", err)
	}
	defer s.Close()
	loaded := time.Since(start)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "dataset\t%s (%s)\n", s.Name, s.Kind)
	fmt.Fprintf(tw, "source\t%s\n", s.Source)
	fmt.Fprintf(tw, "loaded in\t%.2fs\n", loaded.Seconds())
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
	if c.Bool("norm") && s.Kind == dataset.Static {
		mean, std, err := dataset.ComputeNorm(s, dataset.FullTrain)
		if err != nil {
			return fmt.Errorf("data inspect: %w", err)
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
	rows := dataset.PickGridRows(s, split, perRow, 12)
	if len(rows) == 0 {
		return fmt.Errorf("data inspect: split %s of %s is empty, nothing to draw", split, s.Name)
	}
	scale := c.Int("scale")
	if scale <= 0 {
		scale = max(1, 96/max(s.H, s.W))
	}
	img, err := dataset.SampleGrid(s, split, rows, scale)
	if err != nil {
		return fmt.Errorf("data inspect: %w", err)
	}
	if err := os.MkdirAll(c.String("out"), 0o755); err != nil {
		return fmt.Errorf("data inspect: %w", err)
	}
	path := filepath.Join(c.String("out"), fmt.Sprintf("%s-%s-samples.png", s.Name, split))
	if err := writePNG(path, img); err != nil {
		return fmt.Errorf("data inspect: %w", err)
	}
	fmt.Fprintf(w, "\ngrid %s (%dx%d pixels), %s split:\n", path, img.Bounds().Dx(), img.Bounds().Dy(), split)
	for i, r := range rows {
		if s.Kind == dataset.Events {
			fmt.Fprintf(w, "  row %d: sample %d, class %s, frames 0..%d left to right\n", i, r.Indices[0], s.ClassNames[r.Labels[0]], s.T-1)
			continue
		}
		fmt.Fprintf(w, "  row %d: samples %v, labels %v\n", i, r.Indices, r.Labels)
	}
	return nil
}

// writePNG encodes img and writes it to path atomically.
func writePNG(path string, img image.Image) error {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return err
	}
	return ir.WriteFileAtomic(path, b.Bytes())
}
