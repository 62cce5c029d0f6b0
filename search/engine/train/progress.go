package train

import (
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// EpochBar returns the progress bar of a training epoch of n batches on w,
// already at done (a resumed epoch), with count, elapsed time and ETA; it
// ends its line when complete. It returns nil when w is nil (no progress).
func EpochBar(w io.Writer, n, done int, desc string) *progressbar.ProgressBar {
	if w == nil {
		return nil
	}
	bar := progressbar.NewOptions(n,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionThrottle(250*time.Millisecond),
		progressbar.OptionSetWidth(20),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }))
	_ = bar.Set(done)
	return bar
}

// TaskBar returns a progress bar of n steps on w that clears itself when
// done (evaluation passes), or nil when w is nil.
func TaskBar(w io.Writer, n int, desc string) *progressbar.ProgressBar {
	if w == nil {
		return nil
	}
	return progressbar.NewOptions(n, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(), progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(250*time.Millisecond),
		progressbar.OptionSetWidth(20), progressbar.OptionClearOnFinish())
}
