package backends

// The route walk: the one definition of how a message crosses the tile mesh
// under the profile's dimension-order routing. NextHop is the routing
// function a router applies; Walk (a cursor), WalkMesh and WalkRoute (with
// a visitor) take the same hops, link by link and without allocating (a
// test checks every tile pair against NextHop), and Route and Hops derive
// from them. The compiler's placement and the simulator's routers use these
// instead of routing on their own.

import "fmt"

// Direction is the direction of one mesh hop.
type Direction uint8

// Hop directions. East is +x, North is +y.
const (
	// East is +x.
	East Direction = iota
	// West is -x.
	West
	// North is +y.
	North
	// South is -y.
	South
)

// NumDirections is the number of hop directions (East..South); a Direction
// is always < NumDirections.
const NumDirections = 4

// String returns "E", "W", "N" or "S".
func (d Direction) String() string {
	switch d {
	case East:
		return "E"
	case West:
		return "W"
	case North:
		return "N"
	case South:
		return "S"
	}
	return fmt.Sprintf("Direction(%d)", uint8(d))
}

// Link is one hop of a route: from the router of the tile at (X, Y) to its
// neighbour in direction Dir.
type Link struct {
	// X, Y is the global mesh position the hop leaves from.
	X, Y int
	// Dir is the direction of the hop.
	Dir Direction
	// InterChip is true when the hop crosses a chip boundary.
	InterChip bool
}

// To returns the mesh position the hop arrives at.
func (l Link) To() (x, y int) {
	switch l.Dir {
	case East:
		return l.X + 1, l.Y
	case West:
		return l.X - 1, l.Y
	case North:
		return l.X, l.Y + 1
	default:
		return l.X, l.Y - 1
	}
}

// String formats the link as "(x,y)E" with a trailing "*" for inter-chip.
func (l Link) String() string {
	s := fmt.Sprintf("(%d,%d)%s", l.X, l.Y, l.Dir)
	if l.InterChip {
		s += "*"
	}
	return s
}

// NextHop returns the direction of the hop that a message at the router of
// the tile at global mesh position (x, y), bound for the tile at (dx, dy),
// takes next under the profile's dimension-order routing (RoutingXY: x
// first, then y; RoutingYX: y first), and false when (x, y) == (dx, dy):
// the message has arrived and is ejected to a core of that tile. The next
// hop depends only on the two positions, so routers need no routing
// state. Positions are not checked; it allocates nothing.
func (t *Target) NextHop(x, y, dx, dy int) (Direction, bool) {
	if t.yFirst && y != dy {
		return dirY(y, dy), true
	}
	if x != dx {
		return dirX(x, dx), true
	}
	if y != dy {
		return dirY(y, dy), true
	}
	return 0, false
}

// dirX returns East when to lies east of at, else West.
func dirX(at, to int) Direction {
	if to < at {
		return West
	}
	return East
}

// dirY returns North when to lies north of at, else South.
func dirY(at, to int) Direction {
	if to < at {
		return South
	}
	return North
}

// LinkFrom returns the link leaving the tile at global mesh position (x, y)
// in direction d, with InterChip set, and false when (x, y) or the
// neighbour in direction d is off the mesh.
func (t *Target) LinkFrom(x, y int, d Direction) (Link, bool) {
	l := t.link(x, y, d)
	nx, ny := l.To()
	if x < 0 || y < 0 || x >= t.MeshWidth || y >= t.MeshHeight ||
		nx < 0 || ny < 0 || nx >= t.MeshWidth || ny >= t.MeshHeight || d >= NumDirections {
		return Link{}, false
	}
	return l, true
}

// link returns the link leaving (x, y) in direction d; x, y >= 0 and the
// neighbour on the mesh. A hop crosses a chip boundary when it leaves its
// chip's block of TilesX x TilesY tiles (x/TilesX != nx/TilesX, computed
// with one remainder).
func (t *Target) link(x, y int, d Direction) Link {
	m := &t.Profile.Mesh
	l := Link{X: x, Y: y, Dir: d}
	switch d {
	case East:
		l.InterChip = (x+1)%m.TilesX == 0
	case West:
		l.InterChip = x%m.TilesX == 0
	case North:
		l.InterChip = (y+1)%m.TilesY == 0
	default:
		l.InterChip = y%m.TilesY == 0
	}
	return l
}

// MeshWalk steps along one route, link by link: the cursor form of
// WalkMesh for loops that must not call a function per hop (Next inlines
// and divides nothing). A dimension-order route is at most two straight
// legs, the first along the dimension routed first. The zero value has
// arrived.
type MeshWalk struct {
	x, y int
	cur  walkLeg // the leg being walked
	next walkLeg // the leg after it
}

// walkLeg is a straight run of hops: n hops left, each a step of (sx, sy)
// in direction dir; onChip on-chip hops come before the next hop that
// crosses a chip boundary, and block (the chip's size along the leg) after
// each crossing.
type walkLeg struct {
	n, sx, sy, onChip, block int
	dir                      Direction
}

