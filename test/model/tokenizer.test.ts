/**
 * The committed tokenizer as transformers.js loads it: lossless round trips on arbitrary
 * UTF-8, and ids identical to the Python tokenizer the model was trained with
 * (fixtures/tokenization.json is written by models/train/make_fixtures.py).
 */
import * as assert from 'assert';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import { IncrementalDecoder, TokenCodec } from '../../server/src/tokenCodec';
import { loadTokenizer, MODEL_DIR } from './modelHarness';

interface FixtureCase {
  name: string;
  text: string;
  ids: number[];
}

interface Fixture {
  tokenizer_sha256: string;
  cases: FixtureCase[];
}

const FIXTURE = path.join(__dirname, 'fixtures', 'tokenization.json');

const ROUND_TRIP: Record<string, string> = {
  python: 'def f(x: int) -> int:\n    """Double x."""\n    return 2 * x\n',
  typescript: 'export function id<T>(x: T): T {\n  return x; // identity\n}\n',
  emoji: 'const s = "🚀 ship it 👩‍💻 🇩🇪"; // ✅\n',
  cjk: '# 数据处理 データ 처리\nprint("你好，世界")\n',
  whitespace: 'a  b\t\tc \t d\n\n\n   \n\t\n  trailing   \n',
  tabs: '\tif (x) {\n\t\treturn y;\n\t}\n',
  crlf: 'line one\r\nline two\r\n\r\nend\r\n',
  controls: 'nul\u0000bell\u0007esc\u001b[0m del\u007f nbsp\u00a0 zwsp\u200b bom\ufeff ls\u2028 ps\u2029',
  accents: 'café naïve Ångström façade — “quotes” ‘single’ …',
  contractions: "it's we're they've I'm you'll he'd 'quoted' ''",
  numbers: 'x = 3.14159e-10 + 0xFF + 1_000_000 + ١٢٣ + ⅫⅢ',
  long_line: 'x'.repeat(3000) + ' ' + '=-'.repeat(500),
  specials_in_text: 'before<|endoftext|>after<fim_prefix>p<fim_suffix>s<fim_middle>m<fim_pad>',
  empty_lines_only: '\n\n\n',
  single_space: ' ',
  astral: '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟘𝟙𝟚 \u{10FFFF}',
};

