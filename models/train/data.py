"""Token streams for training and evaluation, with fill-in-the-middle (PSM) examples.

A document is cut at line boundaries into chunks of at most `chunk_chars`
characters (about one training context). Each chunk independently, with
probability `fim_rate`, becomes an SPM example (Bavarian et al. 2022, the
suffix-prefix-middle variant):
    <fim_prefix><fim_suffix>SUFFIX<fim_middle>PREFIX MIDDLE<|endoftext|>
In SPM the middle directly continues the prefix, so filling in is ordinary
next-token prediction with the suffix in view. A first model trained with
PSM (<fim_prefix>P<fim_suffix>S<fim_middle>M) never learned to carry the end
of the prefix across the suffix: after <fim_middle> it predicted generic word
fragments whatever came before (0 of 500 held-out lines).
otherwise it stays plain text. Plain chunks of a document follow each other
unchanged and the document ends with <|endoftext|>.

Half of the FIM examples use the paper's two uniform split points; the other
half are shaped like an editor completion: the middle runs from a random
point to the end of that line and up to two more lines.

Training windows: with `window` set, the stream is packed so that no FIM
example crosses a window boundary (examples longer than a window stay plain).
A FIM example cut in two teaches nothing about filling in: a window that
starts after <fim_prefix> shows a middle with no prefix to continue, and the
first model trained without this packing never learned FIM (0 of 500
held-out lines). Plain text fills the rest of each window and may be split.
"""
from collections import deque
import os
import random

import numpy as np

from common import EOT, FIM_MIDDLE, FIM_PREFIX, FIM_SUFFIX


def chunk_lines(text, chunk_chars):
    chunks = []
    cur = []
    n = 0
    for line in text.splitlines(keepends=True):
        if cur and n + len(line) > chunk_chars:
            chunks.append("".join(cur))
            cur, n = [], 0
        cur.append(line)
        n += len(line)
    if cur:
        chunks.append("".join(cur))
    return chunks


def fim_split(chunk, rng):
    if rng.random() < 0.5:
        a, b = sorted((rng.randint(0, len(chunk)), rng.randint(0, len(chunk))))
    else:
        # Completion-shaped: from the cursor to the end of its line, plus 0-2 lines.
        a = rng.randint(0, len(chunk))
        b = a
        for _ in range(1 + rng.randint(0, 2)):
            nl = chunk.find("\n", b)
            b = len(chunk) if nl < 0 else nl + 1
            if b >= len(chunk):
                break
    return chunk[:a], chunk[a:b], chunk[b:]


def pack_windows(items, window, eot):
    """items: ("plain"|"fim", tokens) in order. Returns a flat token list whose
    length is a multiple of `window`, with every FIM example inside one window:
    an example that does not fit in what is left of a window waits for the next
    one, and plain tokens fill the gap."""
    out, cur = [], []
    plain = deque()
    pending = deque()

    def fill():
        while True:
            while pending and len(pending[0]) <= window - len(cur):
                cur.extend(pending.popleft())
            if len(cur) == window:
                out.extend(cur)
                cur.clear()
                continue
            if plain:
                take = min(window - len(cur), len(plain))
                cur.extend(plain.popleft() for _ in range(take))
                continue
            return

    for kind, toks in items:
        if kind == "fim" and len(toks) <= window:
            pending.append(toks)
        else:
            plain.extend(toks)
        if len(plain) > 4 * window or len(pending) > 8:
            fill()
    fill()
    return out


def build_stream(docs, tok, seed, fim_rate=0.5, chunk_chars=800, shuffle=True, window=None):
    """docs: list of strings. Returns np.uint16 token array (packed into
    `window`-token windows when window is given, see pack_windows)."""
    rng = random.Random(seed)
    order = list(range(len(docs)))
    if shuffle:
        rng.shuffle(order)
    eot = tok.special_ids[EOT]
    pre, mid, suf = tok.special_ids[FIM_PREFIX], tok.special_ids[FIM_MIDDLE], tok.special_ids[FIM_SUFFIX]
    items = []
    for i in order:
        chunks = chunk_lines(docs[i], chunk_chars) if fim_rate > 0 else [docs[i]]
        last_plain = False
        for c in chunks:
            if fim_rate > 0 and rng.random() < fim_rate:
                if last_plain:
                    items.append(("plain", [eot]))
                p, m, s = fim_split(c, rng)
                # The prefix and middle are encoded together: in SPM they are one run of text.
                toks = [pre, suf] + tok.encode_ordinary(s) + [mid] + tok.encode_ordinary(p + m) + [eot]
                items.append(("fim", toks))
                last_plain = False
            else:
                items.append(("plain", tok.encode_ordinary(c)))
                last_plain = True
        if last_plain:
            items.append(("plain", [eot]))
    if window:
        out = pack_windows(items, window, eot)
    else:
        out = [t for _, toks in items for t in toks]
    assert max(out) < 65536
    return np.array(out, dtype=np.uint16)


def cached_stream(path, builder):
    if os.path.exists(path):
        return np.load(path)
    arr = builder()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.save(path + ".tmp.npy", arr)
    os.replace(path + ".tmp.npy", path)
    return arr