// Walk returns a MeshWalk along the route from the tile at global mesh
// position (x, y) to the tile at (dx, dy): the links NextHop gives from
// hop to hop (tested). Both positions must lie on the mesh.
func (t *Target) Walk(x, y, dx, dy int) MeshWalk {
	m := &t.Profile.Mesh
	// A hop crosses a chip boundary when it leaves its chip's block of
	// TilesX x TilesY tiles: eastwards (northwards) from the block's last
	// column (row), westwards (southwards) from its first.
	lx := walkLeg{n: dx - x, sx: 1, onChip: m.TilesX - 1 - x%m.TilesX, block: m.TilesX, dir: East}
	if dx < x {
		lx = walkLeg{n: x - dx, sx: -1, onChip: x % m.TilesX, block: m.TilesX, dir: West}
	}
	ly := walkLeg{n: dy - y, sy: 1, onChip: m.TilesY - 1 - y%m.TilesY, block: m.TilesY, dir: North}
	if dy < y {
		ly = walkLeg{n: y - dy, sy: -1, onChip: y % m.TilesY, block: m.TilesY, dir: South}
	}
	if t.yFirst {
		return MeshWalk{x: x, y: y, cur: ly, next: lx}
	}
	return MeshWalk{x: x, y: y, cur: lx, next: ly}
}

// Next returns the next link of the route and moves past it, or false when
// the walk has arrived. (Next is kept within the compiler's inlining budget,
// so a walk costs no call per hop; check with go build -gcflags=-m after
// changing it.)
func (w *MeshWalk) Next() (Link, bool) {
	if w.cur.n == 0 {
		if w.next.n == 0 {
			return Link{}, false
		}
		w.cur, w.next.n = w.next, 0
	}
	g := &w.cur
	g.n--
	l := Link{X: w.x, Y: w.y, Dir: g.dir, InterChip: g.onChip == 0}
	if l.InterChip {
		g.onChip = g.block
	}
	g.onChip--
	w.x += g.sx
	w.y += g.sy
	return l, true
}

// WalkMesh calls visit, if not nil, with each link of the route from the
// tile at global mesh position (x, y) to the tile at (dx, dy), in order
// (NextHop from hop to hop), and returns the number of hops. The route is
// minimal: hops = |dx-x| + |dy-y|. Both positions must lie on the mesh.
// WalkMesh allocates nothing; visit is called synchronously and may be a
// closure the caller keeps on its stack.
func (t *Target) WalkMesh(x, y, dx, dy int, visit func(Link)) int {
	w := t.Walk(x, y, dx, dy)
	n := 0
	for {
		l, ok := w.Next()
		if !ok {
			return n
		}
		if visit != nil {
			visit(l)
		}
		n++
	}
}

// WalkRoute calls visit, if not nil, with each link a message from core src
// to core dst traverses, in order, and returns the number of hops (0 when
// the cores share a tile: the message stays inside the tile). It is
// WalkMesh between the cores' tiles, allocates nothing, and panics if
// either core is out of range.
func (t *Target) WalkRoute(src, dst int, visit func(Link)) int {
	a, b := t.CoreCoord(src), t.CoreCoord(dst)
	return t.WalkMesh(a.X, a.Y, b.X, b.Y, visit)
}

// Route returns the links a message from core src to core dst traverses,
// in order (WalkRoute collected into a slice). Cores of the same tile
// exchange messages inside the tile: the route is empty. It panics if
// either core is out of range.
func (t *Target) Route(src, dst int) []Link {
	var links []Link
	t.WalkRoute(src, dst, func(l Link) { links = append(links, l) })
	return links
}

// HopCounts counts the hops of one route by direction. East..South count
// every hop, on-chip and inter-chip; InterChipEW and InterChipNS count the
// east-west and north-south hops among them that cross a chip boundary.
type HopCounts struct {
	East, West, North, South int
	InterChipEW, InterChipNS int
}

// Total returns the number of hops.
func (h HopCounts) Total() int { return h.East + h.West + h.North + h.South }

// OnChipEW returns the east-west hops that stay on one chip.
func (h HopCounts) OnChipEW() int { return h.East + h.West - h.InterChipEW }

// OnChipNS returns the north-south hops that stay on one chip.
func (h HopCounts) OnChipNS() int { return h.North + h.South - h.InterChipNS }

// InterChip returns the hops that cross a chip boundary.
func (h HopCounts) InterChip() int { return h.InterChipEW + h.InterChipNS }

// Hops returns the hop counts of the route from src to dst in closed form,
// without walking it: dimension-order routes are minimal and cross each
// chip boundary between the two chips once, so the counts do not depend on
// the order of dimensions and equal those of the links WalkRoute visits
// (tested on every core pair). It panics if either core is out of range.
func (t *Target) Hops(src, dst int) HopCounts {
	a, b := t.CoreCoord(src), t.CoreCoord(dst)
	var h HopCounts
	if b.X >= a.X {
		h.East = b.X - a.X
	} else {
		h.West = a.X - b.X
	}
	if b.Y >= a.Y {
		h.North = b.Y - a.Y
	} else {
		h.South = a.Y - b.Y
	}
	h.InterChipEW = absInt(b.ChipX - a.ChipX)
	h.InterChipNS = absInt(b.ChipY - a.ChipY)
	return h
}

func absInt(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
