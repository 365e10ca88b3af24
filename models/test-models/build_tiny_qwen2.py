"""Builds the test models in this folder: tiny Qwen2-architecture decoders
laid out exactly like the onnx-community exports of Qwen2.5-Coder, so the
tests run the path a hub model takes (rotary positions fed as position_ids,
grouped-query attention, Qwen's special tokens and chat template, one ONNX
file per dtype) without a gigabyte download.

Outputs (each a model folder):
  tiny-qwen2/         config.json, generation_config.json, tokenizer.json,
                      tokenizer_config.json, onnx/model.onnx (fp32),
                      onnx/model_quantized.onnx (q8), onnx/model_q4.onnx (q4)
  tiny-qwen2-merged/  the same weights under the older file names
                      (onnx/decoder_model_merged.onnx and
                      decoder_model_merged_quantized.onnx), with the
                      use_cache_branch input those exports have
  tiny-qwen2-zeroed/  q8 only, final norm weights zeroed: uniform logits
  tiny-qwen2-nan/     q8 only, final norm weights NaN: non-finite logits

The weights are trained briefly (next-token and fill-in-the-middle in
Qwen's PSM format) on this repository's own source at a fixed commit, so
greedy completions are code-like rather than noise. Run through build.sh,
which installs the pinned packages.
"""
import argparse
import json
import math
import os
import random
import shutil
import subprocess
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn as nn
import torch.nn.functional as F
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

# The training text: the project's own code at a fixed commit (so a rebuild sees the same text).
CORPUS_COMMIT = 'a344a894670619c5a1c78c48a75534b2cc464689'
CORPUS_DIRS = ('server/src/', 'client/src/', 'protocol/', 'media/src/', 'models/train/', 'test/e2e/fixtures/workspace/')
CORPUS_EXTS = ('.ts', '.py')

SEED = 13
BPE_VOCAB = 1024
# Qwen2.5's added tokens, in its order, with its `special` flags (FIM and repo tokens are not special).
ADDED_TOKENS = [
    ('<|endoftext|>', True), ('<|im_start|>', True), ('<|im_end|>', True),
    ('<|object_ref_start|>', True), ('<|object_ref_end|>', True), ('<|box_start|>', True), ('<|box_end|>', True),
    ('<|quad_start|>', True), ('<|quad_end|>', True), ('<|vision_start|>', True), ('<|vision_end|>', True),
    ('<|vision_pad|>', True), ('<|image_pad|>', True), ('<|video_pad|>', True),
    ('<tool_call>', False), ('</tool_call>', False),
    ('<|fim_prefix|>', False), ('<|fim_middle|>', False), ('<|fim_suffix|>', False), ('<|fim_pad|>', False),
    ('<|repo_name|>', False), ('<|file_sep|>', False),
]
# Qwen2's pre-tokenizer split (from its tokenizer.json).
QWEN_SPLIT = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""

# Like Qwen2.5-Coder-0.5B in shape (2 key/value heads, tied embeddings, a padded vocabulary), scaled down.
HIDDEN = 64
LAYERS = 3
HEADS = 4
KV_HEADS = 2
HEAD_DIM = HIDDEN // HEADS
INTERMEDIATE = 192
VOCAB_PADDED = 1088  # the config's vocab_size exceeds the tokenizer's, as Qwen's does (151936 vs 151665)
ROPE_THETA = 10000.0
RMS_EPS = 1e-6
MAX_POSITIONS = 32768

