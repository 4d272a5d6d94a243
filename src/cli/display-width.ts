/**
 * How many terminal columns a string takes, for tables that line up whatever the text: a CJK
 * character or an emoji takes two, a combining mark or a zero-width joiner none, a flag (two
 * regional indicators) or a ZWJ family sequence two, as one picture.
 *
 * Written here rather than taken from `string-width`: its current major wants Node 22 and pulls in
 * two more packages, and what a table needs is this short rule over `Intl.Segmenter` (grapheme
 * clusters, as a terminal draws them) and the Wide and Fullwidth ranges of Unicode's East Asian
 * Width property (UAX #11). Ambiguous-width characters count as one column, as in most
 * terminals outside East Asian locales.
 */

/**
 * Made on first use of text beyond printable ASCII: building a segmenter loads ICU's break rules,
 * ~15 ms of a command's start, which tables of ids, names and dates in ASCII never need.
 */
let graphemes: Intl.Segmenter | undefined;
/** Printable ASCII: one column a character, no cluster to find. */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** Code points that take no column: marks, format characters (ZWJ, bidi marks), variation selectors, controls. */
// biome-ignore lint/suspicious/noMisleadingCharacterClass: the class lists zero-width code points one by one, on purpose
const ZERO_WIDTH = /[\p{Mn}\p{Me}\p{Cf}\p{Cc}\uFE00-\uFE0F\u{E0100}-\u{E01EF}]/gu;
/** Drawn as an emoji picture (two columns) without a variation selector. */
const EMOJI_PRESENTATION = /^\p{Emoji_Presentation}/u;
/** A picture that is drawn as emoji when followed by U+FE0F, or joined in a ZWJ sequence. */
const PICTOGRAPHIC = /^\p{Extended_Pictographic}/u;
const REGIONAL_INDICATOR = /^\p{Regional_Indicator}/u;
/** CSI and OSC escape sequences: colour codes take no column. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC and BEL are what an escape sequence is made of
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/g;

/** East Asian Wide (W) and Fullwidth (F) ranges of UAX #11 outside the emoji, sorted, [first, last]. */
const WIDE: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f], // Hangul Jamo initial consonants
  [0x2e80, 0x303e], // CJK radicals, Kangxi radicals, ideographic description, CJK symbols and punctuation
  [0x3041, 0x33ff], // Hiragana, Katakana, Bopomofo, Hangul compatibility Jamo, Kanbun, CJK strokes, enclosed, compatibility
  [0x3400, 0x4dbf], // CJK unified ideographs extension A
  [0x4e00, 0x9fff], // CJK unified ideographs
  [0xa000, 0xa4cf], // Yi syllables and radicals
  [0xa960, 0xa97f], // Hangul Jamo extended A
  [0xac00, 0xd7a3], // Hangul syllables
  [0xf900, 0xfaff], // CJK compatibility ideographs
  [0xfe10, 0xfe19], // vertical forms
  [0xfe30, 0xfe6f], // CJK compatibility forms, small form variants
  [0xff00, 0xff60], // fullwidth forms
  [0xffe0, 0xffe6], // fullwidth signs
  [0x16fe0, 0x16fe4], // ideographic symbols and punctuation
  [0x17000, 0x18cff], // Tangut, Khitan
  [0x1b000, 0x1b2ff], // Kana supplement and extensions, Nushu
  [0x1f200, 0x1f2ff], // enclosed ideographic supplement
  [0x20000, 0x2fffd], // CJK unified ideographs extensions B–F, compatibility supplement
  [0x30000, 0x3fffd], // CJK unified ideographs extensions G–H
];

function isWide(codePoint: number): boolean {
  let low = 0;
  let high = WIDE.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const [first, last] = WIDE[middle] as readonly [number, number];
    if (codePoint < first) high = middle - 1;
    else if (codePoint > last) low = middle + 1;
    else return true;
  }
  return false;
}

/** The columns one grapheme cluster takes: 0, 1 or 2. */
function clusterWidth(cluster: string): number {
  const visible = cluster.replace(ZERO_WIDTH, '');
  if (visible === '') return 0;
  if (REGIONAL_INDICATOR.test(visible)) return visible.length > 2 ? 2 : 1;
  if (EMOJI_PRESENTATION.test(visible)) return 2;
  // A text-style pictograph (☺, ❤) becomes a two-column emoji with U+FE0F or inside a ZWJ sequence.
  if (PICTOGRAPHIC.test(visible) && /\uFE0F|\u200D/.test(cluster)) return 2;
  return isWide(visible.codePointAt(0) as number) ? 2 : 1;
}

/** The number of terminal columns `text` takes (ANSI colour codes take none). */
export function displayWidth(text: string): number {
  const plain = text.replace(ANSI, '');
  if (PRINTABLE_ASCII.test(plain)) return plain.length;
  graphemes ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  let width = 0;
  for (const { segment } of graphemes.segment(plain)) width += clusterWidth(segment);
  return width;
}

/** `text` padded with spaces on the right to `width` columns. */
export function padEndColumns(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)));
}
