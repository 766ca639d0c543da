#!/usr/bin/env python3
"""Oracle for the model parity tests: transformers' own numbers for our loader.

  hf_parity.py --out DIR [--smollm2 MODEL_DIR]

Tiny random models (DIR/<arch>-<rope>/): for each architecture (Llama, Qwen2,
Mistral) and RoPE type (default, linear, dynamic, llama3, yarn) this builds a
small random model with the installed transformers, saves it with
save_pretrained (some in bf16 / fp16, some in shards with an index, some with
the 4.x config keys rope_theta + rope_scaling instead of 5.x rope_parameters,
sliding windows on some Mistral / Qwen2 ones), reloads it from disk in fp32
and stores in reference.safetensors:

  input_ids, position_ids  [2, L]: positions not starting at 0, with repeats
                           (as raw gist positions have) and with gaps
  logits                   [2, L, V] of one forward, eager attention
  step_ids, step_logits    an incremental run with transformers' KV cache:
                           a prefill, then one token per call (dynamic NTK
                           re-scales as the length grows)
  inv_freq, inv_freq_long  the rotary frequencies at the model's construction
                           and for a call of length long_seq_len
  attention_scaling        yarn's cos/sin factor (1 otherwise)

Weights are redrawn larger than the default 0.02 so that norms, biases and
RoPE all move the logits measurably.

Real configs (DIR/configs/<name>/): the published config.json of
Llama-3.2-1B and Qwen2-7B-Instruct (and the latter with its documented YaRN
rope_scaling), with transformers' rotary frequencies for them.

Real model (DIR/smollm2/, with --smollm2): English text tokenized with the
model's tokenizer, fp32 logits on the CPU, and 32 greedily generated tokens.

Exit code 77 means the Python side (torch / transformers / safetensors) is
missing: the C++ tests then skip with this script's message. With --fixture
(the CTest fixture) it exits 0 instead and leaves the message in
DIR/UNAVAILABLE. DIR/DONE is written last, so a reader knows the directory
is complete.
"""
import argparse
import json
import os
import sys
import warnings

try:
    import torch
    import transformers
    from safetensors.torch import save_file
except ImportError as e:  # the tests skip cleanly on this
    why = f"hf_parity.py: the Python oracle is unavailable ({e})"
    print(why, file=sys.stderr)
    if "--fixture" in sys.argv and "--out" in sys.argv:
        out = sys.argv[sys.argv.index("--out") + 1]
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, "UNAVAILABLE"), "w") as f:
            f.write(why + "\n")
        sys.exit(0)
    sys.exit(77)

from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS

LENGTH = 37
PREFILL, STEPS = 20, 20  # incremental run: 20 prompt tokens, then 20 single-token calls

ARCHS = {
    # Qwen2: q/k/v biases, GQA 4:2, untied head.
    "qwen2": (transformers.Qwen2Config, transformers.Qwen2ForCausalLM,
              dict(vocab_size=263, hidden_size=64, intermediate_size=160, num_hidden_layers=2,
                   num_attention_heads=4, num_key_value_heads=2, rms_norm_eps=1e-6,
                   tie_word_embeddings=False)),
    # Llama: tied head, GQA 4:1, o_proj/q/k/v biases and an explicit head_dim.
    "llama": (transformers.LlamaConfig, transformers.LlamaForCausalLM,
              dict(vocab_size=263, hidden_size=48, intermediate_size=128, num_hidden_layers=3,
                   num_attention_heads=4, num_key_value_heads=1, head_dim=16, rms_norm_eps=1e-5,
                   tie_word_embeddings=True, attention_bias=True)),
    # Mistral: no biases, GQA 4:2, explicit head_dim, untied.
    "mistral": (transformers.MistralConfig, transformers.MistralForCausalLM,
                dict(vocab_size=263, hidden_size=64, intermediate_size=96, num_hidden_layers=2,
                     num_attention_heads=4, num_key_value_heads=2, head_dim=16, rms_norm_eps=1e-5,
                     tie_word_embeddings=False)),
}