CHAT_TEMPLATE = (
    "{%- if messages[0]['role'] == 'system' %}"
    "{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}"
    "{%- else %}"
    "{{- '<|im_start|>system\\nYou are a tiny test model.<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- for message in messages %}"
    "{%- if not (loop.first and message['role'] == 'system') %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)


# ---------------------------------------------------------------- text

def corpus_files():
    names = subprocess.run(['git', '-C', REPO, 'ls-tree', '-r', '--name-only', CORPUS_COMMIT], check=True, capture_output=True, text=True).stdout.split('\n')
    picked = sorted(n for n in names if n.startswith(CORPUS_DIRS) and n.endswith(CORPUS_EXTS))
    files = []
    for name in picked:
        text = subprocess.run(['git', '-C', REPO, 'show', f'{CORPUS_COMMIT}:{name}'], check=True, capture_output=True).stdout.decode('utf8')
        files.append((name, text))
    return files


def build_tokenizer(files):
    tok = Tokenizer(models.BPE(unk_token=None, continuing_subword_prefix='', end_of_word_suffix='', fuse_unk=False, byte_fallback=False, ignore_merges=False))
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN_SPLIT), behavior='isolated', invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False),
    ])
    tok.post_processor = processors.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
    tok.decoder = decoders.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
    trainer = trainers.BpeTrainer(vocab_size=BPE_VOCAB, min_frequency=2, show_progress=False, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), special_tokens=[])
    tok.train_from_iterator((text for _, text in files), trainer=trainer)
    base = tok.get_vocab_size()
    for content, special in ADDED_TOKENS:
        token = AddedToken(content, single_word=False, lstrip=False, rstrip=False, normalized=False, special=special)
        (tok.add_special_tokens if special else tok.add_tokens)([token])
    ids = {content: tok.token_to_id(content) for content, _ in ADDED_TOKENS}
    assert [ids[c] for c, _ in ADDED_TOKENS] == list(range(base, base + len(ADDED_TOKENS))), ids
    assert tok.get_vocab_size() <= VOCAB_PADDED
    return tok, ids


def tokenizer_config(ids):
    return {
        'add_bos_token': False,
        'add_prefix_space': False,
        'added_tokens_decoder': {
            str(ids[c]): {'content': c, 'lstrip': False, 'normalized': False, 'rstrip': False, 'single_word': False, 'special': s}
            for c, s in ADDED_TOKENS
        },
        'additional_special_tokens': [c for c, s in ADDED_TOKENS[1:] if s],
        'bos_token': None,
        'chat_template': CHAT_TEMPLATE,
        'clean_up_tokenization_spaces': False,
        'eos_token': '<|im_end|>',
        'errors': 'replace',
        'model_max_length': MAX_POSITIONS,
        'pad_token': '<|endoftext|>',
        'split_special_tokens': False,
        'tokenizer_class': 'Qwen2Tokenizer',
        'unk_token': None,
    }


def model_config(ids):
    return {
        'architectures': ['Qwen2ForCausalLM'],
        'attention_dropout': 0.0,
        'bos_token_id': ids['<|endoftext|>'],
        'eos_token_id': ids['<|im_end|>'],
        'hidden_act': 'silu',
        'hidden_size': HIDDEN,
        'initializer_range': 0.02,
        'intermediate_size': INTERMEDIATE,
        'max_position_embeddings': MAX_POSITIONS,
        'max_window_layers': LAYERS,
        'model_type': 'qwen2',
        'num_attention_heads': HEADS,
        'num_hidden_layers': LAYERS,
        'num_key_value_heads': KV_HEADS,
        'rms_norm_eps': RMS_EPS,
        'rope_scaling': None,
        'rope_theta': ROPE_THETA,
        'sliding_window': None,
        'tie_word_embeddings': True,
        'torch_dtype': 'float32',
        'use_cache': True,
        'use_sliding_window': False,
        'vocab_size': VOCAB_PADDED,
        'transformers.js_config': {'kv_cache_dtype': {'q4f16': 'float16', 'fp16': 'float16'}},
    }


def generation_config(ids):
    return {
        'bos_token_id': ids['<|endoftext|>'],
        'do_sample': True,
        'eos_token_id': [ids['<|im_end|>'], ids['<|endoftext|>']],
        'pad_token_id': ids['<|endoftext|>'],
        'repetition_penalty': 1.1,
        'temperature': 0.7,
        'top_k': 20,
        'top_p': 0.8,
    }


# ---------------------------------------------------------------- model
# Parameter names follow transformers' Qwen2ForCausalLM, so the same state dict loads there (checked below).

