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

// WriteHeatmap draws the link load of the whole mesh as a PNG: one grey
// square per tile (darker when the tile holds neurons), north up, and one
// coloured bar per directed link between neighbouring tiles (east-bound
// above west-bound, north-bound left of south-bound), coloured by the
// number of messages that crossed it over all runs of s, from dark blue
// (none) through green and yellow to red (the busiest link). Chip
// boundaries are drawn as lines. A colour bar and the maximum are on the
// right.
func WriteHeatmap(w io.Writer, s *Sim) error {
	t := s.t
	W, H := t.MeshWidth, t.MeshHeight
	load := s.LinkLoad()
	var maxLoad int64
	for _, v := range load {
		maxLoad = max(maxLoad, v)
	}
	title := fmt.Sprintf("%s on %s: messages per link (max %d)", s.g.Name, t.Name(), maxLoad)
	width := max(2*hmMargin+W*hmCell+hmLegend, 2*hmMargin+7*len(title)) // basicfont is 7 px wide
	img := image.NewRGBA(image.Rect(0, 0, width, 2*hmMargin+H*hmCell+20))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	tileUsed := make([]bool, len(s.routers))
	for c := range s.cores {
		if s.cores[c].neuronsHeld > 0 {
			tileUsed[s.cores[c].router] = true
		}
	}
	// centre of tile (x, y) in pixels, north up
	cx := func(x int) int { return hmMargin + x*hmCell + hmCell/2 }
	cy := func(y int) int { return hmMargin + 20 + (H-1-y)*hmCell + hmCell/2 }
	fill := func(x0, y0, x1, y1 int, c color.Color) {
		draw.Draw(img, image.Rect(x0, y0, x1, y1), image.NewUniform(c), image.Point{}, draw.Src)
	}
	m := t.Profile.Mesh
	grid := color.RGBA{200, 200, 200, 255}
	for x := 1; x < W; x++ {
		if x%m.TilesX == 0 {
			px := hmMargin + x*hmCell
			fill(px-1, hmMargin+20, px+1, hmMargin+20+H*hmCell, grid)
		}
	}
	for y := 1; y < H; y++ {
		if y%m.TilesY == 0 {
			py := hmMargin + 20 + (H-y)*hmCell
			fill(hmMargin, py-1, hmMargin+W*hmCell, py+1, grid)
		}
	}
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
			v := load[backends.Link{X: x, Y: y, Dir: backends.Direction(d), InterChip: rt.inter[d]}]
			col := heatColor(v, maxLoad)
			const half, thick = hmTile / 2, 5
			switch backends.Direction(d) {
			case backends.East:
				fill(cx(x)+half, cy(y)-thick-1, cx(x)+hmCell-half, cy(y)-1, col)
			case backends.West:
				fill(cx(x)-hmCell+half, cy(y)+1, cx(x)-half, cy(y)+thick+1, col)
			case backends.North:
				fill(cx(x)-thick-1, cy(y)-hmCell+half, cx(x)-1, cy(y)-half, col)
			case backends.South:
				fill(cx(x)+1, cy(y)+half, cx(x)+thick+1, cy(y)+hmCell-half, col)
			}
		}
	}
	// Colour bar.
	bx := 2*hmMargin + W*hmCell - 20
	top, bot := hmMargin+20, hmMargin+20+H*hmCell
	for py := top; py < bot; py++ {
		frac := float64(bot-1-py) / float64(max(1, bot-1-top))
		fill(bx, py, bx+14, py+1, heatColorFrac(frac))
	}
	label(img, bx+18, top+8, fmt.Sprint(maxLoad))
	label(img, bx+18, bot, "0")
	label(img, hmMargin, hmMargin, title)
	if err := png.Encode(w, img); err != nil {
		return fmt.Errorf("sim: heatmap: %w", err)
	}
	return nil
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
