package dataset

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Names lists the dataset names a spec may use, in the order of the paper.
var Names = []string{"mnist", "fashion-mnist", "cifar10", "cifar100", "svhn", "tiny-imagenet", "cifar10-dvs", "dvs-gesture"}

// Spec is a parsed data spec "name[:path]".
type Spec struct {
	Name string // one of Names
	Path string // directory of the files; empty means the default location
}

func (s Spec) String() string {
	if s.Path == "" {
		return s.Name
	}
	return s.Name + ":" + s.Path
}

// ParseSpec parses a data spec such as "mnist", "fashion-mnist",
// "cifar10:/data/cifar-10-batches-bin" or "dvs-gesture:/data/DvsGesture".
// Only mnist and fashion-mnist have a default location; the other datasets
// need a path.
func ParseSpec(spec string) (Spec, error) {
	name, path, _ := strings.Cut(spec, ":")
	name = strings.ToLower(strings.TrimSpace(name))
	valid := false
	for _, n := range Names {
		if n == name {
			valid = true
		}
	}
	if !valid {
		return Spec{}, fmt.Errorf("dataset: unknown dataset %q in spec %q, want one of %s (as name or name:/path)", name, spec, strings.Join(Names, ", "))
	}
	if path == "" && name != "mnist" && name != "fashion-mnist" {
		return Spec{}, fmt.Errorf("dataset: spec %q needs the directory of the files: %s:/path/to/dir", spec, name)
	}
	return Spec{Name: name, Path: path}, nil
}

// Options configures loading. The zero value is usable: event datasets then
// get the paper's T = 20 frames split by number at the sensor's 128x128
// resolution, cached under the user cache directory.
type Options struct {
	// T is the number of frames per event sample; 0 means 20 (the paper's
	// value for DVS data).
	T int
	// Integration selects split by number (default) or split by time.
	Integration Integration
	// Size is the side of the event frames in pixels; the 128x128 sensor is
	// binned down to Size x Size (counts add: x' = x*Size/128). 0 means
	// 128; otherwise 1..128.
	Size int
	// CacheDir holds the integrated frames of event datasets; "" means
	// $XDG_CACHE_HOME/autosnn/frames (os.UserCacheDir).
	CacheDir string
	// Logf, if set, receives progress messages (integration, cache misses)
	// and warnings (prefixed "warning: "; also kept in Set.Warnings).
	Logf func(format string, args ...any)
	// AllowEmpty keeps event samples without any event (a recording cut
	// after its header, a labelled segment after the end of its recording)
	// as all-zero frames. Without it such a sample is an error naming the
	// file and the sample.
	AllowEmpty bool
}

func (o *Options) defaults() error {
	if o.T == 0 {
		o.T = 20
	}
	if o.Size == 0 {
		o.Size = 128
	}
	if o.T < 0 || o.Size < 0 || o.Size > 128 {
		return fmt.Errorf("dataset: options T=%d size=%d, want T > 0 and 1 <= size <= 128", o.T, o.Size)
	}
	if o.CacheDir == "" {
		d, err := os.UserCacheDir()
		if err != nil {
			return fmt.Errorf("dataset: no cache directory for event frames (set Options.CacheDir): %w", err)
		}
		o.CacheDir = filepath.Join(d, "autosnn", "frames")
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	return nil
}

// Open parses a data spec and loads the dataset it names.
func Open(ctx context.Context, spec string, opt Options) (*Set, error) {
	sp, err := ParseSpec(spec)
	if err != nil {
		return nil, err
	}
	return Load(ctx, sp, opt)
}

// Load loads a dataset given as a parsed spec.
func Load(ctx context.Context, sp Spec, opt Options) (*Set, error) {
	if err := opt.defaults(); err != nil {
		return nil, err
	}
	dir := sp.Path
	switch sp.Name {
	case "mnist":
		if dir == "" {
			d, err := LocateMNIST(ctx)
			if err != nil {
				return nil, err
			}
			dir = d
		}
		return loadMNISTLayout("mnist", dir, true)
	case "fashion-mnist":
		if dir == "" {
			d, err := LocateFashionMNIST()
			if err != nil {
				return nil, err
			}
			dir = d
		}
		return loadMNISTLayout("fashion-mnist", dir, true)
	case "cifar10":
		return LoadCIFAR10(dir)
	case "cifar100":
		return LoadCIFAR100(dir)
	case "svhn":
		return LoadSVHN(dir)
	case "tiny-imagenet":
		return LoadTinyImageNet(ctx, dir)
	case "cifar10-dvs":
		return LoadCIFAR10DVS(ctx, dir, opt)
	case "dvs-gesture":
		return LoadDVSGesture(ctx, dir, opt)
	}
	return nil, fmt.Errorf("dataset: unknown dataset %q, want one of %s", sp.Name, strings.Join(Names, ", "))
}