class RMSNorm(nn.Module):
    def __init__(self, size):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(size))

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + RMS_EPS))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.q_proj = nn.Linear(HIDDEN, HEADS * HEAD_DIM, bias=True)
        self.k_proj = nn.Linear(HIDDEN, KV_HEADS * HEAD_DIM, bias=True)
        self.v_proj = nn.Linear(HIDDEN, KV_HEADS * HEAD_DIM, bias=True)
        self.o_proj = nn.Linear(HEADS * HEAD_DIM, HIDDEN, bias=False)

    def forward(self, x, cos, sin, mask, past_key, past_value):
        b, t, _ = x.shape
        q = self.q_proj(x).view(b, t, HEADS, HEAD_DIM).transpose(1, 2)
        k = self.k_proj(x).view(b, t, KV_HEADS, HEAD_DIM).transpose(1, 2)
        v = self.v_proj(x).view(b, t, KV_HEADS, HEAD_DIM).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = torch.cat([past_key, k], dim=2)
        v = torch.cat([past_value, v], dim=2)
        s = k.shape[2]
        # Grouped-query attention: each key/value head serves HEADS // KV_HEADS query heads.
        group = HEADS // KV_HEADS
        kk = k[:, :, None].expand(b, KV_HEADS, group, s, HEAD_DIM).reshape(b, HEADS, s, HEAD_DIM)
        vv = v[:, :, None].expand(b, KV_HEADS, group, s, HEAD_DIM).reshape(b, HEADS, s, HEAD_DIM)
        weights = torch.softmax(q @ kk.transpose(-1, -2) / math.sqrt(HEAD_DIM) + mask, dim=-1)
        y = (weights @ vv).transpose(1, 2).reshape(b, t, HEADS * HEAD_DIM)
        return self.o_proj(y), k, v


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.gate_proj = nn.Linear(HIDDEN, INTERMEDIATE, bias=False)
        self.up_proj = nn.Linear(HIDDEN, INTERMEDIATE, bias=False)
        self.down_proj = nn.Linear(INTERMEDIATE, HIDDEN, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.input_layernorm = RMSNorm(HIDDEN)
        self.self_attn = Attention()
        self.post_attention_layernorm = RMSNorm(HIDDEN)
        self.mlp = MLP()

    def forward(self, x, cos, sin, mask, past_key, past_value):
        a, k, v = self.self_attn(self.input_layernorm(x), cos, sin, mask, past_key, past_value)
        x = x + a
        return x + self.mlp(self.post_attention_layernorm(x)), k, v


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed_tokens = nn.Embedding(VOCAB_PADDED, HIDDEN)
        self.layers = nn.ModuleList([Layer() for _ in range(LAYERS)])
        self.norm = RMSNorm(HIDDEN)
        inv_freq = 1.0 / (ROPE_THETA ** (torch.arange(0, HEAD_DIM, 2, dtype=torch.float32) / HEAD_DIM))
        self.register_buffer('inv_freq', inv_freq, persistent=False)


class TinyQwen2(nn.Module):
    def __init__(self):
        super().__init__()
        self.model = Decoder()
        # transformers' initialisation for Qwen2: normal(0, initializer_range), zero biases.
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, std=0.02)
            if isinstance(module, nn.Linear) and module.bias is not None:
                nn.init.zeros_(module.bias)

    def forward(self, input_ids, attention_mask, position_ids, *past):
        """input_ids [B,T], attention_mask [B,past+T] (1 = attend), position_ids [B,T],
        past: per layer key, value [B,KV_HEADS,past,HEAD_DIM]. Returns logits [B,T,V] and the new cache."""
        m = self.model
        x = m.embed_tokens(input_ids)
        b, t = input_ids.shape
        s = attention_mask.shape[1]
        freqs = position_ids[..., None].to(torch.float32) * m.inv_freq
        emb = torch.cat([freqs, freqs], dim=-1)
        cos, sin = emb.cos()[:, None], emb.sin()[:, None]
        query_pos = torch.arange(t, device=input_ids.device)[:, None] + (s - t)
        key_pos = torch.arange(s, device=input_ids.device)[None, :]
        allowed = (key_pos <= query_pos)[None, None] & (attention_mask[:, None, None, :] > 0)
        mask = torch.where(allowed, torch.zeros((), dtype=torch.float32), torch.full((), torch.finfo(torch.float32).min))
        present = []
        for i, layer in enumerate(m.layers):
            x, k, v = layer(x, cos, sin, mask, past[2 * i], past[2 * i + 1])
            present += [k, v]
        logits = m.norm(x) @ m.embed_tokens.weight.T  # tied output embedding
        return (logits, *present)


