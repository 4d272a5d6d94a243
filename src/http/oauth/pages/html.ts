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

/** The frame of every page: no script, no third-party asset, one same-origin stylesheet. */
export function layout(title: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Keyhold</title>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
</head>
<body>
<main>
<h1>${title}</h1>
${body}
</main>
</body>
</html>
`.value;
}

export const STYLESHEET = `
body { font: 16px/1.5 system-ui, sans-serif; background: #f4f5f7; color: #1d2330; margin: 0; }
main { max-width: 34rem; margin: 3rem auto; background: #fff; padding: 2rem; border-radius: 8px;
  box-shadow: 0 1px 3px rgba(0,0,0,.12); }
h1 { font-size: 1.4rem; margin-top: 0; }
label { display: block; margin: .75rem 0 .25rem; }
input[type=email], input[type=password], input[type=text] { width: 100%; padding: .5rem; box-sizing: border-box; }
button { padding: .5rem 1rem; margin: 1rem .5rem 0 0; cursor: pointer; }
.error { color: #a1001c; }
.scope { margin: 1rem 0; }
.scope p { margin: .25rem 0; color: #4a5263; }
.option { display: flex; gap: .5rem; align-items: center; margin-left: 1rem; }
.granted { color: #555; }
table { width: 100%; border-collapse: collapse; }
td, th { text-align: left; padding: .4rem .25rem; border-bottom: 1px solid #e3e5ea; vertical-align: top; }
code { font-size: .9em; }
.qr svg { width: 14rem; height: 14rem; }
.codes { columns: 2; font-size: 1.05rem; }
`;
