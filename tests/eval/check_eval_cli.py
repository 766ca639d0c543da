#!/usr/bin/env python3
"""`ssa-workbench eval` end to end on the shipped toy models (seconds).

A small grid on ssa-small (two contexts, two k, every method, --shadow-full,
--record of the first example): results.csv and examples.csv have the
contract's headers and rows, agree with each other (exact, char accuracy,
recall are the examples' means; compression is context / keys read), leave
unmeasured values empty; recordings hold the example's run, whose answering
step records the examples.csv answer_unfolded. Running the same command again
resumes (nothing decoded again; a configuration cut out of results.csv is
decoded again with the same numbers), another command in the folder is
refused. H-SSA levels on hssa-small, multidoc on fortunes. Bad arguments exit
2 with one line and write nothing.
Usage: check_eval_cli.py SSA_WORKBENCH SOURCE_DIR
"""
import csv
import io
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

BIN, SRC = sys.argv[1], sys.argv[2]
MODEL = os.path.join(SRC, "assets", "models", "ssa-small")
HSSA = os.path.join(SRC, "assets", "models", "hssa-small")
RESULTS = ("method,task,context,k,levels,n,exact,char_accuracy,compression,recall,coverage_mean,"
           "coverage_p10,keys_scored_per_step,keys_read_per_step,ms_per_step")
EXAMPLES = ("method,task,context,k,levels,example,exact,char_accuracy,answer_unfolded,expected,"
            "generated,recording,run,answer_step")
failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
        print("FAIL:", what)


def run(*args):
    return subprocess.run([BIN, "eval", *args], capture_output=True, text=True, timeout=600)


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def read(path):
    with open(path, newline="") as f:
        return f.read()


def key(r):
    return (r["method"], r["task"], r["context"], r["k"], r["levels"])