describe('glassbox-mini tokenizer', function () {
  this.timeout(60000);
  let tokenizer: PreTrainedTokenizer;

  before(async () => {
    tokenizer = await loadTokenizer();
  });

  for (const [name, text] of Object.entries(ROUND_TRIP)) {
    it(`round-trips ${name}`, () => {
      const ids = tokenizer.encode(text, { add_special_tokens: false });
      assert.ok(ids.length > 0);
      assert.ok(ids.every((i) => Number.isInteger(i) && i >= 0 && i < tokenizer.get_vocab().size));
      assert.strictEqual(tokenizer.decode(ids, { skip_special_tokens: false }), text);
    });
  }

  it('round-trips random UTF-8 strings', () => {
    // xorshift, fixed seed: code points from several planes, biased to ASCII code characters
    let s = 0x2545f491;
    const rand = (): number => {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      return (s >>> 0) / 0x100000000;
    };
    const pools: Array<[number, number]> = [
      [0x20, 0x7e], [0x09, 0x0d], [0xa0, 0x24f], [0x370, 0x3ff], [0x400, 0x4ff],
      [0x4e00, 0x4fff], [0xac00, 0xacff], [0x1f300, 0x1f64f], [0x2000, 0x206f],
    ];
    for (let n = 0; n < 200; n++) {
      let str = '';
      const len = 1 + Math.floor(rand() * 60);
      for (let i = 0; i < len; i++) {
        const [lo, hi] = pools[rand() < 0.6 ? 0 : Math.floor(rand() * pools.length)]!;
        str += String.fromCodePoint(lo + Math.floor(rand() * (hi - lo + 1)));
      }
      const ids = tokenizer.encode(str, { add_special_tokens: false });
      assert.strictEqual(tokenizer.decode(ids, { skip_special_tokens: false }), str, JSON.stringify(str));
    }
  });

  it('keeps special tokens whole (one id each) and FIM prompts parse into them', () => {
    const specials = ['<|endoftext|>', '<fim_prefix>', '<fim_middle>', '<fim_suffix>', '<fim_pad>'];
    const ids = specials.map((sp) => tokenizer.encode(sp, { add_special_tokens: false }));
    for (const [i, one] of ids.entries()) assert.strictEqual(one.length, 1, specials[i]);
    assert.strictEqual(new Set(ids.map((x) => x[0])).size, specials.length);
    const prompt = '<fim_prefix>def add(a, b):\n    <fim_suffix>\n\nprint(add(1, 2))\n<fim_middle>';
    const enc = tokenizer.encode(prompt, { add_special_tokens: false });
    assert.strictEqual(enc[0], ids[1]![0]);
    assert.strictEqual(enc[enc.length - 1], ids[2]![0]);
    assert.strictEqual(enc.filter((x) => x === ids[3]![0]).length, 1);
  });

  it('adds no BOS/EOS on its own', () => {
    const ids = tokenizer.encode('x', { add_special_tokens: true });
    const eot = tokenizer.encode('<|endoftext|>', { add_special_tokens: false })[0];
    assert.ok(!ids.includes(eot!));
  });

  describe('matches the Python training tokenizer', () => {
    const fixture = JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as Fixture;

    it('fixture was made from the committed tokenizer.json', () => {
      const tokPath = path.join(MODEL_DIR, 'tokenizer.json');
      const digest = crypto.createHash('sha256').update(fs.readFileSync(tokPath)).digest('hex');
      assert.strictEqual(digest, fixture.tokenizer_sha256, 'regenerate with models/train/make_fixtures.py');
      assert.ok(fixture.cases.length >= 10);
    });

    for (const c of fixture.cases) {
      it(`encodes ${c.name} to the Python ids`, () => {
        const ids = tokenizer.encode(c.text, { add_special_tokens: false });
        assert.deepStrictEqual(ids, c.ids);
      });
    }
  });

  describe("the server's view of it (TokenCodec)", () => {
    it('counts the whole vocabulary', () => {
      assert.strictEqual(new TokenCodec(tokenizer).vocabSize, tokenizer.get_vocab().size);
    });

    it('streams exact pieces: each is what its token adds to the decoded text', () => {
      const codec = new TokenCodec(tokenizer);
      assert.ok(codec.contextFreePieces, 'byte-level BPE: a whole token decodes the same alone');
      for (const [name, text] of Object.entries(ROUND_TRIP)) {
        const ids = codec.encode(text);
        const decoder = new IncrementalDecoder(codec);
        let shown = '';
        ids.forEach((id, i) => {
          shown += decoder.push(id);
          const sofar = codec.decode(ids.slice(0, i + 1));
          // Whole characters show as soon as their last byte arrives; a split one waits.
          if (!sofar.endsWith('\uFFFD')) {
            assert.strictEqual(shown, sofar, `${name}, token ${i}`);
          }
        });
        assert.strictEqual(decoder.text, text, name);
      }
    });

    it('finds every ordinary token that can re-spell a healed token', () => {
      const codec = new TokenCodec(tokenizer);
      const last = codec.encode('    return f.');
      const healed = codec.tokenText(last[last.length - 1]!);
      const ids = codec.tokensStartingWith(healed);
      assert.ok(ids.includes(last[last.length - 1]!), `${JSON.stringify(healed)} re-spells itself`);
      assert.ok(ids.length > 1, 'longer tokens continue it');
      assert.ok(ids.every((id) => codec.tokenText(id).startsWith(healed) && !codec.specialIds.includes(id)));
    });
  });
});
