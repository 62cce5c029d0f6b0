package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// badInvocations are command lines a user gets wrong (issue #19, items 2,
// 4 and 6, and their kind): misspelt commands and flags, extra arguments,
// missing and out-of-range values, impossible output paths, bad YAML. Each
// must exit 1 before any work, with one line on stderr that starts with
// want. In args and want, $OUT is a fresh output directory (not yet
// created) and $DIR holds the fixtures of badFixtures.
var badInvocations = []struct {
	args string
	want string
}{
	// Unknown commands and flags: one line with a suggestion.
	{"trian", `autosnn: unknown command "trian"; did you mean "train"?`},
	{"simulte --out $OUT", `autosnn: unknown command "simulte"; did you mean "simulate"?`},
	{"xyzzy", `autosnn: unknown command "xyzzy" (list: autosnn --help)`},
	{"help trian", `autosnn: unknown command "trian"; did you mean "train"?`},
	{"data inspct mnist", `autosnn: unknown data sub-command "inspct"; did you mean "inspect"?`},
	{"chips shwo", `autosnn: chips: unexpected argument "shwo" (did you mean 'chips show shwo'?)`},
	{"--bogus", "autosnn: unknown flag --bogus (see autosnn --help)"},
	{"train --epoch 2 --out $OUT/m.ckpt", "autosnn: train: unknown flag --epoch; did you mean --epochs?"},
	{"compile --chipp loihi1 --out $OUT", "autosnn: compile: unknown flag --chipp; did you mean --chip?"},
	{"simulate --image 3 --out $OUT", "autosnn: simulate: unknown flag --image; did you mean --images?"},
	{"search --lamda -0.08 --out $OUT", "autosnn: search: unknown flag --lamda; did you mean --lambda?"},
	{"eval --modle x", "autosnn: eval: unknown flag --modle; did you mean --model?"},
	{"supernet --sapce snn1 --out $OUT/s.ckpt", "autosnn: supernet: unknown flag --sapce; did you mean --space?"},
	{"demo --outt $OUT", "autosnn: demo: unknown flag --outt; did you mean --out?"},
	{"data inspect --szie 32 mnist", "autosnn: data inspect: unknown flag --szie; did you mean --size?"},
	{"zoo --x", "autosnn: zoo: unknown flag -x (see autosnn zoo --help)"},
	{"train --epochs x --out $OUT/m.ckpt", `autosnn: train: invalid value "x" for flag --epochs: parse error`},
	{"compile --model autosnn --out", "autosnn: compile: flag needs an argument: --out"},

	// Positional arguments where a command takes none, or the wrong number.
	{"zoo extra", `autosnn: zoo: unexpected argument "extra" (the command takes flags only)`},
	{"train --arch autosnn --out $OUT/m.ckpt extra", `autosnn: train: unexpected argument "extra"`},
	{"train --arch autosnn extra --out $OUT/m.ckpt", `autosnn: train: unexpected argument "extra" before --out`},
	{"eval --model x extra", `autosnn: eval: unexpected argument "extra"`},
	{"supernet --out $OUT/s.ckpt extra", `autosnn: supernet: unexpected argument "extra"`},
	{"search --supernet x --data mnist --out $OUT extra", `autosnn: search: unexpected argument "extra"`},
	{"compile --model autosnn --out $OUT extra", `autosnn: compile: unexpected argument "extra"`},
	{"simulate --mapping x --out $OUT extra", `autosnn: simulate: unexpected argument "extra"`},
	{"lambda --supernet x --data mnist --out $OUT extra", `autosnn: lambda: unexpected argument "extra"`},
	{"demo --out $OUT extra", `autosnn: demo: unexpected argument "extra"`},
	{"chips list", `autosnn: chips: unexpected argument "list"`},
	{"show", "autosnn: show: want one architecture argument, got 0"},
	{"show autosnn extra", "autosnn: show: want one architecture argument, got 2"},
	{"show autosnn -C 4", "autosnn: show: flag -C after the architecture, want flags first: autosnn show -C ARCH"},
	{"data inspect --out $OUT", "autosnn: data inspect: got 0 arguments, want one data SPEC"},
	{"chips show", "autosnn: chips show: got 0 arguments, want one chip NAME or FILE"},

	// Required flags: one line, not the whole help.
	{"train", "autosnn: train: --out is required (see autosnn train --help)"},
	{"eval", "autosnn: eval: --model is required"},
	{"compile --out $OUT", "autosnn: compile: --model is required"},
	{"simulate --out $OUT", "autosnn: simulate: --mapping is required"},
	{"search --out $OUT", "autosnn: search: --supernet is required"},
	{"lambda --supernet x --out $OUT", "autosnn: lambda: --data is required"},

	// train: ranges and names, checked before the data is read.
	{"train --arch autosnn --epochs 0 --out $OUT/m.ckpt", "autosnn: train: --epochs 0, want >= 1"},
	{"train --arch autosnn --batch 0 --out $OUT/m.ckpt", "autosnn: train: --batch 0, want >= 1"},
	{"train --arch autosnn --checkpoint-every -1 --out $OUT/m.ckpt", "autosnn: train: --checkpoint-every -1, want >= 0"},
	{"train --arch autosnn --eval-limit -1 --out $OUT/m.ckpt", "autosnn: train: --eval-limit -1, want >= 0"},
	{"train --arch autosnn --limit -5 --out $OUT/m.ckpt", "autosnn: train: --limit -5, want >= 0"},
	{"train --arch autosnn --lr 0 --out $OUT/m.ckpt", "autosnn: train: --lr 0, want a number in (0, inf)"},
	{"train --arch autosnn --lr -1 --out $OUT/m.ckpt", "autosnn: train: --lr -1, want a number in (0, inf)"},
	{"train --arch autosnn --spike-reg -1 --out $OUT/m.ckpt", "autosnn: train: --spike-reg -1, want a number in [0, inf)"},
	{"train --arch autosnn -C 0 --out $OUT/m.ckpt", "autosnn: train: --C 0, want >= 1"},
	{"train --arch autosnn --size 0 --out $OUT/m.ckpt", "autosnn: train: --size 0, want 1 <= pixels <= 128"},
	{"train --arch autosnn --size 256 --out $OUT/m.ckpt", "autosnn: train: --size 256, want 1 <= pixels <= 128"},
	{"train --arch autosnn --augment blur --out $OUT/m.ckpt", `autosnn: train: --augment "blur", want one of auto, crop-flip, crop, none`},
	{"train --arch autosnn --split test --out $OUT/m.ckpt", `autosnn: train: --split "test", want one of train, full-train`},
	{"train --arch autosnn --eval-split nope --out $OUT/m.ckpt", `autosnn: train: --eval-split "nope", want one of val, test, none`},
	{"train --arch autosnn --data imagenet --out $OUT/m.ckpt", `autosnn: train: --data: dataset: unknown dataset "imagenet"`},
	{"train --arch autosnn --input 1,x --out $OUT/m.ckpt", `autosnn: train: --input "1,x": want three integers C,H,W`},
	{"train --arch nosuch --out $OUT/m.ckpt", `autosnn: frontend: "nosuch" is not a zoo entry`},
	{"train --arch $DIR/misspelt.yaml --out $OUT/m.ckpt", "autosnn: $DIR/misspelt.yaml:3: unknown key chanels; did you mean channels?"},
	{"train --arch $DIR/unclosed.yaml --out $OUT/m.ckpt", "autosnn: $DIR/unclosed.yaml:3: the flow list opened here is not closed (want ])"},
	{"train --arch $DIR/badtype.yaml --out $OUT/m.ckpt", `autosnn: $DIR/badtype.yaml:2: timesteps: "eight" is not an integer`},
	{"train --resume --out $DIR/bad.ckpt", "autosnn: train: checkpoint $DIR/bad.ckpt: not an autosnn checkpoint"},
	// train: impossible output paths, refused before the data is read.
	{"train --arch autosnn --out $DIR/afile/m.ckpt", "autosnn: train: --out: pipeline: output file $DIR/afile/m.ckpt: $DIR/afile is a file, want a directory"},
	{"train --arch autosnn --out $DIR", "autosnn: train: --out: pipeline: output file $DIR is a directory, want a file path"},
	{"train --arch autosnn --out $DIR/afile/sub/m.ckpt", "autosnn: train: --out: pipeline: output file $DIR/afile/sub/m.ckpt: $DIR/afile is a file, want a directory"},
	{"train --arch autosnn --out /proc/autosnn/m.ckpt", "autosnn: train: --out: pipeline: output file /proc/autosnn/m.ckpt: cannot create its directory"},

	// eval.
	{"eval --model x --eval-limit -1", "autosnn: eval: --eval-limit -1, want >= 0"},
	{"eval --model x --limit -1", "autosnn: eval: --eval-limit -1, want >= 0"},
	{"eval --model x --batch 0", "autosnn: eval: --batch 0, want >= 1"},
	{"eval --model x --chip loihi1,nochip", "autosnn: eval: --chip: "},
	{"eval --model x --size 0", "autosnn: eval: --size 0, want 1 <= pixels <= 128"},
	{"eval --model x --split nope", "autosnn: eval: --split: dataset: unknown split"},
	{"eval --model $DIR/bad.ckpt --out $OUT", "autosnn: train: checkpoint $DIR/bad.ckpt: not an autosnn checkpoint"},

	// supernet.
	{"supernet --data mnist -C 0 --out $OUT/s.ckpt", "autosnn: supernet: --C 0, want >= 1"},
	{"supernet --data mnist --epochs 0 --out $OUT/s.ckpt", "autosnn: supernet: --epochs 0, want >= 1"},
	{"supernet --data mnist --checkpoint-every -2 --out $OUT/s.ckpt", "autosnn: supernet: --checkpoint-every -2, want >= 0"},
	{"supernet --data mnist --space snn9 --out $OUT/s.ckpt", `autosnn: supernet: --space "snn9", want one of snn1, snn2`},
	{"supernet --data cifar10 --out $OUT/s.ckpt", `autosnn: supernet: --data: dataset: spec "cifar10" needs the directory of the files`},
	{"supernet --data mnist --out $DIR", "autosnn: supernet: --out: pipeline: output file $DIR is a directory"},

	// search.
	{"search --supernet x --data mnist --evals 0 --out $OUT", "autosnn: search: --evals 0, want >= 1"},
	{"search --supernet x --data mnist --mutation-prob 2 --out $OUT", "autosnn: search: --mutation-prob 2, want a number in [0, 1]"},
	{"search --supernet x --data mnist --val-limit -1 --out $OUT", "autosnn: search: --val-limit -1, want >= 0"},
	{"search --supernet x --data mnist --lambda 1,x --out $OUT", `autosnn: search: --lambda "1,x": "x" is not a number`},
	{"search --supernet x --data mnist --algo grid --out $OUT", `autosnn: search: --algo "grid", want one of evolution, random`},
	{"search --supernet $DIR/bad.ckpt --data mnist --out $OUT", "autosnn: search: --supernet: "},

	// compile.
	{"compile --model autosnn -C 4 --random-weights 1 --out $DIR/afile", "autosnn: compile: --out: pipeline: output directory $DIR/afile exists and is a file, want a directory"},
	{"compile --model autosnn --effort 0 --out $OUT", "autosnn: compile: --effort 0, want a number in (0, 100]"},
	{"compile --model autosnn --granularity -1 --out $OUT", "autosnn: compile: --granularity -1, want >= 0"},
	{"compile --model autosnn --profile-samples -1 --out $OUT", "autosnn: compile: --profile-samples -1, want >= 0"},
	{"compile --model autosnn --stop-after nopass --out $OUT", `autosnn: compile: --stop-after "nopass", want one of fold-bn`},
	{"compile --model autosnn --data imagenet --out $OUT", `autosnn: compile: --data: dataset: unknown dataset "imagenet"`},
	{"compile --model autosnn --chip nochip --out $OUT", `autosnn: compile: --chip: backends: unknown chip "nochip"`},
	{"compile --model autosnn --chip $DIR/chip.yaml --out $OUT", "autosnn: compile: --chip: backends: $DIR/chip.yaml: line 3: unknown key tiles_xx; did you mean tiles_x?"},
	{"compile --model autosnn -C 4 --out $OUT", "autosnn: compile: --model autosnn is an untrained architecture"},

	// simulate: every flag before the mapping is read and the baseline runs.
	{"simulate --mapping $DIR/nomapping --out $OUT --sweep-bandwidth 1,x", `autosnn: simulate: --sweep-bandwidth: "x" is not a positive number`},
	{"simulate --mapping $DIR/nomapping --out $OUT --sweep-buffer 0", `autosnn: simulate: --sweep-buffer: "0" is not a positive number`},
	{"simulate --mapping $DIR/nomapping --out $OUT --sweep-buffer 1 --sweep-bandwidth 1", "autosnn: simulate: give --sweep-bandwidth or --sweep-buffer, not both"},
	{"simulate --mapping $DIR/nomapping --out $OUT --images 0", "autosnn: simulate: --images 0, want >= 1"},
	{"simulate --mapping $DIR/nomapping --out $OUT --overflow lossy", `autosnn: simulate: --overflow "lossy", want one of backpressure, drop`},
	{"simulate --mapping $DIR/nomapping --out $OUT --semantics sanafe", `autosnn: simulate: --semantics "sanafe", want one of chip, trained, both`},
	{"simulate --mapping $DIR/nomapping --out $OUT --drop-wait -1", "autosnn: simulate: --drop-wait -1, want a number in [0, inf)"},
	{"simulate --mapping $DIR/nomapping --out $OUT --split nope", "autosnn: simulate: --split: dataset: unknown split"},
	{"simulate --mapping $DIR/nomapping --out $OUT --data cifar10", `autosnn: simulate: --data: dataset: spec "cifar10" needs the directory`},

	// lambda.
	{"lambda --supernet x --data mnist --tolerance 100 --out $OUT", "autosnn: lambda: --tolerance 100, want 0 <= percentage points < 100"},
	{"lambda --supernet x --data mnist --cost watts --out $OUT", `autosnn: lambda: --cost "watts", want one of spikes`},
	{"lambda --supernet x --data mnist --images 0 --out $OUT", "autosnn: lambda: --images 0, want >= 1"},
	{"lambda --supernet x --data mnist --rank-check -1 --out $OUT", "autosnn: lambda: --rank-check -1, want >= 0"},
	{"lambda --supernet x --data mnist --budget cores=x --out $OUT", `autosnn: lambda: --budget: pipeline: budget "cores=x": cores=x: want >= 1 (a whole number of cores)`},
	{"lambda --supernet x --data mnist --chip nochip --out $OUT", `autosnn: lambda: --chip: backends: unknown chip "nochip"`},

	// demo: refused before MNIST is loaded.
	{"demo -C 0 --out $OUT", "autosnn: demo: --C 0, want >= 1"},
	{"demo --images 0 --out $OUT", "autosnn: demo: --images 0, want >= 1"},
	{"demo --lambda 0,abc --out $OUT", `autosnn: demo: --lambda "0,abc": "abc" is not a number`},
	{"demo --chip nochip --out $OUT", `autosnn: demo: --chip: backends: unknown chip "nochip"`},
	{"demo --out $DIR/afile", "autosnn: demo: --out: pipeline: output directory $DIR/afile exists and is a file, want a directory"},

	// data inspect.
	{"data inspect --T 0 --out $OUT mnist", "autosnn: data inspect: --T 0, want >= 1"},
	{"data inspect --size 500 --out $OUT mnist", "autosnn: data inspect: --size 500, want 1 <= pixels <= 128"},
	{"data inspect --out $OUT imagenet", `autosnn: data inspect: dataset: unknown dataset "imagenet"`},
	{"data inspect --split nope --out $OUT mnist", "autosnn: data inspect: --split: dataset: unknown split"},
	{"data inspect --out $DIR/afile mnist", "autosnn: data inspect: --out: pipeline: output directory $DIR/afile exists and is a file"},

	// show.
	{"show $DIR/misspelt.yaml", "autosnn: $DIR/misspelt.yaml:3: unknown key chanels; did you mean channels?"},
	{"show -C 0 autosnn", "autosnn: show: --C 0, want >= 1"},
	{"show --out $DIR/afile autosnn", "autosnn: show: --out: pipeline: output directory $DIR/afile exists and is a file"},
}

