#!/usr/bin/env python3
"""Train glassbox-mini by next-token prediction (with 50% FIM examples).

Runs on Debian's PyTorch 1.13 on CPU and on PyTorch 2.x with a GPU (device is
autodetected; bf16 autocast where the hardware has it). Fixed seed.

  /usr/bin/python3 train.py --config small          # the committed model (2-core CPU, ~60 min)
  python train.py --config large                     # bigger model for a GPU machine
  /usr/bin/python3 train.py --config tiny           # smoke test, a few minutes
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
from common import DATA, WORK, read_jsonl, save_json
from data import build_stream, cached_stream
from model import GPT, GPTConfig

CONFIGS = {
    # smoke test / first milestone
    "tiny": dict(n_layer=2, n_head=4, n_embd=128, train_ctx=256, batch_size=16, max_steps=400,
                 lr=3e-3, warmup=50, time_budget_min=None),
    # the committed model, sized from measured throughput on 2 shared CPU cores (about 4,000
    # tokens/s uncontended): stops at max_steps or after time_budget_min, whichever comes
    # first; the LR schedule follows that same progress measure
    "small": dict(n_layer=4, n_head=4, n_embd=256, train_ctx=256, batch_size=16, max_steps=4000,
                  lr=2e-3, warmup=150, time_budget_min=60),
    # for a GPU machine with PyTorch 2.x: purely step-based
    "large": dict(n_layer=8, n_head=8, n_embd=512, train_ctx=1024, batch_size=32, max_steps=6000,
                  lr=1e-3, warmup=300, time_budget_min=None),
}


def pick_device(name):
    if name != "auto":
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("cpu")


def bf16_ok(device):
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    try:  # CPU autocast exists since 1.10; it is only worth it with native bf16 instructions
        flags = open("/proc/cpuinfo").read()
        return "avx512_bf16" in flags or "amx_bf16" in flags
    except OSError:
        return False


def lr_at(step, progress, warm_progress, cfg):
    """Linear warmup over cfg['warmup'] steps, then cosine decay to 10% over the rest of
    `progress` (0..1; warm_progress = progress when warmup ended)."""
    if step < cfg["warmup"]:
        return cfg["lr"] * (step + 1) / cfg["warmup"]
    p = (progress - warm_progress) / max(1e-9, 1.0 - warm_progress)
    return cfg["lr"] * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, max(0.0, p)))))


def progress_of(step, elapsed, cfg):
    p = step / cfg["max_steps"]
    if cfg.get("time_budget_min"):
        p = max(p, elapsed / (60.0 * cfg["time_budget_min"]))
    return p


class Batches:
    """Non-overlapping windows of train_ctx+1 tokens over per-epoch token streams
    (packed so FIM examples stay whole), visited in a seeded random order;
    epoch e uses its own FIM sampling."""

    def __init__(self, docs, tok, cfg, seed, cache_dir):
        self.docs, self.tok, self.cfg, self.seed, self.cache_dir = docs, tok, cfg, seed, cache_dir
        self.epoch = -1
        self.queue = []

    def _load_epoch(self, e):
        T = self.cfg["train_ctx"] + 1
        path = os.path.join(self.cache_dir, "train_e%d_s%d_spm%d_w%d.npy" % (e, self.seed, self.cfg["chunk_chars"], T))
        t0 = time.time()
        # Packed so that no FIM example crosses a window boundary (see data.py).
        stream = cached_stream(path, lambda: build_stream(self.docs, self.tok, seed=self.seed * 1000 + e,
                                                          fim_rate=self.cfg["fim_rate"], chunk_chars=self.cfg["chunk_chars"],
                                                          window=T))
        n = len(stream) // T
        windows = torch.from_numpy(stream[: n * T].astype(np.int64)).view(n, T)
        order = torch.randperm(n, generator=torch.Generator().manual_seed(self.seed + e))
        print("[train] epoch %d stream: %d tokens, %d windows (%.1fs)" % (e, len(stream), n, time.time() - t0), flush=True)
        return windows, order

    def next(self):
        B = self.cfg["batch_size"]
        while len(self.queue) < B:
            self.epoch += 1
            windows, order = self._load_epoch(self.epoch)
            self.queue.extend(windows[i] for i in order.tolist())
        batch = torch.stack(self.queue[:B])
        del self.queue[:B]
        return batch


@torch.no_grad()
def quick_eval(model, heldout, cfg, device, n_windows=64):
    model.eval()
    T = cfg["train_ctx"]
    n = min(n_windows, len(heldout) // (T + 1))
    x = torch.from_numpy(heldout[: n * (T + 1)].astype(np.int64)).view(n, T + 1).to(device)
    tot = 0.0
    for i in range(0, n, 16):
        xb = x[i:i + 16]
        logits = model(xb[:, :-1]).float()
        tot += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), xb[:, 1:].reshape(-1), reduction="sum").item()
    model.train()
    return tot / (n * T)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="small", choices=sorted(CONFIGS))
    ap.add_argument("--device", default="auto")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--max-steps", type=int, default=None, help="override the config's step count")
    ap.add_argument("--time-budget-min", type=float, default=None, help="override the config's time budget (0 = none)")
    ap.add_argument("--no-bf16", action="store_true")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--out", default=None, help="checkpoint path (default .work/<config>/ckpt.pt)")
    args = ap.parse_args()

    cfg = dict(CONFIGS[args.config])
    cfg.setdefault("fim_rate", 0.5)
    cfg.setdefault("chunk_chars", 3 * cfg["train_ctx"])
    cfg.setdefault("weight_decay", 0.1)
    cfg.setdefault("grad_clip", 1.0)
    if args.max_steps:
        cfg["max_steps"] = args.max_steps
    if args.time_budget_min is not None:
        cfg["time_budget_min"] = args.time_budget_min or None
    out = args.out or os.path.join(WORK, args.config, "ckpt.pt")
    os.makedirs(os.path.dirname(out), exist_ok=True)

    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    use_bf16 = (not args.no_bf16) and bf16_ok(device)
    print("[train] torch %s device %s bf16 %s threads %d config %s" % (torch.__version__, device, use_bf16, torch.get_num_threads(), json.dumps(cfg)), flush=True)

    tok = bpe.Tokenizer.load(os.path.join(WORK, "tokenizer.json"))
    docs = [d["text"] for d in read_jsonl(os.path.join(DATA, "corpus", "train.jsonl"))]
    held_docs = [d["text"] for d in read_jsonl(os.path.join(DATA, "corpus", "heldout.jsonl"))]
    cache_dir = os.path.join(WORK, "tokens")
    heldout = cached_stream(os.path.join(cache_dir, "heldout_plain.npy"),
                            lambda: build_stream(held_docs, tok, seed=0, fim_rate=0.0, shuffle=False))

    mcfg = GPTConfig(vocab_size=len(tok.vocab), n_layer=cfg["n_layer"], n_head=cfg["n_head"], n_embd=cfg["n_embd"],
                     train_ctx=cfg["train_ctx"])
    model = GPT(mcfg).to(device)
    print("[train] params: %.2fM non-embedding, %.2fM total" % (model.num_params() / 1e6, model.num_params(False) / 1e6), flush=True)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": cfg["weight_decay"]},
                             {"params": no_decay, "weight_decay": 0.0}], lr=cfg["lr"], betas=(0.9, 0.95), eps=1e-8)
    batches = Batches(docs, tok, cfg, args.seed, cache_dir)
    log = []
    t_start = time.time()
    t_last = t_start
    tokens = 0
    toks_since = 0
    model.train()
    step = 0
    warm_progress = 0.0
    progress = 0.0
    while True:
        now = time.time()
        if step > 0:
            progress = progress_of(step, now - t_start, cfg)
            if progress >= 1.0:
                break
        if step == cfg["warmup"]:
            warm_progress = progress
        lr = lr_at(step, progress, warm_progress, cfg)
        for g in opt.param_groups:
            g["lr"] = lr
        xb = batches.next().to(device)
        if step == 0:
            t_start = t_last = time.time()  # do not count stream building in throughput
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=use_bf16):
            logits = model(xb[:, :-1])
        loss = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), xb[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg["grad_clip"])
        opt.step()
        n_tok = xb.shape[0] * (xb.shape[1] - 1)
        tokens += n_tok
        toks_since += n_tok
        if step % 50 == 0:
            now = time.time()
            rec = {"step": step, "loss": round(loss.item(), 4), "lr": lr, "progress": round(progress, 4), "tokens": tokens,
                   "tok_per_s": round(toks_since / max(1e-9, now - t_last)), "elapsed_s": round(now - t_start, 1),
                   "epoch": batches.epoch}
            if step % 500 == 0:
                rec["heldout_loss"] = round(quick_eval(model, heldout, cfg, device), 4)
            log.append(rec)
            print("[train] " + json.dumps(rec), flush=True)
            t_last, toks_since = now, 0
        step += 1
    wall = time.time() - t_start
    final = {"step": step, "tokens": tokens, "elapsed_s": round(wall, 1), "epoch": batches.epoch,
             "heldout_loss": round(quick_eval(model, heldout, cfg, device), 4)}
    log.append(final)
    print("[train] " + json.dumps(final), flush=True)
    cfg["steps_done"] = step
    ckpt = {"model": {k: v.detach().float().cpu() for k, v in model.state_dict().items()},
            "model_config": mcfg.to_dict(), "train_config": cfg, "seed": args.seed, "config_name": args.config,
            "torch_version": torch.__version__, "device": str(device), "bf16": use_bf16,
            "train_wall_s": wall, "tokens_seen": tokens, "tok_per_s": tokens / wall,
            "params_non_embedding": model.num_params(), "params_total": model.num_params(False)}
    torch.save(ckpt, out)
    save_json(os.path.join(os.path.dirname(out), "train_log.json"),
              {k: v for k, v in ckpt.items() if k != "model"} | {"log": log})
    print("[train] done: %d steps, %d tokens, %.1f min, %.0f tok/s -> %s" % (step, tokens, wall / 60, tokens / wall, out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
