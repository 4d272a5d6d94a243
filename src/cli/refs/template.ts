import { looksLikeReference } from './reference.js';

/**
 * Templates for `keyhold inject`: `{{ keyhold://… }}` and `{{ op://… }}`, spaces inside the braces
 * optional. What is between the braces, trimmed, is the reference; a `}` in a name is written
 * `%7D`. Braces around anything else (`{{ .Values.x }}` of another template language) are left
 * alone.
 */
const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

export interface Placeholder {
  /** The reference as written between the braces. */
  reference: string;
  start: number;
  end: number;
}

/** Every `{{ reference }}` in the template, in order. */
export function findPlaceholders(template: string): Placeholder[] {
  const found: Placeholder[] = [];
  for (const match of template.matchAll(PLACEHOLDER)) {
    const reference = match[1] as string;
    if (!looksLikeReference(reference)) continue;
    found.push({ reference, start: match.index, end: match.index + match[0].length });
  }
  return found;
}

/** The template with each placeholder replaced by `secretOf(reference)`. */
export function render(
  template: string,
  placeholders: Placeholder[],
  secretOf: (reference: string) => string,
): string {
  let out = '';
  let at = 0;
  for (const p of placeholders) {
    out += template.slice(at, p.start) + secretOf(p.reference);
    at = p.end;
  }
  return out + template.slice(at);
}
