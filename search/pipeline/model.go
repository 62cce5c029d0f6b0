package pipeline

import (
	"fmt"

	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/search/engine/train"
)

// ModelUse is what a command does with a model argument; it decides which
// kinds of model LoadModel accepts.
type ModelUse int

const (
	// UseTrained (compile, export) wants a trained graph: a checkpoint, an
	// IR directory or file, a NIR file, or an architecture given seeded
	// random weights (ModelRequest.RandomWeights).
	UseTrained ModelUse = iota + 1
	// UseEval wants a training checkpoint (its epoch and data spec are
	// reported) or a NIR file.
	UseEval
	// UseTrain wants an architecture to train, or a NIR file to fine-tune.
	UseTrain
	// UseShow takes anything: a NIR file's graph, or an architecture's spec.
	UseShow
)

// ModelRequest is a model argument and the options that read it: the
// CLI's --model or --arch with --dt, --T, --C, --classes, --input and
// --random-weights. Errors name the argument as Flag does.
type ModelRequest struct {
	// Arg is the argument: a path (recognised by content, see
	// frontend.ReadModelNIR), a zoo name or a block list.
	Arg string
	// Flag names the argument in errors ("--model", "--arch"); "" for a
	// positional argument.
	Flag string
	Use  ModelUse
	// NIR imports a NIR file (DT in (0, 1] seconds; T timesteps, 0: the
	// default). DTSet and TSet say that the user chose them: a dt on
	// anything but a NIR file is refused, and a T on a graph whose T is
	// fixed (checkpoint, IR directory or file).
	NIR         frontend.NIROptions
	DTSet, TSet bool
	// C, T and Classes (0 leaves the spec's) and Input (nil leaves it)
	// override an architecture's spec.
	C, T, Classes int
	Input         []int
	// Command names the command: it starts the errors and is the verb of
	// their advice ("compile a checkpoint").
	Command string
	// RandomWeights, when RandomSet, seeds the weights of an architecture
	// under UseTrained; a trained model then refuses it.
	RandomWeights uint64
	RandomSet     bool
	// Check, when not nil, runs on an architecture's lowered graph before
	// random weights are allocated (a memory check).
	Check func(*ir.Graph) error
}

// Model is a model argument loaded by LoadModel.
type Model struct {
	Kind frontend.ModelKind
	// Graph is the graph to run: trained (checkpoint, NIR file, or an
	// architecture under UseTrained with random weights) or an IR
	// directory's; nil for an architecture under UseTrain and UseShow.
	Graph *ir.Graph
	// Spec is the architecture (overrides applied) when Kind is
	// frontend.KindArchitecture.
	Spec frontend.Spec
	// From describes where the graph comes from for reports: "NIR file,
	// dt 0.0001 s, T 10" or "epoch 3, 1875 steps" (a checkpoint under
	// UseEval); "" otherwise.
	From string
	// Data is the dataset spec a checkpoint was trained on (UseEval); ""
	// when the model records none.
	Data string
}