with tempfile.TemporaryDirectory() as tmp:
    out = os.path.join(tmp, "grid")
    grid = ["--model", MODEL, "--task", "passkey", "--contexts", "96,160", "--k", "1,2",
            "--methods", "ssa,full,gist-only,oracle,recency", "--n", "3", "--seed", "5",
            "--out", out, "--shadow-full", "--record", "--record-examples", "1", "--threads", "1"]
    r = run(*grid)
    check(r.returncode == 0, f"grid: exit {r.returncode}: {r.stderr.strip()[-300:]}")
    check("eval [" in r.stderr, "a progress bar on stderr")
    check("ssa" in r.stdout and "compression" in r.stdout, "the table on stdout")
    check("chart" in r.stdout, "a line about the chart")
    command = read(os.path.join(out, "command.txt"))
    check(command.count("\n") == 1 and command.startswith("ssa-workbench eval --model "),
          f"command.txt is one command line: {command!r}")
    check(read(os.path.join(out, "results.csv")).splitlines()[0] == RESULTS, "results.csv header")
    check(read(os.path.join(out, "examples.csv")).splitlines()[0] == EXAMPLES,
          "examples.csv header")
    results, examples = rows(os.path.join(out, "results.csv")), rows(os.path.join(out, "examples.csv"))
    # Per context: ssa, oracle, recency at k 1 and 2; full and gist-only once.
    check(len(results) == 16, f"16 configurations, got {len(results)}")
    check(len(examples) == 48, f"48 examples, got {len(examples)}")
    by_key = {}
    for e in examples:
        by_key.setdefault(key(e), []).append(e)
    for res in results:
        name = " ".join(key(res))
        ex = by_key.get(key(res), [])
        check(len(ex) == 3 and res["n"] == "3", f"{name}: 3 examples")
        if not ex:
            continue
        mean = lambda col: sum(float(e[col]) for e in ex) / len(ex)
        check(abs(float(res["exact"]) - mean("exact")) < 1e-12, f"{name}: exact is the mean")
        check(abs(float(res["char_accuracy"]) - mean("char_accuracy")) < 1e-12,
              f"{name}: char_accuracy is the mean")
        for e in ex:
            check(e["exact"] == ("1" if e["expected"].strip() == e["generated"].strip() else "0"),
                  f"{name} example {e['example']}: exact says whether the answer came out")
        check(res["keys_read_per_step"] != "" and
              abs(float(res["compression"]) - int(res["context"]) / float(res["keys_read_per_step"]))
              < 1e-9, f"{name}: compression = context / keys read")
        check(res["ms_per_step"] != "", f"{name}: ms per step")
        if res["method"] == "full":
            check(res["k"] == "" and res["recall"] == "" and res["coverage_mean"] == "",
                  f"{name}: full attention has no k, recall or coverage")
            check(all(e["answer_unfolded"] == "" for e in ex), f"{name}: answer_unfolded empty")
        else:
            unfolded = [int(e["answer_unfolded"]) for e in ex if e["answer_unfolded"] != ""]
            check(res["recall"] != "" and unfolded and
                  abs(float(res["recall"]) - sum(unfolded) / len(unfolded)) < 1e-12,
                  f"{name}: recall is the mean answer_unfolded")
            check(res["coverage_mean"] != "" and res["coverage_p10"] != "" and
                  float(res["coverage_p10"]) <= float(res["coverage_mean"]) + 1e-12,
                  f"{name}: coverage measured, p10 <= mean")
        if res["method"] == "gist-only":
            check(res["recall"] == "0" and float(res["keys_scored_per_step"]) == 0,
                  f"{name}: gist-only unfolds nothing and scores nothing")
        # The first example is recorded: its run's answering step says the same.
        first = [e for e in ex if e["example"] == "0"][0]
        rest = [e for e in ex if e["example"] != "0"]
        check(all(e["recording"] == "" and e["run"] == "" for e in rest),
              f"{name}: only the first example recorded")
        path = os.path.join(out, first["recording"])
        check(first["recording"].startswith("recordings/") and os.path.isfile(path),
              f"{name}: recording {first['recording']} exists")
        if os.path.isfile(path):
            db = sqlite3.connect(path)
            step = db.execute("SELECT answer_unfolded FROM decode_steps WHERE run_id = ? AND step = ?",
                              (int(first["run"]), int(first["answer_step"]))).fetchone()
            want = -1 if first["answer_unfolded"] == "" else int(first["answer_unfolded"])
            check(step is not None and step[0] == want,
                  f"{name}: the recording's answering step has answer_unfolded {want}, got {step}")
            db.close()
    check(not any(f.endswith(".part") for f in os.listdir(os.path.join(out, "recordings"))),
          "no partial recordings left")

    # Resume: nothing left to do; then one configuration cut out is decoded again.
    before_results, before_examples = read(os.path.join(out, "results.csv")), read(
        os.path.join(out, "examples.csv"))
    r = run(*grid)
    check(r.returncode == 0 and "16 of 16 configurations done" in r.stderr,
          f"resume: exit {r.returncode}: {r.stderr.strip()[-300:]}")
    check(read(os.path.join(out, "results.csv")) == before_results, "resume keeps results.csv")
    check(read(os.path.join(out, "examples.csv")) == before_examples, "resume keeps examples.csv")
    lines = before_results.splitlines(keepends=True)
    cut = lines[-1]
    with open(os.path.join(out, "results.csv"), "w", newline="") as f:
        f.write("".join(lines[:-1]))
    r = run(*grid)
    check(r.returncode == 0 and "15 of 16 configurations done" in r.stderr,
          f"resume after a cut: {r.stderr.strip()[-300:]}")
    again = read(os.path.join(out, "results.csv")).splitlines(keepends=True)
    check(again[:-1] == lines[:-1], "resume leaves the finished rows as they were")
    # The configuration decoded again: the same numbers but its time.
    strip_ms = lambda line: line.rstrip("\r\n").rsplit(",", 1)[0]
    check(len(again) == len(lines) and strip_ms(again[-1]) == strip_ms(cut),
          f"the cut configuration decoded again the same: {again[-1]!r} vs {cut!r}")
    check(read(os.path.join(out, "examples.csv")) == before_examples,
          "its examples decoded again the same")
    r = run(*[a if a != "5" else "6" for a in grid])
    check(r.returncode == 2 and "another command" in r.stderr and r.stderr.count("\n") == 1,
          f"another command in the folder refused: {r.returncode} {r.stderr!r}")
    check(read(os.path.join(out, "results.csv")) == "".join(again), "refusal writes nothing")

    # H-SSA: the model's own levels, and SSA on the same model.
    hssa = os.path.join(tmp, "hssa")
    r = run("--model", HSSA, "--contexts", "128", "--k", "2", "--levels", "4,4-4", "--methods",
            "ssa,gist-only", "--n", "1", "--out", hssa, "--threads", "1")
    check(r.returncode == 0, f"hssa: {r.stderr.strip()[-300:]}")
    if r.returncode == 0:
        levels = sorted({x["levels"] for x in rows(os.path.join(hssa, "results.csv"))})
        check(levels == ["", "4-4"], f"levels column '' and 4-4, got {levels}")

    # multidoc: distractor documents from the fortunes.
    md = os.path.join(tmp, "multidoc")
    r = run("--model", MODEL, "--task", "multidoc", "--contexts", "200", "--k", "2", "--methods",
            "ssa", "--n", "2", "--out", md, "--threads", "1")
    check(r.returncode == 0 and len(rows(os.path.join(md, "examples.csv"))) == 2,
          f"multidoc: {r.stderr.strip()[-300:]}")

    # Bad arguments: one line, exit 2, nothing written.
    bad = os.path.join(tmp, "bad")
    base = ["--model", MODEL, "--contexts", "96", "--k", "1", "--n", "1", "--out", bad]
    cases = {
        "--task": ["--task", "sudoku"],
        "--methods": ["--methods", "ssa,bogus"],
        "twice": ["--methods", "ssa,ssa"],
        "--contexts": ["--contexts", "8"],
        "context too short for the task": ["--task", "multidoc", "--contexts", "100"],
        "--contexts abc": ["--contexts", "abc"],
        "--k": ["--k", "0"],
        "--n": ["--n", "0"],
        "--seed": ["--seed", "-1"],
        "--record-examples": ["--record-examples", "2"],
        "--levels": ["--levels", "4-4"],
        "--levels beyond the model's gists": ["--levels", "8-4"],
        "--device": ["--device", "tpu"],
        "--mode": ["--mode", "sideways"],
        "--fortunes": ["--task", "multidoc", "--contexts", "200", "--fortunes", "/nonexistent"],
    }
    for name, extra in cases.items():
        shutil.rmtree(bad, ignore_errors=True)
        r = run(*base, *extra)
        check(r.returncode == 2 and r.stderr.count("\n") == 1,
              f"{name}: exit {r.returncode}, one line: {r.stderr!r}")
        check(not os.path.exists(bad), f"{name}: nothing written")
    shutil.rmtree(bad, ignore_errors=True)
    r = run("--model", os.path.join(tmp, "nothing"), "--out", bad)
    check(r.returncode == 2 and r.stderr.count("\n") == 1 and not os.path.exists(bad),
          f"a missing --model: exit {r.returncode}: {r.stderr!r}")

print("OK" if not failures else f"{len(failures)} failures")
sys.exit(1 if failures else 0)
