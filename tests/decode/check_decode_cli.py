#!/usr/bin/env python3
"""`ssa-workbench record` and `generate` end to end on the shipped models.

Every baseline is recorded into one file with --shadow-full and read back with
sqlite3: the coverage each baseline must report, the oracle's keys scored
(every key), the layout with gists placed during generation. With
--budget reference --dense-layers 1 (ssa-small and hssa-small) every
selection row holds the spec's count, k_l = min(n_keys / comp /
heads_per_group / c + 1, max(1, n_l / 4), candidates), and layer 0 none; the
headless summary and generate --stats name the budget and the dense layers.
One-line errors (exit 2 for bad flags and unreadable input alike) write nothing.
Usage: check_decode_cli.py SSA_WORKBENCH SOURCE_DIR
"""
import collections
import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
import tempfile

BIN, SRC = sys.argv[1], sys.argv[2]
MODEL = os.path.join(SRC, "assets", "models", "ssa-small")
HSSA = os.path.join(SRC, "assets", "models", "hssa-small")
failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
        print("FAIL:", what)


def run(*args, env=None):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=600, env=env)


def record(out, *extra, task="passkey", model=MODEL):
    r = run("record", "--model", model, "--task", task, "--context", "400", "--seed", "2",
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
        # The shipped models say ssa.dense_layers 0 (trained with every layer selecting).
        c = json.loads(config)
        check(c.get("budget") == "fixed" and c.get("dense_layers") == 0 and c.get("k") == 2,
              f"{name}: config has budget fixed, k 2, dense_layers 0: {config}")
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

    # The reference budget with one dense layer: the spec's count in every row.
    def csv_rows(path, what):
        r = run("export", path, "--what", what, "--format", "csv")
        check(r.returncode == 0, f"export {what}: exit {r.returncode}: {r.stderr.strip()}")
        return list(csv.DictReader(io.StringIO(r.stdout)))

    for model in (MODEL, HSSA):
        with open(os.path.join(model, "config.json")) as f:
            mc = json.load(f)
        ssa = mc["ssa"]
        c, groups = ssa["chunk"], ssa["group_sizes"]
        comp = c * groups[0] if groups else c
        per_group = mc["num_attention_heads"] // mc["num_key_value_heads"]
        user_k = 3
        ref = os.path.join(tmp, os.path.basename(model) + "-reference.ssarec")
        record(ref, "--budget", "reference", "--dense-layers", "1", "--k", str(user_k),
               "--steps", "4", model=model)
        db = sqlite3.connect(ref)
        (config,) = db.execute("SELECT config_json FROM runs").fetchone()
        cfg = json.loads(config)
        check(cfg.get("budget") == "reference" and cfg.get("dense_layers") == 1,
              f"{model}: config names budget reference and dense_layers 1: {config}")
        (length, roles) = db.execute("SELECT length, roles FROM layouts").fetchone()
        (steps,) = db.execute("SELECT COUNT(*) FROM decode_steps").fetchone()
        db.close()
        prompt = length - (steps - 1)  # the last token produced is not appended
        gists = collections.Counter(roles)  # role k + 1: a gist of level k
        candidates = collections.Counter(
            (int(r["step"]), int(r["layer"]), int(r["level"]), int(r["head"]))
            for r in csv_rows(ref, "scores"))
        chosen = collections.Counter(
            (int(r["step"]), int(r["layer"]), int(r["level"]), int(r["head"]))
            for r in csv_rows(ref, "selections"))
        layers = {key[1] for key in chosen}
        check(layers == set(range(1, mc["num_hidden_layers"])),
              f"{model}: selection rows for layers 1.. only (layer 0 is dense): {sorted(layers)}")
        check(set(chosen) == set(candidates) and len(chosen) ==
              steps * (mc["num_hidden_layers"] - 1) * mc["num_attention_heads"] * (1 + len(groups)),
              f"{model}: one selection row per step, selecting layer, head and level")
        formula_bound = 0
        for key, n in sorted(chosen.items()):
            step, _, level, _ = key
            n_keys = prompt + step  # the KV length of the call computing the step
            formula = n_keys // comp // per_group // c + 1
            expected = min(formula if level <= 1 else user_k,
                           max(1, gists[level + 1] // 4), candidates[key])
            formula_bound += expected == formula
            check(n == expected, f"{model} step {step} {key}: {n} chosen, spec says {expected}")
        check(formula_bound > 0, f"{model}: the formula bound no row (test too weak)")
        # The headless summary (no display) names the budget and the dense layers.
        env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
        r = run("gui", ref, env=env)
        check(r.returncode == 0 and "budget reference" in r.stdout and
              "dense layers 1" in r.stdout, f"headless summary of {ref}: {r.stdout!r}")

    # Positions and word-aware placement as the layout has them: the shipped
    # model says "stream" (stream indices) and word_aware false; --word-aware
    # puts every gist before a word start when one is within c/2 tokens.
    aware = os.path.join(tmp, "aware.ssarec")
    for extra in ([], ["--word-aware"]):
        record(aware, "--steps", "2", *extra, task="text")
    db = sqlite3.connect(aware)
    layouts = db.execute("SELECT settings_json, length, roles, positions FROM layouts"
                         " ORDER BY run_id").fetchall()
    db.close()
    (plain_json, plain_len, plain_roles, plain_pos), (aware_json, _, aware_roles, aware_pos) = layouts
    check('"position_ids":"stream"' in plain_json and '"word_aware":false' in plain_json,
          f"recorded settings: {plain_json}")
    check('"word_aware":true' in aware_json, f"--word-aware recorded: {aware_json}")
    check(list(memoryview(plain_pos).cast("q")) == list(range(plain_len)),
          "recorded positions of a stream model are stream indices")
    check(len(aware_pos) == 8 * len(aware_roles), "a position per stream position")
    check(aware_roles != plain_roles, "--word-aware moves gists on a text document")

    # generate: the text on stdout, one stats line per step on stderr.
    r = run("generate", "--model", MODEL, "--prompt", "The pass key is 71432. Remember it. " * 4,
            "--question", "\nWhat is the pass key? The pass key is", "--max-tokens", "6", "--stats")
    check(r.returncode == 0, f"generate: exit {r.returncode}: {r.stderr.strip()}")
    stat_lines = [l for l in r.stderr.splitlines() if l.startswith("step ")]
    check(1 <= len(stat_lines) <= 6, f"generate --stats: {len(stat_lines)} step lines")
    check(len(r.stdout.strip("\n")) >= 1, f"generate printed text: {r.stdout!r}")
    check("budget fixed (k 4), dense layers 0" in r.stderr,
          f"generate --stats names the budget and the model's dense layers: {r.stderr!r}")
    r = run("bench", "decode", "--contexts", "256", "--steps", "1", "--budget", "reference")
    check(r.returncode == 0 and "budget reference" in r.stdout,
          f"bench decode --budget reference: exit {r.returncode}: {r.stdout!r} {r.stderr!r}")

    # Bad input: one line on stderr, the right exit code, no file written.
    bad_out = os.path.join(tmp, "never.ssarec")
    cases = [
        (2, ["record", "--model", MODEL, "--baseline", "best", "--out", bad_out], "--baseline"),
        (2, ["record", "--model", MODEL, "--k", "0", "--out", bad_out], "--k"),
        (2, ["record", "--model", MODEL, "--mode", "heads", "--out", bad_out], "--mode"),
        (2, ["record", "--model", MODEL, "--device", "tpu", "--out", bad_out], "--device"),
        (2, ["record", "--model", MODEL, "--top-p", "2", "--out", bad_out], "--top-p"),
        (2, ["record", "--model", MODEL, "--budget", "foo", "--out", bad_out], "--budget"),
        (2, ["record", "--model", MODEL, "--budget", "top-p", "--out", bad_out],
         "--budget top-p"),
        (2, ["record", "--model", MODEL, "--top-p", "0.5", "--out", bad_out], "--top-p"),
        (2, ["record", "--model", MODEL, "--budget", "reference", "--no-cap", "--out", bad_out],
         "--no-cap"),
        (2, ["record", "--model", MODEL, "--dense-layers", "-1", "--out", bad_out],
         "--dense-layers"),
        (2, ["record", "--model", MODEL, "--dense-layers", "9", "--out", bad_out],
         "--dense-layers 9"),
        (2, ["generate", "--model", HSSA, "--prompt", "x", "--dense-layers", "5"],
         "--dense-layers 5"),
        (2, ["bench", "decode", "--budget", "top-p"], "--budget"),
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
        (2, ["generate", "--model", MODEL, "--prompt", "x", "--word-aware", "--no-word-aware"],
         "--no-word-aware"),
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
