"""GPT-style decoder with ALiBi attention, tied embeddings and an explicit KV cache.

Written to run unchanged on PyTorch 1.13 (Debian, CPU) and PyTorch 2.x (GPU).
Two entry points share the same weights:
  forward(idx)                 training / evaluation on a packed batch, no cache
  forward_cached(...)          the ONNX contract: input_ids, attention_mask, position_ids,
                               past keys/values -> logits, presents, attention probabilities
"""
import math
from dataclasses import dataclass, asdict

import torch
import torch.nn as nn
import torch.nn.functional as F

MASK_VALUE = -1e9


@dataclass
class GPTConfig:
    vocab_size: int = 4096
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 256
    n_positions: int = 2048  # context the runtime may use (ALiBi: no learned positions)
    train_ctx: int = 256
    dropout: float = 0.0

    def to_dict(self):
        return asdict(self)


def alibi_slopes(n_head):
    """Head slopes from the ALiBi paper: geometric sequence starting at 2^(-8/n)."""
    def pow2(n):
        start = 2 ** (-8.0 / n)
        return [start ** (i + 1) for i in range(n)]
    if math.log2(n_head).is_integer():
        return pow2(n_head)
    closest = 2 ** math.floor(math.log2(n_head))
    return pow2(closest) + pow2(2 * closest)[0::2][: n_head - closest]


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.n_head = cfg.n_head
        self.head_dim = cfg.n_embd // cfg.n_head
        self.ln_1 = nn.LayerNorm(cfg.n_embd)
        self.c_attn = nn.Linear(cfg.n_embd, 3 * cfg.n_embd)
        self.c_proj = nn.Linear(cfg.n_embd, cfg.n_embd)
        self.ln_2 = nn.LayerNorm(cfg.n_embd)
        self.c_fc = nn.Linear(cfg.n_embd, 4 * cfg.n_embd)
        self.c_fc_proj = nn.Linear(4 * cfg.n_embd, cfg.n_embd)
        self.drop = nn.Dropout(cfg.dropout)

    def split_heads(self, x):
        b, t, _ = x.shape
        return x.view(b, t, self.n_head, self.head_dim).transpose(1, 2)

    def mlp(self, x):
        return self.drop(self.c_fc_proj(F.gelu(self.c_fc(self.ln_2(x)))))

    def forward(self, x, bias):
        """bias: [H, T, T] ALiBi + causal mask (additive)."""
        b, t, c = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(c, dim=2)
        q, k, v = self.split_heads(q), self.split_heads(k), self.split_heads(v)
        att = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(self.head_dim)) + bias
        att = self.drop(torch.softmax(att, dim=-1))
        y = torch.matmul(att, v).transpose(1, 2).reshape(b, t, c)
        x = x + self.drop(self.c_proj(y))
        return x + self.mlp(x)

    def forward_cached(self, x, allowed, alibi, past_k, past_v):
        """allowed: bool [B,1,S,T]; alibi: [B,H,S,T]; past: [B,H,P,D]."""
        b, s, c = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(c, dim=2)
        q, k, v = self.split_heads(q), self.split_heads(k), self.split_heads(v)
        k = torch.cat([past_k, k], dim=2)
        v = torch.cat([past_v, v], dim=2)
        scores = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(self.head_dim)) + alibi
        scores = torch.where(allowed, scores, torch.full_like(scores, MASK_VALUE))
        probs = torch.softmax(scores, dim=-1)
        y = torch.matmul(probs, v).transpose(1, 2).reshape(b, s, c)
        x = x + self.c_proj(y)
        return x + self.mlp(x), k, v, probs


class GPT(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.wte = nn.Embedding(cfg.vocab_size, cfg.n_embd)
        self.drop = nn.Dropout(cfg.dropout)
        self.h = nn.ModuleList([Block(cfg) for _ in range(cfg.n_layer)])
        self.ln_f = nn.LayerNorm(cfg.n_embd)
        self.register_buffer("slopes", torch.tensor(alibi_slopes(cfg.n_head), dtype=torch.float32), persistent=False)
        self._bias_cache = {}
        self.apply(self._init)
        for blk in self.h:  # GPT-2: scale residual projections by 1/sqrt(2 * n_layer)
            nn.init.normal_(blk.c_proj.weight, std=0.02 / math.sqrt(2 * cfg.n_layer))
            nn.init.normal_(blk.c_fc_proj.weight, std=0.02 / math.sqrt(2 * cfg.n_layer))

    @staticmethod
    def _init(m):
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.02)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, std=0.02)

    def num_params(self, non_embedding=True):
        n = sum(p.numel() for p in self.parameters())
        return n - self.wte.weight.numel() if non_embedding else n

    def train_bias(self, t, device):
        key = (t, str(device))
        bias = self._bias_cache.get(key)
        if bias is None:
            pos = torch.arange(t, device=device, dtype=torch.float32)
            dist = pos[None, :] - pos[:, None]  # k - q, <= 0 on allowed entries
            bias = self.slopes.to(device)[:, None, None] * dist[None]
            bias = bias.masked_fill(dist[None] > 0, MASK_VALUE)
            self._bias_cache = {key: bias}
        return bias

    def forward(self, idx):
        """idx [B,T] -> logits [B,T,V]."""
        x = self.drop(self.wte(idx))
        bias = self.train_bias(idx.shape[1], idx.device)
        for blk in self.h:
            x = blk(x, bias)
        return F.linear(self.ln_f(x), self.wte.weight)

    def forward_cached(self, input_ids, attention_mask, position_ids, past):
        """The exported graph. past: list of (key, value) [B,H,P,D].

        Key index k runs over 0..T-1 (T = P + S); query i sits at absolute index P + i.
        A key is visible if k <= P + i and (attention_mask[k] == 1 or k == P + i): causal,
        padding masked, and a padded query still attends to itself so every row sums to 1.
        ALiBi bias = -slope_h * (position_ids[i] - k); the per-row constant from left
        padding cancels in the softmax. All index arithmetic is done with tensor ops so the
        trace stays dynamic in batch, sequence and past length.
        """
        x = self.wte(input_ids)
        k_idx = torch.cumsum(torch.ones_like(attention_mask[:1, :]), dim=1) - 1  # [1,T]
        q_loc = torch.cumsum(torch.ones_like(input_ids[:1, :]), dim=1) - 1  # [1,S]
        q_abs = q_loc + (k_idx[:, -1:] - q_loc[:, -1:])  # [1,S] = P + i
        causal = k_idx[:, None, :] <= q_abs[:, :, None]  # [1,S,T]
        diag = k_idx[:, None, :] == q_abs[:, :, None]
        keep = (attention_mask[:, None, :] > 0) | diag  # [B,S,T]
        allowed = (causal & keep)[:, None, :, :]  # [B,1,S,T]
        dist = k_idx[:, None, :].to(torch.float32) - position_ids[:, :, None].to(torch.float32)  # [B,S,T]
        alibi = self.slopes[None, :, None, None] * dist[:, None, :, :]  # [B,H,S,T]
        presents = []
        attns = []
        for blk, (pk, pv) in zip(self.h, past):
            x, k, v, probs = blk.forward_cached(x, allowed, alibi, pk, pv)
            presents.append((k, v))
            attns.append(probs)
        logits = F.linear(self.ln_f(x), self.wte.weight)
        return logits, presents, attns
