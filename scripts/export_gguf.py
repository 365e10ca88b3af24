#!/usr/bin/env python3
"""Write models/glassbox-mini as a GGUF file that llama.cpp (llama-server, Ollama) loads.

glassbox-mini is a GPT-style decoder with ALiBi, LayerNorm with biases, a GELU MLP and tied
embeddings, which is llama.cpp's `mpt` architecture:

  ONNX (models/glassbox-mini/onnx/model.onnx)       GGUF (mpt)
  model.wte.weight [vocab, embd]                    token_embd.weight (also the output head: tied)
  model.h.{i}.ln_1.weight|bias                      blk.{i}.attn_norm.weight|bias
  MatMul weight of /c_attn(_i)/MatMul [in, 3*embd]  blk.{i}.attn_qkv.weight, transposed to [out, in]
  model.h.{i}.c_attn.bias                           blk.{i}.attn_qkv.bias
  /c_proj(_i)/MatMul, model.h.{i}.c_proj.bias       blk.{i}.attn_output.weight|bias
  model.h.{i}.ln_2.weight|bias                      blk.{i}.ffn_norm.weight|bias
  /c_fc(_i)/MatMul, model.h.{i}.c_fc.bias           blk.{i}.ffn_up.weight|bias
  /c_fc_proj(_i)/MatMul, model.h.{i}.c_fc_proj.bias blk.{i}.ffn_down.weight|bias
  model.ln_f.weight|bias                            output_norm.weight|bias

ALiBi: llama.cpp's slopes for n heads with max bias b are m0^(h+1), m0 = 2^(-b/n) (n a power of
two), so b = 8 gives exactly the model's 2^(-8/n)^(h+1) (checked below). The difference that
remains is GELU: the model uses the exact (erf) GELU, ggml's `mpt` graph the tanh approximation.

Tokenizer: byte-level BPE with GPT-2's pre-tokenizer regex (`gpt2` / `gpt-2` in GGUF terms); the
five added tokens (<|endoftext|>, FIM markers) are control tokens, no BOS is added, and the FIM
ids go into tokenizer.ggml.fim_*_token_id. The model was trained suffix-first (SPM); llama-server's
/infill needs --spm-infill for it, or send the prompt as token ids.

Run through `npm run export:gguf` (scripts/export-gguf.sh), which finds gguf-py in the llama.cpp
tree that scripts/setup-llama-server.sh caches. Needs only Debian's python3-numpy and python3-onnx.
The output is byte-for-byte reproducible: the writer stores no dates, tensors go in a fixed order.
"""
import argparse
import json
import math
import os
import re
import sys

import numpy as np
import onnx
from onnx import numpy_helper

ALIBI_MAX_BIAS = 8.0


def model_slopes(n_head):
    """The slopes models/train/model.py uses (n_head a power of two here)."""
    start = 2 ** (-8.0 / n_head)
    return [start ** (i + 1) for i in range(n_head)]


def ggml_slopes(n_head, max_bias):
    """ggml's ALiBi slopes (ggml_soft_max_ext with max_bias)."""
    n_head_log2 = 2 ** math.floor(math.log2(n_head))
    m0 = 2 ** (-max_bias / n_head_log2)
    m1 = 2 ** (-(max_bias / 2) / n_head_log2)
    return [m0 ** (h + 1) if h < n_head_log2 else m1 ** (2 * (h - n_head_log2) + 1) for h in range(n_head)]


