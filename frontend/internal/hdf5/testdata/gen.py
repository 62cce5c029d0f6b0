# Generates the h5py-written test files of package hdf5 (run by hand with
# Debian's python3-h5py; the outputs are committed, CI does not need h5py):
#   /usr/bin/python3 gen.py
import h5py, numpy as np

def fill(f, chunked_latest):
    g = f.create_group("grp")
    sub = g.create_group("sub")
    a = np.arange(5 * 7, dtype="<f4").reshape(5, 7) / 8
    g.create_dataset("contig_f4", data=a)
    g.create_dataset("f8_be", data=np.arange(6, dtype=">f8") - 2.5)
    g.create_dataset("i32", data=np.array([-3, 0, 7, 2**31 - 1], dtype="<i4"))
    g.create_dataset("i64_scalar", data=np.int64(-42))
    g.create_dataset("fixed_str", data=np.array([b"ab", b"cde"], dtype="S4"))
    g.create_dataset("vlen_str", data="hello", dtype=h5py.string_dtype())
    sp = h5py.h5s.create_simple((3,))
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_layout(h5py.h5d.COMPACT)
    d = h5py.h5d.create(g.id, b"compact_i16", h5py.h5t.STD_I16LE, sp, dcpl)
    d.write(h5py.h5s.ALL, h5py.h5s.ALL, np.array([1, -2, 3], dtype="<i2"))
    if chunked_latest:
        c = np.arange(9 * 10, dtype="<f4").reshape(9, 10) * 0.25
        sub.create_dataset("chunk_shuf", data=c, chunks=(4, 3), compression="gzip", shuffle=True)
        sub.create_dataset("chunk_i64", data=np.arange(100, dtype="<i8"), chunks=(7,), compression="gzip")
    sub.attrs["attr_f"] = np.array([1.5, 2.5], dtype="<f4")
    sub.attrs["attr_s"] = "unit"
    sub.attrs["attr_i"] = np.int64(9)

with h5py.File("earliest.h5", "w", libver="earliest") as f:
    fill(f, True)
with h5py.File("latest.h5", "w", libver="latest") as f:
    fill(f, False)
with h5py.File("latest_chunked.h5", "w", libver="latest") as f:
    f.create_dataset("x", data=np.arange(10, dtype="<f4"), chunks=(3,), compression="gzip")
