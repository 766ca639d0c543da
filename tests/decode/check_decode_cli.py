#!/usr/bin/env python3
"""`ssa-workbench record` and `generate` end to end on the shipped model.

Every baseline is recorded into one file with --shadow-full and read back with
sqlite3: the coverage each baseline must report, the oracle's keys scored
(every key), the layout with gists placed during generation, and one-line
errors (exit 2 for bad flags and unreadable input alike) that write nothing.
Usage: check_decode_cli.py SSA_WORKBENCH SOURCE_DIR
"""
import os
import sqlite3
import subprocess
import sys
import tempfile

BIN, SRC = sys.argv[1], sys.argv[2]
MODEL = os.path.join(SRC, "assets", "models", "ssa-small")
failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
        print("FAIL:", what)


def run(*args):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=600)


def record(out, *extra, task="passkey"):
    r = run("record", "--model", MODEL, "--task", task, "--context", "400", "--seed", "2",
            "--out", out, *extra)
    check(r.returncode == 0, f"record {extra}: exit {r.returncode}: {r.stderr.strip()}")
    return r


with tempfile.TemporaryDirectory() as tmp:
    out = os.path.join(tmp, "baselines.ssarec")
    baselines = ["none", "full", "gist-only", "oracle", "recency"]
    for b in baselines:
        record(out, "--baseline", b, "--shadow-full", "--steps", "3", "--k", "2",
               "--prefill", "dense" if b == "none" else "auto")
    db = sqlite3.connect(out)
    runs = db.execute("SELECT id, name, config_json FROM runs ORDER BY id").fetchall()
    check(len(runs) == 5, f"5 runs recorded, got {len(runs)}")
    for (run_id, name, config), baseline in zip(runs, baselines):
        check(f'"baseline":"{baseline}"' in config, f"{name}: config names baseline {baseline}")
        steps = db.execute(
            "SELECT step, keys_scored, keys_read, full_mass_coverage, answer_unfolded"
            " FROM decode_steps WHERE run_id = ? ORDER BY step", (run_id,)).fetchall()
        check(len(steps) == 3, f"{name}: 3 decode steps, got {len(steps)}")
        (length,) = db.execute("SELECT length FROM layouts WHERE run_id = ?", (run_id,)).fetchone()
        for step, scored, read, coverage, answer in steps:
            where = f"{name} step {step}"
            if baseline == "full":
                check(coverage == -1, f"{where}: full attention has no coverage ({coverage})")
                check(answer == -1, f"{where}: full attention unfolds nothing ({answer})")
            elif baseline == "gist-only":
                check(coverage == 0, f"{where}: gist-only unfolds nothing ({coverage})")
                check(scored == 0, f"{where}: gist-only scores nothing ({scored})")
            elif baseline == "none":  # SSA may spend k on chunks the query reads anyway
                check(0 <= coverage <= 1, f"{where}: coverage in [0, 1] ({coverage})")
            else:  # oracle and recency unfold chunks the query does not read already
                check(0 < coverage <= 1, f"{where}: coverage in (0, 1] ({coverage})")
            if baseline == "oracle":
                # Step s is stream position (length - 3 + s): the oracle scores every key.
                check(scored == length - 2 + step, f"{where}: oracle scored {scored} keys")
            if baseline == "recency":
                check(scored == 0, f"{where}: recency scores nothing ({scored})")
            check(0 < read <= length, f"{where}: keys read {read}")
    db.close()

    # Gists during generation: one gist per 8 generated tokens (chunk8).
    gists = os.path.join(tmp, "gists.ssarec")
    for extra in ([], ["--generation-gists"]):
        record(gists, "--steps", "20", *extra, task="text")
    db = sqlite3.connect(gists)
    counts = []
    for (run_id,) in db.execute("SELECT id FROM runs ORDER BY id").fetchall():
        (length,) = db.execute("SELECT length FROM layouts WHERE run_id = ?", (run_id,)).fetchone()
        (steps,) = db.execute("SELECT COUNT(*) FROM decode_steps WHERE run_id = ?",
                              (run_id,)).fetchone()
        counts.append((length, steps - 1))  # the last token produced is not appended
    db.close()
    (plain_length, plain_appended), (gist_length, gist_appended) = counts
    prompt = plain_length - plain_appended
    check(gist_length == prompt + gist_appended + gist_appended // 8,
          f"generation gists: length {gist_length}, prompt {prompt}, appended {gist_appended}")

    # generate: the text on stdout, one stats line per step on stderr.
    r = run("generate", "--model", MODEL, "--prompt", "The pass key is 71432. Remember it. " * 4,
            "--question", "\nWhat is the pass key? The pass key is", "--max-tokens", "6", "--stats")
    check(r.returncode == 0, f"generate: exit {r.returncode}: {r.stderr.strip()}")
    stat_lines = [l for l in r.stderr.splitlines() if l.startswith("step ")]
    check(1 <= len(stat_lines) <= 6, f"generate --stats: {len(stat_lines)} step lines")
    check(len(r.stdout.strip("\n")) >= 1, f"generate printed text: {r.stdout!r}")

    # Bad input: one line on stderr, the right exit code, no file written.
    bad_out = os.path.join(tmp, "never.ssarec")
    cases = [
        (2, ["record", "--model", MODEL, "--baseline", "best", "--out", bad_out], "--baseline"),
        (2, ["record", "--model", MODEL, "--k", "0", "--out", bad_out], "--k"),
        (2, ["record", "--model", MODEL, "--mode", "heads", "--out", bad_out], "--mode"),
        (2, ["record", "--model", MODEL, "--device", "tpu", "--out", bad_out], "--device"),
        (2, ["record", "--model", MODEL, "--top-p", "2", "--out", bad_out], "--top-p"),
        (2, ["record", "--model", MODEL, "--prefill", "sparse", "--out", bad_out], "--prefill"),
        (2, ["record", "--model", MODEL, "--threads", "-1", "--out", bad_out], "--threads"),
        (2, ["record", "--model", MODEL, "--threads", "100000", "--out", bad_out], "--threads"),
        (2, ["record", "--model", MODEL, "--top-p", "nan", "--out", bad_out], "--top-p"),
        (2, ["record", "--model", MODEL, "--seed", "-1", "--out", bad_out], "--seed"),
        (2, ["record", "--model", MODEL, "--seed", "1e23", "--out", bad_out], "--seed"),
        (2, ["record", "--model", MODEL, "--context", "100000000000", "--out", bad_out],
         "--context"),
        (2, ["record", "--model", MODEL, "--prefill", "dense", "--context", "40000",
             "--out", bad_out], "--prefill dense"),
        (2, ["record", "--model", os.path.join(tmp, "no-model"), "--out", bad_out], "no-model"),
        (2, ["generate", "--model", MODEL], "--prompt"),
        (2, ["generate", "--model", MODEL, "--prompt", "x", "--prompt-file", "y"], "not both"),
        (2, ["generate", "--model", MODEL, "--prompt-file", os.path.join(tmp, "none.txt")],
         "none.txt"),
        (2, ["generate", "--model", MODEL, "--prompt", "x", "--max-tokens", "0"], "--max-tokens"),
    ]
    for code, args, needle in cases:
        r = run(*args)
        lines = r.stderr.strip().splitlines()
        check(r.returncode == code, f"{args[0]} {args[3:]}: exit {r.returncode}, expected {code}")
        check(len(lines) == 1 and needle in lines[0],
              f"{args[0]} {args[3:]}: one line naming {needle!r}: {r.stderr!r}")
    check(not os.path.exists(bad_out), "a failed record wrote no file")

if failures:
    print(f"{len(failures)} check(s) failed")
    sys.exit(1)
print("decode CLI: all checks passed")
