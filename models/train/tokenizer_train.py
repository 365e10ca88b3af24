#!/usr/bin/env python3
"""Learn the byte-level BPE tokenizer from the TRAINING split only and write it to
.work/tokenizer.json (export.py copies it into the model folder)."""
import argparse
import os
import sys
import time

import bpe
from common import DATA, WORK, SPECIAL_TOKENS, read_jsonl


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vocab-size", type=int, default=4096)
    ap.add_argument("--corpus", default=os.path.join(DATA, "corpus"))
    ap.add_argument("--out", default=os.path.join(WORK, "tokenizer.json"))
    args = ap.parse_args()
    t0 = time.time()
    texts = []
    for d in read_jsonl(os.path.join(args.corpus, "train.jsonl")):
        t = d["text"]
        for s in SPECIAL_TOKENS:  # special strings never take part in merges
            t = t.replace(s, " ")
        texts.append(t)
    vocab, merges = bpe.train(texts, args.vocab_size)
    tok = bpe.Tokenizer(vocab, merges)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    tok.save(args.out)
    print("[tokenizer] vocab %d (%d merges) in %.1fs -> %s" % (len(vocab), len(merges), time.time() - t0, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
