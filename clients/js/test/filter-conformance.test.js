// matchesFilter against the server's filter conformance suite: the same cases the Java matcher
// and the snapshot SQL (on PostgreSQL) pass. No server needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { PlankError, matchesFilter } from '../plank-client.js';

const SUITE = new URL('../../../src/test/resources/filter-conformance.json', import.meta.url);

/** A JSON number token, kept as written, so each run decides how JavaScript would hold it. */
class Num {
  constructor(text) { this.text = text; }
}

/** JSON.parse, but numbers stay as written (Node 20's JSON.parse cannot show their source). */
function parseExact(text) {
  let at = 0;
  const token = (re) => { re.lastIndex = at; const m = re.exec(text); if (m) at = re.lastIndex; return m; };
  const space = () => token(/[ \t\n\r]*/y);
  const value = () => {
    space();
    const ch = text[at];
    let m;
    if (ch === '{') {
      at++; const object = {}; space();
      if (text[at] === '}') { at++; return object; }
      for (;;) {
        space(); const key = JSON.parse(token(/"(?:[^"\\]|\\.)*"/y)[0]); space(); at++; // ':'
        object[key] = value(); space();
        if (text[at++] === '}') return object;
      }
    }
    if (ch === '[') {
      at++; const array = []; space();
      if (text[at] === ']') { at++; return array; }
      for (;;) { array.push(value()); space(); if (text[at++] === ']') return array; }
    }
    if ((m = token(/"(?:[^"\\]|\\.)*"/y))) return JSON.parse(m[0]);
    if ((m = token(/-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y))) return new Num(m[0]);
    if ((m = token(/true|false|null/y))) return JSON.parse(m[0]);
    throw new SyntaxError(`bad JSON at ${at}`);
  };
  return value();
}

const suite = parseExact(readFileSync(SUITE, 'utf8'));
const kinds = Object.fromEntries(Object.entries(suite.columns).map(([name, c]) => [name, c.kind]));
const named = (c, i) => `#${i} ${c.filter.length > 60 ? `${c.filter.slice(0, 57)}...` : c.filter}`;

/** A number's value as `digits e exponent`, so two spellings of one value compare equal. */
function canonical(text) {
  if (!/^-?[0-9]/.test(text)) return text; // Infinity: the number did not fit
  const [, sign, whole, fraction = '', exponent = '0'] = /^(-?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?$/.exec(text);
  const digits = (whole + fraction).replace(/^0+/, '');
  if (digits === '') return '0';
  const lead = (whole + fraction).length - digits.length;
  return `${sign}${digits.replace(/0+$/, '')}e${whole.length + Number(exponent) - lead}`;
}

/** How jsonb writes a number that JavaScript printed (no exponent). */
function plain(text) {
  const c = canonical(text);
  if (c === '0') return '0';
  const [, sign, digits, exp] = /^(-?)([0-9]+)e(-?[0-9]+)$/.exec(c);
  const e = Number(exp);
  const body = e >= digits.length ? digits + '0'.repeat(e - digits.length)
    : e > 0 ? `${digits.slice(0, e)}.${digits.slice(e)}` : `0.${'0'.repeat(-e)}${digits}`;
  return sign + body;
}

/**
 * The row as JavaScript holds it (`bigints`: integers beyond 2^53 as bigint, else as JSON.parse
 * would) and whether that keeps what the server sees: a number column's value, or every digit
 * where a number is read as jsonb text.
 */
function convert(row, bigints) {
  let faithful = true;
  const walk = (v, numeric) => {
    if (v instanceof Num) {
      const integer = /^-?[0-9]+$/.test(v.text);
      const held = integer && bigints && !Number.isSafeInteger(Number(v.text)) ? BigInt(v.text) : Number(v.text);
      const printed = String(held);
      if (numeric ? canonical(printed) !== canonical(v.text) : plain(printed) !== v.text) faithful = false;
      return held;
    }
    if (Array.isArray(v)) return v.map((x) => walk(x, false));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, false)]));
    return v;
  };
  const held = Object.fromEntries(Object.entries(row).map(([k, v]) => [k, walk(v, kinds[k] === 'number')]));
  return { held, faithful };
}

/** Whether each value's JSON type is its column's kind, so that matchesFilter can infer it. */
function kindsShow(row) {
  return Object.entries(row).every(([k, v]) => {
    if (v === null) return true;
    if (kinds[k] === 'number') return typeof v === 'number' || typeof v === 'bigint';
    if (kinds[k] === 'boolean') return typeof v === 'boolean';
    return typeof v === 'string' || typeof v === 'object';
  });
}

const refusal = (expected) => (error) => {
  assert.ok(error instanceof PlankError, `a PlankError, got ${error}`);
  assert.equal(error.code, 'bad_filter');
  assert.ok(error.message.includes(expected), `'${error.message}' contains '${expected}'`);
  return true;
};

test('with the columns given, matchesFilter gives every answer and refusal of the suite', async (t) => {
  for (const [i, c] of suite.cases.entries()) {
    await t.test(named(c, i), () => {
      if (c.error !== undefined) {
        assert.throws(() => matchesFilter(c.filter, {}, kinds), refusal(c.error));
        return;
      }
      const { held, faithful } = convert(c.row, true);
      assert.equal(!faithful, c.jsInexact === true, 'jsInexact says whether JavaScript can hold the row');
      if (faithful) assert.equal(matchesFilter(c.filter, held, kinds), c.match);
    });
  }
});

const NEEDS_TYPES = /unknown column|is not a number|is not true or false|out of range/;

test('without the columns, matchesFilter agrees wherever JSON.parse keeps the row and its kinds', async (t) => {
  let applied = 0;
  for (const [i, c] of suite.cases.entries()) {
    if (c.error !== undefined) {
      await t.test(named(c, i), () => {
        let error = null;
        try { matchesFilter(c.filter, {}); } catch (e) { error = e; }
        // Without the types, a refusal that needs them may pass, or another refusal come first.
        if (NEEDS_TYPES.test(c.error)) assert.ok(error === null || refusal('')(error));
        else refusal(c.error)(error);
      });
      continue;
    }
    const { held, faithful } = convert(c.row, false);
    if (!faithful || !kindsShow(held)) continue;
    applied++;
    await t.test(named(c, i), () => assert.equal(matchesFilter(c.filter, held), c.match));
  }
  assert.ok(applied > 150, `ran ${applied} cases`);
});

test('a key inherited from Object.prototype is not a column value', () => {
  assert.equal(matchesFilter('constructor=is.null', {}), true);
  assert.equal(matchesFilter('toString=eq.x', {}), false);
  assert.throws(() => matchesFilter('n=constructor.1', { n: 1 }), refusal("unknown operator 'constructor'"));
});
