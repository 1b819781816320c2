import t from 'tap'
import { enforceUsername, USERNAME_MAX_LENGTH } from '../../lib/username.ts'

function stored (input: string): string | undefined {
  const result = enforceUsername(input)
  return result.ok ? result.username : undefined
}

function reason (input: string): string | undefined {
  const result = enforceUsername(input)
  return result.ok ? undefined : result.reason
}

t.test('names that read the same are one name: case, full width and composition are mapped away', async (t) => {
  for (const input of ['admin', 'Admin', 'ADMIN', 'ａｄｍｉｎ', 'ＡＤＭＩＮ', 'aＤmin']) t.equal(stored(input), 'admin', input)
  t.equal(stored('e\u0301te\u0301'), '\u00e9t\u00e9', 'decomposed é is stored precomposed (NFC)')
  t.equal(stored('\u00c9T\u00c9'), '\u00e9t\u00e9', 'and upper case precomposed É is the same name')
  t.equal(stored('ｶﾞｲ'), 'ガイ', 'half-width katakana with a voiced mark: full width, composed')
  t.equal(stored('ＵＳＥＲ＿１．２－３'), 'user_1.2-3', 'full-width digits and "_ . -"')
  t.equal(stored('ΟΔΟΣ'), 'οδος', 'Unicode toLowerCase, final sigma included (RFC 8265: not case folding)')
  t.equal(stored('Straße'), 'straße', 'ß stays ß: lower case, not case folding')
  t.equal(stored('ДМИТРИЙ'), 'дмитрий')
})

t.test('enforcing twice changes nothing (RFC 8264, section 7)', async (t) => {
  for (const input of ['Admin', 'ａｄｍｉｎ', 'e\u0301', 'İstanbul', 'ΟΔΟΣ', '東京タワー', 'محمد', 'שלום']) {
    const once = stored(input)
    t.ok(once, input)
    t.equal(stored(once as string), once, `${input}: stable`)
  }
})

t.test('one script per name: Latin with Cyrillic or Greek look-alikes is refused, each script alone is fine', async (t) => {
  t.match(reason('\u0430dmin'), /must not mix scripts: it mixes Cyrillic and Latin/, 'Cyrillic а in a Latin name')
  t.match(reason('p\u0430ypal'), /mix scripts/)
  t.match(reason('\u03bfpen'), /mixes Greek and Latin/, 'Greek ο in a Latin name')
  t.equal(stored('\u0430\u0434\u043c\u0438\u043d'), 'админ', 'all Cyrillic')
  t.equal(stored('Ελένη'), 'ελένη', 'all Greek')
  t.equal(stored('user_42'), 'user_42', 'digits and "_ . -" belong to every script')
  t.equal(stored('иван_2'), 'иван_2')
})

t.test('the mixes TS #39 calls highly restrictive are allowed: Latin with Han and kana, Bopomofo or Hangul', async (t) => {
  t.equal(stored('東京タワー'), '東京タワー', 'Han and Katakana (U+30FC is Hiragana and Katakana)')
  t.equal(stored('山田たろう'), '山田たろう', 'Han and Hiragana')
  t.equal(stored('tokyo東京'), 'tokyo東京', 'Latin and Han')
  t.equal(stored('김철수kim'), '김철수kim', 'Hangul and Latin')
  t.equal(stored('東京김'), '東京김', 'Han and Hangul (Korean)')
  t.match(reason('タワー김'), /mixes Hangul and Katakana/, 'but not kana with Hangul')
  t.match(reason('tokyoмосква東京'), /mix scripts/, 'nor Cyrillic with Latin and Han')
})

t.test('only letters, combining marks, decimal digits and "_ . -"', async (t) => {
  for (const [input, char] of [
    ['two words', 'U+0020'], ['a\u0000b', 'U+0000'], ['<script>', 'U+003C'], ['a@b', 'U+0040'],
    ['tab\tname', 'U+0009'], ['a\u200db', 'U+200D'], ['a\u00adb', 'U+00AD'], ['\ufb01le', 'U+FB01'],
    ['x\u00b2', 'U+00B2'], ['\u2168', 'U+2178'], ['a\u202eb', 'U+202E'], ['\u1100', 'U+1100'], ['\uac00\u302e', 'U+302E'],
    ['\u0628\u0640\u0628', 'U+0640'], ['emoji\ud83d\ude00', 'U+1F600'], ['a\ufdd0', 'U+FDD0']
  ]) {
    t.match(reason(input), `${char} is not allowed`, `${JSON.stringify(input)} names ${char}`)
  }
})

t.test('limited-use scripts, a leading combining mark and mixed digit systems are refused', async (t) => {
  t.match(reason('\u16a0\u16a1'), /script recommended for identifiers.*U\+16A0/, 'Runic')
  t.match(reason('\u0301abc'), /must not start with a combining mark/)
  t.match(reason('\u0628\u06611'), /mix digits/, 'ASCII 1 beside Arabic-Indic ١')
  t.match(reason('\u0628\u0663\u06f3'), /mix digits/, 'Arabic-Indic ٣ beside Extended Arabic-Indic ۳')
  t.equal(stored('\u0915\u093f\u0930\u0923'), 'किरण', 'Devanagari: vowel signs are marks of the script')
})

t.test('right-to-left names follow the Bidi rule', async (t) => {
  t.equal(stored('محمد'), 'محمد')
  t.equal(stored('שלום_2'), 'שלום_2', 'a digit at the end, "_" inside')
  t.equal(stored('\u0639\u0644\u064a\u0661\u0662'), 'علي١٢', 'Arabic-Indic digits')
  t.match(reason('2שלום'), /right-to-left/, 'a digit first')
  t.match(reason('שלום_'), /right-to-left/, '"_" last')
  t.match(reason('\u0661\u0662'), /right-to-left/, 'Arabic-Indic digits alone')
})

t.test('1 to 100 characters once normalised: decomposed input is measured composed', async (t) => {
  t.equal(stored('x'.repeat(USERNAME_MAX_LENGTH)), 'x'.repeat(USERNAME_MAX_LENGTH))
  t.match(reason('x'.repeat(USERNAME_MAX_LENGTH + 1)), /at most 100 characters/)
  t.equal(stored('e\u0301'.repeat(USERNAME_MAX_LENGTH)), '\u00e9'.repeat(USERNAME_MAX_LENGTH), '200 code points as sent, 100 stored')
  t.match(reason(''), /must not be empty/)
})
