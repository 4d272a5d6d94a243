/**
 * The console's policy (docs/console.md): its own script and stylesheet only, API calls to this
 * origin only, no framing, no inline script or style, no `<base>`.
 */
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export const CONSOLE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': CONSOLE_CSP,
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
});

const shell = (title: string, body: string) => `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title} · Keyhold</title></head>
<body><main><h1>${title}</h1>${body}</main></body>
</html>
`;

/** Answered (503) while dist/console has no index.html: the service runs, its console is not built. */
export const missingPage = shell(
  'The console is not built',
  '<p>This Keyhold service runs, but its web console was not built. Run <code>npm run build</code> ' +
    '(or <code>node scripts/build-console.mjs</code>) where Keyhold is installed, then reload this page. ' +
    'The admin API and the CLI work without it.</p>',
);

export const notFoundPage = shell(
  'Not found',
  '<p>There is nothing at this address. <a href="/console/">Open the console</a>.</p>',
);
