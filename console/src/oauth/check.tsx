import { api } from '../api.js';
import { href } from '../router.js';
import { Show, Title, useLoad } from '../ui.js';
import { OAuthNav } from './oauth-nav.js';
import { type Client, clientPath, OAUTH, type Problem, type ResourceServer, serverPath } from './types.js';

interface Checked {
  ok: boolean;
  problems: Problem[];
}

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

const CLIENT_CODES = new Set(['client_scope_unknown', 'redirect_uri_invalid', 'client_without_scopes']);

/** Where a finding is fixed: the client's page, or the resource server's that owns the scope. */
function fixAt(p: Problem, clients: Client[], servers: ResourceServer[]): { path: string; text: string } {
  if (CLIENT_CODES.has(p.code)) {
    const client = clients.find((c) => c.clientId === p.subject);
    return { path: clientPath(p.subject), text: `Fix in client ${client?.name ?? p.subject}` };
  }
  const server =
    p.code === 'resource_server_without_scopes'
      ? servers.find((s) => s.identifier === p.subject)
      : servers.find((s) => s.scopes.some((scope) => scope.name === p.subject));
  if (server?.id) return { path: serverPath(server.id), text: `Fix in resource server ${server.name}` };
  return { path: OAUTH, text: 'Fix in the resource servers' };
}

/** `keyhold oauth scopes check` in the console: every finding, with a link to where it is fixed. */
export function ScopeCheck() {
  const [data] = useLoad(
    () =>
      Promise.all([
        api<Checked>('GET', '/scopes/check'),
        api<Client[]>('GET', '/clients'),
        api<ResourceServer[]>('GET', '/resource-servers'),
      ]),
    'scope-check',
  );
  return (
    <>
      <Title text="Scope check" />
      <OAuthNav current="/oauth/check" />
      <p class="muted">
        The scope catalog, the resource servers and the clients checked against each other, as{' '}
        <code>keyhold oauth scopes check</code> does. Errors make a sign-in fail; warnings are probably
        mistakes.
      </p>
      <Show loaded={data}>
        {([checked, clients, servers]) =>
          checked.problems.length === 0 ? (
            <p class="info" role="status">
              No problem found: every client’s scopes are in the catalog.
            </p>
          ) : (
            <>
              <p class={checked.ok ? 'info' : 'alert'}>
                {count(checked.problems.filter((p) => p.severity === 'error').length, 'error')},{' '}
                {count(checked.problems.filter((p) => p.severity === 'warning').length, 'warning')}.
              </p>
              <ul class="findings">
                {checked.problems.map((p) => {
                  const fix = fixAt(p, clients, servers);
                  return (
                    <li key={`${p.code} ${p.subject} ${p.message}`} class={p.severity}>
                      <span class="badge">{p.severity === 'error' ? 'Error' : 'Warning'}</span>{' '}
                      <code>{p.code}</code>
                      <p>{p.message}</p>
                      {p.suggestion && (
                        <p class="small">
                          Did you mean <code>{p.suggestion}</code>?
                        </p>
                      )}
                      <a href={href(fix.path)}>{fix.text}</a>
                    </li>
                  );
                })}
              </ul>
            </>
          )
        }
      </Show>
    </>
  );
}
