#!/usr/bin/env python3
"""Evaluate a checkpoint against an interpolated Kneser-Ney 4-gram baseline on the held-out split.

Both models use the same tokenizer, the same held-out token stream (plain documents
separated by <|endoftext|>) and the same training data (the n-gram counts the plain
training stream), so per-token perplexities are comparable.

Metrics
- loss / perplexity per token on every held-out token (transformer: windows of
  --ctx tokens with --stride, default non-overlapping; each token is scored once, by the
  last window that contains it), plus bits per UTF-8 byte.
- next-line completion at --positions random cursor positions (fixed seed): a random
  non-blank line of a random held-out file, cursor at a random column in it; target =
  rest of that line; each model gets at most --context-tokens tokens before the cursor
  and decodes greedily until a newline (at most --max-new tokens). Exact match (after
  trimming trailing whitespace) and edit similarity 1 - lev(a,b)/max(|a|,|b|).
- FIM (transformer only): same positions, SPM prompt <fim_prefix><fim_suffix>S<fim_middle>P
  with S = the text after the current line, decoded until newline or <|endoftext|>.
- *_healed: the same plain next-line task with token healing (the prompt's last token is
  dropped and the first generated token must start with its bytes; for the transformer the
  four <fim_*> tokens are also banned). This is what we recommend the server does; the
  headline rows use plain greedy decoding as specified.
"""
import argparse
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

import bpe
from common import DATA, EOT, FIM_MIDDLE, FIM_PAD, FIM_PREFIX, FIM_SUFFIX, WORK, read_jsonl, save_json
from data import build_stream, cached_stream
from model import GPT, GPTConfig
from ngram import KneserNey


def levenshtein(a, b):
    if a == b:
        return 0
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def edit_similarity(a, b):
    if not a and not b:
        return 1.0
    return 1.0 - levenshtein(a, b) / max(len(a), len(b))


def sample_positions(docs, n, seed):
    """(doc index, char offset of cursor, end of line offset) for n random cursors."""
    lines = []
    for di, text in enumerate(docs):
        off = 0
        for line in text.split("\n"):
            if line.strip():
                lines.append((di, off, len(line)))
            off += len(line) + 1
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        di, off, ln = lines[rng.randrange(len(lines))]
        col = rng.randrange(ln)
        out.append((di, off + col, off + ln))
    return out


@torch.no_grad()
def transformer_loss(model, stream, ctx, stride, batch=4):
    T = len(stream)
    starts = list(range(0, max(1, T - 1), stride))
    total, count = 0.0, 0
    jobs = []
    for s in starts:
        e = min(s + ctx + 1, T)
        if e - s < 2:
            continue
        first = 0 if s == 0 else ctx - stride  # score only tokens not scored by the previous window
        jobs.append((s, e, first))
        if e == T:
            break
    for i in range(0, len(jobs), batch):
        group = jobs[i:i + batch]
        L = max(e - s for s, e, _ in group) - 1
        x = torch.zeros(len(group), L, dtype=torch.long)
        y = torch.full((len(group), L), -100, dtype=torch.long)
        for j, (s, e, first) in enumerate(group):
            seq = torch.from_numpy(stream[s:e].astype(np.int64))
            x[j, : e - s - 1] = seq[:-1]
            tgt = seq[1:].clone()
            tgt[:first] = -100
            y[j, : e - s - 1] = tgt
        logits = model(x).float()
        nll = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), ignore_index=-100, reduction="sum")
        total += nll.item()
        count += int((y != -100).sum())
    return total / count, count


class TorchGreedy:
    def __init__(self, model):
        self.model = model
        cfg = model.cfg
        self.H, self.D, self.L = cfg.n_head, cfg.n_embd // cfg.n_head, cfg.n_layer

    @torch.no_grad()
    def generate(self, ids, max_new, stop_ids, tok, banned=(), first_allowed=None):
        """Greedy decoding with the KV cache; stops at a stop id or when the text gets a newline.
        `banned` ids are never generated; the first token is restricted to `first_allowed` when
        given (token healing). Returns (ids, stop reason)."""
        ids = list(ids)
        past = [(torch.zeros(1, self.H, 0, self.D), torch.zeros(1, self.H, 0, self.D)) for _ in range(self.L)]
        inp = torch.tensor([ids], dtype=torch.long)
        n_total = len(ids)
        out = []
        pos = torch.arange(0, n_total, dtype=torch.long)[None]
        banned = list(banned)
        for _ in range(max_new):
            mask = torch.ones(1, n_total, dtype=torch.long)
            logits, presents, _ = self.model.forward_cached(inp, mask, pos, past)
            last = logits[0, -1]
            if banned:
                last[banned] = float("-inf")
            if first_allowed is not None and not out:
                keep = last[first_allowed]
                last = torch.full_like(last, float("-inf"))
                last[first_allowed] = keep
            nxt = int(torch.argmax(last))
            if nxt in stop_ids:
                return out, "eot"
            out.append(nxt)
            if b"\n" in tok.decode_bytes([nxt]):
                return out, "newline"
            past = presents
            inp = torch.tensor([[nxt]], dtype=torch.long)
            pos = torch.tensor([[n_total]], dtype=torch.long)
            n_total += 1
        return out, "max_tokens"


