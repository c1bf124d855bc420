#!/usr/bin/env python3
"""Writes a safetensors-like base checkpoint and a "fine-tune" of it, deterministically from a seed.

The base is a small decoder-only transformer in bf16 (embeddings, per-layer attention with GQA and biases, MLP,
norms, lm_head), with as many layers as fit the requested size, so tensors range from a few KB (norms, biases) to
tens of MB (embeddings, MLP). The fine-tune changes the data of 10% of the tensors (chosen at random, new random
bytes) and inserts one new tensor in the middle; its header is rewritten, so the data offsets of every later
tensor shift. Tensor bytes are random (incompressible, no accidental dedup), derived from (seed, name, version) so
nothing is kept in memory.

Prints one JSON object: sizes, counts and the ideal growth (bytes of changed + new tensor data, plus the header).

    safetensors_gen.py --size 1G --seed 7 BASE FINETUNE
"""
import argparse
import hashlib
import json
import random
import struct
import sys

DTYPE_BYTES = {"BF16": 2, "F32": 4}


def parse_size(text: str) -> int:
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper().removesuffix("B").removesuffix("I")
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def layer_tensors(i: int, hidden: int, inter: int, kv: int) -> list[tuple[str, str, list[int]]]:
    p = f"model.layers.{i}."
    return [
        (p + "input_layernorm.weight", "BF16", [hidden]),
        (p + "self_attn.q_proj.weight", "BF16", [hidden, hidden]),
        (p + "self_attn.q_proj.bias", "BF16", [hidden]),
        (p + "self_attn.k_proj.weight", "BF16", [kv, hidden]),
        (p + "self_attn.k_proj.bias", "BF16", [kv]),
        (p + "self_attn.v_proj.weight", "BF16", [kv, hidden]),
        (p + "self_attn.v_proj.bias", "BF16", [kv]),
        (p + "self_attn.o_proj.weight", "BF16", [hidden, hidden]),
        (p + "post_attention_layernorm.weight", "BF16", [hidden]),
        (p + "mlp.gate_proj.weight", "BF16", [inter, hidden]),
        (p + "mlp.up_proj.weight", "BF16", [inter, hidden]),
        (p + "mlp.down_proj.weight", "BF16", [hidden, inter]),
    ]


def nbytes(dtype: str, shape: list[int]) -> int:
    n = DTYPE_BYTES[dtype]
    for d in shape:
        n *= d
    return n


def model(target: int) -> list[tuple[str, str, list[int]]]:
    hidden, inter, kv, vocab = 1536, 4096, 256, 32000
    head = [("model.embed_tokens.weight", "BF16", [vocab, hidden])]
    tail = [("model.norm.weight", "BF16", [hidden]), ("lm_head.weight", "BF16", [vocab, hidden])]
    fixed = sum(nbytes(d, s) for _, d, s in head + tail)
    per_layer = sum(nbytes(d, s) for _, d, s in layer_tensors(0, hidden, inter, kv))
    layers = max(1, round((target - fixed) / per_layer))
    tensors = list(head)
    for i in range(layers):
        tensors += layer_tensors(i, hidden, inter, kv)
    return tensors + tail


def tensor_bytes(seed: int, name: str, version: int, size: int) -> bytes:
    rng = random.Random(hashlib.sha256(f"{seed}/{name}/{version}".encode()).digest())
    return rng.randbytes(size)


def write(path: str, tensors: list[tuple[str, str, list[int], int]], seed: int, metadata: dict) -> tuple[int, int]:
    header: dict = {"__metadata__": metadata}
    offset = 0
    for name, dtype, shape, _ in tensors:
        size = nbytes(dtype, shape)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)  # safetensors pads the header with spaces to 8-byte alignment
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for name, dtype, shape, version in tensors:
            f.write(tensor_bytes(seed, name, version, nbytes(dtype, shape)))
    return 8 + len(raw), 8 + len(raw) + offset


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="1G", help="approximate size of the base file (default 1G)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--changed-fraction", type=float, default=0.10, help="fraction of tensors whose data changes")
    ap.add_argument("base")
    ap.add_argument("finetune")
    args = ap.parse_args()

    base = [(n, d, s, 0) for n, d, s in model(parse_size(args.size))]
    rng = random.Random(args.seed)
    changed = set(rng.sample(range(len(base)), round(len(base) * args.changed_fraction)))
    tuned = [(n, d, s, 1 if i in changed else 0) for i, (n, d, s, _) in enumerate(base)]
    # A new tensor in the middle, e.g. an adapter merged into one layer: ~6 MiB of bf16.
    middle = len(tuned) // 2
    new = ("model.adapter.merged_proj.weight", "BF16", [2048, 1536], 1)
    tuned.insert(middle, new)

    base_header, base_size = write(args.base, base, args.seed, {"format": "pt", "step": "0"})
    tuned_header, tuned_size = write(args.finetune, tuned, args.seed, {"format": "pt", "step": "1000"})
    changed_bytes = sum(nbytes(base[i][1], base[i][2]) for i in changed)
    new_bytes = nbytes(new[1], new[2])
    json.dump({
        "tensors": len(base),
        "tensor_min_bytes": min(nbytes(d, s) for _, d, s, _ in base),
        "tensor_max_bytes": max(nbytes(d, s) for _, d, s, _ in base),
        "base_size": base_size,
        "base_header": base_header,
        "finetune_size": tuned_size,
        "finetune_header": tuned_header,
        "changed_tensors": len(changed),
        "changed_bytes": changed_bytes,
        "new_tensor_bytes": new_bytes,
        "new_tensor_index": middle,
        "ideal_growth": changed_bytes + new_bytes + tuned_header,
    }, sys.stdout)
    print()


if __name__ == "__main__":
    main()
