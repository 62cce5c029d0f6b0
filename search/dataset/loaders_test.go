package dataset

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseSpec(t *testing.T) {
	cases := []struct {
		spec    string
		want    Spec
		wantErr string
	}{
		{"mnist", Spec{Name: "mnist"}, ""},
		{"mnist:/data/m", Spec{Name: "mnist", Path: "/data/m"}, ""},
		{"fashion-mnist", Spec{Name: "fashion-mnist"}, ""},
		{"cifar10:/d/cifar-10-batches-bin", Spec{Name: "cifar10", Path: "/d/cifar-10-batches-bin"}, ""},
		{"dvs-gesture:/d/DvsGesture", Spec{Name: "dvs-gesture", Path: "/d/DvsGesture"}, ""},
		{"C:/x", Spec{}, "unknown dataset \"c\""},
		{"imagenet:/x", Spec{}, "want one of mnist, fashion-mnist, cifar10, cifar100, svhn, tiny-imagenet, cifar10-dvs, dvs-gesture"},
		{"cifar10", Spec{}, "needs the directory"},
	}
	for _, c := range cases {
		got, err := ParseSpec(c.spec)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("ParseSpec(%q): got error %v, want one containing %q", c.spec, err, c.wantErr)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseSpec(%q) = %+v, %v; want %+v", c.spec, got, err, c.want)
		}
	}
}

func TestLoadMNISTLayout(t *testing.T) {
	for _, gz := range []bool{false, true} {
		dir := t.TempDir()
		buildMNISTDir(t, dir, 50, 20, 28, 28, gz)
		s, err := loadMNISTLayout("mnist", dir, false)
		if err != nil {
			t.Fatal(err)
		}
		got := []int{s.Len(Train), s.Len(Val), s.Len(FullTrain), s.Len(Test)}
		if diff := cmp.Diff([]int{40, 10, 50, 20}, got); diff != "" {
			t.Errorf("split sizes (-want +got):\n%s", diff)
		}
		if s.Label(Val, 0) != 40%10 || s.Label(Test, 3) != 3 {
			t.Errorf("labels: got val[0]=%d test[3]=%d, want 0 and 3", s.Label(Val, 0), s.Label(Test, 3))
		}
		img := pattern(50*28*28, 50)[41*784 : 42*784]
		if diff := cmp.Diff(img, s.Image(Val, 1)); diff != "" {
			t.Errorf("Val image 1 is not training image 41")
		}
		if _, err := loadMNISTLayout("mnist", dir, true); err == nil || !strings.Contains(err.Error(), "expected 60000 images, got 50") {
			t.Errorf("strict load of a small set: got %v, want a count error", err)
		}
	}
}

func TestLoadMNISTMismatch(t *testing.T) {
	dir := t.TempDir()
	buildMNISTDir(t, dir, 20, 10, 28, 28, false)
	writeFile(t, filepath.Join(dir, "train-labels-idx1-ubyte"), buildIDX([]int{19}, make([]byte, 19), false))
	_, err := loadMNISTLayout("mnist", dir, false)
	if err == nil || !strings.Contains(err.Error(), "expected 20 labels") {
		t.Errorf("got %v, want a label count error", err)
	}
	writeFile(t, filepath.Join(dir, "train-labels-idx1-ubyte"), buildIDX([]int{20}, append(make([]byte, 19), 12), false))
	_, err = loadMNISTLayout("mnist", dir, false)
	var fe *FormatError
	if !errors.As(err, &fe) || fe.Offset != 8+19 {
		t.Errorf("got %v, want a FormatError at offset 27", err)
	}
	writeFile(t, filepath.Join(dir, "train-labels-idx1-ubyte"), buildIDX([]int{20}, make([]byte, 20), false))
	os.Remove(filepath.Join(dir, "t10k-images-idx3-ubyte"))
	if _, err := loadMNISTLayout("mnist", dir, false); err == nil || !strings.Contains(err.Error(), "no IDX file t10k-images-idx3-ubyte") {
		t.Errorf("missing file: got %v", err)
	}
}

