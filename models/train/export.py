#!/usr/bin/env python3
"""Export a checkpoint to the transformers.js layout in models/glassbox-mini/.

Writes config.json, generation_config.json, tokenizer.json, tokenizer_config.json
and onnx/model.onnx (fp32, opset 14, constant folding) with the contract:
  inputs  input_ids [batch_size, sequence_length] int64
          attention_mask [batch_size, total_sequence_length] int64
          position_ids [batch_size, sequence_length] int64
          past_key_values.{i}.key|value [batch_size, H, past_sequence_length, D] float32
  outputs logits [batch_size, sequence_length, vocab]
          present.{i}.key|value [batch_size, H, total_sequence_length, D]
          decoder_attentions.{i} [batch_size, H, sequence_length, total_sequence_length]
H and D are fixed numbers in the graph. Exported with a non-empty dummy past so
nothing specialises on past length 0.
"""
import argparse
import inspect
import os
import shutil
import sys

import torch
import torch.nn as nn

from common import EOT, FIM_MIDDLE, FIM_PAD, FIM_PREFIX, FIM_SUFFIX, MODEL_DIR, SPECIAL_TOKENS, WORK, load_json, save_json
from model import GPT, GPTConfig

OPSET = 14


class OnnxWrapper(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model
        self.n_layer = model.cfg.n_layer

    def forward(self, input_ids, attention_mask, position_ids, *past_flat):
        past = [(past_flat[2 * i], past_flat[2 * i + 1]) for i in range(self.n_layer)]
        logits, presents, attns = self.model.forward_cached(input_ids, attention_mask, position_ids, past)
        out = [logits]
        for k, v in presents:
            out += [k, v]
        out += attns
        return tuple(out)


def load_model(ckpt_path):
    ckpt = torch.load(ckpt_path, map_location="cpu")
    cfg = GPTConfig(**ckpt["model_config"])
    model = GPT(cfg)
    model.load_state_dict(ckpt["model"])
    model.eval()
    return model, ckpt


def export_onnx(model, path):
    cfg = model.cfg
    H, D, L = cfg.n_head, cfg.n_embd // cfg.n_head, cfg.n_layer
    B, S, P = 2, 3, 5
    input_ids = torch.randint(0, cfg.vocab_size, (B, S), dtype=torch.long)
    attention_mask = torch.ones(B, P + S, dtype=torch.long)
    position_ids = torch.arange(P, P + S, dtype=torch.long)[None].repeat(B, 1)
    past = []
    for _ in range(L):
        past += [torch.randn(B, H, P, D), torch.randn(B, H, P, D)]
    in_names = ["input_ids", "attention_mask", "position_ids"]
    out_names = ["logits"]
    dyn = {"input_ids": {0: "batch_size", 1: "sequence_length"},
           "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
           "position_ids": {0: "batch_size", 1: "sequence_length"},
           "logits": {0: "batch_size", 1: "sequence_length"}}
    for i in range(L):
        for kv in ("key", "value"):
            n = "past_key_values.%d.%s" % (i, kv)
            in_names.append(n)
            dyn[n] = {0: "batch_size", 2: "past_sequence_length"}
            n = "present.%d.%s" % (i, kv)
            out_names.append(n)
            dyn[n] = {0: "batch_size", 2: "total_sequence_length"}
    for i in range(L):
        n = "decoder_attentions.%d" % i
        out_names.append(n)
        dyn[n] = {0: "batch_size", 2: "sequence_length", 3: "total_sequence_length"}
    os.makedirs(os.path.dirname(path), exist_ok=True)
    wrapper = OnnxWrapper(model).eval()
    with torch.no_grad():
        kwargs = dict(input_names=in_names, output_names=out_names, dynamic_axes=dyn,
                      opset_version=OPSET, do_constant_folding=True)
        if "dynamo" in inspect.signature(torch.onnx.export).parameters:
            kwargs["dynamo"] = False  # PyTorch 2.x: keep the TorchScript exporter this graph was written for
        torch.onnx.export(wrapper, (input_ids, attention_mask, position_ids, *past), path, **kwargs)
    try:
        import onnx
        m = onnx.load(path)
        onnx.checker.check_model(m)
        names_in = [i.name for i in m.graph.input]
        names_out = [o.name for o in m.graph.output]
        assert names_in == in_names, names_in
        assert names_out == out_names, names_out
        # fixed head count and head size on the cache inputs
        for i in m.graph.input:
            if i.name.startswith("past_key_values"):
                dims = i.type.tensor_type.shape.dim
                assert dims[1].dim_value == H and dims[3].dim_value == D, (i.name, dims)
                assert dims[0].dim_param == "batch_size" and dims[2].dim_param == "past_sequence_length"
    except ImportError:
        print("[export] onnx python package not available; skipped graph check")


def write_configs(model, ckpt, tokenizer_path, out_dir):
    cfg = model.cfg
    tok = load_json(tokenizer_path)
    ids = {t["content"]: t["id"] for t in tok["added_tokens"]}
    eot = ids[EOT]
    config = {
        "model_type": "gpt2",
        "architectures": ["GPT2LMHeadModel"],
        "vocab_size": cfg.vocab_size,
        "n_layer": cfg.n_layer,
        "n_head": cfg.n_head,
        "n_embd": cfg.n_embd,
        "n_inner": 4 * cfg.n_embd,
        "n_positions": cfg.n_positions,
        "n_ctx": cfg.n_positions,
        "activation_function": "gelu",
        "layer_norm_epsilon": 1e-5,
        "tie_word_embeddings": True,
        "position_embedding_type": "alibi",
        "alibi_train_context": cfg.train_ctx,
        "bos_token_id": eot,
        "eos_token_id": eot,
        "pad_token_id": ids[FIM_PAD],
        "fim_prefix_token": FIM_PREFIX,
        "fim_suffix_token": FIM_SUFFIX,
        "fim_middle_token": FIM_MIDDLE,
        "fim_pad_token": FIM_PAD,
        "fim_prefix_token_id": ids[FIM_PREFIX],
        "fim_suffix_token_id": ids[FIM_SUFFIX],
        "fim_middle_token_id": ids[FIM_MIDDLE],
        "fim_pad_token_id": ids[FIM_PAD],
        "fim_format": "SPM",
        "use_cache": True,
        "torch_dtype": "float32",
        "glassbox": {
            "training_config": ckpt.get("config_name"),
            "onnx_outputs": "logits, present.{i}.key|value, decoder_attentions.{i} (post-softmax)",
            "tokens_seen": ckpt.get("tokens_seen"),
        },
    }
    save_json(os.path.join(out_dir, "config.json"), config)
    save_json(os.path.join(out_dir, "generation_config.json"), {
        "bos_token_id": eot, "eos_token_id": eot, "pad_token_id": ids[FIM_PAD],
        "do_sample": False, "max_new_tokens": 64})
    save_json(os.path.join(out_dir, "tokenizer_config.json"), {
        "tokenizer_class": "GPT2Tokenizer",
        "bos_token": EOT, "eos_token": EOT, "unk_token": EOT, "pad_token": FIM_PAD,
        "additional_special_tokens": [FIM_PREFIX, FIM_MIDDLE, FIM_SUFFIX, FIM_PAD],
        "add_prefix_space": False,
        "add_bos_token": False,
        "add_eos_token": False,
        "clean_up_tokenization_spaces": False,
        "model_max_length": cfg.n_positions,
        "padding_side": "left",
        "added_tokens_decoder": {str(ids[s]): {"content": s, "lstrip": False, "normalized": False, "rstrip": False,
                                               "single_word": False, "special": True} for s in SPECIAL_TOKENS},
    })
    shutil.copyfile(tokenizer_path, os.path.join(out_dir, "tokenizer.json"))


REF_TEXT = 'import os\n\n\ndef read_lines(path):\n    """Return the lines of a text file."""\n    with open(path) as f:\n'


@torch.no_grad()
def write_reference(model, tokenizer_path, path):
    """PyTorch logits for a fixed prompt; check_parity.cjs compares the ONNX model in transformers.js with them."""
    import bpe
    tok = bpe.Tokenizer.load(tokenizer_path)
    ids = tok.encode(REF_TEXT)
    logits = model(torch.tensor([ids], dtype=torch.long))[0].float()
    save_json(path, {"text": REF_TEXT, "ids": ids, "argmax": logits.argmax(-1).tolist(),
                     "last_logits": [round(float(x), 6) for x in logits[-1]]}, indent=None)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=os.path.join(WORK, "small", "ckpt.pt"))
    ap.add_argument("--tokenizer", default=os.path.join(WORK, "tokenizer.json"))
    ap.add_argument("--out", default=MODEL_DIR)
    ap.add_argument("--reference", default=os.path.join(WORK, "export_reference.json"))
    args = ap.parse_args()
    model, ckpt = load_model(args.ckpt)
    onnx_path = os.path.join(args.out, "onnx", "model.onnx")
    export_onnx(model, onnx_path)
    write_configs(model, ckpt, args.tokenizer, args.out)
    write_reference(model, args.tokenizer, args.reference)
    print("[export] %s (%.1f MB)" % (onnx_path, os.path.getsize(onnx_path) / 1e6))
    return 0


if __name__ == "__main__":
    sys.exit(main())
