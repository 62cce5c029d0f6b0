package dataset

import (
	"fmt"
	"strings"
)

// Shape is the format of a dataset's samples: C, H, W the per-frame shape
// (event sets: C = 2 polarities), Classes the number of classes and Test
// the number of samples of the Test split.
type Shape struct {
	C, H, W, Classes int
	Test             int
}

// StandardShape returns the Shape a Load of the dataset name (one of Names)
// with opt gives when its files are the standard release, without reading
// any file: MNIST and Fashion-MNIST 1x28x28, 10 classes, 10,000 test
// images; CIFAR-10 3x32x32, 10, 10,000; SVHN 3x32x32, 10, 26,032;
// CIFAR-100 3x32x32, 100, 10,000; Tiny ImageNet 3x64x64, 200, 10,000 (its
// val folder); CIFAR10-DVS 2 x Size x Size, 10, 1,000; DVS Gesture
// 2 x Size x Size, 11, 264 segments. It lets a caller estimate memory before loading; the loaded
// Set's fields are authoritative (MNIST-format files of another image size,
// or a Tiny ImageNet folder with other classes, load with their own).
func StandardShape(name string, opt Options) (Shape, error) {
	if err := opt.defaults(); err != nil {
		return Shape{}, err
	}
	switch name {
	case "mnist", "fashion-mnist":
		return Shape{1, 28, 28, 10, 10000}, nil
	case "cifar10":
		return Shape{3, 32, 32, 10, 10000}, nil
	case "svhn":
		return Shape{3, 32, 32, 10, 26032}, nil
	case "cifar100":
		return Shape{3, 32, 32, 100, 10000}, nil
	case "tiny-imagenet":
		return Shape{3, 64, 64, 200, 10000}, nil
	case "cifar10-dvs":
		return Shape{2, opt.Size, opt.Size, len(cifar10ClassNames), 1000}, nil
	case "dvs-gesture":
		return Shape{2, opt.Size, opt.Size, len(gestureClassNames), 264}, nil
	}
	return Shape{}, fmt.Errorf("dataset: unknown dataset %q, want one of %s", name, strings.Join(Names, ", "))
}
