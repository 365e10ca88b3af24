#!/usr/bin/env python3
"""Write the tokenizer parity data checked from Node.

- test/model/fixtures/tokenization.json (committed): edge-case strings and short
  excerpts of held-out files with the ids the Python tokenizer (used for training) gives.
- .work/parity.jsonl (not committed): Python ids for EVERY held-out file; check_parity.cjs
  encodes the same files with transformers.js and compares.
"""
import hashlib
import json
import os
import sys

import bpe
from common import DATA, MODEL_DIR, REPO, WORK, read_jsonl, save_json

EDGE_CASES = {
    "python_def": 'def f(x: int) -> int:\n    """Double x."""\n    return 2 * x\n',
    "ts_generic": "export function id<T>(x: T): T {\n  return x; // identity\n}\n",
    "emoji_zwj_flags": 'const s = "🚀 ship it 👩‍💻 🇩🇪"; // ✅\n',
    "cjk": '# 数据处理 データ 처리\nprint("你好，世界")\n',
    "mixed_whitespace": "a  b\t\tc \t d\n\n\n   \n\t\n  trailing   \n",
    "crlf": "line one\r\nline two\r\n\r\nend\r\n",
    "unicode_spaces": "a\u00a0b\u2003c\u3000d\u2028e\u2029f\ufeffg\u0085h\u001ci\u200bj",
    "contractions": "it's we're they've I'm you'll he'd 'quoted' '' IT'S",
    "numbers": "x = 3.14159e-10 + 0xFF + 1_000_000 + ١٢٣ + ⅫⅢ + ²³",
    "specials_in_text": "before<|endoftext|>after<fim_prefix>p<fim_suffix>s<fim_middle>m<fim_pad>",
    "fim_prompt": "<fim_prefix><fim_suffix>\n\nprint(add(1, 2))\n<fim_middle>def add(a, b):\n    ",
    "astral": "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟘𝟙𝟚",
    "combining": "e\u0301 a\u0308 \u0915\u094d\u0937 \u0e01\u0e34",
}


def excerpt(text, limit=1200):
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit)
    return text[: cut + 1 if cut > 0 else limit]


def main():
    tok_path = os.path.join(MODEL_DIR, "tokenizer.json")
    tok = bpe.Tokenizer.load(tok_path)
    digest = hashlib.sha256(open(tok_path, "rb").read()).hexdigest()
    held = list(read_jsonl(os.path.join(DATA, "corpus", "heldout.jsonl")))
    cases = [{"name": k, "text": v, "ids": tok.encode(v)} for k, v in EDGE_CASES.items()]
    # a few held-out excerpts per language, chosen deterministically
    per_lang = {}
    for d in sorted(held, key=lambda d: hashlib.sha1(d["path"].encode()).hexdigest()):
        if per_lang.get(d["lang"], 0) >= 3:
            continue
        per_lang[d["lang"]] = per_lang.get(d["lang"], 0) + 1
        t = excerpt(d["text"])
        cases.append({"name": "heldout " + d["path"], "text": t, "ids": tok.encode(t)})
    save_json(os.path.join(REPO, "test", "model", "fixtures", "tokenization.json"),
              {"comment": "Written by models/train/make_fixtures.py from the Python tokenizer used in training. "
                          "Held-out excerpts are from permissively licensed sources listed in models/train/manifest.json.",
               "tokenizer_sha256": digest, "cases": cases}, indent=1)
    os.makedirs(WORK, exist_ok=True)
    with open(os.path.join(WORK, "parity.jsonl"), "w", encoding="utf-8") as f:
        for d in held:
            f.write(json.dumps({"path": d["path"], "text": d["text"], "ids": tok.encode(d["text"])}, ensure_ascii=False) + "\n")
    print("[fixtures] %d fixture cases, %d held-out files for the parity check" % (len(cases), len(held)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
