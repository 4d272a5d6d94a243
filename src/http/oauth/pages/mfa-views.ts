import { renderSVG } from 'uqr';
import type { TotpEnrolment } from '../../../domain/mfa/mfa-service.js';
import { html, layout, SafeHtml } from './html.js';
import { noticePage } from './views.js';

/**
 * Said instead of switching on a key that is no longer pending for this sign-in: enrolment was
 * opened from another sign-in, which replaced it (domain/mfa/enrolment-owner.ts). No new key is
 * made here, so the other sign-in's confirmation still works; following the link starts again.
 */
export const startAgainPage = (href: string) =>
  noticePage(
    'Start again',
    'That key no longer works: two-step sign-in was set up from another sign-in meanwhile, which replaced it, ' +
      'and nothing was switched on. Remove that entry from your app and start again to get a new key.',
    { href, text: 'Start again' },
  );

const errorLine = (error: string | undefined) =>
  error ? html`<p class="error" role="alert">${error}</p>` : '';

/** Where the sign-in goes afterwards: a pending authorization request, or one of the account's pages. */
const pendingField = (request: string | null | undefined, next: string | null | undefined) =>
  html`${request ? html`<input type="hidden" name="request" value="${request}">` : ''}${
    next ? html`<input type="hidden" name="next" value="${next}">` : ''
  }`;

/**
 * The QR code as inline SVG: drawn from the otpauth URI by uqr (rectangles and a path, no text,
 * no script, no style attribute), so the page loads nothing and the CSP holds.
 */
const qrCode = (uri: string) => new SafeHtml(renderSVG(uri, { border: 2 }));

/** The second step of a sign-in: a TOTP code, or one recovery code instead. */
export function codePage(p: {
  action: string;
  csrf: string;
  request: string | null;
  next?: string | null;
  error?: string;
}) {
  return layout(
    'Two-step sign-in',
    html`${errorLine(p.error)}
<form method="post" action="${p.action}">
<input type="hidden" name="csrf" value="${p.csrf}">
${pendingField(p.request, p.next)}
<label for="code">The 6-digit code from your authenticator app, or one of your recovery codes</label>
<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" required maxlength="64" autofocus>
<button type="submit" class="primary">Verify</button>
</form>`,
  );
}

/** Enrolment: the QR code and the key as text, confirmed with a code before it is switched on. */
export function enrolPage(p: {
  action: string;
  csrf: string;
  request?: string | null;
  next?: string | null;
  enrolment: TotpEnrolment;
  required?: boolean;
  error?: string;
}) {
  return layout(
    'Set up two-step sign-in',
    html`${errorLine(p.error)}
${p.required ? html`<p>Your account requires a second step at sign-in. Set it up to continue.</p>` : ''}
<p>Scan this code with an authenticator app, or type the key into it. Then enter the code the app shows.</p>
<figure class="qr">${qrCode(p.enrolment.uri)}</figure>
<p>Key: <code id="totp-secret">${p.enrolment.secret}</code></p>
<form method="post" action="${p.action}">
<input type="hidden" name="csrf" value="${p.csrf}">
${pendingField(p.request, p.next)}
<label for="code">Code from the app</label>
<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" required maxlength="64" autofocus>
<button type="submit" class="primary">Turn on</button>
</form>`,
  );
}

/** The recovery codes, shown once when TOTP is switched on. */
export function recoveryCodesPage(p: { codes: string[]; next: string }) {
  return layout(
    'Your recovery codes',
    html`<p>Two-step sign-in is on. Each code below signs you in once if you lose your authenticator app.
They are shown only now: store them somewhere safe.</p>
<ul class="codes">${p.codes.map((c) => html`<li><code>${c}</code></li>`)}</ul>
<p><a id="continue" href="${p.next}">Continue</a></p>`,
  );
}

/** A signed-in user's two-step settings while TOTP is on: turning it off takes a current code. */
export function mfaOnPage(p: {
  base: string;
  csrf: string;
  email: string;
  recoveryCodesLeft: number;
  error?: string;
}) {
  return layout(
    'Two-step sign-in',
    html`${errorLine(p.error)}
<p>Two-step sign-in is on for ${p.email}. Unused recovery codes: ${p.recoveryCodesLeft}.</p>
<form method="post" action="${p.base}/mfa/disable">
<input type="hidden" name="csrf" value="${p.csrf}">
<label for="code">To turn it off, enter a current code (or a recovery code)</label>
<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" required maxlength="64">
<button type="submit">Turn off</button>
</form>
<p><a href="${p.base}/grants">Back to your grants</a></p>`,
  );
}