def load_weights(onnx_path, n_layer):
    """Named initializers, plus the four MatMul weights per layer keyed by the node that uses them."""
    graph = onnx.load(onnx_path).graph
    inits = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    matmuls = {}
    pattern = re.compile(r"^/(c_attn|c_proj|c_fc|c_fc_proj)(?:_(\d+))?/MatMul$")
    head = None
    for node in graph.node:
        if node.op_type != "MatMul":
            continue
        m = pattern.match(node.name)
        if m:
            layer = int(m.group(2) or 0)
            matmuls[(m.group(1), layer)] = inits[node.input[1]]
        elif node.output[0] == "logits":
            head = inits[node.input[1]]
    for layer in range(n_layer):
        for part in ("c_attn", "c_proj", "c_fc", "c_fc_proj"):
            if (part, layer) not in matmuls:
                sys.exit("export_gguf: no %s MatMul for layer %d in %s" % (part, layer, onnx_path))
    return inits, matmuls, head


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model-dir", required=True, help="models/glassbox-mini")
    parser.add_argument("--gguf-py", required=True, help="llama.cpp's gguf-py folder")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    sys.path.insert(0, args.gguf_py)
    import gguf  # noqa: E402 (from the llama.cpp tree given on the command line)

    cfg = json.load(open(os.path.join(args.model_dir, "config.json")))
    tok = json.load(open(os.path.join(args.model_dir, "tokenizer.json")))
    tok_cfg = json.load(open(os.path.join(args.model_dir, "tokenizer_config.json")))
    n_layer, n_head, n_embd = cfg["n_layer"], cfg["n_head"], cfg["n_embd"]
    n_ff = cfg.get("n_inner") or 4 * n_embd

    if cfg.get("position_embedding_type") != "alibi":
        sys.exit("export_gguf: expected an ALiBi model, config says %r" % cfg.get("position_embedding_type"))
    if not np.allclose(model_slopes(n_head), ggml_slopes(n_head, ALIBI_MAX_BIAS), rtol=0, atol=1e-12):
        sys.exit("export_gguf: ggml's ALiBi slopes with max bias %g differ from the model's" % ALIBI_MAX_BIAS)

    inits, matmuls, head = load_weights(os.path.join(args.model_dir, "onnx", "model.onnx"), n_layer)
    wte = inits["model.wte.weight"]
    if head is None or not np.array_equal(head, wte.T):
        sys.exit("export_gguf: the output head is not the transposed embedding (expected tied weights)")

    # Tokens in id order: the BPE vocabulary, then the added (special) tokens.
    vocab = tok["model"]["vocab"]
    added = {t["id"]: t for t in tok["added_tokens"]}
    n_vocab = cfg["vocab_size"]
    tokens, types = [], []
    by_id = {i: s for s, i in vocab.items()}
    for i in range(n_vocab):
        if i in added:
            tokens.append(added[i]["content"])
            types.append(gguf.TokenType.CONTROL if added[i]["special"] else gguf.TokenType.USER_DEFINED)
        elif i in by_id:
            tokens.append(by_id[i])
            types.append(gguf.TokenType.NORMAL)
        else:
            sys.exit("export_gguf: token id %d is in neither the vocabulary nor the added tokens" % i)
    merges = [m if isinstance(m, str) else " ".join(m) for m in tok["model"]["merges"]]
    pre = tok["pre_tokenizer"]
    if pre.get("type") != "ByteLevel" or not pre.get("use_regex", True) or pre.get("add_prefix_space"):
        sys.exit("export_gguf: expected GPT-2's byte-level pre-tokenizer, found %r" % pre)

    w = gguf.GGUFWriter(args.out, gguf.MODEL_ARCH_NAMES[gguf.MODEL_ARCH.MPT])
    w.add_name("glassbox-mini")
    w.add_description("Glassbox Mini, the Glassbox extension's embedded code model, converted from ONNX")
    w.add_license("MIT")
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    w.add_context_length(cfg["n_positions"])
    w.add_embedding_length(n_embd)
    w.add_block_count(n_layer)
    w.add_feed_forward_length(n_ff)
    w.add_head_count(n_head)
    w.add_head_count_kv(n_head)
    w.add_layer_norm_eps(cfg.get("layer_norm_epsilon", 1e-5))
    w.add_max_alibi_bias(ALIBI_MAX_BIAS)

    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("gpt-2")
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)
    w.add_bos_token_id(cfg["bos_token_id"])
    w.add_eos_token_id(cfg["eos_token_id"])
    w.add_pad_token_id(cfg["pad_token_id"])
    w.add_add_bos_token(bool(tok_cfg.get("add_bos_token", False)))
    w.add_add_eos_token(bool(tok_cfg.get("add_eos_token", False)))
    w.add_uint32(gguf.Keys.Tokenizer.FIM_PRE_ID, cfg["fim_prefix_token_id"])
    w.add_uint32(gguf.Keys.Tokenizer.FIM_SUF_ID, cfg["fim_suffix_token_id"])
    w.add_uint32(gguf.Keys.Tokenizer.FIM_MID_ID, cfg["fim_middle_token_id"])
    w.add_uint32(gguf.Keys.Tokenizer.FIM_PAD_ID, cfg["fim_pad_token_id"])

    def f32(a):
        return np.ascontiguousarray(a, dtype=np.float32)

    w.add_tensor("token_embd.weight", f32(wte))
    for i in range(n_layer):
        p = "model.h.%d." % i
        b = "blk.%d." % i
        w.add_tensor(b + "attn_norm.weight", f32(inits[p + "ln_1.weight"]))
        w.add_tensor(b + "attn_norm.bias", f32(inits[p + "ln_1.bias"]))
        # ONNX MatMul weights are [in, out]; GGUF (like torch's Linear) wants [out, in].
        w.add_tensor(b + "attn_qkv.weight", f32(matmuls[("c_attn", i)].T))
        w.add_tensor(b + "attn_qkv.bias", f32(inits[p + "c_attn.bias"]))
        w.add_tensor(b + "attn_output.weight", f32(matmuls[("c_proj", i)].T))
        w.add_tensor(b + "attn_output.bias", f32(inits[p + "c_proj.bias"]))
        w.add_tensor(b + "ffn_norm.weight", f32(inits[p + "ln_2.weight"]))
        w.add_tensor(b + "ffn_norm.bias", f32(inits[p + "ln_2.bias"]))
        w.add_tensor(b + "ffn_up.weight", f32(matmuls[("c_fc", i)].T))
        w.add_tensor(b + "ffn_up.bias", f32(inits[p + "c_fc.bias"]))
        w.add_tensor(b + "ffn_down.weight", f32(matmuls[("c_fc_proj", i)].T))
        w.add_tensor(b + "ffn_down.bias", f32(inits[p + "c_fc_proj.bias"]))
    w.add_tensor("output_norm.weight", f32(inits["model.ln_f.weight"]))
    w.add_tensor("output_norm.bias", f32(inits["model.ln_f.bias"]))

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print("export_gguf: wrote %s (%d tensors, %d tokens)" % (args.out, 2 + n_layer * 12 + 1, n_vocab))


if __name__ == "__main__":
    main()
