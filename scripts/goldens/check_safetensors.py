"""Checks a .safetensors file written by typegrad with an independent Python reader.

Manual check, not part of CI (CI has no Python). Run after changing packages/nn/src/safetensors.ts:

    /usr/bin/python3 scripts/goldens/check_safetensors.py PATH [EXPECTED.json]

It parses the file by hand (numpy.frombuffer; torch.from_numpy when PyTorch is installed, to
show PyTorch loads the bytes) and validates what typegrad's writer promises: a little-endian
u64 header length, a UTF-8 JSON object padded with trailing spaces so the data starts 8-byte
aligned, string-to-string "__metadata__", dtypes typegrad writes (F64, F32, I32, BOOL; any
safetensors dtype with --any-dtype), shape x item size == data_offsets span, and tensors that
tile the data section exactly (no gap, overlap or trailing byte). EXPECTED.json, if given, is
{name: {"shape", "values", ["dtype"]}} (values row-major; bool as 0/1; the strings "nan", "inf",
"-inf" and "-0" where JSON has no number; an optional "__metadata__" object): names, shapes and values must match
exactly (floats compared after rounding the expected value to the tensor's dtype).
Prints one line per tensor and exits 0 when everything holds, 1 otherwise.

Last run (when the writer changed): a typegrad state dict saved with saveSafetensors (F32 from a
transposed view and a stepped slice, F64 with -0/inf/NaN/subnormal, I32 from an expanded view,
BOOL, 0-d, empty [2,0,3], a non-ASCII name, metadata) against the values typegrad printed, and
the PyTorch MHA fixture loaded and saved again by typegrad against
packages/nn/test/fixtures/mha.state.json: both OK.
"""
import json
import math
import struct
import sys

import numpy as np

try:
    import torch
except ImportError:  # the checks themselves need only numpy
    torch = None

ITEM = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "<u2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
        "I8": "i1", "U8": "u1", "BOOL": "u1"}
TYPEGRAD_WRITES = {"F64", "F32", "I32", "BOOL"}


class Invalid(Exception):
    pass


def read(path, any_dtype=False):
    """Returns (metadata, {name: numpy array}) or raises Invalid naming the problem."""
    with open(path, "rb") as fh:
        data = fh.read()
    if len(data) < 8:
        raise Invalid(f"{len(data)} bytes: too short for the header length")
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data):
        raise Invalid(f"header length {n} runs past the end of the {len(data)}-byte file")
    if (8 + n) % 8 != 0:
        raise Invalid(f"data starts at byte {8 + n}, not 8-byte aligned")
    raw = data[8:8 + n]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Invalid(f"header is not UTF-8: {e}")
    stripped = text.rstrip(" ")
    if not (text.startswith("{") and stripped.endswith("}")) or len(text) - len(stripped) >= 8:
        raise Invalid(f"header is not a JSON object followed by 0-7 spaces of padding: {text[:20]!r}...{text[-20:]!r}")
    header = json.loads(text)
    if not isinstance(header, dict):
        raise Invalid("header is not a JSON object")
    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise Invalid(f"__metadata__ is not an object of strings: {metadata!r}")
    body = data[8 + n:]
    infos = []
    for name, info in header.items():
        if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
            raise Invalid(f"{name}: expected {{dtype, shape, data_offsets}}, got {info!r}")
        dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if dtype not in ITEM or (not any_dtype and dtype not in TYPEGRAD_WRITES):
            raise Invalid(f"{name}: dtype {dtype!r}" + ("" if any_dtype else " (typegrad writes F64, F32, I32, BOOL)"))
        if not isinstance(shape, list) or not all(type(s) is int and s >= 0 for s in shape):
            raise Invalid(f"{name}: shape {shape!r}")
        nbytes = math.prod(shape) * np.dtype(ITEM[dtype]).itemsize
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(type(o) is int for o in offsets)
                and 0 <= offsets[0] <= offsets[1] and offsets[1] - offsets[0] == nbytes):
            raise Invalid(f"{name}: data_offsets {offsets!r} for shape {shape} {dtype} ({nbytes} bytes)")
        infos.append((offsets[0], offsets[1], name, dtype, shape))
    at = 0
    for begin, end, name, _, _ in sorted(infos):
        if begin != at:
            raise Invalid(f"{name}: starts at byte {begin}, previous tensor ends at {at} ({'overlap' if begin < at else 'gap'})")
        at = end
    if at != len(body):
        raise Invalid(f"tensors cover {at} bytes of a {len(body)}-byte data section")
    arrays = {}
    for begin, end, name, dtype, shape in infos:
        a = np.frombuffer(body[begin:end], dtype=ITEM[dtype])
        if dtype == "BF16":  # bfloat16 is the upper half of a float32
            a = (a.astype(np.uint32) << 16).view(np.float32)
        if dtype == "BOOL":
            if not np.isin(a, [0, 1]).all():
                raise Invalid(f"{name}: BOOL bytes other than 0/1")
            a = a.astype(bool)
        arrays[name] = a.reshape(shape)
    return metadata, arrays


def number(v):
    """A JSON value as a number: strings are floats in Python's spelling ("nan", "inf", "-inf", "-0")."""
    return float(v) if isinstance(v, str) else v


def compare(metadata, arrays, expected):
    """Lists the mismatches between what was read and the expected JSON."""
    problems = []
    want_meta = expected.pop("__metadata__", None)
    if want_meta is not None and want_meta != metadata:
        problems.append(f"metadata {metadata!r} != {want_meta!r}")
    if set(arrays) != set(expected):
        problems.append(f"names {sorted(arrays)} != {sorted(expected)}")
    for name in sorted(set(arrays) & set(expected)):
        a, want = arrays[name], expected[name]
        if list(a.shape) != want["shape"]:
            problems.append(f"{name}: shape {list(a.shape)} != {want['shape']}")
            continue
        values = np.array([number(v) for v in want["values"]], dtype=np.float64).astype(a.dtype).reshape(a.shape)
        same = np.array_equal(a, values, equal_nan=a.dtype.kind == "f")
        if a.dtype.kind == "f":  # -0.0 == 0.0 in array_equal: compare signs too
            same = same and np.array_equal(np.signbit(a), np.signbit(values))
        if not same:
            problems.append(f"{name}: values differ\n  got  {a.reshape(-1)[:8]}\n  want {values.reshape(-1)[:8]}")
    return problems


def main(argv):
    any_dtype = "--any-dtype" in argv
    args = [a for a in argv if a != "--any-dtype"]
    if len(args) not in (1, 2):
        print(__doc__)
        return 2
    try:
        metadata, arrays = read(args[0], any_dtype)
    except (Invalid, ValueError) as e:
        print(f"INVALID {args[0]}: {e}")
        return 1
    print(f"{args[0]}: {len(arrays)} tensors, metadata {metadata}")
    for name, a in arrays.items():
        t = torch.from_numpy(a.copy()) if torch is not None else None
        print(f"  {name}: {a.dtype} {list(a.shape)}" + (f" -> torch {t.dtype}" if t is not None else ""))
    if len(args) == 2:
        with open(args[1]) as fh:
            problems = compare(metadata, arrays, json.load(fh))
        if problems:
            print("MISMATCH\n" + "\n".join(problems))
            return 1
        print(f"values match {args[1]}")
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
