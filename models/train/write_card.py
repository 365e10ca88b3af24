#!/usr/bin/env python3
"""Write models/glassbox-mini/README.md (the model card) and models/glassbox-mini/eval.json
from the manifest, the fetch lock, corpus stats, the training log and the eval report."""
import argparse
import os
import platform
import sys

from common import DATA, MANIFEST, MODEL_DIR, WORK, load_json, save_json


def fmt_bytes(n):
    return "%.1f MB" % (n / 1e6) if n >= 1e6 else "%.0f kB" % (n / 1e3)


def dir_size(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            total += os.path.getsize(os.path.join(root, f))
    return total


def cpu_name():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="small")
    ap.add_argument("--build-wall-s", type=float, default=None)
    args = ap.parse_args()
    manifest = load_json(MANIFEST)
    lock = load_json(os.path.join(DATA, "fetched.json"))
    stats = load_json(os.path.join(DATA, "corpus", "stats.json"))
    tl = load_json(os.path.join(WORK, args.config, "train_log.json"))
    ev = load_json(os.path.join(WORK, args.config, "eval.json"))
    mc, tc = tl["model_config"], tl["train_config"]
    eval_out = dict(ev)
    eval_out["model"] = "glassbox-mini"
    save_json(os.path.join(MODEL_DIR, "eval.json"), eval_out)

    rows = []
    for s in manifest["sources"]:
        st = stats["sources"].get(s["name"], {})
        lk = lock.get(s["name"], {})
        how = ("`npm pack %s@%s`" % (s["package"], s["version"])) if s["kind"] == "npm" else \
              ("`apt-get download %s=%s`" % (s["package"], s["version"]))
        rows.append("| %s | %s | %s | %s (`%s`%s) | %d / %d | %s |" % (
            s["name"], s["package"], s["version"], s["licence"], s["licence_file"],
            ("; DEP-5 `Files: *`: %s" % lk["dep5_files_star"]) if lk.get("dep5_files_star") else "",
            st.get("files", 0), st.get("heldout_files", 0), how))
    tot = stats["total"]
    tr, ng, fim = ev["transformer"], ev["ngram_kn4"], ev.get("transformer_fim", {})
    trh, ngh = ev.get("transformer_healed", {}), ev.get("ngram_kn4_healed", {})
    fim_hits = round(fim.get("next_line_exact_match", 0) * ev["next_line_setup"]["positions"])
    plain_hits = round(tr["next_line_exact_match"] * ev["next_line_setup"]["positions"])
    speed = ""
    bench_path = os.path.join(WORK, args.config, "node_bench.json")
    if os.path.exists(bench_path):
        nb = load_json(bench_path)
        speed = (" and, in transformers.js on the same CPU, loads in %.1f s, reads a %d-token prompt in %.0f ms"
                 " and then generates about %.0f tokens/s with the KV cache" % (
                     nb["load_s"], nb["prompt_tokens"], nb["prefill_ms"], nb["decode_tokens_per_s"]))
    steps = tc.get("steps_done", tc["max_steps"])
    budget = ("stopping after %d steps or %s minutes, whichever came first; " % (tc["max_steps"], tc["time_budget_min"])) if tc.get("time_budget_min") else ""
    tokens = tl["tokens_seen"]
    epochs = tokens / max(1, ev["train_tokens_plain"])
    onnx_size = os.path.getsize(os.path.join(MODEL_DIR, "onnx", "model.onnx"))
    folder_size = dir_size(MODEL_DIR)
    last = [r for r in tl["log"] if "heldout_loss" in r][-1]
    rates = sorted(r["tok_per_s"] for r in tl["log"] if r.get("tok_per_s") and r["step"] > 0)
    tmin, tmax = (rates[len(rates) // 20], rates[-1]) if rates else (0, 0)
    stop_rule = "step count" if steps >= tc["max_steps"] else "time budget"
    hours = tl["train_wall_s"] / 60
    build = ("%.0f min" % (args.build_wall_s / 60)) if args.build_wall_s else "n/a"
    ns = ev["next_line_setup"]
    if fim_hits >= max(1, plain_hits // 2):
        fim_sentence = (
            "**Fill-in-the-middle works:** with the text after the cursor as suffix, FIM prompts completed "
            f"{fim_hits} of {ns['positions']} held-out lines exactly, against {plain_hits} for plain prefix-only prompts "
            "(table below), in suffix-prefix-middle order (see Training: two earlier runs in prefix-suffix-middle "
            "order completed 0 of 500).")
    else:
        fim_sentence = (
            "**Fill-in-the-middle is not usable yet:** FIM prompts completed "
            f"{fim_hits} of {ns['positions']} held-out lines exactly, against {plain_hits} for plain prefix-only prompts; "
            "use plain prompts with this model.")
    text = f"""# glassbox-mini

A tiny GPT-style code model (Python and TypeScript/JavaScript, some Markdown) trained from scratch
for Glassbox, a VS Code extension that shows what a language model is doing. It runs locally in the
extension's language server through transformers.js (ONNX, CPU) and exposes its attention weights.
It is deliberately small: it trains in about {round(hours)} minutes on two CPU cores{speed}.

**What it can do:** continue the current line or statement in Python/TS/JS with short, plausible
code, mostly by copying identifiers and idioms from the surrounding file and from very common
library patterns; produce attention maps that are worth looking at. {fim_sentence}
**What it cannot do:** write correct non-trivial functions, follow natural-language instructions,
summarise, answer questions, or know any API it has not seen many times. It is a
{tr.get('ppl', 0):.1f}-perplexity model: most single-line completions are wrong, and greedy decoding
often loops on a phrase. Treat every completion as a guess. It has no safety tuning and no notion of truth.

## Results (held-out split, {ev['heldout_files']} files, {ev['heldout_tokens']:,} tokens)

Both models use the same tokenizer, the same held-out tokens and the same training split, so the
per-token numbers are directly comparable.

| metric | glassbox-mini | 4-gram Kneser-Ney baseline |
|---|---|---|
| held-out loss (nats/token) | {tr['loss']:.3f} | {ng['loss']:.3f} |
| held-out perplexity (per token) | **{tr['ppl']:.2f}** | {ng['ppl']:.2f} |
| bits per byte | {tr['bits_per_byte']:.3f} | {ng['bits_per_byte']:.3f} |
| next-line exact match ({ns['positions']} cursors) | **{100 * tr['next_line_exact_match']:.1f}%** | {100 * ng['next_line_exact_match']:.1f}% |
| next-line edit similarity | **{100 * tr['next_line_edit_similarity']:.1f}%** | {100 * ng['next_line_edit_similarity']:.1f}% |
| same cursors, with token healing: exact match / edit similarity | {100 * trh.get('next_line_exact_match', 0):.1f}% / {100 * trh.get('next_line_edit_similarity', 0):.1f}% | {100 * ngh.get('next_line_exact_match', 0):.1f}% / {100 * ngh.get('next_line_edit_similarity', 0):.1f}% |
| same cursors, FIM prompt with the next {ns['fim_suffix_chars']} chars after the line as suffix: exact match / edit similarity | {100 * fim.get('next_line_exact_match', 0):.1f}% / {100 * fim.get('next_line_edit_similarity', 0):.1f}% | n/a |

Setup: the transformer scores the held-out stream in windows of {tr['loss_window']} tokens (stride
{tr['loss_stride']}; every token is scored exactly once, with 0 to {tr['loss_window'] - 1} tokens of context, i.e. mostly
beyond the {mc['train_ctx']}-token training window). Next line: {ns['positions']} cursors drawn with a fixed seed
({ns['seed']}): a random non-blank line of a held-out file, cursor at a random column in it, target = the rest
of that line; each model sees at most {ns['context_tokens']} tokens before the cursor and decodes greedily until
a newline (at most {ns['max_new_tokens']} tokens); exact match after trimming trailing whitespace, edit similarity
= 1 - Levenshtein / max length. The 4-gram is interpolated Kneser-Ney (one discount per order,
continuation counts below the top order) counted on the plain training token stream
({ev['train_tokens_plain']:,} tokens). Full numbers: `eval.json` next to this card
(`models/train/evaluate.py`).

Token healing (rows marked so): the cursor often sits right after a space or inside a word, so the
prompt ends in a token fragment (a lone space token, say) that mostly occurred at FIM split points
in training; the model then tends to emit `<|endoftext|>` or `<fim_suffix>`. Healing drops the
prompt's last token and requires the first generated token to start with its bytes; for the
transformer the four `<fim_*>` tokens are also banned. Both models get the same treatment.

## Using it from the server

- Plain prefix prompts: greedy, stop at the first newline or at `<|endoftext|>`, ban
  `<fim_prefix>`, `<fim_suffix>`, `<fim_middle>`, `<fim_pad>`, and use token healing at the cursor
  (see above). Start a short prompt with `<|endoftext|>`: in training every plain document
  followed one, and without it a prompt of a few tokens (`def fibonacci(n):\\n`) is often
  answered with `<|endoftext|>` at once (the registry's `documentStart`). The eval's plain
  prompts (512 tokens of context) do without it.
- FIM, suffix-prefix-middle order: `<fim_prefix><fim_suffix>SUFFIX<fim_middle>PREFIX`, stop at `<|endoftext|>`. Training examples
  were at most {mc['train_ctx']} tokens in all, so keep the suffix short (the server sends at most 128
  tokens of it).
- Prompts up to ~1,100 tokens work (ALiBi); left padding with `attention_mask` 0 is handled.
- Greedy decoding repeats itself; cap new tokens (the eval used {ns['max_new_tokens']}).

## Architecture

| | |
|---|---|
| type | decoder-only transformer, pre-LayerNorm, GELU MLP (4x), tied input/output embeddings |
| layers / heads / width | {mc['n_layer']} / {mc['n_head']} / {mc['n_embd']} (head size {mc['n_embd'] // mc['n_head']}) |
| parameters | {tl['params_total'] / 1e6:.2f} M total, {tl['params_non_embedding'] / 1e6:.2f} M non-embedding |
| vocabulary | {mc['vocab_size']} (byte-level BPE, {mc['vocab_size'] - 261} merges + 256 bytes + 5 special tokens) |
| positions | ALiBi (no position embeddings); trained on {mc['train_ctx']}-token windows; `n_positions` = {mc['n_positions']} |
| ONNX | `onnx/model.onnx`, fp32, opset 14, {fmt_bytes(onnx_size)}; whole folder {fmt_bytes(folder_size)} |

**Why ALiBi.** Training on 1,024-token windows costs about twice as much per token on these CPUs as
256-token windows, and learned absolute positions would be untrained beyond the training length.
ALiBi adds a fixed per-head linear distance penalty (-slope_h x (q_pos - k_pos), slopes 2^-2 ... 2^-8)
to the attention scores; it has no parameters and extrapolates past the training length (Press et
al., 2022), so the server can send ~1,100-token prompts. The held-out loss above is measured with
{tr['loss_window']}-token windows, i.e. already past the training length. The bias is computed inside
the graph from `position_ids` and key indices 0..T-1; constant per-row shifts (left padding) cancel
in the softmax.

**ONNX contract** (what the server relies on). Inputs: `input_ids` int64 [batch_size, sequence_length],
`attention_mask` int64 [batch_size, total_sequence_length], `position_ids` int64
[batch_size, sequence_length], `past_key_values.{{i}}.key|value` float32
[batch_size, {mc['n_head']}, past_sequence_length, {mc['n_embd'] // mc['n_head']}] (head count and size fixed).
Outputs: `logits` [batch_size, sequence_length, {mc['vocab_size']}], `present.{{i}}.key|value`
[batch_size, {mc['n_head']}, total_sequence_length, {mc['n_embd'] // mc['n_head']}], `decoder_attentions.{{i}}`
[batch_size, {mc['n_head']}, sequence_length, total_sequence_length]: post-softmax weights, rows sum to
1, exactly zero on future and masked keys (a padded query attends only to itself). The first call
may have past length 0. `config.json` says `model_type: gpt2` so transformers.js picks its
decoder-with-cache path.

**Special tokens.** `<|endoftext|>` (id {mc['vocab_size'] - 5}; bos = eos), `<fim_prefix>`, `<fim_middle>`,
`<fim_suffix>`, `<fim_pad>` (pad). FIM prompts (SPM): `<fim_prefix><fim_suffix>SUFFIX<fim_middle>PREFIX`, stop
at `<|endoftext|>`. Plain prompts need no BOS; documents were separated by `<|endoftext|>` in training.

## Training

- Objective: next-token prediction on packed {mc['train_ctx']}-token windows of the training stream.
  Fill-in-the-middle as in Bavarian et al. (2022): documents are cut at line boundaries into
  chunks of at most {tc['chunk_chars']} characters; each chunk becomes, with probability {tc['fim_rate']},
  `<fim_prefix><fim_suffix>S<fim_middle>PM<|endoftext|>` (SPM: the middle continues the prefix
  directly), otherwise it stays plain; documents end
  with `<|endoftext|>`. Half of the FIM examples use two uniformly random character-level split
  points, half are shaped like an editor completion (the middle runs from a random point to the end
  of its line and up to two more lines). Windows are packed so that no FIM example crosses a window
  boundary (plain text fills the gaps): a cut example shows a middle without the prefix it
  continues. Each epoch re-draws the FIM choices and the window order. Two earlier runs used PSM
  order (`<fim_prefix>P<fim_suffix>S<fim_middle>M`), the second with this packing; neither learned
  to carry the end of the prefix across the suffix (0 of 500 held-out lines with FIM, the first
  middle token predicted as a generic word fragment whatever the prefix), so this model uses SPM.
- Optimiser: AdamW (beta 0.9/0.95, weight decay {tc['weight_decay']} on matrices), peak LR {tc['lr']}, {tc['warmup']} warmup
  steps, cosine decay to 10% over the run's progress ({budget}the schedule follows that progress), gradient
  clipping {tc['grad_clip']}, batch {tc['batch_size']} x {tc['train_ctx']} tokens, {steps} steps,
  {tokens:,} tokens seen (about {epochs:.1f} passes over the training split), seed {tl['seed']}.
- Hardware: {tl['device']} ({cpu_name()}, {os.cpu_count()} cores), PyTorch {tl['torch_version']}, bf16 autocast: {tl['bf16']}.
- Training wall time: **{hours:.1f} min** at {tl['tok_per_s']:.0f} tokens/s; whole build (fetch, prepare,
  tokenizer, train, export, checks, eval): {build}. The two cores were shared with other jobs (browser
  tests, compilers), so throughput varied between about {tmin:,} and {tmax:,} tokens/s; the run stopped on
  its {stop_rule}.
- Final training-time held-out loss ({mc['train_ctx']}-token windows): {last['heldout_loss']:.3f}.

## Data

{tot['files']:,} training files ({fmt_bytes(tot['bytes'])}) and {tot['heldout_files']} held-out files
({fmt_bytes(tot['heldout_bytes'])}) after filtering. Sources are pinned in `models/train/manifest.json`
and fetched only from the npm registry and Debian bookworm; `models/train/fetch.py` checks each
licence in the package's own licence file (npm: the LICENSE file and `package.json` `license`;
Debian: the copyright file) and records artifact sha256s. Only MIT, BSD, Apache-2.0 and PSF
licensed code is used.

| source | package | version | licence (verified in) | files train / held-out | fetched with |
|---|---|---|---|---|---|
{chr(10).join(rows)}

Processing (`models/train/prepare.py`): only the listed globs (library code, type declarations,
READMEs; no test suites, no vendored code, no locale tables or generated codec tables); files over
400 kB (800 kB for `@types/vscode`), under 64 bytes, with lines over 1,000 characters or more than
200 bytes per line on average (minified), with "generated"/"do not edit" markers near the top, or
not UTF-8 are dropped; exact duplicates (ignoring trailing whitespace) are removed across all
sources. The held-out split is by file: sha1("glassbox-heldout-v1:" + path) mod 1000 < 50 (5%), so
it does not depend on file order and training never sees those files. Rejected: {stats['rejected']}.

Tokenizer: byte-level BPE learned on the training split only (`models/train/bpe.py`), GPT-2
pre-tokenisation regex, no normaliser, ByteLevel decoder. Every held-out file encodes to the same ids
in Python (training) and in transformers.js (`models/train/check_parity.cjs`, run by the build).

## Rebuild

```sh
models/train/build.sh                  # this model: fetch, prepare, tokenizer, train, export, checks, eval, card
models/train/build.sh --config large   # larger model on a GPU machine with PyTorch 2.x (device autodetected)
npx mocha 'test/model/**/*.test.ts'    # contract tests against the committed folder
```

Needs Debian's `python3-torch python3-numpy python3-onnx python3-regex libopenblas0-pthread`,
`npm`, `apt-get`, and Node with the repo's `node_modules`. Training runs at `nice -n 5`. Runs are
seeded; bf16 autocast and multi-threaded BLAS make them close but not bit-identical. Debian may
replace a pinned `+debXuY` version on its mirror; `apt-get download` then fails loudly and the
manifest needs a bump (snapshot.debian.org keeps old versions).

## Intended use and limits

- Intended: the default model of the Glassbox extension and of its tests: inline completions a
  few tokens long, FIM in small gaps, and attention/logit visualisation. Fast enough on a laptop CPU.
- Trained on {fmt_bytes(tot['bytes'])} of library code, so completions lean towards stdlib/npm library
  style, English identifiers and docstrings/JSDoc. Other languages are essentially unknown.
- Positions beyond the training window work through ALiBi but quality is best when the useful
  context is within a few hundred tokens of the cursor. For FIM keep the suffix short (up to about
  200 tokens): the suffix sits between the FIM markers and the prefix, and
  FIM was trained on chunks of at most {tc['chunk_chars']} characters.
- It may reproduce fragments of its (permissively licensed) training code verbatim.
- No evaluation beyond the figures above; no human evaluation; not for any decision that matters.
"""
    with open(os.path.join(MODEL_DIR, "README.md"), "w", encoding="utf-8") as f:
        f.write(text)
    print("[card] wrote %s" % os.path.join(MODEL_DIR, "README.md"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
