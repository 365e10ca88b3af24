#!/usr/bin/env python3
"""Byte-level BPE, written for this project: training, encoding, and export to the
Hugging Face tokenizers JSON format (model BPE + ByteLevel pre-tokenizer/decoder).

Encoding here must produce exactly the ids transformers.js produces for the same
tokenizer.json, so the pre-tokenizer regex below is the GPT-2 pattern that
@huggingface/tokenizers' ByteLevel pre-tokenizer uses, with '\\s' spelled out as
ECMAScript's whitespace set (Python's and JavaScript's '\\s' differ on a few code
points), and merges are applied lowest-rank first, leftmost first.
"""
import heapq
import json
import os
import sys
from collections import Counter, defaultdict

import regex

from common import SPECIAL_TOKENS

# ECMAScript \s: TAB VT FF SP NBSP ZWNBSP, Zs, and LF CR LS PS
_WS = "\\t\\n\\x0b\\x0c\\r \\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
PRETOKENIZE = regex.compile(
    r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^" + _WS + r"\p{L}\p{N}]+|[" + _WS + r"]+(?![^" + _WS + r"])|[" + _WS + r"]+"
)


def bytes_to_unicode():
    """The GPT-2 byte <-> printable-character table: printable Latin-1 bytes map to
    themselves, the other 68 bytes to U+0100 onwards, in byte order."""
    keep = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    table = {}
    extra = 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


BYTE_ENC = bytes_to_unicode()
BYTE_DEC = {v: k for k, v in BYTE_ENC.items()}


def to_symbols(piece):
    return "".join(BYTE_ENC[b] for b in piece.encode("utf-8"))


def train(texts, vocab_size, specials=SPECIAL_TOKENS, min_count=2, log=print):
    """Learn merges from an iterable of strings. Returns (vocab dict token->id, merges list of (a, b))."""
    counts = Counter()
    for t in texts:
        counts.update(PRETOKENIZE.findall(t))
    log("[bpe] %d distinct pre-tokens" % len(counts))
    wcount = Counter()
    for piece, c in counts.items():
        wcount[to_symbols(piece)] += c
    del counts
    # symbols are ints: 0..255 are bytes (in byte order); new ones appended
    id_of_char = {BYTE_ENC[b]: b for b in range(256)}
    words = []
    freqs = []
    for w, c in wcount.items():
        if len(w) > 1:
            words.append([id_of_char[ch] for ch in w])
            freqs.append(c)
    del wcount
    strings = [BYTE_ENC[b] for b in range(256)]
    pair_count = defaultdict(int)
    where = defaultdict(set)
    for i, w in enumerate(words):
        f = freqs[i]
        for a, b in zip(w, w[1:]):
            pair_count[(a, b)] += f
            where[(a, b)].add(i)
    # heap of (-count, string_a, string_b, a, b): ties broken by the strings, deterministic
    heap = [(-c, strings[p[0]], strings[p[1]], p[0], p[1]) for p, c in pair_count.items()]
    heapq.heapify(heap)
    merges = []
    n_merges = vocab_size - 256 - len(specials)
    while len(merges) < n_merges and heap:
        negc, _, _, a, b = heapq.heappop(heap)
        cur = pair_count.get((a, b), 0)
        if cur != -negc:
            continue  # stale entry
        if cur < min_count:
            break
        new = len(strings)
        strings.append(strings[a] + strings[b])
        merges.append((a, b))
        changed = set()
        for i in list(where[(a, b)]):
            w = words[i]
            f = freqs[i]
            out = []
            j = 0
            n = len(w)
            hit = False
            while j < n:
                if j + 1 < n and w[j] == a and w[j + 1] == b:
                    out.append(new)
                    j += 2
                    hit = True
                else:
                    out.append(w[j])
                    j += 1
            if not hit:
                continue
            for p in zip(w, w[1:]):
                pair_count[p] -= f
                changed.add(p)
                s = where.get(p)
                if s is not None:
                    s.discard(i)
            for p in zip(out, out[1:]):
                pair_count[p] += f
                changed.add(p)
                where[p].add(i)
            words[i] = out
        pair_count.pop((a, b), None)
        where.pop((a, b), None)
        for p in changed:
            c = pair_count.get(p, 0)
            if c > 0:
                heapq.heappush(heap, (-c, strings[p[0]], strings[p[1]], p[0], p[1]))
            else:
                pair_count.pop(p, None)
        if len(merges) % 500 == 0:
            log("[bpe] %d merges, last %r (%d)" % (len(merges), strings[new], cur))
    vocab = {strings[i]: i for i in range(len(strings))}
    for s in specials:
        vocab[s] = len(vocab)
    return vocab, [(strings[a], strings[b]) for a, b in merges]


