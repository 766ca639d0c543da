"""End-to-end test of `ssa-workbench mask`: the files it writes, read back with
numpy, match the spec's worked examples; bad arguments exit 2 and write nothing.

Usage: check_mask_cli.py PATH/TO/ssa-workbench
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

BIN = sys.argv[1]

# ssa-spec.md, one level, c = 3, no sink, p = 0, 8 raw tokens.
ONE_LEVEL = """
1 . . . . . . . . . .
1 1 . . . . . . . . .
1 1 1 . . . . . . . .
1 1 1 1 . . . . . . .
. . . 1 1 . . . . . .
. . . 1 1 1 . . . . .
. . . 1 1 1 1 . . . .
. . . 1 1 1 1 1 . . .
. . . 1 . . . 1 1 . .
. . . 1 . . . 1 1 1 .
. . . 1 . . . 1 1 1 1
"""
# ssa-spec.md, H-SSA chunk2-chunk2, p = 0, 8 raw tokens.
TWO_LEVELS = """
1 . . . . . . . . . . . . .
1 1 . . . . . . . . . . . .
1 1 1 . . . . . . . . . . .
. . 1 1 . . . . . . . . . .
. . 1 1 1 . . . . . . . . .
. . 1 1 1 1 . . . . . . . .
. . 1 . . 1 1 . . . . . . .
. . . . . . 1 1 . . . . . .
. . . . . . 1 1 1 . . . . .
. . . . . . 1 1 1 1 . . . .
. . . . . . 1 . . 1 1 . . .
. . . . . . 1 . . 1 1 1 . .
. . . . . . 1 . . 1 1 1 1 .
. . . . . . 1 . . 1 . . 1 1
"""

failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
        print("FAIL:", what)


def matrix(text):
    return np.array([[c == "1" for c in line.split()] for line in text.strip().splitlines()])


def run(*args):
    return subprocess.run([BIN, "mask", *args], capture_output=True, text=True, timeout=120)


with tempfile.TemporaryDirectory() as tmp:
    # Worked examples, bit for bit, and the side files.
    for name, args, expected, roles in [
        ("one-level", ["--tokens", "8", "--chunk", "3"], ONE_LEVEL, [0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1]),
        ("two-levels", ["--tokens", "8", "--chunk", "2", "--levels", "2"], TWO_LEVELS,
         [0, 0, 1, 0, 0, 1, 2, 0, 0, 1, 0, 0, 1, 2]),
    ]:
        out = os.path.join(tmp, name)
        result = run(*args, "--out", out)
        check(result.returncode == 0, f"{name}: exit {result.returncode}: {result.stderr}")
        mask = np.load(os.path.join(out, "mask.npy"))
        check(mask.dtype == np.bool_, f"{name}: mask dtype {mask.dtype}")
        check(np.array_equal(mask, matrix(expected)), f"{name}: mask differs from the spec")
        r = np.load(os.path.join(out, "roles.npy"))
        check(r.dtype == np.int8 and r.tolist() == roles, f"{name}: roles {r.tolist()}")
        p = np.load(os.path.join(out, "positions.npy"))
        raw_positions = (np.arange(len(roles)) - np.cumsum(np.array(roles) != 0)).tolist()
        check(p.dtype == np.int64 and p.tolist() == raw_positions, f"{name}: positions")
        with open(os.path.join(out, "layout.json")) as f:
            layout = json.load(f)
        check(layout["length"] == len(roles) and layout["chunk"] == int(args[3]), f"{name}: layout.json")

    # Block description agrees with the dense mask of the same settings.
    settings = ["--tokens", "700", "--chunk", "5", "--levels", "3", "--sink", "3", "--previous", "1"]
    dense_dir, block_dir = os.path.join(tmp, "dense"), os.path.join(tmp, "blocks")
    check(run(*settings, "--out", dense_dir).returncode == 0, "dense run")
    check(run(*settings, "--blocks", "--block-size", "64", "--out", block_dir).returncode == 0, "block run")
    mask = np.load(os.path.join(dense_dir, "mask.npy"))
    offsets = np.load(os.path.join(block_dir, "block_offsets.npy"))
    keys = np.load(os.path.join(block_dir, "block_keys.npy"))
    kinds = np.load(os.path.join(block_dir, "block_kinds.npy"))
    roles = np.load(os.path.join(block_dir, "roles.npy"))
    n = (len(mask) + 63) // 64
    check(len(offsets) == n + 1 and not os.path.exists(os.path.join(block_dir, "mask.npy")), "block files")
    for qb in range(n):
        listed = dict(zip(keys[offsets[qb]:offsets[qb + 1]].tolist(), kinds[offsets[qb]:offsets[qb + 1]].tolist()))
        for kb in range(n):
            tile = mask[qb * 64:(qb + 1) * 64, kb * 64:(kb + 1) * 64]
            gist_cols = roles[kb * 64:(kb + 1) * 64] != 0
            if not tile.any():
                want = 0
            elif tile.all():
                want = 1
            else:
                want = 2 if not tile[:, ~gist_cols].any() else 3
            check(listed.get(kb, 0) == want, f"block ({qb},{kb}): kind {listed.get(kb, 0)}, dense says {want}")

    # Bad arguments: one line on stderr, exit 2, nothing written.
    bad = [
        ["--tokens", "8", "--chunk", "0"],
        ["--tokens", "0", "--chunk", "3"],
        ["--tokens", "-4", "--chunk", "3"],
        ["--tokens", "abc", "--chunk", "3"],
        ["--tokens", "8", "--chunk", "3", "--levels", "1"],
        ["--tokens", "8", "--chunk", "3", "--levels", "4,0"],
        ["--tokens", "8", "--chunk", "3", "--sink", "-1"],
        ["--tokens", "8", "--chunk", "3", "--previous", "x"],
        ["--tokens", "8", "--chunk", "3", "--frobnicate"],
        ["--tokens", "40000", "--chunk", "8"],  # dense above L = 32768
    ]
    for i, args in enumerate(bad):
        out = os.path.join(tmp, f"bad{i}")
        result = run(*args, "--out", out)
        lines = result.stderr.strip().splitlines()
        check(result.returncode == 2, f"{args}: exit {result.returncode}")
        check(len(lines) == 1 and lines[0].startswith("ssa-workbench:"), f"{args}: stderr {result.stderr!r}")
        check(not os.path.exists(out), f"{args}: wrote {out}")
    refusal = run("--tokens", "40000", "--chunk", "8", "--out", os.path.join(tmp, "big")).stderr
    check("--blocks" in refusal, "dense refusal names --blocks")

print(f"mask_cli: {'FAILED ' + str(len(failures)) if failures else 'all checks passed'}")
sys.exit(1 if failures else 0)