def empty_past(batch=1):
    return [torch.zeros(batch, KV_HEADS, 0, HEAD_DIM) for _ in range(2 * LAYERS)]


# ---------------------------------------------------------------- training

def make_examples(files, tok, ids, rng):
    """Token sequences: whole-file windows in Qwen's repo format, and FIM examples (prefix, suffix, middle)."""
    eot, fp, fm, fs, sep = (ids[t] for t in ('<|endoftext|>', '<|fim_prefix|>', '<|fim_middle|>', '<|fim_suffix|>', '<|file_sep|>'))
    enc = lambda text: tok.encode(text, add_special_tokens=False).ids  # noqa: E731
    docs = [(name, text) for name, text in files if len(text) > 200]

    def window(text, chars):
        start = rng.randrange(0, max(1, len(text) - chars))
        nl = text.find('\n', start)
        start = nl + 1 if 0 <= nl < start + 200 else start
        return text[start:start + chars]

    def one():
        name, text = rng.choice(docs)
        if rng.random() < 0.5:
            return [sep] + enc(f'{name}\n' + window(text, 900)) + [eot]
        piece = window(text, 700)
        lines = piece.split('\n')
        if len(lines) < 4:
            return [sep] + enc(piece) + [eot]
        a = rng.randrange(1, len(lines) - 2)
        line = lines[a]
        cut = rng.randrange(0, len(line) + 1)
        # The middle: the rest of a line, sometimes a line or two more (what a completion fills in).
        end = a + 1 + (rng.random() < 0.3) * rng.randrange(1, 3)
        prefix = '\n'.join(lines[:a] + [line[:cut]])
        middle = line[cut:] + ('\n' + '\n'.join(lines[a + 1:end]) if end > a + 1 else '')
        suffix = '\n' + '\n'.join(lines[end:]) if end < len(lines) else ''
        return [fp] + enc(prefix) + [fs] + enc(suffix) + [fm] + enc(middle) + [eot]

    return one


def train(model, sample, steps, seq, batch, log):
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, betas=(0.9, 0.98), weight_decay=0.01)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps, pct_start=0.05)
    started = time.time()
    for step in range(steps):
        rows = []
        while len(rows) < batch:
            ex = sample()[: seq + 1]
            if len(ex) >= 8:
                rows.append(ex)
        width = max(len(r) for r in rows)
        x = torch.zeros(batch, width - 1, dtype=torch.long)
        y = torch.full((batch, width - 1), -100, dtype=torch.long)
        mask = torch.zeros(batch, width - 1, dtype=torch.long)
        for i, r in enumerate(rows):
            n = len(r) - 1
            x[i, :n] = torch.tensor(r[:-1])
            y[i, :n] = torch.tensor(r[1:])
            mask[i, :n] = 1
        pos = torch.arange(width - 1)[None].expand(batch, -1)
        logits = model(x, mask, pos, *empty_past(batch))[0]
        loss = F.cross_entropy(logits.reshape(-1, VOCAB_PADDED), y.reshape(-1), ignore_index=-100)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        if step % 50 == 0 or step == steps - 1:
            log(f'step {step}/{steps} loss {loss.item():.3f} ({time.time() - started:.0f} s)')


# ---------------------------------------------------------------- export

