package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/autosnn/autosnn/search/dataset"
	"github.com/autosnn/autosnn/search/pipeline"
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
				&cli.BoolFlag{Name: "allow-empty", Usage: use("allow-empty")},
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
	if err := checks(c, atLeast(1, "T"), frameSize, atLeast(0, "scale")); err != nil {
		return err
	}
	split, err := dataset.ParseSplit(c.String("split"))
	if err != nil {
		return fmt.Errorf("data inspect: --split: %w", err)
	}
	mode, err := dataset.ParseIntegration(c.String("integration"))
	if err != nil {
		return fmt.Errorf("data inspect: --integration: %w", err)
	}
	w := c.App.Writer
	opt := dataOptions(c, c.Int("T"), c.Int("size"))
	opt.Integration = mode
	if _, err := dataset.ParseSpec(c.Args().First()); err != nil {
		return fmt.Errorf("data inspect: %w", err)
	}
	if err := checks(c, outDir); err != nil {
		return err
	}
	start := time.Now()
	s, err := dataset.Open(c.Context, c.Args().First(), opt)
	if err != nil {
		return fmt.Errorf("data inspect: %w", err)
	}
	defer s.Close()
	return pipeline.InspectData(w, s, pipeline.InspectOptions{Split: split, Loaded: time.Since(start), Norm: c.Bool("norm"), Scale: c.Int("scale"), Out: c.String("out")})
}
