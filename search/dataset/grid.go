package dataset

import (
	"fmt"
	"image"
	"image/color"
)

// GridRow is one row of a sample grid: the samples shown and their labels.
type GridRow struct {
	Indices []int // sample indexes in the split
	Labels  []int
}

// PickGridRows chooses samples to show: with at most maxRows classes, one
// row per class holding the first perRow samples of that class in the
// split; otherwise rows of perRow consecutive samples from the start of the
// split, at most maxRows rows.
func PickGridRows(s *Set, sp Split, perRow, maxRows int) []GridRow {
	n := s.Len(sp)
	var rows []GridRow
	if s.Classes() <= maxRows {
		rows = make([]GridRow, s.Classes())
		for i := 0; i < n; i++ {
			l := s.Label(sp, i)
			if len(rows[l].Indices) < perRow {
				rows[l].Indices = append(rows[l].Indices, i)
				rows[l].Labels = append(rows[l].Labels, l)
			}
		}
		out := rows[:0]
		for _, r := range rows {
			if len(r.Indices) > 0 {
				out = append(out, r)
			}
		}
		return out
	}
	for i := 0; i < n && len(rows) < maxRows; i += perRow {
		var r GridRow
		for j := i; j < min(i+perRow, n); j++ {
			r.Indices = append(r.Indices, j)
			r.Labels = append(r.Labels, s.Label(sp, j))
		}
		rows = append(rows, r)
	}
	return rows
}

// SampleGrid draws samples as an image a person can look at, each pixel
// scale x scale, tiles separated by 2-pixel grey lines.
//
// Static sets: each row of rows is a row of images (greyscale or RGB as
// stored). Event sets: each row shows the first sample of the row as its T
// frames from left to right; polarity 0 events are red, polarity 1 green,
// brightness proportional to the count relative to the largest count in
// that sample.
func SampleGrid(s *Set, sp Split, rows []GridRow, scale int) (*image.RGBA, error) {
	if scale < 1 || len(rows) == 0 {
		return nil, fmt.Errorf("dataset: sample grid needs scale >= 1 and at least one row, got scale %d and %d rows", scale, len(rows))
	}
	const gap = 2
	cols := 0
	for _, r := range rows {
		cols = max(cols, len(r.Indices))
	}
	if s.Kind == Events {
		cols = s.T
	}
	tw, th := s.W*scale, s.H*scale
	img := image.NewRGBA(image.Rect(0, 0, cols*(tw+gap)+gap, len(rows)*(th+gap)+gap))
	grey := color.RGBA{96, 96, 96, 255}
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = grey.R, grey.G, grey.B, 255
	}
	put := func(col, row, x, y int, c color.RGBA) {
		x0, y0 := gap+col*(tw+gap)+x*scale, gap+row*(th+gap)+y*scale
		for dy := range scale {
			for dx := range scale {
				img.SetRGBA(x0+dx, y0+dy, c)
			}
		}
	}
	hw := s.H * s.W
	for ri, r := range rows {
		if s.Kind == Static {
			for ci, idx := range r.Indices {
				pix := s.Image(sp, idx)
				for y := range s.H {
					for x := range s.W {
						var c color.RGBA
						if s.C == 3 {
							c = color.RGBA{pix[y*s.W+x], pix[hw+y*s.W+x], pix[2*hw+y*s.W+x], 255}
						} else {
							v := pix[y*s.W+x]
							c = color.RGBA{v, v, v, 255}
						}
						put(ci, ri, x, y, c)
					}
				}
			}
			continue
		}
		fr, err := s.Frames(sp, r.Indices[0], nil)
		if err != nil {
			return nil, err
		}
		peak := uint16(1)
		for _, v := range fr {
			peak = max(peak, v)
		}
		level := func(v uint16) uint8 { return uint8(min(255, (int(v)*255+int(peak)-1)/int(peak))) }
		for t := range s.T {
			off, on := fr[(2*t)*hw:(2*t+1)*hw], fr[(2*t+1)*hw:(2*t+2)*hw]
			for y := range s.H {
				for x := range s.W {
					put(t, ri, x, y, color.RGBA{level(off[y*s.W+x]), level(on[y*s.W+x]), 0, 255})
				}
			}
		}
	}
	return img, nil
}