// badFixtures are the files of $DIR.
var badFixtures = map[string]string{
	"bad.ckpt":      "not a checkpoint",
	"afile":         "a file where a directory is expected",
	"misspelt.yaml": "name: x\nmacro: snn1\nchanels: 4\n",
	"unclosed.yaml": "name: x\nmacro: snn1\nblocks: [SRB_k3, skip\ntimesteps: 2\n",
	"badtype.yaml":  "name: x\ntimesteps: eight\n",
	"chip.yaml":     "version: 1\nmesh:\n  tiles_xx: 2\n",
}

// TestBadInvocations runs each bad invocation as its own process (the test
// binary re-executed as autosnn, TestBadInvocationProcess) and checks the
// exit code, that stderr is one line starting with the wanted error and no
// goroutine dump, and that no file was written to the output directory.
func TestBadInvocations(t *testing.T) {
	if len(badInvocations) < 60 {
		t.Fatalf("%d bad invocations, want at least 60 (issue #19)", len(badInvocations))
	}
	dir := t.TempDir()
	for name, data := range badFixtures {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, bc := range badInvocations {
		t.Run(bc.args, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			out := filepath.Join(root, "out")
			expand := func(s string) string {
				return strings.NewReplacer("$OUT", out, "$DIR", dir).Replace(s)
			}
			args := strings.Fields(expand(bc.args))
			enc, _ := json.Marshal(args)
			cmd := exec.Command(os.Args[0], "-test.run=^TestBadInvocationProcess$")
			cmd.Env = append(os.Environ(), "AUTOSNN_BAD_ARGS="+string(enc))
			cmd.Dir = root
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Errorf("exit: %v, want exit status 1", err)
			}
			got := strings.TrimRight(stderr.String(), "\n")
			if want := expand(bc.want); !strings.HasPrefix(got, want) {
				t.Errorf("stderr %q, want a line starting with %q", got, want)
			}
			if strings.Contains(got, "\n") {
				t.Errorf("stderr has %d lines, want one:\n%s", strings.Count(got, "\n")+1, got)
			}
			if strings.Contains(got, "goroutine ") || strings.Contains(got, "panic") {
				t.Errorf("stderr has a goroutine dump or panic:\n%s", got)
			}
			filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					t.Errorf("left %s after the error", p)
				}
				return nil
			})
		})
	}
}

// TestBadInvocationProcess is the autosnn process of TestBadInvocations:
// it runs main with the arguments in $AUTOSNN_BAD_ARGS.
func TestBadInvocationProcess(t *testing.T) {
	enc := os.Getenv("AUTOSNN_BAD_ARGS")
	if enc == "" {
		t.Skip("the process TestBadInvocations runs")
	}
	var args []string
	if err := json.Unmarshal([]byte(enc), &args); err != nil {
		t.Fatal(err)
	}
	os.Args = append([]string{"autosnn"}, args...)
	main()
	os.Exit(0)
}
