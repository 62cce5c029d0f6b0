package pipeline

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/search/dataset"
	"github.com/autosnn/autosnn/search/engine/train"
)

func TestCommandString(t *testing.T) {
	c := Command{Name: "lambda"}.With("lambda", []float64{0, -0.08}).With("seed", uint64(3)).With("tolerance", 2.5).
		With("images", 20).With("out", "my dir/it's").With("quiet", "")
	want := `autosnn lambda --lambda 0,-0.08 --seed 3 --tolerance 2.5 --images 20 --out 'my dir/it'\''s' --quiet`
	if got := c.String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// With does not share the flag slice between derived commands.
	base := Command{Name: "x"}.With("a", "1")
	b1, b2 := base.With("b", "2"), base.With("c", "3")
	if b1.String() != "autosnn x --a 1 --b 2" || b2.String() != "autosnn x --a 1 --c 3" {
		t.Errorf("derived commands: %q, %q", b1, b2)
	}
}

// TestDemoCommands: the demo's commands are its configuration (the flags
// themselves are checked against the CLI in cmd/autosnn).
func TestDemoCommands(t *testing.T) {
	cfg := DefaultDemoConfig()
	cfg.Out, cfg.Budget, cfg.AccTolerance = "out", Budget{Cores: 64}, 0.025
	cmds := DemoCommands(cfg, "SRB_k3,skip")
	var names []string
	for _, c := range cmds {
		names = append(names, c.Name)
	}
	if strings.Join(names, " ") != "supernet lambda train eval compile simulate" {
		t.Fatalf("commands %v", names)
	}
	for i, want := range []string{"--limit 16000 --seed 1 --out " + filepath.Join("out", "supernet.ckpt"),
		"--budget cores=64 --tolerance 2.5 --evals 50", "--arch SRB_k3,skip", "--eval-limit 1000", "--profile-samples 4 --seed 1", "--images 200"} {
		if !strings.Contains(cmds[i].String(), want) {
			t.Errorf("%s: %q lacks %q", cmds[i].Name, cmds[i], want)
		}
	}
}

func TestAugment(t *testing.T) {
	rgb, gray := &dataset.Set{Kind: dataset.Static, C: 3}, &dataset.Set{Kind: dataset.Static, C: 1}
	for _, c := range []struct {
		policy string
		set    *dataset.Set
		pad    int
		flip   bool
	}{
		{AugmentAuto, rgb, 4, true}, {AugmentAuto, gray, 0, false}, {AugmentCropFlip, gray, 4, true},
		{AugmentCrop, rgb, 4, false}, {AugmentNone, rgb, 0, false},
	} {
		h := train.Hyper{Cutout: 16}
		if err := Augment(&h, c.policy, c.set); err != nil || h.Pad != c.pad || h.Flip != c.flip || h.Cutout != 16 {
			t.Errorf("%s on %d channels: pad %d flip %v cutout %d (%v), want %d %v 16", c.policy, c.set.C, h.Pad, h.Flip, h.Cutout, err, c.pad, c.flip)
		}
	}
	if err := Augment(&train.Hyper{}, "standard", rgb); err == nil || !strings.Contains(err.Error(), "crop-flip") {
		t.Errorf("unknown policy: got %v, want an error listing the policies", err)
	}
	h := train.Hyper{Batch: 8, Seed: 2, Limit: 5, Pad: 4}
	s := DataSource(rgb, h, dataset.Train, dataset.Val, 7)
	if s.Augment == nil || s.Augment.Pad != 4 || s.Batch != 8 || s.Limit != 5 || s.EvalLimit != 7 || s.EvalSplit != dataset.Val {
		t.Errorf("data source %+v", s)
	}
	if DataSource(rgb, train.Hyper{Batch: 8}, dataset.Train, dataset.Val, 0).Augment != nil {
		t.Errorf("no augmentation asked for, but the source augments")
	}
}
