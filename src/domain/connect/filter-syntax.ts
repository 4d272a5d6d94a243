/**
 * The grammar of Connect's `?filter=`: the part of SCIM filters (RFC 7644 §3.4.2.2) that
 * 1Password Connect documents — comparisons `<attribute> <operator> "<value>"`, joined with
 * `and` / `or` (`and` binds tighter) and grouped with parentheses. Which attributes and
 * operators a list takes is the caller's `schema`; `not`, `pr`, `[…]` value paths and unquoted
 * values are not part of it.
 *
 * Values are JSON strings, as RFC 7644 says: `\"`, `\\` and the other JSON escapes, no raw
 * control characters. One leniency, for the official JS SDK, which never escapes a title: an
 * unescaped `"` directly followed by another character (not a space, not `)`) cannot end a
 * value by the grammar, so it is taken literally — `title eq "Say "cheese""` means the title
 * `Say "cheese"`. A `"` followed by a space, `)` or the end always ends the value, so junk after
 * a value (`title eq "a" "b"`, `title eq "x" xor …`) is refused, not read into it. A filter that
 * is valid by the RFC is read exactly as the RFC reads it; the leniency only accepts some filters
 * the RFC refuses.
 *
 * Anything else is a `FilterSyntaxError` carrying the reason and where in the text it was found.
 */

/** A parsed filter: one comparison, or all / any of two or more filters. */
export type FilterTree<C> = C | { all: FilterTree<C>[] } | { any: FilterTree<C>[] };

/** The attributes a list can be filtered by, each with its operators, all lower-case. */
export type FilterSchema = Readonly<Record<string, readonly string[]>>;

export interface Comparison {
  /** Lower-cased: attribute and operator names are case-insensitive (RFC 7644 §3.4.2.2). */
  attribute: string;
  operator: string;
  value: string;
}

/** Deepest nesting of parentheses; deeper input is refused rather than risking the stack. */
const MAX_FILTER_DEPTH = 8;
/** Most comparisons in one filter: each is evaluated against every item of the list. */
const MAX_FILTER_COMPARISONS = 32;

export class FilterSyntaxError extends Error {
  constructor(
    readonly reason: string,
    /** Offset in the text (UTF-16 code units) where the problem was found. */
    readonly offset: number,
  ) {
    super(reason);
  }
}

const WORD = /[^\s()"]+/y;
const SPACE = /\s+/y;
const OPTIONAL_SPACE = /\s*/y;
/** What follows an unescaped `"` that ends a value (see the leniency above). */
const VALUE_END = /\s|\)|$/y;
const HEX4 = /[0-9A-Fa-f]{4}/y;
const ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

/** Parses `text` (already trimmed) against `schema`; throws `FilterSyntaxError`. */
export function parseFilterText(text: string, schema: FilterSchema): FilterTree<Comparison> {
  const parser = new Parser(text, schema);
  const tree = parser.or();
  parser.expectEnd();
  return tree;
}

/** Whether `test` holds for the filter: every member of `all`, some member of `any`. */
export function evaluate<C extends object>(tree: FilterTree<C>, test: (comparison: C) => boolean): boolean {
  const { all, any } = members(tree);
  if (all) return all.every((member) => evaluate(member, test));
  if (any) return any.some((member) => evaluate(member, test));
  return test(tree as C);
}

/** The same filter with every comparison replaced by `map(comparison)`. */
export function mapTree<A extends object, B>(tree: FilterTree<A>, map: (comparison: A) => B): FilterTree<B> {
  const { all, any } = members(tree);
  if (all) return { all: all.map((member) => mapTree(member, map)) };
  if (any) return { any: any.map((member) => mapTree(member, map)) };
  return map(tree as A);
}

/** A group's members; comparisons have neither `all` nor `any`. */
const members = <C>(tree: FilterTree<C>) => tree as { all?: FilterTree<C>[]; any?: FilterTree<C>[] };

class Parser {
  #at = 0;
  #depth = 0;
  #comparisons = 0;

  constructor(
    readonly text: string,
    readonly schema: FilterSchema,
  ) {}