def ngram_generate(kn, ids, max_new, stop_ids, tok, first_allowed=None):
    ctx = list(ids[-(kn.order - 1):])
    out = []
    for _ in range(max_new):
        dist = kn.next_distribution(ctx)
        if first_allowed is not None and not out:
            masked = np.zeros_like(dist)
            masked[first_allowed] = dist[first_allowed]
            dist = masked
        nxt = int(np.argmax(dist))
        if nxt in stop_ids:
            return out, "eot"
        out.append(nxt)
        if b"\n" in tok.decode_bytes([nxt]):
            return out, "newline"
        ctx = (ctx + [nxt])[-(kn.order - 1):]
    return out, "max_tokens"


def first_line(tok, ids, strip=b""):
    data = tok.decode_bytes(ids)
    if strip:
        data = data[len(strip):] if data.startswith(strip) else data
    return data.decode("utf-8", errors="replace").split("\n")[0]


class Healer:
    """Token healing: drop the prompt's last token and make the first generated token start
    with its bytes, so a cursor that ends mid-token (e.g. after a space: a lone 'Ġ' token that
    in training mostly appeared at FIM split points) is continued from a natural token boundary."""

    def __init__(self, tok):
        self.tok = tok
        self.bytes = [tok.decode_bytes([i]) if tok.inv[i] not in tok.special_ids else None for i in range(len(tok.inv))]

    def __call__(self, ids):
        if len(ids) < 2 or self.bytes[ids[-1]] is None:
            return ids, b"", None
        tail = self.bytes[ids[-1]]
        allowed = [i for i, b in enumerate(self.bytes) if b is not None and b.startswith(tail)]
        return ids[:-1], tail, allowed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=os.path.join(WORK, "small", "ckpt.pt"))
    ap.add_argument("--out", default=os.path.join(WORK, "small", "eval.json"))
    ap.add_argument("--ctx", type=int, default=1024, help="window for the held-out loss")
    ap.add_argument("--stride", type=int, default=None, help="window stride (default: ctx, i.e. non-overlapping)")
    ap.add_argument("--positions", type=int, default=500)
    ap.add_argument("--context-tokens", type=int, default=512)
    ap.add_argument("--suffix-chars", type=int, default=600)
    ap.add_argument("--max-new", type=int, default=48)
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    t0 = time.time()
    tok = bpe.Tokenizer.load(os.path.join(WORK, "tokenizer.json"))
    eot = tok.special_ids[EOT]
    ckpt = torch.load(args.ckpt, map_location="cpu")
    model = GPT(GPTConfig(**ckpt["model_config"]))
    model.load_state_dict(ckpt["model"])
    model.eval()

    held = list(read_jsonl(os.path.join(DATA, "corpus", "heldout.jsonl")))
    held_docs = [d["text"] for d in held]
    cache_dir = os.path.join(WORK, "tokens")
    held_stream = cached_stream(os.path.join(cache_dir, "heldout_plain.npy"),
                                lambda: build_stream(held_docs, tok, seed=0, fim_rate=0.0, shuffle=False))
    train_docs = [d["text"] for d in read_jsonl(os.path.join(DATA, "corpus", "train.jsonl"))]
    train_plain = cached_stream(os.path.join(cache_dir, "train_plain.npy"),
                                lambda: build_stream(train_docs, tok, seed=0, fim_rate=0.0, shuffle=False))
    held_bytes = sum(len(t.encode("utf-8")) for t in held_docs)
    report = {"heldout_files": len(held_docs), "heldout_tokens": int(len(held_stream)), "heldout_bytes": held_bytes,
              "train_tokens_plain": int(len(train_plain)), "tokenizer_vocab": len(tok.vocab)}

    # ---- perplexity
    t1 = time.time()
    stride = args.stride or args.ctx
    tr_loss, n_scored = transformer_loss(model, held_stream, args.ctx, stride)
    print("[eval] transformer held-out loss %.4f ppl %.2f (%d tokens, %.0fs)" % (tr_loss, math.exp(tr_loss), n_scored, time.time() - t1), flush=True)
    t1 = time.time()
    kn = KneserNey(train_plain, len(tok.vocab), order=4)
    kn_lp = kn.score(held_stream)
    kn_loss = float(-kn_lp.mean())
    print("[eval] 4-gram KN held-out loss %.4f ppl %.2f (%d tokens, %.0fs)" % (kn_loss, math.exp(kn_loss), len(kn_lp), time.time() - t1), flush=True)
    n_pred = len(held_stream) - 1
    report["transformer"] = {"loss": tr_loss, "ppl": math.exp(tr_loss), "bits_per_byte": tr_loss * n_pred / math.log(2) / held_bytes,
                             "loss_window": args.ctx, "loss_stride": stride}
    report["ngram_kn4"] = {"loss": kn_loss, "ppl": math.exp(kn_loss), "bits_per_byte": kn_loss * n_pred / math.log(2) / held_bytes,
                           "discounts": {str(n): kn.tables[n]["D"] for n in kn.tables}}

    # ---- next-line completion
    positions = sample_positions(held_docs, args.positions, args.seed)
    gen = TorchGreedy(model)
    stops = {eot}
    fim_specials = [tok.special_ids[t] for t in (FIM_PREFIX, FIM_MIDDLE, FIM_SUFFIX, FIM_PAD)]
    healer = Healer(tok)
    variants = ("transformer", "ngram_kn4", "transformer_fim", "transformer_healed", "ngram_kn4_healed")
    rows = {name: [] for name in variants}
    reasons = {name: {} for name in variants}
    t1 = time.time()
    for k, (di, cur, eol) in enumerate(positions):
        text = held_docs[di]
        target = text[cur:eol]
        ctx_ids = tok.encode_ordinary(text[:cur])[-args.context_tokens:]
        # FIM: suffix = what follows the current line
        suffix = text[eol:eol + args.suffix_chars]
        suf_ids = tok.encode_ordinary(suffix)
        pre_ids = tok.encode_ordinary(text[:cur])[-(args.context_tokens - len(suf_ids) - 3):]
        fim_ids = [tok.special_ids[FIM_PREFIX], tok.special_ids[FIM_SUFFIX]] + suf_ids + [tok.special_ids[FIM_MIDDLE]] + pre_ids
        healed_ids, tail, allowed = healer(ctx_ids)
        results = {
            "transformer": gen.generate(ctx_ids, args.max_new, stops, tok) + (b"",),
            "ngram_kn4": ngram_generate(kn, ctx_ids, args.max_new, stops, tok) + (b"",),
            "transformer_fim": gen.generate(fim_ids, args.max_new, stops, tok) + (b"",),
            "transformer_healed": gen.generate(healed_ids, args.max_new, stops, tok, banned=fim_specials, first_allowed=allowed) + (tail,),
            "ngram_kn4_healed": ngram_generate(kn, healed_ids, args.max_new, stops, tok, first_allowed=allowed) + (tail,),
        }
        preds = {}
        for name, (ids, why, strip) in results.items():
            pred = first_line(tok, ids, strip)
            preds[name] = pred
            rows[name].append({"exact": pred.rstrip() == target.rstrip(), "edit_sim": edit_similarity(pred.rstrip(), target.rstrip())})
            reasons[name][why] = reasons[name].get(why, 0) + 1
        if k < 5:
            print("[eval] example %d target %r | %s" % (k, target, " | ".join("%s %r" % kv for kv in preds.items())), flush=True)
        if (k + 1) % 100 == 0:
            print("[eval] %d/%d positions (%.0fs)" % (k + 1, len(positions), time.time() - t1), flush=True)
    for name, r in rows.items():
        section = report.setdefault(name, {})
        section["next_line_exact_match"] = float(np.mean([x["exact"] for x in r]))
        section["next_line_edit_similarity"] = float(np.mean([x["edit_sim"] for x in r]))
        section["next_line_stop_reasons"] = reasons[name]
    report["next_line_setup"] = {"positions": len(positions), "seed": args.seed, "context_tokens": args.context_tokens,
                                 "max_new_tokens": args.max_new, "fim_suffix_chars": args.suffix_chars}
    report["eval_wall_s"] = time.time() - t0
    save_json(args.out, report)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
