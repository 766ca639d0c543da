"""End-to-end test of `ssa-workbench forward` against transformers.

Tiny random Llama checkpoints made here with transformers: the logits the CLI
writes equal transformers' (full attention; and under the SSA training mask,
with the mask of `ssa-workbench mask` handed to transformers as a 4-D mask);
bad input exits 2 with one line and writes nothing. With the real
SmolLM2-135M-Instruct checkpoint (.cache/models/, when present) the CLI's
logits on English text equal transformers'.

Usage: check_forward_cli.py PATH/TO/ssa-workbench
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

try:
    import torch
    import transformers
except ImportError as e:
    print(f"check_forward_cli.py: skipped, the Python oracle is unavailable ({e})")
    sys.exit(0)

BIN = sys.argv[1]
SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SMOLLM2 = os.path.join(SOURCE_DIR, ".cache", "models", "smollm2-135m-instruct")
OUTPUT_FILES = {"logits.npy", "tokens.npy", "roles.npy", "positions.npy", "layout.json"}

failures = []
transformers.logging.set_verbosity_error()
transformers.utils.logging.disable_progress_bar()


def check(condition, what):
    print(("ok:   " if condition else "FAIL: ") + what)
    if not condition:
        failures.append(what)


def run(*args):
    return subprocess.run([BIN, *args], capture_output=True, text=True)


def tiny_llama(path, shards=False, rope=None):
    torch.manual_seed(7)
    config = transformers.LlamaConfig(
        vocab_size=263, hidden_size=48, intermediate_size=96, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, head_dim=12, max_position_embeddings=256,
        tie_word_embeddings=False,
        rope_parameters=rope or {"rope_type": "llama3", "rope_theta": 10000.0, "factor": 8.0,
                                 "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                 "original_max_position_embeddings": 64})
    model = transformers.LlamaForCausalLM(config).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(1.0 + 0.1 * torch.randn_like(p) if name.endswith("norm.weight")
                    else 0.1 * torch.randn_like(p))
    model.save_pretrained(path, max_shard_size="30KB" if shards else "1GB")
    return transformers.LlamaForCausalLM.from_pretrained(
        path, dtype=torch.float32, attn_implementation="eager").eval()


def edit_config(path, change):
    with open(os.path.join(path, "config.json")) as f:
        config = json.load(f)
    change(config)
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump(config, f, indent=2)


def expect_refused(args, message, out, what):
    r = run(*args)
    lines = r.stderr.strip().splitlines()
    check(r.returncode == 2, f"{what}: exit 2 (got {r.returncode})")
    check(len(lines) == 1 and message in r.stderr, f"{what}: one line with {message!r} "
          f"(got {r.stderr.strip()!r})")
    check(not os.path.exists(out), f"{what}: nothing written")
    parent = os.path.dirname(out)
    check(not [n for n in os.listdir(parent) if ".forward-" in n], f"{what}: no staging left")


def main():
    tmp = tempfile.mkdtemp(prefix="forward-cli-")
    model_dir = os.path.join(tmp, "llama")
    hf = tiny_llama(model_dir)
    ids = [5, 17, 230, 3, 99, 42, 8, 150, 77, 1, 260, 19, 64, 201, 33, 12, 7, 180, 45, 2]

    # Full attention: logits, tokens, roles, positions, layout.json.
    out = os.path.join(tmp, "full")
    r = run("forward", "--model", model_dir, "--ids", ",".join(map(str, ids)), "--out", out)
    check(r.returncode == 0, f"forward --attention full runs ({r.stderr.strip()})")
    check(set(os.listdir(out)) == OUTPUT_FILES, "writes exactly its five files")
    logits = np.load(os.path.join(out, "logits.npy"))
    with torch.no_grad():
        ref = hf(input_ids=torch.tensor([ids])).logits[0].numpy()
    diff = float(np.abs(logits - ref).max())
    check(logits.dtype == np.float32 and logits.shape == (20, 263), "logits float32 [20, 263]")
    check(diff < 1e-4, f"full-attention logits equal transformers' (max |diff| {diff:.3g})")
    check(np.array_equal(np.load(os.path.join(out, "tokens.npy")), ids), "tokens.npy = the ids")
    check(not np.load(os.path.join(out, "roles.npy")).any(), "roles all raw")
    check(np.array_equal(np.load(os.path.join(out, "positions.npy")), np.arange(20)),
          "positions 0..19")
    layout = json.load(open(os.path.join(out, "layout.json")))
    check(layout["attention"] == "full" and layout["rope_type"] == "llama3",
          f"layout.json says full attention, llama3 RoPE ({layout})")

    # --ids-file (int32) gives the same logits; an earlier forward's --out is replaced.
    ids_file = os.path.join(tmp, "ids.npy")
    np.save(ids_file, np.array(ids, dtype=np.int32))
    r = run("forward", "--model", model_dir, "--ids-file", ids_file, "--out", out)
    check(r.returncode == 0 and np.array_equal(np.load(os.path.join(out, "logits.npy")), logits),
          "--ids-file int32 gives the same logits, replacing the earlier output")

    # Bad input: one line, exit 2, nothing written.
    bad_out = os.path.join(tmp, "bad")
    expect_refused(["forward", "--model", model_dir, "--ids", "1,2,999", "--out", bad_out],
                   "--ids: id 999 at index 2 is outside the vocabulary (0..262)", bad_out,
                   "an id outside the vocabulary")
    np.save(ids_file, np.array([[1, 2], [3, 4]], dtype=np.int64))
    expect_refused(["forward", "--model", model_dir, "--ids-file", ids_file, "--out", bad_out],
                   "expected a 1-D array", bad_out, "a 2-D --ids-file")
    np.save(ids_file, np.array([1.0, 2.0]))
    expect_refused(["forward", "--model", model_dir, "--ids-file", ids_file, "--out", bad_out],
                   "dtype '<f8' is not a little-endian integer type", bad_out, "a float --ids-file")
    expect_refused(["forward", "--model", model_dir, "--ids", "1,2", "--attention", "sparse",
                    "--out", bad_out], "--attention must be full or mask", bad_out,
                   "an unknown --attention")
    expect_refused(["forward", "--model", model_dir, "--ids", "1,2", "--attention", "mask",
                    "--out", bad_out], "has no ssa block", bad_out,
                   "--attention mask without an ssa block")
    foreign = os.path.join(tmp, "foreign")
    os.makedirs(foreign)
    open(os.path.join(foreign, "notes.txt"), "w").close()
    r = run("forward", "--model", model_dir, "--ids", "1,2", "--out", foreign)
    check(r.returncode == 2 and os.listdir(foreign) == ["notes.txt"],
          f"an --out holding other files is refused and left alone ({r.stderr.strip()})")

    gpt = os.path.join(tmp, "gpt")
    shutil.copytree(model_dir, gpt)
    edit_config(gpt, lambda c: c.update(architectures=["GPT2LMHeadModel"]))
    expect_refused(["forward", "--model", gpt, "--ids", "1,2", "--out", bad_out],
                   "architecture GPT2LMHeadModel is not supported", bad_out,
                   "an unsupported architecture")
    edit_config(gpt, lambda c: c.update(architectures=["LlamaForCausalLM"],
                                        rope_parameters={"rope_type": "longrope",
                                                         "rope_theta": 1e4}))
    expect_refused(["forward", "--model", gpt, "--ids", "1,2", "--out", bad_out],
                   "rope type \"longrope\" is not supported", bad_out, "an unsupported rope type")
    edit_config(gpt, lambda c: c.update(rope_parameters={"rope_type": "default",
                                                         "rope_theta": 1e4}, rms_norm_eps=-1))
    expect_refused(["forward", "--model", gpt, "--ids", "1,2", "--out", bad_out],
                   "rms_norm_eps must be >= 0", bad_out, "a negative rms_norm_eps")
    sharded = os.path.join(tmp, "sharded")
    tiny_llama(sharded, shards=True)
    shard_names = sorted(n for n in os.listdir(sharded) if n.startswith("model-"))
    os.remove(os.path.join(sharded, shard_names[1]))
    expect_refused(["forward", "--model", sharded, "--ids", "1,2", "--out", bad_out],
                   f"missing shard {shard_names[1]}", bad_out, "a missing shard")

    # --attention mask: the stream of the ssa block (chunk2-chunk2, sink 2, p 1,
    # gist ids 260, 261) under the training mask of `ssa-workbench mask`.
    gisted = os.path.join(tmp, "gisted")
    shutil.copytree(model_dir, gisted)
    edit_config(gisted, lambda c: c.update(ssa={"hierarchy": "chunk2-chunk2", "sink": 2,
                                                "previous_chunks": 1, "gist_token_base": 260}))
    raw = [i for i in ids if i < 260]
    out = os.path.join(tmp, "mask")
    r = run("forward", "--model", gisted, "--ids", ",".join(map(str, raw)), "--attention", "mask",
            "--out", out)
    check(r.returncode == 0, f"forward --attention mask runs ({r.stderr.strip()})")
    mask_out = os.path.join(tmp, "mask-cli")
    r = run("mask", "--tokens", str(len(raw)), "--chunk", "2", "--levels", "2", "--sink", "2",
            "--previous", "1", "--out", mask_out)
    check(r.returncode == 0, "ssa-workbench mask gives the same layout's mask")
    roles = np.load(os.path.join(out, "roles.npy"))
    positions = np.load(os.path.join(out, "positions.npy"))
    tokens = np.load(os.path.join(out, "tokens.npy"))
    check(np.array_equal(roles, np.load(os.path.join(mask_out, "roles.npy"))) and
          np.array_equal(positions, np.load(os.path.join(mask_out, "positions.npy"))),
          "roles and positions are the mask command's")
    check(np.array_equal(tokens[roles == 0], raw) and set(tokens[roles == 1]) == {260} and
          set(tokens[roles == 2]) == {261}, "raw ids in order, gists 260, meta-gists 261")
    mask = np.load(os.path.join(mask_out, "mask.npy"))
    additive = torch.zeros(mask.shape).masked_fill(~torch.from_numpy(mask),
                                                    torch.finfo(torch.float32).min)
    with torch.no_grad():
        ref = hf(input_ids=torch.from_numpy(tokens)[None], position_ids=torch.from_numpy(positions)[None],
                 attention_mask=additive[None, None]).logits[0].numpy()
    diff = float(np.abs(np.load(os.path.join(out, "logits.npy")) - ref).max())
    check(diff < 1e-4, f"training-mask logits equal transformers' under the same 4-D mask "
          f"(max |diff| {diff:.3g}, {len(tokens)} positions)")
    layout = json.load(open(os.path.join(out, "layout.json")))
    check(layout["attention"] == "mask" and layout["hierarchy"] == "chunk2-chunk2" and
          layout["length"] == len(tokens), "layout.json describes the stream")
    r = run("forward", "--model", gisted, "--ids", ",".join(map(str, raw)), "--attention", "mask",
            "--positions", "stream", "--out", out)
    check(r.returncode == 0 and np.array_equal(np.load(os.path.join(out, "positions.npy")),
                                               np.arange(len(tokens))),
          "--positions stream numbers the stream")
    expect_refused(["forward", "--model", gisted, "--ids", "1,261,2", "--attention", "mask",
                    "--out", bad_out], "id 261 at index 1 is a gist token", bad_out,
                   "a gist id among the raw ids")

    # A tokenizer that lists the gist tokens wins over the block's gist_token_base.
    vocab = {f"t{i}": i for i in range(260)}
    added = [{"id": 260 + k, "content": t} for k, t in enumerate(["<gist>", "<Gist>", "<MGist>"])]
    with open(os.path.join(gisted, "tokenizer.json"), "w") as f:
        json.dump({"added_tokens": added, "model": {"type": "BPE", "vocab": vocab}}, f)
    edit_config(gisted, lambda c: c["ssa"].update(gist_token_base=257))
    r = run("forward", "--model", gisted, "--ids", "1,2,3,4,5", "--attention", "mask", "--out", out)
    tokens = np.load(os.path.join(out, "tokens.npy"))
    check(r.returncode == 0 and "differs from the tokenizer's <gist> id 260" in r.stderr and
          set(tokens[np.load(os.path.join(out, "roles.npy")) > 0]) == {260, 261},
          f"gist ids from tokenizer.json, with a warning ({r.stderr.strip()})")

    # The real SmolLM2 checkpoint, ids tokenized by transformers.
    if os.path.isdir(SMOLLM2):
        tokenizer = transformers.AutoTokenizer.from_pretrained(SMOLLM2)
        text = "Gist tokens compress a long document into a few summaries that a model reads back."
        real_ids = tokenizer(text).input_ids
        out = os.path.join(tmp, "smollm2")
        r = run("forward", "--model", SMOLLM2, "--ids", ",".join(map(str, real_ids)), "--out", out)
        model = transformers.AutoModelForCausalLM.from_pretrained(SMOLLM2, dtype=torch.float32)
        with torch.no_grad():
            ref = model(input_ids=torch.tensor([real_ids])).logits[0].numpy()
        diff = float(np.abs(np.load(os.path.join(out, "logits.npy")) - ref).max()) \
            if r.returncode == 0 else float("inf")
        check(diff < 1e-3, f"SmolLM2 logits through the CLI equal transformers' "
              f"(max |diff| {diff:.3g}, {len(real_ids)} tokens; {r.stderr.strip()})")
    else:
        print(f"skip: {SMOLLM2} missing (scripts/setup.sh makes it)")

    shutil.rmtree(tmp)
    if failures:
        print(f"{len(failures)} check(s) failed")
        sys.exit(1)
    print("all forward CLI checks passed")


if __name__ == "__main__":
    main()
