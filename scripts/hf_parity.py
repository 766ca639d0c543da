#!/usr/bin/env python3
"""Oracle for the model parity test: tiny random Qwen2 and Llama from transformers.

For each architecture this builds a tiny random model with the installed
`transformers`, saves it with save_pretrained (config.json + model.safetensors),
runs it on fixed tokens with full causal attention in fp32, and writes
<out>/<name>/reference.safetensors holding input_ids, position_ids and logits.
tests/model/hf_parity_test.cpp loads the saved model with our loader and
compares logits. Weights are redrawn larger than the default 0.02 so that
every part (norm weights, biases, RoPE) moves the logits measurably.

Exit code 77 means the Python side (torch / transformers / safetensors) is
missing: the C++ test then skips with this script's message.
"""
import argparse
import os
import sys

try:
    import torch
    import transformers
    from safetensors.torch import save_file
except ImportError as e:  # the test skips cleanly on this
    print(f"hf_parity.py: the Python oracle is unavailable ({e})", file=sys.stderr)
    sys.exit(77)

MODELS = {
    # Qwen2: q/k/v biases, GQA 4:2, untied head.
    "qwen2": lambda: transformers.Qwen2Config(
        vocab_size=263, hidden_size=64, intermediate_size=160, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, rms_norm_eps=1e-6,
        max_position_embeddings=512, tie_word_embeddings=False, rope_theta=10000.0),
    # Llama: tied head, GQA 4:1, o_proj/q/k/v biases and an explicit head_dim.
    "llama": lambda: transformers.LlamaConfig(
        vocab_size=263, hidden_size=48, intermediate_size=128, num_hidden_layers=3,
        num_attention_heads=4, num_key_value_heads=1, head_dim=16, rms_norm_eps=1e-5,
        max_position_embeddings=512, tie_word_embeddings=True, attention_bias=True,
        rope_theta=500000.0),
}


def build(name, out_dir, seed, length):
    torch.manual_seed(seed)
    config = MODELS[name]()
    config._attn_implementation = "eager"
    cls = {"qwen2": transformers.Qwen2ForCausalLM, "llama": transformers.LlamaForCausalLM}[name]
    model = cls(config).float().eval()
    with torch.no_grad():
        for pname, p in model.named_parameters():
            if pname.endswith("norm.weight"):
                p.copy_(1.0 + 0.1 * torch.randn_like(p))
            else:
                p.normal_(0.0, 0.1)
    path = os.path.join(out_dir, name)
    model.save_pretrained(path, safe_serialization=True)
    ids = torch.randint(0, config.vocab_size, (2, length), dtype=torch.int64)
    # Positions offset from zero, as a layout's stream indices may be.
    pos = (torch.arange(length, dtype=torch.int64) + torch.tensor([[0], [5]])).contiguous()
    with torch.no_grad():
        logits = model(input_ids=ids, position_ids=pos).logits.float()
    save_file({"input_ids": ids, "position_ids": pos, "logits": logits.contiguous()},
              os.path.join(path, "reference.safetensors"))
    print(f"hf_parity.py: {name} saved to {path} (transformers {transformers.__version__}, "
          f"logit range {logits.min().item():.3f}..{logits.max().item():.3f})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="directory for the saved models")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--length", type=int, default=37)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for name in MODELS:
        build(name, args.out, args.seed, args.length)


if __name__ == "__main__":
    main()
