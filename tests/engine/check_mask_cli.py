"""End-to-end test of `ssa-workbench mask`: the files it writes, read back with
numpy, match the spec's worked examples (positions included); sink and p default
to the models' 3 and 1; --positions, --word-aware --text and --record do what they
say; bad arguments exit 2 and write nothing.

Usage: check_mask_cli.py PATH/TO/ssa-workbench
"""
import json
import os
import sqlite3
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
        ("one-level", ["--tokens", "8", "--chunk", "3", "--sink", "0", "--previous", "0"], ONE_LEVEL,
         [0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1]),
        ("two-levels", ["--tokens", "8", "--chunk", "2", "--levels", "2", "--sink", "0",
                        "--previous", "0"], TWO_LEVELS, [0, 0, 1, 0, 0, 1, 2, 0, 0, 1, 0, 0, 1, 2]),
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

    # Defaults: s = 3, p = 1. Text no longer than the sink still gets its gist.
    out = os.path.join(tmp, "defaults")
    check(run("--tokens", "3", "--chunk", "4", "--out", out).returncode == 0, "defaults run")
    with open(os.path.join(out, "layout.json")) as f:
        layout = json.load(f)
    check(layout["sink"] == 3 and layout["previous_chunks"] == 1, f"defaults: {layout}")
    check(np.load(os.path.join(out, "roles.npy")).tolist() == [0, 0, 0, 1], "r r r G")
    check(np.load(os.path.join(out, "positions.npy")).tolist() == [0, 1, 2, 2], "sink-only positions")
    check(np.load(os.path.join(out, "mask.npy")).tolist() == np.tril(np.ones((4, 4), bool)).tolist(),
          "sink-only mask")
    help_text = subprocess.run([BIN, "mask", "--help"], capture_output=True, text=True).stdout
    check("default 3" in help_text and "default 1" in help_text, "--help names the defaults")

    # --positions stream: stream indices.
    out = os.path.join(tmp, "stream")
    check(run("--tokens", "8", "--chunk", "3", "--positions", "stream", "--out", out).returncode == 0,
          "stream run")
    stream_roles = np.load(os.path.join(out, "roles.npy")).tolist()
    check(stream_roles == [0, 0, 0, 0, 0, 0, 1, 0, 0, 1], f"s = 3 layout {stream_roles}")
    check(np.load(os.path.join(out, "positions.npy")).tolist() == list(range(10)), "stream positions")

    # --word-aware on a text (byte tokens, a token's text is its byte): the gist
    # after "abcd" would split "abcde"; the space after it starts a word.
    text = os.path.join(tmp, "text.txt")
    with open(text, "w") as f:
        f.write("abcde fgh")
    out = os.path.join(tmp, "words")
    r = run("--tokens", "9", "--chunk", "4", "--sink", "0", "--text", text, "--word-aware", "--out", out)
    check(r.returncode == 0, f"word-aware run: {r.stderr}")
    check(np.load(os.path.join(out, "roles.npy")).tolist() == [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1],
          "word-aware roles")
    out = os.path.join(tmp, "plain")
    check(run("--tokens", "9", "--chunk", "4", "--sink", "0", "--text", text, "--out", out).returncode
          == 0, "plain text run")
    check(np.load(os.path.join(out, "roles.npy")).tolist() == [0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 1],
          "plain roles")

    # --record: the recording's layout holds the same positions.
    out, rec = os.path.join(tmp, "rec"), os.path.join(tmp, "mask.ssarec")
    check(run("--tokens", "40", "--chunk", "4", "--levels", "2", "--record", rec, "--out", out)
          .returncode == 0, "record run")
    db = sqlite3.connect(rec)
    blob, length, sink = db.execute("SELECT positions, length, sink_length FROM layouts").fetchone()
    db.close()
    positions = np.load(os.path.join(out, "positions.npy"))
    check(np.frombuffer(blob, "<i8").tolist() == positions.tolist() and length == len(positions),
          "recorded positions")
    roles = np.load(os.path.join(out, "roles.npy"))
    check(positions.tolist() == (np.arange(len(roles)) - np.cumsum(roles != 0)).tolist(),
          "raw positions by default")
    check(sink == 3, f"recorded sink {sink}")

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
        ["--tokens", "8", "--chunk", "3", "--positions", "rope"],
        ["--tokens", "8", "--chunk", "3", "--word-aware"],  # needs --text
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