func TestLoadCIFAR10(t *testing.T) {
	dir := t.TempDir()
	buildCIFAR10Dir(t, filepath.Join(dir, "cifar-10-batches-bin"), 4)
	s, err := loadCIFAR10(dir, false) // the parent folder is accepted too
	if err != nil {
		t.Fatal(err)
	}
	if s.Len(FullTrain) != 20 || s.Len(Test) != 4 || s.Len(Train) != 16 {
		t.Errorf("got full %d test %d train %d, want 20 4 16", s.Len(FullTrain), s.Len(Test), s.Len(Train))
	}
	// Record 2 of data_batch_2 is training sample 6, label (2+2)%10.
	if got := s.Label(FullTrain, 6); got != 4 {
		t.Errorf("label of sample 6: got %d, want 4", got)
	}
	if diff := cmp.Diff(pattern(4*cifarPixels, 2)[2*cifarPixels:3*cifarPixels], s.Image(FullTrain, 6)); diff != "" {
		t.Errorf("image of sample 6 differs from record 2 of data_batch_2")
	}
	if s.ClassNames[9] != "truck" {
		t.Errorf("class 9: got %q, want truck", s.ClassNames[9])
	}
	if _, err := LoadCIFAR10(dir); err == nil || !strings.Contains(err.Error(), "expected 10000 records") {
		t.Errorf("strict load: got %v, want a record count error", err)
	}
}

func TestLoadCIFAR100(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "train.bin"), buildCIFAR([]byte{0, 99, 50, 1, 2}, []byte{0, 19, 10, 1, 2}, pattern(5*cifarPixels, 1)))
	writeFile(t, filepath.Join(dir, "test.bin"), buildCIFAR([]byte{7}, []byte{3}, pattern(cifarPixels, 2)))
	s, err := loadCIFAR100(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if s.Classes() != 100 || s.Label(FullTrain, 1) != 99 || s.Label(Test, 0) != 7 {
		t.Errorf("got %d classes, labels %d %d; want 100, 99, 7", s.Classes(), s.Label(FullTrain, 1), s.Label(Test, 0))
	}
}

func TestLoadSVHN(t *testing.T) {
	dir := t.TempDir()
	// Two images; X(row, col, ch, i) = row + 2*col + 7*ch + 100*i (mod 256).
	n := 2
	x := make([]byte, 32*32*3*n)
	for i := range n {
		for ch := range 3 {
			for col := range 32 {
				for row := range 32 {
					x[row+32*col+1024*ch+3072*i] = byte(row + 2*col + 7*ch + 100*i)
				}
			}
		}
	}
	for _, f := range []string{"train_32x32.mat", "test_32x32.mat"} {
		writeFile(t, filepath.Join(dir, f), buildMAT(binary.LittleEndian, true,
			matVar{name: "X", dims: []int{32, 32, 3, n}, u8: x}, matVar{name: "y", dims: []int{n, 1}, f64: []float64{10, 3}}))
	}
	s, err := LoadSVHN(dir)
	if err != nil {
		t.Fatal(err)
	}
	if s.Label(FullTrain, 0) != 0 || s.Label(FullTrain, 1) != 3 {
		t.Errorf("labels: got %d %d, want 0 (digit 10) and 3", s.Label(FullTrain, 0), s.Label(FullTrain, 1))
	}
	img := s.Image(FullTrain, 1)
	for _, p := range [][3]int{{0, 0, 0}, {2, 5, 9}, {1, 31, 0}} { // ch, row, col
		if got, want := img[p[0]*1024+p[1]*32+p[2]], byte(p[1]+2*p[2]+7*p[0]+100); got != want {
			t.Errorf("pixel ch %d row %d col %d: got %d, want %d", p[0], p[1], p[2], got, want)
		}
	}
	writeFile(t, filepath.Join(dir, "test_32x32.mat"), buildMAT(binary.LittleEndian, false,
		matVar{name: "X", dims: []int{32, 32, 3, n}, u8: x}, matVar{name: "y", dims: []int{n, 1}, f64: []float64{11, 3}}))
	if _, err := LoadSVHN(dir); err == nil || !strings.Contains(err.Error(), "want an integer 1..10") {
		t.Errorf("bad label: got %v", err)
	}
}