def io_names():
    past = [f'past_key_values.{i}.{kv}' for i in range(LAYERS) for kv in ('key', 'value')]
    present = [f'present.{i}.{kv}' for i in range(LAYERS) for kv in ('key', 'value')]
    return past, present


def export_onnx(model, path):
    past_names, present_names = io_names()
    dynamic = {
        'input_ids': {0: 'batch_size', 1: 'sequence_length'},
        'attention_mask': {0: 'batch_size', 1: 'total_sequence_length'},
        'position_ids': {0: 'batch_size', 1: 'sequence_length'},
        'logits': {0: 'batch_size', 1: 'sequence_length'},
    }
    for n in past_names:
        dynamic[n] = {0: 'batch_size', 2: 'past_sequence_length'}
    for n in present_names:
        dynamic[n] = {0: 'batch_size', 2: 'total_sequence_length'}
    ids = torch.tensor([[5, 6, 7]])
    past = [torch.randn(1, KV_HEADS, 2, HEAD_DIM) for _ in range(2 * LAYERS)]
    args = (ids, torch.ones(1, 5, dtype=torch.long), torch.tensor([[2, 3, 4]]), *past)
    torch.onnx.export(
        model, args, path, input_names=['input_ids', 'attention_mask', 'position_ids', *past_names],
        output_names=['logits', *present_names], dynamic_axes=dynamic, opset_version=17, do_constant_folding=True, dynamo=False,
    )
    m = onnx.load(path)
    onnx.checker.check_model(m)
    onnx.save(m, path)  # one file, weights inside


def quantize_q8(src, dst):
    from onnxruntime.quantization import QuantType, quantize_dynamic
    quantize_dynamic(src, dst, weight_type=QuantType.QUInt8, per_channel=False, reduce_range=False)


def quantize_q4(src, dst):
    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer
    q = MatMulNBitsQuantizer(onnx.load(src), block_size=32, is_symmetric=True)
    q.process()
    q.model.save_model_to_file(dst, use_external_data_format=False)


def add_cache_branch_input(src, dst):
    """The older merged exports take a bool use_cache_branch [1]; onnxruntime refuses a run without it."""
    m = onnx.load(src)
    m.graph.input.append(onnx.helper.make_tensor_value_info('use_cache_branch', onnx.TensorProto.BOOL, [1]))
    onnx.save(m, dst)


def set_initializer(src, dst, name, fill):
    m = onnx.load(src)
    for init in m.graph.initializer:
        if init.name == name:
            arr = onnx.numpy_helper.to_array(init).copy()
            arr[...] = fill
            init.CopyFrom(onnx.numpy_helper.from_array(arr.astype(np.float32), name))
            break
    else:
        raise SystemExit(f'no initializer {name} in {src}')
    onnx.save(m, dst)


# ---------------------------------------------------------------- checks

def ort_greedy(path, prompt, steps, cached, extra=None):
    sess = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    past_names, present_names = io_names()
    out_ids = list(prompt)
    past = {n: np.zeros((1, KV_HEADS, 0, HEAD_DIM), np.float32) for n in past_names}
    fed = 0
    last_logits = None
    for _ in range(steps):
        new = out_ids[fed:] if cached else out_ids
        start = fed if cached else 0
        feeds = {
            'input_ids': np.array([new], np.int64),
            'attention_mask': np.ones((1, start + len(new)), np.int64),
            'position_ids': np.arange(start, start + len(new), dtype=np.int64)[None],
            **(past if cached else {n: np.zeros((1, KV_HEADS, 0, HEAD_DIM), np.float32) for n in past_names}),
            **(extra or {}),
        }
        outs = sess.run(None, feeds)
        last_logits = outs[0][0, -1]
        if cached:
            past = dict(zip(past_names, outs[1:]))
            fed = len(out_ids)
        out_ids.append(int(np.argmax(last_logits)))
    return out_ids[len(prompt):], last_logits


