import type { ConsentItem } from '../../../domain/oauth/consent.js';
import type { DetailConsent } from '../../../domain/oauth/consent-details.js';
import { html, layout, type SafeHtml } from './html.js';

export function loginPage(p: {
  action: string;
  csrf: string;
  request: string | null;
  /** The page of this account to return to after signing in (login.ts checks it). */
  next?: string | null;
  error?: string;
  notice?: string;
  email?: string;
}) {
  return layout(
    'Sign in',
    html`${p.error ? html`<p class="error" role="alert">${p.error}</p>` : ''}${p.notice ? html`<p role="status">${p.notice}</p>` : ''}
<form method="post" action="${p.action}">
<input type="hidden" name="csrf" value="${p.csrf}">
${p.request === null ? '' : html`<input type="hidden" name="request" value="${p.request}">`}
${p.next ? html`<input type="hidden" name="next" value="${p.next}">` : ''}
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" required maxlength="254" value="${p.email ?? ''}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024">
<button type="submit" class="primary">Sign in</button>
</form>`,
  );
}

/** A number of seconds in words: `3600` → `1 hour`, `2592000` → `30 days`. */
export function inWords(seconds: number): string {
  const units: [number, string][] = [
    [86_400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
  ];
  for (const [size, unit] of units) {
    if (seconds >= size && seconds % size === 0) {
      const n = seconds / size;
      return `${n} ${unit}${n === 1 ? '' : 's'}`;
    }
  }
  return `${seconds} seconds`;
}

/** Where a redirect URI sends the browser, for people: its host, or its scheme for an app's own. */
export function redirectHost(uri: string): string {
  try {
    const url = new URL(uri);
    return url.host || url.protocol.replace(/:$/, '');
  } catch {
    return uri;
  }
}

/** Whether a requested scope reads vault items (and so their passwords). */
const READS_VAULT = /^vault:(?:\*:|[a-z0-9]{26}:)?read$/;

export function consentPage(p: {
  action: string;
  csrf: string;
  request: string;
  clientName: string;
  redirectUri: string;
  resourceName: string;
  userEmail: string;
  items: ConsentItem[];
  /** The request's RFC 9396 authorization details, each approvable on its own. */
  details: DetailConsent[];
  /** How long an access token lasts, and a refresh token unused (seconds). */
  accessTokenTtl: number;
  refreshTokenTtl: number;
}) {
  const items = p.items.map(
    (item) => html`<fieldset class="scope">
<legend><code>${item.requested}</code></legend>
<p>${item.description}${READS_VAULT.test(item.requested) ? html`. <strong>Read includes passwords and other secret values.</strong>` : ''}</p>
${
  item.options.length === 0
    ? html`<p>Nothing of yours matches this request.</p>`
    : item.options.map(
        (o) =>
          html`<label class="option"><input type="checkbox" name="scope" value="${o.scope}"${item.ticked.includes(o.scope) ? html` checked` : ''}> ${o.label}${item.granted.includes(o.scope) ? html` <small class="granted">(already granted)</small>` : ''}</label>`,
      )
}
</fieldset>`,
  );
  const details =
    p.details.length === 0
      ? ''
      : html`<fieldset class="scope details">
<legend>Specific access</legend>
${p.details.map((d) =>
  d.approvable
    ? html`<label class="option"><input type="checkbox" name="detail" value="${String(d.index)}" checked> ${d.words}${d.reads ? html`. <strong>Includes passwords and other secret values.</strong>` : ''}</label>`
    : html`<p class="option muted">${d.words}</p>`,
)}
</fieldset>`;
  const regrant = p.items.some((i) => i.granted.length > 0);
  return layout(
    `Allow ${p.clientName}?`,
    html`<p><strong>${p.clientName}</strong> asks for access to <strong>${p.resourceName}</strong> on behalf of ${p.userEmail}.
${
  regrant
    ? html`You have already granted what is marked. What you allow now replaces it: untick anything you no longer want to share.`
    : html`Untick anything you do not want to share.`
}</p>
<ul class="facts">
<li>After you answer, you go back to <strong>${redirectHost(p.redirectUri)}</strong>.</li>
<li>Access lasts until you revoke it (Connected applications, in the Keyhold console): the application gets keys that last ${inWords(p.accessTokenTtl)} and renews them; after ${inWords(p.refreshTokenTtl)} without renewing, its keys stop working until it sends you back to Keyhold.</li>
</ul>
<form method="post" action="${p.action}">
<input type="hidden" name="csrf" value="${p.csrf}">
<input type="hidden" name="request" value="${p.request}">
${items}
${details}
<button type="submit" name="decision" value="approve" class="primary">Allow selected</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>`,
  );
}

export interface GrantRow {
  id: string;
  clientName: string;
  resourceName: string;
  access: { scope: string; words: string }[];
  /** The approved authorization details in words, when the grant is narrowed to them. */
  narrowedTo: string[] | null;
  createdAt: string;
  lastUsedAt: string | null;
}

/** A time as people read it, in UTC (the page has no script to use the browser's zone). */
const when = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;

export function grantsPage(p: {
  base: string;
  csrf: string;
  userEmail: string;
  grants: GrantRow[];
  notice?: string;
}) {
  const rows = p.grants.map(
    (g) => html`<tr>
<td><strong>${g.clientName}</strong><br><small class="muted">${g.resourceName}</small></td>
<td>${
      g.narrowedTo
        ? html`<p class="small">Only, as you approved:</p><ul class="narrowed">${g.narrowedTo.map((words) => html`<li>${words}</li>`)}</ul>`
        : html`<ul>${g.access.map((a) => html`<li>${a.words} <small class="muted"><code>${a.scope}</code></small></li>`)}</ul>`
    }</td>
<td><small>Granted ${when(g.createdAt)}<br>${g.lastUsedAt === null ? 'Not used yet' : html`Last used ${when(g.lastUsedAt)}`}</small></td>
<td><form method="post" action="${p.base}/grants/${g.id}/revoke">
<input type="hidden" name="csrf" value="${p.csrf}">
<button type="submit" class="small">Revoke ${g.clientName}</button>
</form></td>
</tr>`,
  );
  const table: SafeHtml =
    p.grants.length === 0
      ? html`<p>You have not given any application access.</p>`
      : html`<table class="grants"><thead><tr><th>Application</th><th>What it can reach</th><th>When</th><th><span class="muted">Revoke</span></th></tr></thead><tbody>${rows}</tbody></table>`;
  return layout(
    'Your grants',
    html`<p>Signed in as ${p.userEmail}. These applications can reach your vaults on your behalf until you revoke them.</p>
${p.notice ? html`<p role="status">${p.notice}</p>` : ''}
${table}
<p><a href="/console/">Open the Keyhold console</a></p>
<p><a href="${p.base}/password">Change your password</a></p>
<p><a href="${p.base}/mfa">Two-step sign-in</a></p>
<form method="post" action="${p.base}/logout">
<input type="hidden" name="csrf" value="${p.csrf}">
<button type="submit">Sign out</button>
</form>`,
  );
}

export function errorPage(title: string, message: string) {
  return layout(title, html`<p class="error">${message}</p>`);
}

/** A new password, typed twice; `hidden` fields carry what the form is about (a reset link). */
function newPasswordFields() {
  return html`<label for="password">New password</label>
<input id="password" name="password" type="password" autocomplete="new-password" required minlength="12" maxlength="1024">
<label for="confirm">New password again</label>
<input id="confirm" name="confirm" type="password" autocomplete="new-password" required minlength="12" maxlength="1024">`;
}

export function resetPage(p: { action: string; csrf: string; token: string; email: string; error?: string }) {
  return layout(
    'Set a new password',
    html`${p.error ? html`<p class="error" role="alert">${p.error}</p>` : ''}
<p>Choose a new password for ${p.email}. Using this link signs you out everywhere.</p>
<form method="post" action="${p.action}">
<input type="hidden" name="csrf" value="${p.csrf}">
<input type="hidden" name="token" value="${p.token}">
${newPasswordFields()}
<button type="submit" class="primary">Set password</button>
</form>`,
  );
}

export function passwordPage(p: {
  base: string;
  csrf: string;
  userEmail: string;
  error?: string;
  notice?: string;
}) {
  return layout(
    'Change your password',
    html`<p>Signed in as ${p.userEmail}. Changing your password signs you out everywhere else.</p>
${p.error ? html`<p class="error" role="alert">${p.error}</p>` : ''}
${p.notice ? html`<p role="status">${p.notice}</p>` : ''}
<form method="post" action="${p.base}/password">
<input type="hidden" name="csrf" value="${p.csrf}">
<label for="current">Current password</label>
<input id="current" name="current" type="password" autocomplete="current-password" required maxlength="1024">
${newPasswordFields()}
<button type="submit" class="primary">Change password</button>
</form>
<p><a href="${p.base}/grants">Back to your grants</a></p>`,
  );
}

export function noticePage(title: string, message: string, link: { href: string; text: string }) {
  return layout(title, html`<p role="status">${message}</p><p><a href="${link.href}">${link.text}</a></p>`);
}
