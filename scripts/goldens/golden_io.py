"""Shared writer of the golden JSON files: one case per line, so a regeneration diffs case by case."""
import json
import os

import torch


def write_cases(out_path, generator, cases):
    """Writes {"generator", "torch", "cases"} to out_path, deterministically."""
    head = json.dumps({"generator": generator, "torch": torch.__version__}, separators=(",", ":"))
    os.makedirs(os.path.dirname(out_path), exist_ok=True)
    with open(out_path, "w") as fh:
        fh.write(head[:-1] + ',"cases":[\n')
        fh.write(",\n".join(json.dumps(c, separators=(",", ":"), allow_nan=False) for c in cases))
        fh.write("\n]}\n")
    print(f"{len(cases)} cases -> {os.path.normpath(out_path)} ({os.path.getsize(out_path)} bytes)")