def check_hf_parity(model, folder, log):
    """The same weights in transformers' own Qwen2ForCausalLM give the same logits: the export is Qwen2 in substance."""
    from transformers import Qwen2Config, Qwen2ForCausalLM
    cfg = json.load(open(os.path.join(folder, 'config.json')))
    cfg.pop('transformers.js_config')
    hf = Qwen2ForCausalLM(Qwen2Config(**cfg)).eval()
    state = {k: v for k, v in model.state_dict().items()}
    state['lm_head.weight'] = state['model.embed_tokens.weight']
    missing, unexpected = hf.load_state_dict(state, strict=False)
    assert not unexpected and all('rotary' in k for k in missing), (missing, unexpected)
    ids = torch.tensor([[3, 50, 400, 7, 9, 120, 33, 2]])
    with torch.no_grad():
        ours = model(ids, torch.ones_like(ids), torch.arange(ids.shape[1])[None], *empty_past())[0]
        theirs = hf(input_ids=ids).logits
    diff = (ours - theirs).abs().max().item()
    log(f'transformers Qwen2ForCausalLM parity: max |logit diff| {diff:.2e}')
    assert diff < 1e-4, diff


def write_folder(folder, tok, ids, onnx_files):
    os.makedirs(os.path.join(folder, 'onnx'), exist_ok=True)
    tok.save(os.path.join(folder, 'tokenizer.json'))
    for name, data in (('config.json', model_config(ids)), ('generation_config.json', generation_config(ids)), ('tokenizer_config.json', tokenizer_config(ids))):
        with open(os.path.join(folder, name), 'w') as f:
            json.dump(data, f, indent=2, ensure_ascii=False)
            f.write('\n')
    for src, name in onnx_files:
        shutil.copyfile(src, os.path.join(folder, 'onnx', name))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--steps', type=int, default=500)
    ap.add_argument('--out', default=HERE)
    ap.add_argument('--weights-from', help='instead of training, take the weights from an ONNX file whose initializers carry '
                    "the parameter names (an export of this model with constant folding off; the committed files' folded "
                    'transposes do not): re-exports without the half hour of training on two busy cores')
    args = ap.parse_args()
    log = lambda m: print(m, flush=True)  # noqa: E731
    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    torch.set_num_threads(2)  # a fixed count: the sums, and so the weights, do not depend on the machine

    files = corpus_files()
    log(f'corpus: {len(files)} files, {sum(len(t) for _, t in files)} characters at {CORPUS_COMMIT[:10]}')
    tok, ids = build_tokenizer(files)
    log(f'tokenizer: {tok.get_vocab_size()} tokens; added from id {ids["<|endoftext|>"]}')

    model = TinyQwen2()
    log(f'model: {sum(p.numel() for p in model.parameters())} parameters')
    if args.weights_from:
        inits = {i.name: torch.from_numpy(onnx.numpy_helper.to_array(i).copy()) for i in onnx.load(args.weights_from).graph.initializer}
        model.load_state_dict({name: inits[name] for name in model.state_dict()})
        log(f'weights from {args.weights_from}')
    else:
        train(model, make_examples(files, tok, ids, random.Random(SEED)), args.steps, seq=160, batch=8, log=log)
    model.eval()

    work = os.path.join(args.out, '.work')
    os.makedirs(work, exist_ok=True)
    fp32 = os.path.join(work, 'model.onnx')
    with torch.no_grad():
        export_onnx(model, fp32)
    q8 = os.path.join(work, 'model_quantized.onnx')
    q4 = os.path.join(work, 'model_q4.onnx')
    quantize_q8(fp32, q8)
    quantize_q4(fp32, q4)
    merged = os.path.join(work, 'decoder_model_merged.onnx')
    merged_q8 = os.path.join(work, 'decoder_model_merged_quantized.onnx')
    add_cache_branch_input(fp32, merged)
    add_cache_branch_input(q8, merged_q8)
    zeroed_fp32 = os.path.join(work, 'zeroed.onnx')
    nan_fp32 = os.path.join(work, 'nan.onnx')
    set_initializer(fp32, zeroed_fp32, 'model.norm.weight', 0.0)
    set_initializer(fp32, nan_fp32, 'model.norm.weight', np.nan)
    zeroed_q8 = os.path.join(work, 'zeroed_q8.onnx')
    nan_q8 = os.path.join(work, 'nan_q8.onnx')
    quantize_q8(zeroed_fp32, zeroed_q8)
    quantize_q8(nan_fp32, nan_q8)

    out = lambda name: os.path.join(args.out, name)  # noqa: E731
    for name in ('tiny-qwen2', 'tiny-qwen2-merged', 'tiny-qwen2-zeroed', 'tiny-qwen2-nan'):
        shutil.rmtree(out(name), ignore_errors=True)
    write_folder(out('tiny-qwen2'), tok, ids, [(fp32, 'model.onnx'), (q8, 'model_quantized.onnx'), (q4, 'model_q4.onnx')])
    write_folder(out('tiny-qwen2-merged'), tok, ids, [(merged, 'decoder_model_merged.onnx'), (merged_q8, 'decoder_model_merged_quantized.onnx')])
    write_folder(out('tiny-qwen2-zeroed'), tok, ids, [(zeroed_q8, 'model_quantized.onnx')])
    write_folder(out('tiny-qwen2-nan'), tok, ids, [(nan_q8, 'model_quantized.onnx')])
    shutil.rmtree(work)

    # Checks: the parity with transformers, the KV cache, the quantized files, the merged input, the broken ones.
    check_hf_parity(model, out('tiny-qwen2'), log)
    prompt = [ids['<|fim_prefix|>']] + tok.encode('def read_file(path):\n    with open(path) as f:\n        return f.', add_special_tokens=False).ids + [ids['<|fim_suffix|>'], ids['<|fim_middle|>']]
    for name in ('model.onnx', 'model_quantized.onnx', 'model_q4.onnx'):
        path = os.path.join(out('tiny-qwen2'), 'onnx', name)
        cached, logits = ort_greedy(path, prompt, 12, True)
        full, _ = ort_greedy(path, prompt, 12, False)
        # q8's dynamic quantization scales activations per pass, so its cached run may drift from a full one.
        assert cached == full or name == 'model_quantized.onnx', (name, cached, full)
        p = np.exp(logits - logits.max())
        p /= p.sum()
        entropy = float(-(p * np.log(p + 1e-30)).sum())
        log(f'{name}: {os.path.getsize(path)} bytes, greedy {tok.decode(cached, skip_special_tokens=False)!r}, last-step entropy {entropy:.2f} of {math.log(VOCAB_PADDED):.2f} nats')
    merged_path = os.path.join(out('tiny-qwen2-merged'), 'onnx', 'decoder_model_merged.onnx')
    try:
        ort_greedy(merged_path, prompt, 1, True)
        raise SystemExit('the merged export ran without use_cache_branch')
    except ort.capi.onnxruntime_pybind11_state.Fail as e:  # noqa: PERF203
        log(f'merged layout needs use_cache_branch: {str(e)[:80]}')
    except Exception as e:  # onnxruntime names this error differently across versions
        log(f'merged layout needs use_cache_branch: {str(e)[:80]}')
    ort_greedy(merged_path, prompt, 3, True, {'use_cache_branch': np.array([True])})
    for name in ('tiny-qwen2-zeroed', 'tiny-qwen2-nan'):
        _, logits = ort_greedy(os.path.join(out(name), 'onnx', 'model_quantized.onnx'), prompt, 1, True)
        log(f'{name}: logits finite {bool(np.isfinite(logits).all())}, spread {float(np.nanmax(logits) - np.nanmin(logits)) if np.isfinite(logits).any() else float("nan"):.3g}')
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(args.out) for f in fs if d.split(os.sep)[-2:-1] != ['.work'] and not f.endswith(('.py', '.sh', '.md')))
    log(f'all test models: {total / 1e6:.2f} MB')


if __name__ == '__main__':
    sys.exit(main())
