"""End-to-end test of `ssa-workbench tokenize`: ids equal the `tokenizers` library's,
--decode inverts them, --chat equals transformers' apply_chat_template; the byte tokenizer
of the project's own models; bad input is one line on stderr, exit 2, nothing on stdout.

Usage: check_tokenize_cli.py PATH/TO/ssa-workbench SOURCE_DIR
"""
import json
import os
import subprocess
import sys
import tempfile

BIN, SOURCE = sys.argv[1], sys.argv[2]
SMOLLM2 = os.path.join(SOURCE, ".cache/models/smollm2-135m-instruct")
OWN_MODEL = os.path.join(SOURCE, "assets/models/ssa-small")
failures = []


def run(*args, stdin=None):
    return subprocess.run([BIN, "tokenize", *args], capture_output=True)


def check(condition, what):
    if not condition:
        failures.append(what)
        print("FAIL:", what)


def expect_bad(args, part):
    r = run(*args)
    err = r.stderr.decode("utf-8", "replace")
    check(r.returncode == 2, f"{args}: exit {r.returncode}, expected 2 ({err.strip()})")
    check(r.stdout == b"", f"{args}: wrote to stdout: {r.stdout[:80]!r}")
    check(err.count("\n") == 1, f"{args}: stderr is not one line: {err!r}")
    check(part in err, f"{args}: stderr lacks {part!r}: {err!r}")


# The byte tokenizer of the project's own models.
r = run("--model", OWN_MODEL, "--text", "hé")
check(r.returncode == 0 and r.stdout == b"104 195 169\n", f"own model: {r.stdout!r} {r.stderr!r}")
r = run("--model", OWN_MODEL, "--decode", "104,195 169")
check(r.returncode == 0 and r.stdout.decode() == "hé\n", f"own model decode: {r.stdout!r}")

with tempfile.TemporaryDirectory() as tmp:
    if os.path.exists(os.path.join(SMOLLM2, "tokenizer.json")):
        from tokenizers import Tokenizer
        from transformers import AutoTokenizer
        hf = Tokenizer.from_file(os.path.join(SMOLLM2, "tokenizer.json"))
        text = "Hello <|im_end|> world!\n\n  1234567 中文 😀 café"
        r = run("--model", SMOLLM2, "--text", text)
        expected = " ".join(map(str, hf.encode(text, add_special_tokens=False).ids)) + "\n"
        check(r.returncode == 0 and r.stdout.decode() == expected, f"--text: {r.stdout!r} vs {expected!r}")
        text_file = os.path.join(tmp, "text.txt")
        open(text_file, "w", encoding="utf-8").write(text)
        r = run("--tokenizer", os.path.join(SMOLLM2, "tokenizer.json"), "--text-file", text_file)
        check(r.returncode == 0 and r.stdout.decode() == expected, f"--text-file: {r.stdout!r}")
        r = run("--model", SMOLLM2, "--decode", expected.strip())
        check(r.returncode == 0 and r.stdout.decode() == text + "\n", f"--decode: {r.stdout!r}")
        # --chat: the ids of transformers' rendered prompt.
        auto = AutoTokenizer.from_pretrained(SMOLLM2)
        prompt = auto.apply_chat_template([{"role": "user", "content": "What is 2+2?"}], tokenize=False,
                                          add_generation_prompt=True)
        chat_ids = " ".join(map(str, hf.encode(prompt, add_special_tokens=False).ids)) + "\n"
        r = run("--model", SMOLLM2, "--text", "What is 2+2?", "--chat")
        check(r.returncode == 0 and r.stdout.decode() == chat_ids, f"--chat: {r.stdout!r} vs {chat_ids!r}")

        expect_bad(["--model", SMOLLM2, "--decode", "12 x"], '"x" is not a token id')
        expect_bad(["--model", SMOLLM2, "--decode", "49152"], "outside the vocabulary")
        bad_text = os.path.join(tmp, "bad.txt")
        open(bad_text, "wb").write(b"caf\xc3 ok")
        expect_bad(["--model", SMOLLM2, "--text-file", bad_text], "not valid UTF-8 at byte 3")
        expect_bad(["--model", SMOLLM2, "--text", b"ab\xff".decode("utf-8", "surrogateescape")],
                   "--text: not valid UTF-8 at byte 2")
    else:
        print("SmolLM2 tokenizer missing (scripts/setup.sh): its checks are skipped")

    # Broken tokenizer files.
    not_json = os.path.join(tmp, "not.json")
    open(not_json, "w").write("{ not json")
    expect_bad(["--tokenizer", not_json, "--text", "x"], "not JSON")
    base = {"version": "1.0", "added_tokens": [], "normalizer": None, "post_processor": None,
            "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False},
            "decoder": {"type": "ByteLevel"},
            "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a c"]}}
    unknown = os.path.join(tmp, "unknown_merge.json")
    json.dump(base, open(unknown, "w"))
    expect_bad(["--tokenizer", unknown, "--text", "x"], 'names "c", which is not in the vocabulary')
    base["model"] = {"type": "WordPiece", "vocab": {"[UNK]": 0}, "unk_token": "[UNK]"}
    wordpiece = os.path.join(tmp, "wordpiece.json")
    json.dump(base, open(wordpiece, "w"))
    expect_bad(["--tokenizer", wordpiece, "--text", "x"], 'model type "WordPiece" is not supported')
    expect_bad(["--model", tmp, "--text", "x"], "no tokenizer.json and no config.json")
    expect_bad(["--tokenizer", os.path.join(tmp, "missing.json"), "--text", "x"], "is not a file")
    expect_bad(["--model", OWN_MODEL, "--text", "x", "--chat"], "no chat template")
    expect_bad(["--model", OWN_MODEL], "give one of --text, --text-file, --decode")
    expect_bad(["--text", "x"], "give --model DIR or --tokenizer FILE")

sys.exit(1 if failures else 0)
