package backends

import (
	"strings"
	"testing"
)

// board2x2 is tiny-2chip with 2 x 2 chips: a 4 x 4 global tile mesh of
// 2 x 2-tile chips, chip boundaries between x = 1 and 2 and between y = 1
// and 2, routed xy or yx.
func board2x2(t *testing.T, routing string) *Target {
	t.Helper()
	p := mustLookup(t, "tiny-2chip").Profile
	p.Mesh.ChipsX, p.Mesh.ChipsY = 2, 2
	p.NoC.Routing = routing
	tg, err := NewTarget(&p, "board2x2-"+routing)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// walkCases are routes on board2x2, computed by hand: x (or y) first,
// "*" marks a hop that crosses a chip boundary.
var walkCases = []struct {
	name           string
	routing        string
	x, y, dx, dy   int
	want           string
	hops, interHop int
}{
	{"same tile", RoutingXY, 2, 1, 2, 1, "", 0, 0},
	{"one hop on chip", RoutingXY, 2, 2, 3, 2, "(2,2)E", 1, 0},
	{"one hop across chips", RoutingYX, 1, 1, 2, 1, "(1,1)E*", 1, 1},
	{"xy north-east", RoutingXY, 0, 0, 3, 2, "(0,0)E (1,0)E* (2,0)E (3,0)N (3,1)N*", 5, 2},
	{"yx north-east", RoutingYX, 0, 0, 3, 2, "(0,0)N (0,1)N* (0,2)E (1,2)E* (2,2)E", 5, 2},
	{"xy south-west", RoutingXY, 3, 3, 1, 0, "(3,3)W (2,3)W* (1,3)S (1,2)S* (1,1)S", 5, 2},
	{"yx south-west", RoutingYX, 3, 3, 1, 0, "(3,3)S (3,2)S* (3,1)S (3,0)W (2,0)W*", 5, 2},
	{"xy straight south", RoutingXY, 3, 3, 3, 0, "(3,3)S (3,2)S* (3,1)S", 3, 1},
}

func TestWalkRouteByHand(t *testing.T) {
	for _, tc := range walkCases {
		t.Run(tc.name, func(t *testing.T) {
			tg := board2x2(t, tc.routing)
			var links []string
			inter := 0
			n := tg.WalkMesh(tc.x, tc.y, tc.dx, tc.dy, func(l Link) {
				links = append(links, l.String())
				if l.InterChip {
					inter++
				}
			})
			if got := strings.Join(links, " "); got != tc.want {
				t.Errorf("WalkMesh(%d,%d -> %d,%d) visits %q, want %q", tc.x, tc.y, tc.dx, tc.dy, got, tc.want)
			}
			if n != tc.hops || inter != tc.interHop {
				t.Errorf("WalkMesh(%d,%d -> %d,%d) = %d hops, %d inter-chip, want %d, %d", tc.x, tc.y, tc.dx, tc.dy, n, inter, tc.hops, tc.interHop)
			}
			// The same route between cores, from any slot to any slot.
			src, _ := tg.CoreAt(tc.x, tc.y, 1)
			dst, _ := tg.CoreAt(tc.dx, tc.dy, 0)
			var got []string
			for _, l := range tg.Route(src, dst) {
				got = append(got, l.String())
			}
			if g := strings.Join(got, " "); g != tc.want {
				t.Errorf("Route(%d, %d) = %q, want %q", src, dst, g, tc.want)
			}
			if h := tg.Hops(src, dst); h.Total() != tc.hops || h.InterChip() != tc.interHop {
				t.Errorf("Hops(%d, %d) = %d hops, %d inter-chip, want %d, %d", src, dst, h.Total(), h.InterChip(), tc.hops, tc.interHop)
			}
		})
	}
}

// TestWalkFollowsNextHop checks on every tile pair of several boards that
// the walk (MeshWalk, WalkMesh, WalkRoute) takes exactly the hops NextHop
// chooses, over links LinkFrom knows, and that Hops counts them.
func TestWalkFollowsNextHop(t *testing.T) {
	var targets []*Target
	for _, r := range []string{RoutingXY, RoutingYX} {
		targets = append(targets, board2x2(t, r))
		p := mustLookup(t, "loihi1").Profile
		p.Mesh.ChipsX, p.Mesh.ChipsY = 3, 2
		p.NoC.InterChipHopLatencyNs, p.Energy.InterChipHopPJ = 100, 50
		p.NoC.Routing = r
		tg, err := NewTarget(&p, "loihi1-3x2-"+r)
		if err != nil {
			t.Fatal(err)
		}
		targets = append(targets, tg)
	}
	for _, tg := range targets {
		cpt := tg.Profile.Mesh.CoresPerTile
		for a := 0; a < tg.NumCores; a += cpt {
			ca := tg.CoreCoord(a)
			for b := 0; b < tg.NumCores; b += cpt {
				cb := tg.CoreCoord(b)
				// The reference: NextHop from hop to hop.
				var want []Link
				for x, y := ca.X, ca.Y; ; {
					d, ok := tg.NextHop(x, y, cb.X, cb.Y)
					if !ok {
						break
					}
					l, ok := tg.LinkFrom(x, y, d)
					if !ok {
						t.Fatalf("%s: NextHop(%d,%d -> %d,%d) = %v leaves the mesh", tg.Name(), x, y, cb.X, cb.Y, d)
					}
					want = append(want, l)
					x, y = l.To()
				}
				var got []Link
				w := tg.Walk(ca.X, ca.Y, cb.X, cb.Y)
				for {
					l, ok := w.Next()
					if !ok {
						break
					}
					got = append(got, l)
				}
				if !slicesEqual(got, want) {
					t.Fatalf("%s: Walk(%d,%d -> %d,%d) = %v, want %v", tg.Name(), ca.X, ca.Y, cb.X, cb.Y, got, want)
				}
				n := tg.WalkRoute(a+cpt-1, b, nil)
				h := tg.Hops(a, b)
				inter := 0
				for _, l := range want {
					if l.InterChip {
						inter++
					}
				}
				if n != len(want) || h.Total() != len(want) || h.InterChip() != inter {
					t.Fatalf("%s: cores %d -> %d: WalkRoute %d hops, Hops %d (%d inter-chip), want %d (%d)", tg.Name(), a, b, n, h.Total(), h.InterChip(), len(want), inter)
				}
			}
		}
	}
}

func slicesEqual(a, b []Link) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestWalkAllocatesNothing(t *testing.T) {
	tg := board2x2(t, RoutingXY)
	var sum int
	allocs := testing.AllocsPerRun(100, func() {
		tg.WalkRoute(0, tg.NumCores-1, func(l Link) { sum += l.X })
		w := tg.Walk(3, 3, 0, 0)
		for {
			l, ok := w.Next()
			if !ok {
				break
			}
			sum += l.Y
		}
	})
	if allocs != 0 {
		t.Errorf("WalkRoute and Walk allocate %g times per route, want 0", allocs)
	}
}

func TestLinkFromEdges(t *testing.T) {
	tg := board2x2(t, RoutingXY)
	for _, tc := range []struct {
		x, y int
		d    Direction
		ok   bool
	}{{0, 0, West, false}, {0, 0, South, false}, {3, 3, East, false}, {3, 3, North, false}, {0, 0, East, true}, {3, 3, West, true}, {4, 0, West, false}} {
		if _, ok := tg.LinkFrom(tc.x, tc.y, tc.d); ok != tc.ok {
			t.Errorf("LinkFrom(%d, %d, %v) ok = %v, want %v", tc.x, tc.y, tc.d, ok, tc.ok)
		}
	}
}