# rope type -> (rope_parameters without rope_theta, rope_theta, max_position_embeddings)
ROPES = {
    "default": ({}, 10000.0, 512),
    "linear": ({"factor": 2.5}, 10000.0, 512),
    # max_position_embeddings below the positions used, so the scaling applies.
    "dynamic": ({"factor": 3.0}, 10000.0, 32),
    # original 64: with head_dim 16 some frequencies are kept, smoothed and divided.
    "llama3": ({"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                "original_max_position_embeddings": 64}, 10000.0, 512),
    "yarn": ({"factor": 4.0, "original_max_position_embeddings": 64}, 10000.0, 256),
}

# Per model: storage dtype, shards, config key form, extra config, extra yarn keys.
VARIANTS = {
    "llama-default": dict(dtype=torch.float32, shards=False, legacy=False),
    "llama-linear": dict(dtype=torch.bfloat16, shards=True, legacy=True),
    "llama-dynamic": dict(dtype=torch.float32, shards=False, legacy=False),
    "llama-llama3": dict(dtype=torch.float16, shards=False, legacy=True),
    "llama-yarn": dict(dtype=torch.float32, shards=True, legacy=False),
    "qwen2-default": dict(dtype=torch.bfloat16, shards=False, legacy=True,
                          extra=dict(use_sliding_window=True, sliding_window=12,
                                     max_window_layers=1)),
    "qwen2-linear": dict(dtype=torch.float32, shards=False, legacy=False),
    "qwen2-dynamic": dict(dtype=torch.float32, shards=True, legacy=True),
    "qwen2-llama3": dict(dtype=torch.bfloat16, shards=False, legacy=False),
    "qwen2-yarn": dict(dtype=torch.float16, shards=True, legacy=True,
                       yarn=dict(mscale=1.0, mscale_all_dim=0.5)),
    "mistral-default": dict(dtype=torch.float32, shards=False, legacy=False,
                            extra=dict(sliding_window=12)),
    "mistral-linear": dict(dtype=torch.float16, shards=False, legacy=True,
                           extra=dict(sliding_window=None)),
    "mistral-dynamic": dict(dtype=torch.bfloat16, shards=True, legacy=False,
                            extra=dict(sliding_window=20)),
    "mistral-llama3": dict(dtype=torch.float32, shards=False, legacy=True,
                           extra=dict(sliding_window=None)),
    "mistral-yarn": dict(dtype=torch.bfloat16, shards=False, legacy=False,
                         extra=dict(sliding_window=None),
                         yarn=dict(attention_factor=1.3, beta_fast=16, beta_slow=2,
                                   truncate=False)),
}


def positions(length):
    """Row 0: from 3, every fifth token repeats its predecessor's position (a
    gist); row 1: from 1, with a gap of 2 after every sixth token."""
    repeats = [3 + i - (i + 1) // 5 for i in range(length)]
    gaps = [1 + i + 2 * (i // 6) for i in range(length)]
    return torch.tensor([repeats, gaps], dtype=torch.int64)


def make_config(arch, rope, variant):
    config_cls, _, shape = ARCHS[arch]
    params, theta, max_pos = ROPES[rope]
    rope_parameters = {"rope_type": rope, "rope_theta": theta, **params, **variant.get("yarn", {})}
    kwargs = dict(shape, max_position_embeddings=max_pos, rope_parameters=rope_parameters,
                  **variant.get("extra", {}))
    if arch == "mistral" and "sliding_window" not in kwargs:
        kwargs["sliding_window"] = None
    return config_cls(**kwargs)


def to_legacy(path):
    """Rewrites config.json with the transformers 4.x keys (rope_theta at the
    top, rope_scaling for the type) instead of rope_parameters."""
    config_path = os.path.join(path, "config.json")
    with open(config_path) as f:
        config = json.load(f)
    params = config.pop("rope_parameters")
    config["rope_theta"] = params.pop("rope_theta")
    config["rope_scaling"] = None if params["rope_type"] == "default" else params
    with open(config_path, "w") as f:
        json.dump(config, f, indent=2)


def build(name, out_dir, seed):
    arch, rope = name.split("-")
    variant = VARIANTS[name]
    torch.manual_seed(seed)
    config = make_config(arch, rope, variant)
    config._attn_implementation = "eager"
    model_cls = ARCHS[arch][1]
    model = model_cls(config).float().eval()
    with torch.no_grad():
        for pname, p in model.named_parameters():
            if pname.endswith("norm.weight"):
                p.copy_(1.0 + 0.1 * torch.randn_like(p))
            else:
                p.normal_(0.0, 0.1)
    path = os.path.join(out_dir, name)
    model.to(variant["dtype"]).save_pretrained(
        path, safe_serialization=True, max_shard_size="40KB" if variant["shards"] else "1GB")
    if variant["legacy"]:
        to_legacy(path)

    # Everything below is what transformers computes from the files on disk.
    def load():
        m = model_cls.from_pretrained(path, dtype=torch.float32, attn_implementation="eager")
        return m.eval()

    reloaded = load()
    ids = torch.randint(0, config.vocab_size, (2, LENGTH), dtype=torch.int64)
    pos = positions(LENGTH)
    with torch.no_grad():
        logits = reloaded(input_ids=ids, position_ids=pos).logits.float()

    # Incremental decoding on a fresh model (dynamic NTK keeps state between calls).
    stepper = load()
    step_ids = torch.randint(0, config.vocab_size, (1, PREFILL + STEPS), dtype=torch.int64)
    step_logits = []
    with torch.no_grad():
        out = stepper(input_ids=step_ids[:, :PREFILL], use_cache=True)
        step_logits.append(out.logits[0].float())
        cache = out.cache
        for t in range(PREFILL, PREFILL + STEPS):
            out = stepper(input_ids=step_ids[:, t:t + 1], cache=cache,
                          position_ids=torch.tensor([[t]]), use_cache=True)
            cache = out.cache
            step_logits.append(out.logits[0].float())
    step_logits = torch.cat(step_logits, 0)

    rotary = load().model.rotary_emb
    long_seq_len = int(pos.max()) + 1
    if rope == "default":
        inv_long = rotary.inv_freq
    else:
        inv_long, _ = ROPE_INIT_FUNCTIONS[rope](reloaded.config, "cpu",
                                                seq_len=torch.tensor(long_seq_len))
    save_file({"input_ids": ids, "position_ids": pos, "logits": logits.contiguous(),
               "step_ids": step_ids, "step_logits": step_logits.contiguous(),
               "inv_freq": rotary.inv_freq.float().clone(),
               "inv_freq_long": inv_long.float().clone(),
               "long_seq_len": torch.tensor([long_seq_len]),
               "attention_scaling": torch.tensor([float(rotary.attention_scaling)])},
              os.path.join(path, "reference.safetensors"))
    print(f"hf_parity.py: {name} -> {path} ({variant['dtype']}, "
          f"{'shards' if variant['shards'] else 'one file'}, "
          f"{'4.x' if variant['legacy'] else '5.x'} rope keys; logits "
          f"{logits.min().item():.3f}..{logits.max().item():.3f})")


# The published config.json of the reference models' bases (no weights are
# needed for their rotary frequencies), and Qwen2's documented YaRN setting
# for long contexts.
REAL_CONFIGS = {
    "llama-3.2-1b": {
        "architectures": ["LlamaForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
        "bos_token_id": 128000, "eos_token_id": 128001, "head_dim": 64, "hidden_act": "silu",
        "hidden_size": 2048, "initializer_range": 0.02, "intermediate_size": 8192,
        "max_position_embeddings": 131072, "mlp_bias": False, "model_type": "llama",
        "num_attention_heads": 32, "num_hidden_layers": 16, "num_key_value_heads": 8,
        "pretraining_tp": 1, "rms_norm_eps": 1e-05,
        "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                         "original_max_position_embeddings": 8192, "rope_type": "llama3"},
        "rope_theta": 500000.0, "tie_word_embeddings": True, "torch_dtype": "bfloat16",
        "transformers_version": "4.45.0.dev0", "use_cache": True, "vocab_size": 128256},
    "qwen2-7b-instruct": {
        "architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 151643,
        "eos_token_id": 151645, "hidden_act": "silu", "hidden_size": 3584,
        "initializer_range": 0.02, "intermediate_size": 18944, "max_position_embeddings": 32768,
        "max_window_layers": 28, "model_type": "qwen2", "num_attention_heads": 28,
        "num_hidden_layers": 28, "num_key_value_heads": 4, "rms_norm_eps": 1e-06,
        "rope_theta": 1000000.0, "sliding_window": 131072, "tie_word_embeddings": False,
        "torch_dtype": "bfloat16", "transformers_version": "4.41.2", "use_cache": True,
        "use_sliding_window": False, "vocab_size": 152064},
}
REAL_CONFIGS["qwen2-7b-instruct-yarn"] = dict(
    REAL_CONFIGS["qwen2-7b-instruct"],
    rope_scaling={"factor": 4.0, "original_max_position_embeddings": 32768, "type": "yarn"})


def real_config(name, out_dir):
    path = os.path.join(out_dir, "configs", name)
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump(REAL_CONFIGS[name], f, indent=2)
    config = transformers.AutoConfig.from_pretrained(path)
    model_type = REAL_CONFIGS[name]["model_type"]
    rotary_cls = {"llama": transformers.models.llama.modeling_llama.LlamaRotaryEmbedding,
                  "qwen2": transformers.models.qwen2.modeling_qwen2.Qwen2RotaryEmbedding}
    rotary = rotary_cls[model_type](config)
    save_file({"inv_freq": rotary.inv_freq.float().clone(),
               "attention_scaling": torch.tensor([float(rotary.attention_scaling)])},
              os.path.join(path, "reference.safetensors"))
    print(f"hf_parity.py: {name} config -> {path}")


ENGLISH = (
    "The lighthouse stood at the edge of the harbour for more than two hundred years. Every "
    "night its keeper climbed the narrow stairs, trimmed the wick and wound the clockwork that "
    "turned the great lens, so that ships far out at sea could find their way home through fog "
    "and storm. When the old keeper retired, the town council debated whether to replace him "
    "with an electric lamp. In the end they chose"
)


def smollm2(model_dir, out_dir):
    tokenizer = transformers.AutoTokenizer.from_pretrained(model_dir)
    model = transformers.AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    model.eval()
    ids = tokenizer(ENGLISH, return_tensors="pt").input_ids
    with torch.no_grad():
        logits = model(input_ids=ids).logits[0].float()
        generated = model.generate(ids, max_new_tokens=32, do_sample=False, num_beams=1)
    new = generated[0, ids.shape[1]:]
    path = os.path.join(out_dir, "smollm2")
    os.makedirs(path, exist_ok=True)
    save_file({"input_ids": ids.contiguous(), "logits": logits.contiguous(),
               "generated": new.contiguous()}, os.path.join(path, "reference.safetensors"))
    print(f"hf_parity.py: SmolLM2 {ids.shape[1]} tokens -> {path}; generated {new.numel()} "
          f"tokens: {tokenizer.decode(new)!r}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="directory for the saved models")
    parser.add_argument("--smollm2", help="a SmolLM2 checkpoint directory (skipped if missing)")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--fixture", action="store_true",
                        help="exit 0 when the oracle is unavailable (write DIR/UNAVAILABLE)")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    warnings.simplefilter("ignore", FutureWarning)
    done = os.path.join(args.out, "DONE")
    for stale in (done, os.path.join(args.out, "UNAVAILABLE")):
        if os.path.exists(stale):
            os.remove(stale)
    torch.set_num_threads(min(2, torch.get_num_threads()))
    for i, name in enumerate(VARIANTS):
        build(name, args.out, args.seed + i)
    for name in REAL_CONFIGS:
        real_config(name, args.out)
    if args.smollm2:
        if os.path.isdir(args.smollm2):
            smollm2(args.smollm2, args.out)
        else:
            print(f"hf_parity.py: {args.smollm2} missing, no SmolLM2 reference")
    with open(done, "w") as f:
        f.write(f"transformers {transformers.__version__}\n")


if __name__ == "__main__":
    main()
