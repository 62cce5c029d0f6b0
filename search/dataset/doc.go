// Package dataset loads the datasets of the AutoSNN paper from the files
// users actually have and turns them into mini-batches for the training
// engine of package search.
//
// # Datasets and formats
//
//	name           files                                          kind    sample
//	mnist          IDX (gzipped or not); default: GoMNIST module  static  1x28x28
//	fashion-mnist  IDX; default: /usr/share/datasets/fashion-mnist static 1x28x28
//	cifar10        CIFAR-10 binary version (data_batch_*.bin)     static  3x32x32
//	cifar100       CIFAR-100 binary version (train.bin, test.bin) static  3x32x32
//	svhn           cropped digits, MATLAB level-5 .mat (zlib)     static  3x32x32
//	tiny-imagenet  Tiny-ImageNet-200 JPEG folders                 static  3x64x64
//	cifar10-dvs    AEDAT 2.0, one folder per class                events  Tx2xHxW
//	dvs-gesture    AEDAT 3.1 + label CSV + trials lists           events  Tx2xHxW
//
// A data spec names a dataset and optionally its directory,
// "name[:path]" (see ParseSpec and Open). Every binary parser (ReadIDX,
// ReadCIFARBin, ReadMAT, ReadAEDAT2, ReadAEDAT31) returns a *FormatError
// naming the file, the byte offset and what was expected for truncated,
// corrupt or wrong-format input; no input makes them panic, and a dataset is
// either loaded completely or not at all. Checks that go beyond the syntax:
// every zlib stream of a MAT-file is read to its end so its Adler-32
// checksum is verified; AEDAT 2.0 records with implausible addresses or
// timestamps (the wrong byte order) are refused; an event sample without
// events is an error unless Options.AllowEmpty; a labelled segment ending
// well after its recording's last event (a cut the formats cannot show) is
// a warning in Set.Warnings.
//
// # Storage
//
// A Set is immutable after loading. Static images are kept in memory as
// uint8, CHW per sample (converted to float32 only per batch or per
// Set.Input call), exactly as in the files (SVHN is transposed from
// MATLAB's column-major order; greyscale Tiny-ImageNet images are replicated
// to three channels). Event recordings are integrated once into T frames of
// per-pixel, per-polarity event counts (uint16, saturating), layout
// [T][2][H][W] with channel 0 = polarity 0, and written to an on-disk frame
// cache keyed by a SHA-256 of the parameters (T, split mode, frame size)
// and of the source files (path, size, modification time). Cache files are
// written under a temporary name and renamed, so they are complete or
// absent; the frames of a sample are read from the cache on demand.
//
// # Splits
//
// Train is the first 80% of the official training set and Val the last 20%;
// FullTrain is all of it (for retraining) and Test the official test set.
// Where the official training files are grouped by class (Tiny-ImageNet,
// CIFAR10-DVS), "first 80%" is taken per class, so both splits hold every
// class. CIFAR10-DVS has no official split: the first 900 recordings of each
// class (by file number) are the training set and the last 100 the test set.
// Tiny-ImageNet's labelled val folder is the Test split. Train or Val may be
// empty for tiny sets; Set.CheckSplit reports it (naming the dataset and the
// split) and Set.Batches refuses an empty split.
//
// # Batches
//
// Set.Batches returns an Iterator over one epoch of a split. Shuffling and
// augmentation (pad-and-crop, horizontal flip, cutout) are drawn from PCG
// generators seeded by (seed, epoch) and (seed, epoch, batch index), so the
// batches are the same bit for bit for the same seed whatever the goroutine
// timing. A goroutine prepares the next batch while the caller uses the
// current one; the two batch buffers are reused. Static batches are
// [B][C][H][W] float32 normalised with the per-channel constants of the set
// (Set.Mean, Set.Std, in pixel/255 units; their sources are in
// Set.NormSource and docs/datasets.md). Event batches are time-major
// [T][B][2][H][W] float32 event counts.
package dataset
