package sim

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/autosnn/autosnn/backends"
)

// Heatmap geometry in pixels.
const (
	hmCell   = 56 // tile pitch
	hmTile   = 26 // tile square
	hmMargin = 40
	hmLegend = 90
)

// hmAxes explains the heatmap's coordinates.
const hmAxes = "x: tile column, y: tile row (north up); link (x,y)D leaves tile (x,y) towards D"

// WriteHeatmap draws the link load of the whole mesh as a PNG, per
// inference: one grey square per tile (darker when the tile holds
// neurons), north up, tile coordinates x (column) under the mesh and y
// (row) left of it, and one coloured bar per directed link between
// neighbouring tiles (east-bound above west-bound, north-bound left of
// south-bound), coloured by the messages that crossed it per image
// (LinkLoad over all runs of s divided by images, the number of images s
// ran), from dark blue (none) through green and yellow to red (the busiest
// link, which is outlined in black and named in the title as BusiestLink
// names it). Chip boundaries are drawn as lines. A colour bar with its
// scale in messages per inference is on the right. images must be >= 1.
func WriteHeatmap(w io.Writer, s *Sim, images int) error {
	if images < 1 {
		return fmt.Errorf("sim: heatmap: %d images, want >= 1", images)
	}
	t := s.t
	W, H := t.MeshWidth, t.MeshHeight
	load := s.LinkLoad()
	busiest, maxLoad := BusiestLink(load)
	title, sub, scaleTop := heatmapText(s, load, images)
	width := max(2*hmMargin+W*hmCell+hmLegend, 2*hmMargin+7*max(len(title), len(sub), len(hmAxes))) // basicfont is 7 px wide
	top := hmMargin + 20                                                                            // mesh top
	bot := top + H*hmCell                                                                           // mesh bottom
	img := image.NewRGBA(image.Rect(0, 0, width, bot+hmMargin+16))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	tileUsed := make([]bool, len(s.routers))
	for c := range s.cores {
		if s.cores[c].neuronsHeld > 0 {
			tileUsed[s.cores[c].router] = true
		}
	}
	// centre of tile (x, y) in pixels, north up
	cx := func(x int) int { return hmMargin + x*hmCell + hmCell/2 }
	cy := func(y int) int { return top + (H-1-y)*hmCell + hmCell/2 }
	fill := func(x0, y0, x1, y1 int, c color.Color) {
		draw.Draw(img, image.Rect(x0, y0, x1, y1), image.NewUniform(c), image.Point{}, draw.Src)
	}
	m := t.Profile.Mesh
	grid := color.RGBA{200, 200, 200, 255}
	for x := 1; x < W; x++ {
		if x%m.TilesX == 0 {
			px := hmMargin + x*hmCell
			fill(px-1, top, px+1, bot, grid)
		}
	}
	for y := 1; y < H; y++ {
		if y%m.TilesY == 0 {
			py := top + (H-y)*hmCell
			fill(hmMargin, py-1, hmMargin+W*hmCell, py+1, grid)
		}
	}
	// Tile coordinates: x under each column, y left of each row.
	for x := 0; x < W; x++ {
		s := fmt.Sprint(x)
		label(img, cx(x)-7*len(s)/2, bot+14, s)
	}
	for y := 0; y < H; y++ {
		s := fmt.Sprint(y)
		label(img, hmMargin-10-7*len(s), cy(y)+5, s)
	}
	label(img, hmMargin, bot+32, hmAxes)
	var mark image.Rectangle // the busiest link's bar
	for r, rt := range s.routers {
		x, y := int(rt.x), int(rt.y)
		c := color.RGBA{220, 220, 220, 255}
		if tileUsed[r] {
			c = color.RGBA{150, 150, 150, 255}
		}
		fill(cx(x)-hmTile/2, cy(y)-hmTile/2, cx(x)+hmTile/2, cy(y)+hmTile/2, c)
		for d := 0; d < numDirs; d++ {
			if rt.nbr[d] < 0 {
				continue
			}
			l := backends.Link{X: x, Y: y, Dir: backends.Direction(d), InterChip: rt.inter[d]}
			v := load[l]
			col := heatColor(v, maxLoad)
			const half, thick = hmTile / 2, 5
			var bar image.Rectangle
			switch backends.Direction(d) {
			case backends.East:
				bar = image.Rect(cx(x)+half, cy(y)-thick-1, cx(x)+hmCell-half, cy(y)-1)
			case backends.West:
				bar = image.Rect(cx(x)-hmCell+half, cy(y)+1, cx(x)-half, cy(y)+thick+1)
			case backends.North:
				bar = image.Rect(cx(x)-thick-1, cy(y)-hmCell+half, cx(x)-1, cy(y)-half)
			case backends.South:
				bar = image.Rect(cx(x)+1, cy(y)+half, cx(x)+thick+1, cy(y)+hmCell-half)
			}
			fill(bar.Min.X, bar.Min.Y, bar.Max.X, bar.Max.Y, col)
			if maxLoad > 0 && l == busiest {
				mark = bar
			}
		}
	}
	if !mark.Empty() {
		black := color.RGBA{0, 0, 0, 255}
		o := mark.Inset(-2)
		fill(o.Min.X, o.Min.Y, o.Max.X, o.Min.Y+1, black)
		fill(o.Min.X, o.Max.Y-1, o.Max.X, o.Max.Y, black)
		fill(o.Min.X, o.Min.Y, o.Min.X+1, o.Max.Y, black)
		fill(o.Max.X-1, o.Min.Y, o.Max.X, o.Max.Y, black)
	}
	// Colour bar, in messages per inference.
	bx := 2*hmMargin + W*hmCell - 20
	for py := top; py < bot; py++ {
		frac := float64(bot-1-py) / float64(max(1, bot-1-top))
		fill(bx, py, bx+14, py+1, heatColorFrac(frac))
	}
	label(img, bx+18, top+8, scaleTop)
	label(img, bx+18, bot, "0")
	label(img, bx-4, bot+14, "msg/inf")
	label(img, hmMargin, hmMargin-6, title)
	label(img, hmMargin, hmMargin+10, sub)
	if err := png.Encode(w, img); err != nil {
		return fmt.Errorf("sim: heatmap: %w", err)
	}
	return nil
}

