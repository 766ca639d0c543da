"""Test-side oracle for the tokenizer tests: the Hugging Face `tokenizers` and `transformers`
packages computing what engine/tokenizer/ must reproduce.

  encode TOKENIZER_JSON IN_JSON OUT_JSON   ids / decodes of every text and id list in IN_JSON
  train KIND CORPUS_DIR OUT_JSON           trains a small BPE tokenizer (tokenizers' trainer)
  chat MODEL_DIR IN_JSON OUT_JSON          apply_chat_template(add_generation_prompt=True)
  bench TOKENIZER_JSON TEXT_FILE REPEATS   single-threaded encode speed, MB/s
  classes OUT_JSON PATTERN...              the code points each pattern matches alone
"""
import json
import os
import sys

# One thread, as the C++ side runs: no rayon pool, no batch parallelism.
os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from tokenizers import Tokenizer  # noqa: E402

QWEN2_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|"
                 r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")


def encode(tokenizer_json, in_json, out_json):
    tok = Tokenizer.from_file(tokenizer_json)
    request = json.load(open(in_json, encoding="utf-8"))
    for content in request.get("add_special_tokens", []):
        from tokenizers import AddedToken
        tok.add_special_tokens([AddedToken(content, rstrip=False, lstrip=False,
                                           normalized=False, special=True)])
    out = {"ids": [], "ids_special": [], "decoded": [], "decoded_skip": [], "lists": [],
           "lists_skip": [], "vocab_size": tok.get_vocab_size(with_added_tokens=True)}
    for text in request["texts"]:
        ids = tok.encode(text, add_special_tokens=False).ids
        out["ids"].append(ids)
        out["ids_special"].append(tok.encode(text, add_special_tokens=True).ids)
        out["decoded"].append(tok.decode(ids, skip_special_tokens=False))
        out["decoded_skip"].append(tok.decode(ids, skip_special_tokens=True))
    for ids in request.get("lists", []):
        out["lists"].append(tok.decode(ids, skip_special_tokens=False))
        out["lists_skip"].append(tok.decode(ids, skip_special_tokens=True))
    out["token_ids"] = {c: tok.token_to_id(c) for c in request.get("contents", [])}
    json.dump(out, open(out_json, "w", encoding="utf-8"), ensure_ascii=False)


def corpus_lines(corpus_dir, limit_bytes=600_000):
    """Real text: the fortune files (UTF-8 ones), one fortune per item."""
    items, total = [], 0
    for name in sorted(os.listdir(corpus_dir)):
        path = os.path.join(corpus_dir, name)
        if name.endswith(".dat") or os.path.islink(path) or not os.path.isfile(path):
            continue
        try:
            text = open(path, encoding="utf-8").read()
        except UnicodeDecodeError:
            continue
        for item in text.split("\n%\n"):
            items.append(item)
            total += len(item)
            if total > limit_bytes:
                return items
    return items


