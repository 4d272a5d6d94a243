import { html, layout } from './html.js';

/** Asks a signed-in user whether to sign out, when the request does not show it comes from them. */
export function endSessionPage(p: {
  action: string;
  csrf: string;
  email: string;
  clientName: string | undefined;
  /** The logout request's parameters, carried to the answer. */
  params: [string, string][];
}) {
  return layout(
    'Sign out',
    html`<p>${p.clientName ? `${p.clientName} asks to sign you out of Keyhold.` : 'An application asks to sign you out of Keyhold.'} You are signed in as ${p.email}.</p>
<form method="post" action="${p.action}">
<input type="hidden" name="csrf" value="${p.csrf}">
${p.params.map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
<button type="submit" name="decision" value="logout" class="primary">Sign out</button>
<button type="submit" name="decision" value="stay">Stay signed in</button>
</form>`,
  );
}

/** After a logout with nowhere to return to. */
export function signedOutPage(stillSignedIn: boolean) {
  return layout(
    stillSignedIn ? 'Still signed in' : 'Signed out',
    html`<p role="status">${stillSignedIn ? 'You are still signed in to Keyhold.' : 'You are signed out of Keyhold.'} You can close this page.</p>`,
  );
}
