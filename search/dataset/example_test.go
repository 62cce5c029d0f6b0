package dataset_test

import (
	"context"
	"fmt"
	"log"

	"github.com/autosnn/autosnn/search/dataset"
)

// One training epoch over MNIST with the standard augmentation: the loop a
// training engine runs. (Compiled, not run: it needs the MNIST files.)
func ExampleSet_Batches() {
	ctx := context.Background()
	set, err := dataset.Open(ctx, "mnist", dataset.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer set.Close()
	for epoch := range 2 {
		it, err := set.Batches(ctx, dataset.Train, dataset.BatchOptions{
			Size: 128, Seed: 1, Epoch: epoch, Shuffle: true, DropLast: true, Augment: &dataset.StandardAugment,
		})
		if err != nil {
			log.Fatal(err)
		}
		for it.Next() {
			b := it.Batch() // b.X is [128][1][28][28], valid until the next Next
			_ = b
		}
		it.Close()
		if err := it.Err(); err != nil {
			log.Fatal(err)
		}
	}
}

// Event data: frames are integrated once and cached; batches are time-major.
func ExampleOpen_events() {
	set, err := dataset.Open(context.Background(), "dvs-gesture:/data/DvsGesture",
		dataset.Options{T: 20, Integration: dataset.SplitByNumber, CacheDir: "/tmp/frames"})
	if err != nil {
		log.Fatal(err)
	}
	defer set.Close()
	fmt.Println(set.SampleShape()) // [20 2 128 128]
}