class Tokenizer:
    def __init__(self, vocab, merges, specials=SPECIAL_TOKENS):
        self.vocab = dict(vocab)
        self.inv = {i: t for t, i in self.vocab.items()}
        self.merges = [tuple(m) for m in merges]
        self.ranks = {m: i for i, m in enumerate(self.merges)}
        self.specials = list(specials)
        self.special_ids = {s: self.vocab[s] for s in self.specials}
        self.special_re = regex.compile("(" + "|".join(regex.escape(s) for s in self.specials) + ")")
        self.cache = {}

    @classmethod
    def load(cls, path):
        with open(path, "r", encoding="utf-8") as f:
            j = json.load(f)
        merges = [tuple(m.split(" ", 1)) if isinstance(m, str) else tuple(m) for m in j["model"]["merges"]]
        vocab = dict(j["model"]["vocab"])
        for t in j["added_tokens"]:
            vocab[t["content"]] = t["id"]
        return cls(vocab, merges, [t["content"] for t in j["added_tokens"]])

    @property
    def eot_id(self):
        return self.special_ids["<|endoftext|>"]

    def bpe(self, sym):
        ids = self.cache.get(sym)
        if ids is not None:
            return ids
        parts = list(sym)
        ranks = self.ranks
        while len(parts) > 1:
            best = None
            best_rank = None
            for k in range(len(parts) - 1):
                r = ranks.get((parts[k], parts[k + 1]))
                if r is not None and (best_rank is None or r < best_rank):
                    best_rank = r
                    best = (parts[k], parts[k + 1])
            if best is None:
                break
            out = []
            k = 0
            while k < len(parts):
                if k + 1 < len(parts) and parts[k] == best[0] and parts[k + 1] == best[1]:
                    out.append(parts[k] + parts[k + 1])
                    k += 2
                else:
                    out.append(parts[k])
                    k += 1
            parts = out
        ids = [self.vocab[p] for p in parts]
        if len(self.cache) < 2_000_000:
            self.cache[sym] = ids
        return ids

    def encode_ordinary(self, text):
        """Encode text with no special-token handling (specials are plain text here)."""
        out = []
        for piece in PRETOKENIZE.findall(text):
            out.extend(self.bpe(to_symbols(piece)))
        return out

    def encode(self, text):
        """Encode like transformers.js does: special-token strings in the text become their ids."""
        out = []
        for k, seg in enumerate(self.special_re.split(text)):
            if not seg:
                continue
            if k % 2 == 1:
                out.append(self.special_ids[seg])
            else:
                out.extend(self.encode_ordinary(seg))
        return out

    def decode_bytes(self, ids):
        buf = bytearray()
        for i in ids:
            t = self.inv[int(i)]
            if t in self.special_ids:
                buf.extend(t.encode("utf-8"))
            else:
                buf.extend(BYTE_DEC[c] for c in t)
        return bytes(buf)

    def decode(self, ids):
        return self.decode_bytes(ids).decode("utf-8", errors="replace")

    def to_hf_json(self):
        base = {t: i for t, i in self.vocab.items() if t not in self.special_ids}
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": [
                {"id": self.special_ids[s], "content": s, "single_word": False, "lstrip": False,
                 "rstrip": False, "normalized": False, "special": True}
                for s in self.specials
            ],
            "normalizer": None,
            "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
            "post_processor": None,
            "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
            "model": {
                "type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                "vocab": base,
                "merges": [[a, b] for a, b in self.merges],
            },
        }

    def save(self, path):
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.to_hf_json(), f, ensure_ascii=False, indent=None, separators=(",", ":"))
