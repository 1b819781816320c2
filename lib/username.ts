/**
 * The service's rule for usernames: what makes two names the same name, and which names may be
 * created. Names are compared and stored as the PRECIS UsernameCaseMapped profile enforces them
 * (RFC 8265, section 3.3): full-width and half-width forms mapped to their usual width, lower
 * case (Unicode toLowerCase), NFC. Of the characters that profile allows, only letters,
 * combining marks, decimal digits and "_ . -" are kept (RFC 8264, section 5.1 lets a service
 * narrow it), and a name may not mix scripts (Unicode TS #39, section 5.2, "highly restrictive"),
 * so `аdmin` with a Cyrillic "а" cannot pose as `admin`.
 */

export const USERNAME_MAX_LENGTH = 100

export type EnforcedUsername = { ok: true, username: string } | { ok: false, reason: string }

// The scripts recommended for identifiers in modern use (Unicode TS #31, table 4). Names in
// limited-use or historic scripts are refused, as TS #39's identifier profile does.
const RECOMMENDED = ['Arabic', 'Armenian', 'Bengali', 'Bopomofo', 'Cyrillic', 'Devanagari', 'Ethiopic', 'Georgian', 'Greek', 'Gujarati',
  'Gurmukhi', 'Han', 'Hangul', 'Hebrew', 'Hiragana', 'Kannada', 'Katakana', 'Khmer', 'Lao', 'Latin', 'Malayalam', 'Myanmar', 'Oriya',
  'Sinhala', 'Tamil', 'Telugu', 'Thaana', 'Thai', 'Tibetan'].map((script) => ({ script, test: new RegExp(`^\\p{Script_Extensions=${script}}$`, 'u') }))

// Script mixes TS #39 still counts as "highly restrictive": Latin with the scripts written
// beside it in Japanese, Chinese and Korean.
const COVERS = [['Latin', 'Han', 'Hiragana', 'Katakana'], ['Latin', 'Han', 'Bopomofo'], ['Latin', 'Han', 'Hangul']]

// Width mapping (RFC 8265, 3.3.1 step 1): the characters whose decomposition is <wide> or
// <narrow> are U+3000 and the Halfwidth and Fullwidth Forms block.
const WIDE_OR_NARROW = /[\u3000\uFF01-\uFFEE]/gu

// PRECIS LetterDigits (RFC 8264, 9.1), narrowed: no Lt, Nl or No (they are never PVALID).
const LETTER_MARK_DIGIT = /^[\p{Ll}\p{Lu}\p{Lo}\p{Lm}\p{Mn}\p{Mc}\p{Nd}]$/u
const PUNCTUATION = /^[_.-]$/u
const ASCII_ALLOWED = /^[a-z0-9_.-]$/u
const ASCII_LETTER = /^[a-z]$/u
const LATIN = ['Latin']
// RFC 8264 9.4-9.8: join controls, old Hangul jamo, default-ignorable and noncharacter code points.
const DISALLOWED = /^[\p{Join_Control}\p{Default_Ignorable_Code_Point}\p{Noncharacter_Code_Point}\u1100-\u11FF\uA960-\uA97F\uD7B0-\uD7FF]$/u
// RFC 5892, 2.6: letters the IDNA and PRECIS tables disallow by exception (tatweel, NKo
// lajanyalan, Hangul tone marks, vertical kana repeat marks, the masu mark).
const EXCEPTION_DISALLOWED = /^(?:[\u0640\u07FA\u3031-\u3035\u303B]|\u302E|\u302F)$/u
const COMMON_OR_INHERITED = /^[\p{Script_Extensions=Common}\p{Script_Extensions=Inherited}]$/u
const MARK = /^\p{M}$/u
const DIGIT = /^\p{Nd}$/u

// The Bidi rule (RFC 5893, section 2), which RFC 8265 applies to names with right-to-left text.
// ECMAScript has no Bidi_Class property; among the recommended scripts the right-to-left ones are
// Arabic, Hebrew and Thaana: their letters are R or AL, U+0660-0669 AN, other digits EN,
// nonspacing marks NSM, and "_ . -" ON, CS and ES.
const RTL_LETTER = /^(?=\p{L})[\p{Script=Arabic}\p{Script=Hebrew}\p{Script=Thaana}]$/u
const ARABIC_INDIC_DIGIT = /^[\u0660-\u0669]$/u
const NONSPACING_MARK = /^\p{Mn}$/u

function hex (char: string): string {
  return `U+${(char.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0')}`
}

/** The three mappings of UsernameCaseMapped, in its order: width, case, normalisation. */
function map (input: string): string {
  return input.replace(WIDE_OR_NARROW, (char) => char.normalize('NFKC')).toLowerCase().normalize('NFC')
}

