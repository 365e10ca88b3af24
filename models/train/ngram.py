"""Interpolated Kneser-Ney n-gram language model over token ids (the eval baseline).

Counts are kept as sorted numpy arrays of packed n-gram keys (ids < 2^16, so up to a
4-gram packs into one int64) and looked up with searchsorted, so training on a few
million tokens and scoring every held-out position take seconds.

P_n(w | h) = max(c_n(h w) - D_n, 0) / c_n(h .) + D_n * N1+(h .) / c_n(h .) * P_{n-1}(w | h')
with raw counts at the highest order and continuation counts N1+(. x) below it,
one discount per order D_n = n1 / (n1 + 2 n2), and add-one continuation unigrams at the bottom.
A history never seen falls back to the lower order.
"""
import numpy as np


class KneserNey:
    def __init__(self, tokens, vocab_size, order=4):
        assert vocab_size <= (1 << 16) and order <= 4
        self.V = vocab_size
        self.order = order
        self.bits = 16
        t = np.asarray(tokens, dtype=np.int64)
        self.tables = {}
        # unique n-grams and raw counts for every order
        raw = {}
        for n in range(1, order + 1):
            keys = self._keys(t, n)
            u, c = np.unique(keys, return_counts=True)
            raw[n] = (u, c)
        for n in range(1, order + 1):
            if n == order:
                grams, counts = raw[n]
            else:  # continuation counts: number of distinct left extensions
                longer = raw[n + 1][0]
                suffix = longer & ((1 << (self.bits * n)) - 1)
                grams, counts = np.unique(suffix, return_counts=True)
            n1 = int(np.sum(counts == 1))
            n2 = int(np.sum(counts == 2))
            D = n1 / (n1 + 2 * n2) if n1 + 2 * n2 > 0 else 0.5
            hist = grams >> self.bits
            # per-history totals and number of distinct continuations (grams are sorted, so hist is too)
            hu, start = np.unique(hist, return_index=True)
            totals = np.add.reduceat(counts, start) if len(counts) else counts
            types = np.diff(np.append(start, len(hist)))
            self.tables[n] = dict(grams=grams, counts=counts, D=D, hist=hu, totals=totals, types=types)
        uni = np.zeros(self.V, dtype=np.float64)
        t1 = self.tables[1]
        uni[t1["grams"]] = t1["counts"]
        self.p1 = (uni + 1.0) / (uni.sum() + self.V)

    def _keys(self, t, n):
        if len(t) < n:
            return np.zeros(0, dtype=np.int64)
        k = np.zeros(len(t) - n + 1, dtype=np.int64)
        for j in range(n):
            k = (k << self.bits) | t[j: len(t) - n + 1 + j]
        return k

    @staticmethod
    def _lookup(sorted_keys, values, q):
        idx = np.searchsorted(sorted_keys, q)
        idx_c = np.minimum(idx, len(sorted_keys) - 1)
        hit = (len(sorted_keys) > 0) & (sorted_keys[idx_c] == q)
        return np.where(hit, values[idx_c], 0)

    def prob(self, hist_keys_by_n, w):
        """hist_keys_by_n[n]: packed (n-1)-token histories (or None where unavailable), w: next ids (arrays)."""
        p = self.p1[w]
        for n in range(2, self.order + 1):
            h = hist_keys_by_n.get(n)
            if h is None:
                break
            tb = self.tables[n]
            valid = h >= 0
            hq = np.where(valid, h, 0)
            tot = self._lookup(tb["hist"], tb["totals"], hq).astype(np.float64)
            typ = self._lookup(tb["hist"], tb["types"], hq).astype(np.float64)
            c = self._lookup(tb["grams"], tb["counts"], (hq << self.bits) | w).astype(np.float64)
            seen = valid & (tot > 0)
            safe = np.where(seen, tot, 1.0)
            pn = np.maximum(c - tb["D"], 0.0) / safe + tb["D"] * typ / safe * p
            p = np.where(seen, pn, p)
        return p

    def score(self, tokens):
        """Natural-log probability of tokens[i] given tokens[:i] for i >= 1."""
        t = np.asarray(tokens, dtype=np.int64)
        w = t[1:]
        hists = {}
        for n in range(2, self.order + 1):
            k = n - 1  # history length
            h = np.full(len(w), -1, dtype=np.int64)
            if len(t) > k:
                packed = self._keys(t[:-1], k)  # packed[j] = t[j..j+k-1], history for target index j+k
                h[k - 1:] = packed
            hists[n] = h
        return np.log(self.prob(hists, w))

    def next_distribution(self, context):
        """Probabilities of every vocabulary id after the given context (list of ids)."""
        w = np.arange(self.V, dtype=np.int64)
        hists = {}
        for n in range(2, self.order + 1):
            k = n - 1
            if len(context) >= k:
                key = 0
                for x in context[-k:]:
                    key = (key << self.bits) | int(x)
                hists[n] = np.full(self.V, key, dtype=np.int64)
            else:
                hists[n] = np.full(self.V, -1, dtype=np.int64)
        return self.prob(hists, w)
