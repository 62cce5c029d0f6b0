package train

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/autosnn/autosnn/search/dataset"
)

// fixedBatches hands out prepared batches.
type fixedBatches struct {
	bs []dataset.Batch
	i  int
}

func (f *fixedBatches) Next() bool            { f.i++; return f.i <= len(f.bs) }
func (f *fixedBatches) Batch() *dataset.Batch { return &f.bs[f.i-1] }
func (f *fixedBatches) Err() error            { return nil }
func (f *fixedBatches) Close()                {}
func (f *fixedBatches) Len() int              { return len(f.bs) }

func TestLimitBatches(t *testing.T) {
	// Static: 2 batches of 3 samples of 2 values each, limit 4.
	static := &fixedBatches{bs: []dataset.Batch{
		{X: []float32{0, 0, 1, 1, 2, 2}, Labels: []int{0, 1, 2}, Shape: []int{3, 1, 1, 2}},
		{X: []float32{3, 3, 4, 4, 5, 5}, Labels: []int{3, 4, 5}, Shape: []int{3, 1, 1, 2}, Index: 1},
	}}
	it := limitBatches(static, 4, 6, 3)
	if it.Len() != 2 {
		t.Errorf("Len %d, want 2", it.Len())
	}
	var got []dataset.Batch
	for it.Next() {
		b := *it.Batch()
		got = append(got, dataset.Batch{X: append([]float32(nil), b.X...), Labels: append([]int(nil), b.Labels...), Shape: b.Shape, Index: b.Index})
	}
	want := []dataset.Batch{
		{X: []float32{0, 0, 1, 1, 2, 2}, Labels: []int{0, 1, 2}, Shape: []int{3, 1, 1, 2}},
		{X: []float32{3, 3}, Labels: []int{3}, Shape: []int{1, 1, 1, 2}, Index: 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("static batches (-want +got):\n%s", diff)
	}

	// Events: [T=2][B=3][1][1][1], limit 2 keeps the first 2 samples of each frame.
	events := &fixedBatches{bs: []dataset.Batch{
		{X: []float32{10, 11, 12, 20, 21, 22}, Labels: []int{0, 1, 2}, Shape: []int{2, 3, 1, 1, 1}},
	}}
	it = limitBatches(events, 2, 3, 3)
	if !it.Next() {
		t.Fatal("no batch")
	}
	b := it.Batch()
	if diff := cmp.Diff([]float32{10, 11, 20, 21}, b.X); diff != "" {
		t.Errorf("event frames (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{2, 2, 1, 1, 1}, b.Shape); diff != "" {
		t.Errorf("event shape (-want +got):\n%s", diff)
	}
	if it.Next() {
		t.Error("got a batch after the limit")
	}
	// No limit: the iterator itself.
	if it := limitBatches(static, 0, 6, 3); it != Batches(static) {
		t.Error("limit 0 wrapped the iterator")
	}
}