// LoadModel decides what r.Arg is and loads it for r.Use. A NIR file is
// imported as it was written (the chip form, pools folded into the
// projections after them, is the compiler's lower-ops pass), so that
// eval, train, compile and simulate all start from the same graph. Errors
// start with r.Command, except a spec file's and a checkpoint's own, which
// start with the file (so that an editor can jump to the line).
func LoadModel(r ModelRequest) (*Model, error) {
	cmd := r.Command + ": "
	if r.Command == "" {
		cmd = ""
	}
	what, name := "file", r.Arg
	if r.Flag != "" {
		what, name = r.Flag, r.Flag+" "+r.Arg
	}
	var fm frontend.Model
	switch r.Use {
	case UseEval:
		return loadEval(r, cmd, what)
	case UseTrained:
		var err error
		if fm, err = frontend.ReadModelNIR(r.Arg, r.NIR); err != nil {
			return nil, fmt.Errorf("%s%s: %w", cmd, what, err)
		}
	default: // a NIR file or an architecture
		g, ok, err := frontend.ReadNIRFile(r.Arg, r.NIR)
		if ok && err != nil {
			if r.Flag == "" {
				return nil, err
			}
			return nil, fmt.Errorf("%s%s: %w", cmd, what, err)
		}
		if ok {
			fm = frontend.Model{Kind: frontend.KindNIR, Graph: g}
		} else if r.DTSet {
			return nil, fmt.Errorf("%s--dt is for a NIR %s, but %s is not one", cmd, what, r.Arg)
		} else if fm.Spec, err = frontend.Resolve(r.Arg); err != nil {
			return nil, err
		}
	}
	m := &Model{Kind: fm.Kind, Graph: fm.Graph}
	if fm.Kind == frontend.KindNIR {
		m.From = fmt.Sprintf("NIR file, dt %g s, T %d", r.NIR.DT, fm.Graph.T)
	} else if r.DTSet {
		return nil, fmt.Errorf("%s--dt is for a NIR %s, but %s is %s", cmd, what, r.Arg, aKind(fm.Kind))
	}
	if fm.Graph != nil {
		switch {
		case r.TSet && fm.Kind != frontend.KindNIR:
			return nil, fmt.Errorf("%s--T is for a NIR or architecture %s, but %s is %s (its T is %d)", cmd, what, r.Arg, aKind(fm.Kind), fm.Graph.T)
		case r.Use == UseTrain:
			for _, f := range []struct {
				name string
				set  bool
			}{{"C", r.C != 0}, {"input", r.Input != nil}, {"classes", r.Classes != 0}} {
				if f.set {
					return nil, fmt.Errorf("%s--%s with the NIR %s %s, whose trained graph fixes its shape; drop --%s", cmd, f.name, what, r.Arg, f.name)
				}
			}
		case r.Use == UseTrained && r.RandomSet:
			return nil, fmt.Errorf("%s--random-weights is for an architecture %s, but %s is a trained network", cmd, what, r.Arg)
		}
		return m, nil
	}
	m.Kind, m.Spec = frontend.KindArchitecture, fm.Spec
	if r.C != 0 {
		m.Spec.Channels = r.C
	}
	if r.T != 0 {
		m.Spec.T = r.T
	}
	if r.Classes != 0 {
		m.Spec.Classes = r.Classes
	}
	if r.Input != nil {
		m.Spec.Input = r.Input
	}
	if r.Use != UseTrained {
		return m, nil
	}
	if !r.RandomSet {
		verb := r.Command
		if verb == "" {
			verb = "use"
		}
		return nil, fmt.Errorf("%s%s is an untrained architecture; %s a checkpoint, or pass --random-weights SEED to test with seeded random weights", cmd, name, verb)
	}
	g, err := frontend.Lower(m.Spec)
	if err != nil {
		return nil, fmt.Errorf("%s%s: %w", cmd, name, err)
	}
	if r.Check != nil {
		if err := r.Check(g); err != nil {
			return nil, err
		}
	}
	frontend.RandomWeights(g, r.RandomWeights)
	m.Graph = g
	return m, nil
}

// loadEval loads r under UseEval: a NIR file, or a training checkpoint
// read with its history (its errors are the checkpoint reader's).
func loadEval(r ModelRequest, cmd, what string) (*Model, error) {
	if g, ok, err := frontend.ReadNIRFile(r.Arg, r.NIR); ok {
		if err != nil {
			return nil, fmt.Errorf("%s%s: %w", cmd, what, err)
		}
		return &Model{Kind: frontend.KindNIR, Graph: g, From: fmt.Sprintf("NIR file, dt %g s, T %d", r.NIR.DT, g.T)}, nil
	}
	if r.DTSet || r.TSet {
		return nil, fmt.Errorf("%s--dt and --T are for a NIR %s, but %s is not one", cmd, what, r.Arg)
	}
	ck, err := train.ReadCheckpoint(r.Arg)
	if err != nil {
		return nil, err
	}
	return &Model{Kind: frontend.KindCheckpoint, Graph: ck.Graph, From: fmt.Sprintf("epoch %d, %d steps", ck.Epoch, ck.Step), Data: ck.Hyper.Data}, nil
}

// aKind is k with its article: "a checkpoint", "an IR directory".
func aKind(k frontend.ModelKind) string {
	if k == frontend.KindIRDir || k == frontend.KindIRFile || k == frontend.KindArchitecture {
		return "an " + k.String()
	}
	return "a " + k.String()
}
