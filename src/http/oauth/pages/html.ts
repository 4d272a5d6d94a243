/**
 * Server-rendered pages without a template engine: every interpolated value goes through `html`,
 * which escapes it, so markup can only come from the literal parts of this code.
 */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

type Value = string | number | SafeHtml | SafeHtml[] | null | undefined | false;

/** A tagged template that escapes every value that is not already SafeHtml. */
export function html(strings: TemplateStringsArray, ...values: Value[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

function render(value: Value): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map((v) => v.value).join('');
  return escapeHtml(String(value));
}

export const STYLESHEET_PATH = '/oauth/assets/keyhold.css';

/**
 * The frame of every page: the product's name in a banner, then the page; no script, no
 * third-party asset, one same-origin stylesheet with the console's colours (light and dark).
 */
export function layout(title: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${title} · Keyhold</title>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
</head>
<body>
<header class="top"><span class="brand">Keyhold</span></header>
<main>
<h1>${title}</h1>
${body}
</main>
</body>
</html>
`.value;
}

/** The pages' stylesheet: the console's colours and controls (console/styles.css), in brief. */
export const STYLESHEET = `
:root { color-scheme: light dark; --bg: #f7f7f8; --surface: #ffffff; --text: #1b1d21; --muted: #585e68;
  --border: #c9ccd2; --accent: #1f5fbf; --accent-text: #ffffff; --danger: #a61b1b; --focus: #b3470b;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; line-height: 1.5; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #15171b; --surface: #1e2127; --text: #e9eaee; --muted: #a9afba; --border: #454a54;
    --accent: #7fb0ff; --accent-text: #0d1117; --danger: #ff8a80; --focus: #ffb86b; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); }
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
header.top { padding: .6rem 1rem; background: var(--surface); border-bottom: 1px solid var(--border); }
.brand { font-weight: 700; font-size: 1.15rem; }
main { max-width: 40rem; margin: 1.5rem auto; background: var(--surface); padding: 1.5rem;
  border: 1px solid var(--border); border-radius: .4rem; overflow-wrap: anywhere; }
h1 { font-size: 1.45rem; margin: 0 0 .75rem; }
label { display: block; margin: .75rem 0 .25rem; font-weight: 600; }
input[type=email], input[type=password], input[type=text] { font: inherit; color: var(--text);
  background: var(--surface); border: 1px solid var(--border); border-radius: .3rem; padding: .45rem .55rem;
  width: 100%; }
input[type=checkbox] { width: auto; margin: 0; }
button { font: inherit; cursor: pointer; padding: .45rem .9rem; margin: 1rem .5rem 0 0; border-radius: .3rem;
  border: 1px solid var(--border); background: var(--surface); color: var(--text); }
button.primary { background: var(--accent); color: var(--accent-text); border-color: var(--accent); font-weight: 600; }
button.small { margin: 0; padding: .2rem .6rem; font-size: .875rem; }
.error { color: var(--danger); border-left: 4px solid var(--danger); padding: .25rem .75rem; }
[role=status] { border-left: 4px solid var(--accent); padding: .25rem .75rem; }
.muted, .granted { color: var(--muted); }
.small { font-size: .875rem; }
fieldset.scope { margin: 1rem 0; border: 1px solid var(--border); border-radius: .3rem; }
.scope p { margin: .25rem 0; color: var(--muted); }
.option { display: flex; gap: .5rem; align-items: center; margin: .35rem 0 0 .25rem; font-weight: 400; }
.facts { margin: 1rem 0; padding-left: 1.2rem; }
table { width: 100%; border-collapse: collapse; }
td, th { text-align: left; padding: .5rem .35rem; border-bottom: 1px solid var(--border); vertical-align: top; }
td ul { margin: 0; padding-left: 1.1rem; }
code { font-size: .9em; overflow-wrap: anywhere; }
.qr svg { width: 14rem; height: 14rem; max-width: 100%; }
.codes { columns: 2; font-size: 1.05rem; }
@media (max-width: 40rem) {
  main { margin: 0; border: 0; border-radius: 0; padding: 1rem; }
  table.grants thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
  table.grants, table.grants tbody, table.grants tr, table.grants td { display: block; width: 100%; }
  table.grants tr { border-bottom: 1px solid var(--border); padding: .5rem 0; }
  table.grants td { border: 0; padding: .25rem 0; }
}
`;