def train(kind, corpus_dir, out_json):
    from tokenizers import AddedToken, Regex, decoders, models, normalizers, pre_tokenizers, trainers
    from tokenizers import processors
    items = corpus_lines(corpus_dir)
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    if kind == "qwen2":
        # Qwen2's pipeline: NFC, its Split pattern + ByteLevel without regex, ByteLevel decoder.
        tok = Tokenizer(models.BPE())
        tok.normalizer = normalizers.NFC()
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(QWEN2_PATTERN), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
        tok.decoder = decoders.ByteLevel()
        tok.post_processor = processors.ByteLevel(trim_offsets=False)
        trainer = trainers.BpeTrainer(vocab_size=3000, min_frequency=2, special_tokens=specials,
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                      show_progress=False)
        tok.train_from_iterator(items, trainer)
        # Added tokens matched in the NFC text (given in NFD), and one matched before it.
        tok.add_tokens([AddedToken("A\u030angstro\u0308m", normalized=True),
                        AddedToken("cafe\u0301", normalized=False)])
    elif kind == "gpt2":
        # GPT-2's ByteLevel(add_prefix_space, regex), ignore_merges, added-token flags, BOS template.
        tok = Tokenizer(models.BPE(ignore_merges=True))
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=True)
        tok.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(vocab_size=1500, special_tokens=specials,
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                      show_progress=False)
        tok.train_from_iterator(items, trainer)
        tok.add_tokens([AddedToken("wizard", single_word=True), AddedToken("<mask>", lstrip=True, rstrip=True),
                        AddedToken(" spacey", normalized=True), AddedToken("[[", rstrip=True)])
        tok.add_special_tokens([AddedToken("<sep>", lstrip=True, special=True)])
        tok.post_processor = processors.TemplateProcessing(
            single="<|endoftext|> $A <sep>", special_tokens=[("<|endoftext|>", 0), ("<sep>", tok.token_to_id("<sep>"))])
    elif kind == "fallback":
        # No byte level: characters, byte fallback to <0xXX>, a fused <unk>, ByteFallback+Fuse decoder.
        byte_tokens = [f"<0x{b:02X}>" for b in range(256)]
        tok = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
        tok.normalizer = normalizers.Sequence([normalizers.NFD(), normalizers.NFC()])
        tok.pre_tokenizer = pre_tokenizers.Split(Regex(r"\s+|[^\s\p{L}\p{N}]+"), behavior="merged_with_next")
        tok.decoder = decoders.Sequence([decoders.ByteFallback(), decoders.Fuse()])
        trainer = trainers.BpeTrainer(vocab_size=1200, special_tokens=["<unk>"] + byte_tokens,
                                      limit_alphabet=70, show_progress=False)
        tok.train_from_iterator(items, trainer)
    elif kind == "behaviors":
        # The Split behaviors and invert, one after another, then ByteLevel; NFKC.
        tok = Tokenizer(models.BPE(continuing_subword_prefix="##", end_of_word_suffix="</w>"))
        tok.normalizer = normalizers.NFKC()
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(r"\s"), behavior="merged_with_previous"),
            pre_tokenizers.Split(Regex(r"\d"), behavior="removed", invert=False),
            pre_tokenizers.Split(Regex(r"[aeiou]"), behavior="merged_with_next"),
            pre_tokenizers.Split("ss", behavior="contiguous"),
            pre_tokenizers.Split(Regex(r"[A-Za-z]+"), behavior="removed", invert=True),
            pre_tokenizers.Split(Regex(r"x*"), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=False)])
        tok.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(vocab_size=800, continuing_subword_prefix="##",
                                      end_of_word_suffix="</w>",
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                      show_progress=False)
        tok.train_from_iterator(items, trainer)
    else:
        raise SystemExit(f"unknown kind {kind}")
    tok.save(out_json)


def chat(model_dir, in_json, out_json):
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(model_dir)
    request = json.load(open(in_json, encoding="utf-8"))
    out = []
    for template in request["templates"]:
        rendered = []
        for message in request["messages"]:
            rendered.append(tok.apply_chat_template(
                [{"role": "user", "content": message}], chat_template=template,
                tokenize=False, add_generation_prompt=True))
        out.append(rendered)
    json.dump({"rendered": out}, open(out_json, "w", encoding="utf-8"), ensure_ascii=False)


def bench(tokenizer_json, text_file, repeats):
    """Whole text in one encode() call, then paragraph by paragraph (one call each)."""
    import time
    tok = Tokenizer.from_file(tokenizer_json)
    text = open(text_file, encoding="utf-8").read()
    size = len(text.encode("utf-8"))
    paragraphs = text.split("\n\n")
    out = {"bytes": size}
    for mode, pieces in (("whole", [text]), ("paragraphs", paragraphs)):
        tokens = sum(len(tok.encode(p, add_special_tokens=False).ids) for p in pieces)  # warm up
        best = float("inf")
        for _ in range(int(repeats)):
            start = time.perf_counter()
            for p in pieces:
                tok.encode(p, add_special_tokens=False)
            best = min(best, time.perf_counter() - start)
        out[mode] = {"mb_per_s": size / best / 1e6, "tokens": tokens}
    print(json.dumps(out))


def classes(out_json, *patterns):
    from tokenizers import Regex, pre_tokenizers
    out = {}
    for pattern in patterns:
        split = pre_tokenizers.Split(Regex(pattern), behavior="removed")
        members = []
        for lo in range(0, 0x110000, 0x8000):
            cps = [c for c in range(lo, min(lo + 0x8000, 0x110000)) if not 0xD800 <= c <= 0xDFFF]
            kept = set("".join(t for t, _ in split.pre_tokenize_str("".join(map(chr, cps)))))
            members += [c for c in cps if chr(c) not in kept]
        out[pattern] = members
    json.dump(out, open(out_json, "w"))


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    {"encode": encode, "train": train, "chat": chat, "bench": bench, "classes": classes}[command](*args)
