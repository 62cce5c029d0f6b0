package pipeline

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/search/dataset"
	"github.com/autosnn/autosnn/search/engine/train"
)

// TestLoadModel: every kind of model argument under every use, loaded or
// refused with the argument, the option and the advice named.
func TestLoadModel(t *testing.T) {
	nir := filepath.Join("..", "..", "frontend", "testdata", "nir", "snntorch_mlp.nir")
	ckpt := filepath.Join("..", "..", "frontend", "testdata", "tiny-v1.ckpt")
	dt := frontend.NIROptions{DT: frontend.DefaultNIRDT}
	for _, tc := range []struct {
		name string
		r    ModelRequest
		kind frontend.ModelKind
		want string // error substring, or "" to load
		from string // Model.From substring
	}{
		{"compile nir", ModelRequest{Arg: nir, Flag: "--model", Use: UseTrained, NIR: frontend.NIROptions{DT: 2e-4, T: 5}, DTSet: true, TSet: true, Command: "compile"}, frontend.KindNIR, "", "NIR file, dt 0.0002 s, T 5"},
		{"compile checkpoint", ModelRequest{Arg: ckpt, Flag: "--model", Use: UseTrained, NIR: dt, Command: "compile"}, frontend.KindCheckpoint, "", ""},
		{"compile checkpoint T", ModelRequest{Arg: ckpt, Flag: "--model", Use: UseTrained, NIR: dt, TSet: true, T: 3, Command: "compile"}, 0, "compile: --T is for a NIR or architecture --model, but " + ckpt + " is a checkpoint (its T is", ""},
		{"compile arch dt", ModelRequest{Arg: "autosnn", Flag: "--model", Use: UseTrained, NIR: dt, DTSet: true, RandomSet: true, Command: "compile"}, 0, "compile: --dt is for a NIR --model, but autosnn is an architecture", ""},
		{"compile untrained", ModelRequest{Arg: "autosnn", Flag: "--model", Use: UseTrained, NIR: dt, Command: "compile"}, 0, "compile: --model autosnn is an untrained architecture; compile a checkpoint, or pass --random-weights SEED", ""},
		{"compile random", ModelRequest{Arg: "autosnn", Flag: "--model", Use: UseTrained, NIR: dt, C: 4, RandomSet: true, RandomWeights: 1, Command: "compile"}, frontend.KindArchitecture, "", ""},
		{"export trained random", ModelRequest{Arg: nir, Flag: "--model", Use: UseTrained, NIR: dt, RandomSet: true, Command: "export"}, 0, "export: --random-weights is for an architecture --model, but " + nir + " is a trained network", ""},
		{"train nir", ModelRequest{Arg: nir, Flag: "--arch", Use: UseTrain, NIR: dt, Command: "train"}, frontend.KindNIR, "", "NIR file"},
		{"train nir C", ModelRequest{Arg: nir, Flag: "--arch", Use: UseTrain, NIR: dt, C: 8, Command: "train"}, 0, "train: --C with the NIR --arch " + nir + ", whose trained graph fixes its shape; drop --C", ""},
		{"train arch dt", ModelRequest{Arg: "autosnn", Flag: "--arch", Use: UseTrain, NIR: dt, DTSet: true, Command: "train"}, 0, "train: --dt is for a NIR --arch, but autosnn is not one", ""},
		{"train arch", ModelRequest{Arg: "autosnn", Flag: "--arch", Use: UseTrain, NIR: dt, C: 4, T: 3, Command: "train"}, frontend.KindArchitecture, "", ""},
		{"train unknown", ModelRequest{Arg: "nosuch", Flag: "--arch", Use: UseTrain, NIR: dt, Command: "train"}, 0, `frontend: "nosuch" is not a zoo entry`, ""},
		{"eval nir", ModelRequest{Arg: nir, Flag: "--model", Use: UseEval, NIR: dt, Command: "eval"}, frontend.KindNIR, "", "NIR file, dt 0.0001 s, T 10"},
		{"eval checkpoint", ModelRequest{Arg: ckpt, Flag: "--model", Use: UseEval, NIR: dt, Command: "eval"}, frontend.KindCheckpoint, "", "epoch "},
		{"eval checkpoint dt", ModelRequest{Arg: ckpt, Flag: "--model", Use: UseEval, NIR: dt, DTSet: true, Command: "eval"}, 0, "eval: --dt and --T are for a NIR --model, but " + ckpt + " is not one", ""},
		{"show nir", ModelRequest{Arg: nir, Use: UseShow, NIR: dt, Command: "show"}, frontend.KindNIR, "", "NIR file"},
		{"show arch dt", ModelRequest{Arg: "autosnn", Use: UseShow, NIR: dt, DTSet: true, Command: "show"}, 0, "show: --dt is for a NIR file, but autosnn is not one", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := LoadModel(tc.r)
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("LoadModel = %v, want an error containing %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.Kind != tc.kind || !strings.Contains(m.From, tc.from) {
				t.Fatalf("kind %v from %q, want %v from %q", m.Kind, m.From, tc.kind, tc.from)
			}
			switch {
			case tc.r.Use == UseTrain && m.Kind == frontend.KindArchitecture:
				if m.Graph != nil || m.Spec.Channels != tc.r.C || m.Spec.T != tc.r.T {
					t.Fatalf("architecture: graph %v, spec C %d T %d; want no graph, C %d, T %d", m.Graph != nil, m.Spec.Channels, m.Spec.T, tc.r.C, tc.r.T)
				}
			case m.Graph == nil || !m.Graph.Trained():
				t.Fatalf("%v: want a trained graph", m.Kind)
			case tc.r.Use == UseTrained && m.Kind == frontend.KindNIR && m.Graph.T != 5:
				t.Fatalf("T %d, want --T 5", m.Graph.T)
			}
			if m.Kind == frontend.KindNIR && m.Graph.Input().Shape != (ir.Shape{C: 784, H: 1, W: 1}) {
				t.Fatalf("input %v, want the MLP's [784]", m.Graph.Input().Shape)
			}
		})
	}
}

// TestTrainStart: a run's shape comes from what it starts from, and a
// start with nothing to start from is refused, not a nil dereference.
func TestTrainStart(t *testing.T) {
	m, err := LoadModel(ModelRequest{Arg: filepath.Join("..", "..", "frontend", "testdata", "nir", "snntorch_mlp.nir"), Use: UseTrain, NIR: frontend.NIROptions{DT: frontend.DefaultNIRDT, T: 7}})
	if err != nil {
		t.Fatal(err)
	}
	arch := frontend.Spec{T: 6, Input: []int{1, 32, 32}}
	for _, tc := range []struct {
		st      TrainStart
		T, side int
	}{{TrainStart{Graph: m.Graph}, 7, 1}, {TrainStart{Arch: &arch}, 6, 32}, {TrainStart{Arch: &frontend.Spec{T: 5}}, 5, 0}} {
		if T, side := tc.st.Shape(); T != tc.T || side != tc.side {
			t.Errorf("%+v: T %d side %d, want %d and %d", tc.st, T, side, tc.T, tc.side)
		}
	}
	if _, err := (TrainStart{}).Trainer(context.Background(), nil, train.Hyper{}, "", 0); err == nil {
		t.Error("an empty start built a trainer")
	}
	if err := (TrainStart{}).CheckMemory(context.Background(), dataset.Spec{}, dataset.Options{}, 1); err == nil {
		t.Error("an empty start passed the memory check")
	}
}