// heatmapText returns the heatmap's title, its second line (the busiest
// link and its messages per inference) and the top of its colour scale in
// messages per inference: load (s.LinkLoad()) over images runs.
func heatmapText(s *Sim, load map[backends.Link]int64, images int) (title, sub, scaleTop string) {
	busiest, maxLoad := BusiestLink(load)
	perInf := float64(maxLoad) / float64(images)
	title = fmt.Sprintf("%s on %s: messages per link per inference (%d images)", s.g.Name, s.t.Name(), images)
	sub = "no inter-tile traffic"
	if maxLoad > 0 {
		sub = fmt.Sprintf("busiest link %v (outlined): %.4g messages per inference", busiest, perInf)
	}
	return title, sub, fmt.Sprintf("%.4g", perInf)
}

// BusiestLink returns the link of load with the most messages and that
// count; ties go to the link whose String sorts first, so every caller
// names the same link. It returns the zero Link and 0 when load is empty.
func BusiestLink(load map[backends.Link]int64) (backends.Link, int64) {
	var best backends.Link
	var n int64 = -1
	for l, c := range load {
		if c > n || (c == n && l.String() < best.String()) {
			best, n = l, c
		}
	}
	return best, max(n, 0)
}

func label(img draw.Image, x, y int, s string) {
	d := &font.Drawer{Dst: img, Src: image.NewUniform(color.Black), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

func heatColor(v, maxV int64) color.RGBA {
	if maxV == 0 {
		return heatColorFrac(0)
	}
	return heatColorFrac(float64(v) / float64(maxV))
}

// heatColorFrac maps [0, 1] to dark blue, green, yellow, red.
func heatColorFrac(f float64) color.RGBA {
	stops := [...]color.RGBA{{20, 30, 110, 255}, {30, 150, 90, 255}, {240, 220, 40, 255}, {210, 30, 30, 255}}
	f = min(max(f, 0), 1) * float64(len(stops)-1)
	i := min(int(f), len(stops)-2)
	u := f - float64(i)
	a, b := stops[i], stops[i+1]
	mix := func(p, q uint8) uint8 { return uint8(float64(p) + u*(float64(q)-float64(p)) + 0.5) }
	return color.RGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 255}
}
