package backends

import (
	"bytes"
	"testing"
)

// FuzzParse checks that no input makes Parse panic, and that every accepted
// profile yields a Target whose helpers work on its first and last cores.
// Run with: go test ./backends -run '^$' -fuzz FuzzParse -fuzztime 30s
func FuzzParse(f *testing.F) {
	for _, name := range Builtins() {
		src, err := BuiltinSource(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	f.Add([]byte("version: 1\nmesh: {tiles_x: -1}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data, "fuzz.yaml")
		if err != nil {
			return
		}
		tg, err := NewTarget(p, "fuzz.yaml")
		if err != nil {
			t.Fatalf("Parse accepted a profile NewTarget rejects: %v", err)
		}
		last := tg.NumCores - 1
		tg.Route(0, last)
		tg.MessageEnergyPJ(last, 0)
		tg.MessageLatencyNs(0, last)
		tg.SyncNs(tg.NumTiles)
		tg.NeuronCapacity(last)
		tg.SynapticMemoryBytes(last)
		var buf bytes.Buffer
		if err := tg.WriteText(&buf); err != nil {
			t.Fatal(err)
		}
		out, err := Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(out, "again.yaml"); err != nil {
			t.Fatalf("marshalled profile does not parse: %v\n%s", err, out)
		}
	})
}
