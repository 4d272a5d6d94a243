import type { DeviceRequestView } from '../../../domain/oauth/device-approval.js';
import { html, layout } from './html.js';

/** The form a signed-in user types the code their device shows into. */
export function userCodePage(p: {
  action: string;
  csrf: string;
  userEmail: string;
  error?: string;
  code?: string;
}) {
  return layout(
    'Sign in a device',
    html`${p.error ? html`<p class="error" role="alert">${p.error}</p>` : ''}
<p>Signed in as ${p.userEmail}. Enter the code shown by the device or the <code>keyhold login</code> command.</p>
<form method="post" action="${p.action}">
<input type="hidden" name="csrf" value="${p.csrf}">
<label for="user_code">Code</label>
<input id="user_code" name="user_code" type="text" autocomplete="off" autocapitalize="characters" spellcheck="false" required maxlength="20" value="${p.code ?? ''}">
<button type="submit" class="primary">Continue</button>
</form>`,
  );
}

/**
 * What the device asks for, and the two buttons. It says to approve only a request the user
 * started themselves (RFC 8628 §5.4: a code sent by someone else is a phishing attempt).
 */
export function deviceConsentPage(p: {
  action: string;
  csrf: string;
  userEmail: string;
  request: DeviceRequestView;
}) {
  const r = p.request;
  return layout(
    `Allow ${r.clientName}?`,
    html`<p><strong>${r.clientName}</strong> asks to act as <strong>${p.userEmail}</strong> in the <strong>${r.resourceName}</strong>.</p>
${r.scopes.map((s) => html`<fieldset class="scope"><legend><code>${s.scope}</code></legend><p>${s.description}</p></fieldset>`)}
<p>Code <strong><code>${r.userCode}</code></strong>, requested at ${r.requestedAt}. Approve only if you started this sign-in yourself just now and the code matches the one your terminal shows.</p>
<form method="post" action="${p.action}">
<input type="hidden" name="csrf" value="${p.csrf}">
<input type="hidden" name="user_code" value="${r.userCode}">
<button type="submit" name="decision" value="approve" class="primary">Approve</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>`,
  );
}

export function deviceDonePage(approved: boolean) {
  return approved
    ? layout(
        'Device signed in',
        html`<p role="status">Done. Return to your terminal: the device is signed in as you.</p>`,
      )
    : layout(
        'Request denied',
        html`<p role="status">The device was not signed in. If you did not start this request, tell your administrator.</p>`,
      );
}