  or(): FilterTree<Comparison> {
    const parts = [this.and()];
    while (this.#keyword('or')) parts.push(this.and());
    return parts.length === 1 ? (parts[0] as FilterTree<Comparison>) : { any: parts };
  }

  expectEnd(): void {
    this.#match(OPTIONAL_SPACE);
    if (this.#at < this.text.length) {
      const reason =
        this.text[this.#at] === ')' ? 'unmatched )' : 'expected and, or or the end of the filter';
      throw new FilterSyntaxError(reason, this.#at);
    }
  }

  and(): FilterTree<Comparison> {
    const parts = [this.#primary()];
    while (this.#keyword('and')) parts.push(this.#primary());
    return parts.length === 1 ? (parts[0] as FilterTree<Comparison>) : { all: parts };
  }

  #primary(): FilterTree<Comparison> {
    if (this.text[this.#at] !== '(') return this.#comparison();
    if (this.#depth === MAX_FILTER_DEPTH)
      throw new FilterSyntaxError(`parentheses nested deeper than ${MAX_FILTER_DEPTH}`, this.#at);
    this.#depth++;
    this.#at++;
    this.#match(OPTIONAL_SPACE);
    const tree = this.or();
    this.#match(OPTIONAL_SPACE);
    if (this.text[this.#at] !== ')') throw new FilterSyntaxError('expected )', this.#at);
    this.#at++;
    this.#depth--;
    return tree;
  }

  #comparison(): Comparison {
    const names = Object.keys(this.schema);
    const attributeAt = this.#at;
    const attribute = this.#match(WORD)?.toLowerCase();
    // hasOwn: `constructor` and the like are not attributes.
    if (attribute === undefined || !Object.hasOwn(this.schema, attribute))
      throw new FilterSyntaxError(`expected ${names.join(' or ')}`, attributeAt);
    const operators = this.schema[attribute] as readonly string[];
    this.#space();
    const operatorAt = this.#at;
    const operator = this.#match(WORD)?.toLowerCase();
    if (operator === undefined || !operators.includes(operator))
      throw new FilterSyntaxError(`${attribute} takes ${operators.join(' or ')}`, operatorAt);
    this.#space();
    if (++this.#comparisons > MAX_FILTER_COMPARISONS)
      throw new FilterSyntaxError(`more than ${MAX_FILTER_COMPARISONS} comparisons`, attributeAt);
    return { attribute, operator, value: this.#string() };
  }

  /** A JSON string, with the closing-quote leniency described at the top of the file. */
  #string(): string {
    const opened = this.#at;
    if (this.text[opened] !== '"') throw new FilterSyntaxError('expected a value in double quotes', opened);
    let value = '';
    let literalQuote: number | undefined;
    let i = opened + 1;
    while (i < this.text.length) {
      const char = this.text[i] as string;
      if (char === '"') {
        VALUE_END.lastIndex = i + 1;
        if (VALUE_END.test(this.text)) {
          this.#at = i + 1;
          return value;
        }
        literalQuote ??= i;
        value += char;
        i++;
      } else if (char === '\\') {
        const [decoded, length] = this.#escape(i);
        value += decoded;
        i += length;
      } else if (char < ' ') {
        throw new FilterSyntaxError('a control character in a value must be escaped', i);
      } else {
        value += char;
        i++;
      }
    }
    // Unclosed: if a quote could have closed it, what followed that quote is the likelier mistake.
    if (literalQuote !== undefined) {
      this.#at = literalQuote + 1;
      this.#match(OPTIONAL_SPACE);
      throw new FilterSyntaxError('expected and, or or the end of the filter', this.#at);
    }
    throw new FilterSyntaxError('the value has no closing quote', opened);
  }

  /** The escape at `at` (a backslash): what it stands for and how many code units it takes. */
  #escape(at: number): [string, number] {
    const letter = this.text[at + 1] ?? '';
    const simple = Object.hasOwn(ESCAPES, letter) ? ESCAPES[letter] : undefined;
    if (simple !== undefined) return [simple, 2];
    HEX4.lastIndex = at + 2;
    if (letter === 'u' && HEX4.test(this.text))
      return [String.fromCharCode(Number.parseInt(this.text.slice(at + 2, at + 6), 16)), 6];
    throw new FilterSyntaxError('invalid escape: use \\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX', at);
  }

  /**
   * `word` after a space and before a space or the end (case-insensitive), consumed with the
   * space after it; false, with nothing consumed, if absent. At the end, the comparison that
   * should follow is what the error names.
   */
  #keyword(word: 'and' | 'or'): boolean {
    const pattern = word === 'and' ? /\s+and(?:\s+|$)/iy : /\s+or(?:\s+|$)/iy;
    pattern.lastIndex = this.#at;
    if (!pattern.test(this.text)) return false;
    this.#at = pattern.lastIndex;
    return true;
  }

  #space(): void {
    if (this.#match(SPACE) === undefined) throw new FilterSyntaxError('expected a space', this.#at);
  }

  /** Consumes `pattern` (sticky) at the current offset; the matched text, or undefined. */
  #match(pattern: RegExp): string | undefined {
    pattern.lastIndex = this.#at;
    const found = pattern.exec(this.text);
    if (found === null || found[0] === '') return undefined;
    this.#at = pattern.lastIndex;
    return found[0];
  }
}