/** Why `char` may not be in a name, or undefined when it may (RFC 8264's IdentifierClass, narrowed). */
function refusedCharacter (char: string): string | undefined {
  if (ASCII_ALLOWED.test(char)) return undefined
  const allowed = LETTER_MARK_DIGIT.test(char) && !DISALLOWED.test(char) && !EXCEPTION_DISALLOWED.test(char) &&
    // HasCompat (RFC 8264, 9.17): a compatibility character (ligature, superscript, ...).
    char.normalize('NFKC') === char
  if (allowed) return undefined
  return `must hold only letters, digits, "_", "." and "-": ${hex(char)} is not allowed`
}

/** The recommended scripts `char` is used in (its Script_Extensions), or 'any' for a Common or Inherited one. */
function scriptsOf (char: string): string[] | 'any' {
  // Most names are ASCII: their letters spare the 29 tests below.
  if (ASCII_LETTER.test(char)) return LATIN
  if (COMMON_OR_INHERITED.test(char)) return 'any'
  return RECOMMENDED.filter(({ test }) => test.test(char)).map(({ script }) => script)
}

function refusedScripts (chars: string[]): string | undefined {
  const sets: string[][] = []
  for (const char of chars) {
    const scripts = scriptsOf(char)
    if (scripts === 'any') continue
    if (scripts.length === 0) return `must be written in a script recommended for identifiers (Unicode TS #31): ${hex(char)} is not`
    sets.push(scripts)
  }
  const single = sets.length === 0 || sets[0].some((script) => sets.every((set) => set.includes(script)))
  if (single || COVERS.some((cover) => sets.every((set) => set.some((script) => cover.includes(script))))) return undefined
  // Named by the scripts of characters of one script first: "ー" (Hiragana and Katakana) adds none.
  const named: string[] = []
  for (const set of [...sets].sort((a, b) => a.length - b.length)) if (!set.some((script) => named.includes(script))) named.push(set[0])
  named.sort()
  return `must not mix scripts: it mixes ${named.slice(0, -1).join(', ')} and ${named.at(-1)}`
}

/** The zero of the decimal digit `char`: digits run in blocks of ten, 0 to 9 (Unicode 4.6). */
function zeroOf (char: string): number {
  const code = char.codePointAt(0) as number
  let start = code
  while (DIGIT.test(String.fromCodePoint(start - 1))) start--
  return start + Math.floor((code - start) / 10) * 10
}

function refusedDigits (chars: string[]): string | undefined {
  // Unicode TS #39, 5.3: digits of one decimal system only ("1" and "١" look different but
  // "٣" and "۳" do not); RFC 5892 A.8-A.9 says the same of the two Arabic-Indic sets.
  const zeros = new Set(chars.filter((char) => DIGIT.test(char)).map(zeroOf))
  return zeros.size > 1 ? 'must not mix digits of different number systems' : undefined
}

function refusedDirection (chars: string[]): string | undefined {
  if (!chars.some((char) => RTL_LETTER.test(char) || ARABIC_INDIC_DIGIT.test(char))) return undefined
  // Rules 1, 2 and 3 of RFC 5893; rule 4 (no AN with EN) is refusedDigits' rule already.
  let last = chars.length - 1
  while (last > 0 && NONSPACING_MARK.test(chars[last])) last--
  const ok = RTL_LETTER.test(chars[0]) &&
    chars.every((char) => RTL_LETTER.test(char) || DIGIT.test(char) || PUNCTUATION.test(char) || NONSPACING_MARK.test(char)) &&
    (RTL_LETTER.test(chars[last]) || DIGIT.test(chars[last]))
  return ok ? undefined : 'has right-to-left text, so it must start with a right-to-left letter, end with one or a digit, and hold no left-to-right letter (RFC 5893)'
}

/**
 * `input` as a username is stored and compared, or why it cannot be one. The reason reads after
 * the field's name ("username must not mix scripts: ...").
 */
export function enforceUsername (input: string): EnforcedUsername {
  const username = map(input)
  // RFC 8264, section 7: enforcement must be idempotent; a string it would change again is refused.
  if (map(username) !== username) return { ok: false, reason: 'is not stable under normalisation' }
  const chars = [...username]
  if (chars.length === 0) return { ok: false, reason: 'must not be empty' }
  if (chars.length > USERNAME_MAX_LENGTH) return { ok: false, reason: `must be at most ${USERNAME_MAX_LENGTH} characters once normalised` }
  for (const char of chars) {
    const reason = refusedCharacter(char)
    if (reason) return { ok: false, reason }
  }
  if (MARK.test(chars[0])) return { ok: false, reason: 'must not start with a combining mark' }
  const reason = refusedScripts(chars) ?? refusedDigits(chars) ?? refusedDirection(chars)
  return reason ? { ok: false, reason } : { ok: true, username }
}
