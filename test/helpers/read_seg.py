#!/usr/bin/python3
"""An independent DICOM SEG decoder for the tests (Debian's python3 with python3-pydicom, python3-numpy).

Usage: /usr/bin/python3 read_seg.py SEG_FILE GRID_JSON

GRID_JSON describes the target volume like the project's VolumeGeometry:
  {"columns", "rows", "slices", "spacing": [col, row, slice], "origin", "rowDirection",
   "columnDirection", "normal"}
Voxel (i, j, k) sits at origin + i*spacing[0]*rowDirection + j*spacing[1]*columnDirection
+ k*spacing[2]*normal; the label volume is stored slice-major, index = (k*rows + j)*columns + i.

Each frame is placed by its own Plane Position (Patient) (PS3.3 C.7.6.16.2.3) and Referenced Segment
Number (C.8.20.3), never by frame order; BINARY pixels are unpacked with numpy (PS3.5 8.1.1: least
significant bit first, frames packed back to back). Where segments overlap, the higher number wins.

Prints JSON: {"shape": [slices, rows, columns], "data": base64 of uint8 labels, "frames": n,
"segments": [{"number", "label"}]}. Exits 2 with a message on stderr for a SEG it cannot place.
"""
import base64
import json
import sys

import numpy as np
import pydicom

SEG_STORAGE = "1.2.840.10008.5.1.4.1.1.66.4"


def fail(msg):
    sys.stderr.write(msg + "\n")
    sys.exit(2)


def first(item, keyword, shared):
    """A frame's functional group item, else the shared one (PS3.3 C.7.6.16)."""
    for source in (item, shared):
        if source is not None and keyword in source and len(source[keyword].value) > 0:
            return source[keyword].value[0]
    return None


def main():
    ds = pydicom.dcmread(sys.argv[1])
    with open(sys.argv[2]) as f:
        grid = json.load(f)
    if ds.SOPClassUID != SEG_STORAGE:
        fail("not a Segmentation: %s" % ds.SOPClassUID)
    rows, cols = int(ds.Rows), int(ds.Columns)
    n = int(getattr(ds, "NumberOfFrames", 1))
    need = n * rows * cols
    raw = np.frombuffer(ds.PixelData, dtype=np.uint8)
    if ds.SegmentationType == "BINARY" and int(ds.BitsAllocated) == 1:
        bits = np.unpackbits(raw, bitorder="little")
        if bits.size < need:
            fail("truncated pixel data")
        frames = bits[:need].reshape(n, rows, cols)
    elif ds.SegmentationType == "FRACTIONAL" and int(ds.BitsAllocated) == 8:
        if raw.size < need:
            fail("truncated pixel data")
        frames = (raw[:need].reshape(n, rows, cols) >= float(ds.MaximumFractionalValue) / 2).astype(np.uint8)
    else:
        fail("unsupported segmentation type %s / %s bits" % (ds.SegmentationType, ds.BitsAllocated))

    shared = ds.SharedFunctionalGroupsSequence[0] if "SharedFunctionalGroupsSequence" in ds else None
    per_frame = ds.PerFrameFunctionalGroupsSequence
    if len(per_frame) != n:
        fail("%d per-frame items for %d frames" % (len(per_frame), n))

    origin = np.array(grid["origin"], dtype=float)
    sx, sy, sz = (float(v) for v in grid["spacing"])
    row_dir = np.array(grid["rowDirection"], dtype=float)
    col_dir = np.array(grid["columnDirection"], dtype=float)
    basis = np.column_stack([row_dir * sx, col_dir * sy, np.array(grid["normal"], dtype=float) * sz])
    inverse = np.linalg.inv(basis)
    out = np.zeros((grid["slices"], grid["rows"], grid["columns"]), dtype=np.uint8)

    placed = []
    for index, item in enumerate(per_frame):
        orientation = first(item, "PlaneOrientationSequence", shared)
        iop = np.array([float(v) for v in orientation.ImageOrientationPatient])
        if np.dot(iop[:3], row_dir) < 0.9999 or np.dot(iop[3:], col_dir) < 0.9999:
            fail("frame %d: orientation differs from the grid" % (index + 1))
        position = first(item, "PlanePositionSequence", shared)
        ipp = np.array([float(v) for v in position.ImagePositionPatient])
        ijk = inverse @ (ipp - origin)
        rounded = np.rint(ijk)
        if np.abs(ijk - rounded).max() > 0.1:
            fail("frame %d: position %s is between grid points %s" % (index + 1, ipp.tolist(), ijk.tolist()))
        i, j, k = (int(v) for v in rounded)
        if not (0 <= k < grid["slices"] and 0 <= i and 0 <= j and i + cols <= grid["columns"] and j + rows <= grid["rows"]):
            fail("frame %d: off the grid at %d,%d,%d" % (index + 1, i, j, k))
        segment = int(first(item, "SegmentIdentificationSequence", shared).ReferencedSegmentNumber)
        placed.append((segment, index, i, j, k))

    for segment, index, i, j, k in sorted(placed):  # higher segment numbers last, so they win
        region = out[k, j:j + rows, i:i + cols]
        region[frames[index] != 0] = segment

    print(json.dumps({
        "shape": list(out.shape),
        "data": base64.b64encode(out.tobytes()).decode("ascii"),
        "frames": n,
        "segments": [{"number": int(s.SegmentNumber), "label": str(s.SegmentLabel)} for s in ds.SegmentSequence],
    }))


if __name__ == "__main__":
    main()