func TestLoadTinyImageNet(t *testing.T) {
	dir := t.TempDir()
	buildTinyDir(t, filepath.Join(dir, "tiny-imagenet-200"), 5)
	s, err := LoadTinyImageNet(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if s.Len(FullTrain) != 15 || s.Len(Test) != 6 || s.Len(Train) != 12 || s.Len(Val) != 3 {
		t.Errorf("got full %d test %d train %d val %d, want 15 6 12 3", s.Len(FullTrain), s.Len(Test), s.Len(Train), s.Len(Val))
	}
	if diff := cmp.Diff([]int{1, 1, 1}, s.Histogram(Val)); diff != "" {
		t.Errorf("Val histogram is not stratified (-want +got):\n%s", diff)
	}
	if s.ClassNames[1] != "class 1" {
		t.Errorf("class name: got %q, want %q", s.ClassNames[1], "class 1")
	}
	// Training image 5 (class 1, file 0) is greyscale: channels equal.
	img := s.Image(FullTrain, 5)
	if img[100] != img[4096+100] || img[100] != img[2*4096+100] {
		t.Errorf("greyscale image not replicated: %d %d %d", img[100], img[4096+100], img[2*4096+100])
	}
	os.WriteFile(filepath.Join(dir, "tiny-imagenet-200", "train", "n01629819", "images", "n01629819_3.JPEG"), []byte("not a jpeg"), 0o644)
	if _, err := LoadTinyImageNet(context.Background(), dir); err == nil || !strings.Contains(err.Error(), "n01629819_3.JPEG") {
		t.Errorf("corrupt JPEG: got %v, want an error naming the file", err)
	}
}

func TestLoadCIFAR10DVS(t *testing.T) {
	dir, cache := t.TempDir(), t.TempDir()
	buildCIFAR10DVSDir(t, dir, 10)
	var logs []string
	opt := Options{T: 4, CacheDir: cache, Logf: func(f string, a ...any) {
		if strings.HasPrefix(f, "integrating ") {
			logs = append(logs, f)
		}
	}}
	s, err := LoadCIFAR10DVS(context.Background(), dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Len(FullTrain) != 90 || s.Len(Test) != 10 || s.Len(Train) != 70 || s.Len(Val) != 20 {
		t.Errorf("got full %d test %d train %d val %d, want 90 10 70 20", s.Len(FullTrain), s.Len(Test), s.Len(Train), s.Len(Val))
	}
	if diff := cmp.Diff([]int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, s.Histogram(Test)); diff != "" {
		t.Errorf("test histogram (-want +got):\n%s", diff)
	}
	// Test sample of class 3 is recording 9 (natural order puts 9 before 10
	// only if there were one; here files 0..9): 49 events.
	fr, err := s.Frames(Test, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := sum16(fr); got != 49 {
		t.Errorf("event count of test sample 3: got %d, want 49", got)
	}
	// The cached frames equal a direct integration of the recording.
	ev, err := ReadAEDAT2File(filepath.Join(dir, "cat", "cifar10_cat_9.aedat"))
	if err != nil {
		t.Fatal(err)
	}
	direct := make([]uint16, s.SampleLen())
	if err := Integrate(ev, FrameGeometry{T: 4, SensorH: 128, SensorW: 128, H: 128, W: 128}, direct); err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(direct, fr) {
		t.Errorf("cached frames of cat_9 differ from a direct integration")
	}
	if len(logs) != 2 {
		t.Errorf("first load: got %d log lines, want 2 (one integration per part)", len(logs))
	}
	// Second load: from the cache, no integration.
	logs = nil
	s2, err := LoadCIFAR10DVS(context.Background(), dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if len(logs) != 0 {
		t.Errorf("second load integrated again: %v", logs)
	}
	fr2, _ := s2.Frames(Test, 3, nil)
	if diff := cmp.Diff(fr, fr2); diff != "" {
		t.Errorf("cached frames differ")
	}
	// A different T is a different cache entry.
	opt.T = 2
	s3, err := LoadCIFAR10DVS(context.Background(), dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer s3.Close()
	if len(logs) != 2 || s3.SampleLen() != 2*2*128*128 {
		t.Errorf("T=2: got %d integrations and sample length %d, want 2 and %d", len(logs), s3.SampleLen(), 2*2*128*128)
	}
}

func TestFrameCacheCorruptIsRebuilt(t *testing.T) {
	dir, cache := t.TempDir(), t.TempDir()
	buildCIFAR10DVSDir(t, dir, 2)
	opt := Options{T: 2, Size: 32, CacheDir: cache}
	s, err := LoadCIFAR10DVS(context.Background(), dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := s.Frames(FullTrain, 0, nil)
	s.Close()
	files, _ := filepath.Glob(filepath.Join(cache, "*.frames"))
	if len(files) != 2 {
		t.Fatalf("got cache files %v, want 2", files)
	}
	for _, f := range files {
		st, _ := os.Stat(f)
		os.Truncate(f, st.Size()-1)
	}
	var logs []string
	opt.Logf = func(f string, a ...any) {
		if !strings.HasPrefix(f, "integrated ") {
			logs = append(logs, f)
		}
	}
	s, err = LoadCIFAR10DVS(context.Background(), dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, _ := s.Frames(FullTrain, 0, nil)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rebuilt frames differ")
	}
	if len(logs) != 4 || !strings.Contains(logs[0], "unusable") {
		t.Errorf("got logs %q, want an 'unusable' note and an integration per part", logs)
	}
	if tmp, _ := filepath.Glob(filepath.Join(cache, "*.tmp-*")); len(tmp) != 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
}

func TestLoadDVSGesture(t *testing.T) {
	dir := t.TempDir()
	buildGestureDir(t, dir)
	s, err := LoadDVSGesture(context.Background(), dir, Options{T: 5, Size: 64, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Len(FullTrain) != 6 || s.Len(Test) != 3 {
		t.Fatalf("got %d training and %d test segments, want 6 and 3", s.Len(FullTrain), s.Len(Test))
	}
	wantLabels := []int{0, 4, 10}
	for i, w := range wantLabels {
		if got := s.Label(Test, i); got != w {
			t.Errorf("test label %d: got %d, want %d", i, got, w)
		}
		fr, err := s.Frames(Test, i, nil)
		if err != nil {
			t.Fatal(err)
		}
		// Each segment spans 1000 us = 100 events; the last ends at 3990.
		if got, want := sum16(fr), 100; got != want {
			t.Errorf("segment %d holds %d events, want %d", i, got, want)
		}
	}
	if diff := cmp.Diff([]int{5, 64, 64}, []int{s.T, s.H, s.W}); diff != "" {
		t.Errorf("frame shape (-want +got):\n%s", diff)
	}
	os.WriteFile(filepath.Join(dir, "user02_led_labels.csv"), []byte("class,startTime_usec,endTime_usec\n12,1,2\n"), 0o644)
	_, err = LoadDVSGesture(context.Background(), dir, Options{T: 5, CacheDir: t.TempDir()})
	var fe *FormatError
	if !errors.As(err, &fe) || fe.Offset != 34 || !strings.Contains(err.Error(), "class 1..11") {
		t.Errorf("bad class: got %v, want a FormatError at offset 34", err)
	}
}

func sum16(v []uint16) int {
	s := 0
	for _, x := range v {
		s += int(x)
	}
	return s
}

func TestSplitIndices(t *testing.T) {
	labels := []int32{0, 0, 0, 0, 0, 1, 1, 1, 1, 1}
	tr, va := splitIndices(labels, 2, true)
	if diff := cmp.Diff([]int32{0, 1, 2, 3, 5, 6, 7, 8}, tr); diff != "" {
		t.Errorf("stratified train (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int32{4, 9}, va); diff != "" {
		t.Errorf("stratified val (-want +got):\n%s", diff)
	}
	tr, va = splitIndices(labels, 2, false)
	if diff := cmp.Diff([]int32{8, 9}, va); diff != "" || len(tr) != 8 {
		t.Errorf("plain split: val (-want +got):\n%s", diff)
	}
}
