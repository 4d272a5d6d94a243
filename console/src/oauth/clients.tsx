import { useState } from 'preact/hooks';
import { api, messageOf } from '../api.js';
import { href, navigate } from '../router.js';
import { useSession } from '../session.js';
import { Alert, Show, Title, useBusy, useLoad } from '../ui.js';
import { OAuthNav } from './oauth-nav.js';
import { ShownOnce } from './shown-once.js';
import { AUTH_METHODS, type Client, clientPath, hasSecret, type ResourceServer, when } from './types.js';

const CLIENTS = '/oauth/clients';

/** The registered OAuth clients. */
export function ClientList() {
  const [clients] = useLoad(() => api<Client[]>('GET', '/clients'), 'clients');
  return (
    <>
      <Title text="OAuth clients" />
      <OAuthNav current="/oauth/clients" />
      <p>
        <a class="button primary" href={href('/oauth/clients/new')}>
          New client
        </a>
      </p>
      <Show loaded={clients}>
        {(list) =>
          list.length === 0 ? (
            <p>No client is registered yet.</p>
          ) : (
            <ul class="cards wide">
              {list.map((c) => (
                <li key={c.clientId}>
                  <a class="card-link" href={href(clientPath(c.clientId))}>
                    {c.name}
                  </a>
                  <p class="muted small value">{c.clientId}</p>
                  <p class="small">
                    {AUTH_METHODS[c.authMethod] ?? c.authMethod}. Scopes:{' '}
                    {c.scopes.length === 0 ? 'any common scope' : c.scopes.join(', ')}
                  </p>
                </li>
              ))}
            </ul>
          )
        }
      </Show>
    </>
  );
}

/** Registers a client; a confidential client's secret is shown once, here. */
export function ClientNew() {
  const { notify } = useSession();
  const [servers] = useLoad(() => api<ResourceServer[]>('GET', '/resource-servers'), 'client-new');
  const [name, setName] = useState('');
  const [redirects, setRedirects] = useState('');
  const [scopes, setScopes] = useState<string[]>([]);
  const [extra, setExtra] = useState('');
  const [kind, setKind] = useState<'confidential' | 'public'>('confidential');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useBusy();
  const [created, setCreated] = useState<Client & { clientSecret?: string }>();
  const toggle = (scope: string, on: boolean) =>
    setScopes((list) => (on ? [...list, scope] : list.filter((s) => s !== scope)));
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const answer = await api<Client & { clientSecret?: string }>('POST', '/clients', {
        name: name.trim(),
        redirectUris: redirects
          .split('\n')
          .map((u) => u.trim())
          .filter(Boolean),
        scopes: [...scopes, ...extra.split(/[\s,]+/).filter(Boolean)],
        public: kind === 'public',
      });
      setCreated(answer);
      notify(`${answer.name} is registered.`);
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  if (created)
    return (
      <>
        <Title text={`${created.name} is registered`} />
        <dl class="fields">
          <dt>Client id</dt>
          <dd class="value">{created.clientId}</dd>
        </dl>
        {created.clientSecret ? (
          <ShownOnce id="client-secret" label="Client secret" value={created.clientSecret} />
        ) : (
          <p>This client has no secret: it proves itself with PKCE or its private key.</p>
        )}
        <p>
          <a href={href(clientPath(created.clientId))}>Go to {created.name}</a>
        </p>
      </>
    );
  return (
    <>
      <p class="crumbs">
        <a href={href(CLIENTS)}>OAuth clients</a> /
      </p>
      <Title text="New client" />
      <form class="stack" onSubmit={submit}>
        <Alert message={error} />
        <label for="client-name">Name (shown to people on the consent page)</label>
        <input
          id="client-name"
          required
          maxLength={200}
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <label for="client-redirects">Redirect URIs (one per line)</label>
        <textarea
          id="client-redirects"
          rows={3}
          placeholder="https://app.example.com/callback"
          value={redirects}
          onInput={(e) => setRedirects(e.currentTarget.value)}
        />
        <p class="small muted">
          Exactly as the application sends them: https, or http on 127.0.0.1 for a native app. Leave empty for
          a service that uses client credentials.
        </p>
        <fieldset>
          <legend>Scopes it may ask for</legend>
          <Show loaded={servers}>
            {(list) => (
              <>
                {list.flatMap((s) =>
                  s.scopes
                    .filter((scope) => !scope.name.includes('*'))
                    .map((scope) => (
                      <label class="choice" key={scope.name}>
                        <input
                          type="checkbox"
                          checked={scopes.includes(scope.name)}
                          onChange={(e) => toggle(scope.name, e.currentTarget.checked)}
                        />
                        <span>
                          <code>{scope.name}</code> {scope.description}
                        </span>
                      </label>
                    )),
                )}
              </>
            )}
          </Show>
          <label for="client-extra-scopes">Other scopes (separated by spaces)</label>
          <input
            id="client-extra-scopes"
            placeholder="vault:<vault id>:read"
            value={extra}
            onInput={(e) => setExtra(e.currentTarget.value)}
          />
        </fieldset>
        <fieldset>
          <legend>Kind</legend>
          <label class="choice">
            <input
              type="radio"
              name="client-kind"
              checked={kind === 'confidential'}
              onChange={() => setKind('confidential')}
            />
            Confidential: a server that can keep a secret
          </label>
          <label class="choice">
            <input
              type="radio"
              name="client-kind"
              checked={kind === 'public'}
              onChange={() => setKind('public')}
            />
            Public: a native or browser app, no secret (PKCE)
          </label>
        </fieldset>
        <div class="row">
          <button type="submit" class="primary" disabled={busy}>
            Register client
          </button>
          <a class="button" href={href(CLIENTS)}>
            Cancel
          </a>
        </div>
      </form>
    </>
  );
}

/** One client: what it is registered for; rotate its secret (shown once), delete it. */
export function ClientView({ clientId }: { clientId: string }) {
  const { notify } = useSession();
  const [client] = useLoad(() => api<Client>('GET', `/clients/${encodeURIComponent(clientId)}`), clientId);
  const [secret, setSecret] = useState<string>();
  const [confirming, setConfirming] = useState<'rotate' | 'delete'>();
  const [error, setError] = useState<string>();
  const rotate = async (c: Client) => {
    setError(undefined);
    setConfirming(undefined);
    try {
      const answer = await api<Client & { clientSecret: string }>(
        'POST',
        `/clients/${encodeURIComponent(c.clientId)}/secret`,
      );
      setSecret(answer.clientSecret);
      notify(`${c.name} has a new secret; the old one no longer works.`);
    } catch (e) {
      setError(messageOf(e));
    }
  };
  const remove = async (c: Client) => {
    setError(undefined);
    try {
      await api('DELETE', `/clients/${encodeURIComponent(c.clientId)}`);
      notify(`${c.name} is deleted, with its users’ grants and tokens.`);
      navigate(CLIENTS);
    } catch (e) {
      setError(messageOf(e));
      setConfirming(undefined);
    }
  };
  return (
    <Show loaded={client}>
      {(c) => (
        <>
          <p class="crumbs">
            <a href={href(CLIENTS)}>OAuth clients</a> /
          </p>
          <Title text={c.name} />
          <Alert message={error} />
          {secret && <ShownOnce id="client-secret" label="New client secret" value={secret} />}
          <dl class="fields">
            <dt>Client id</dt>
            <dd class="value">{c.clientId}</dd>
            <dt>Authentication</dt>
            <dd>{AUTH_METHODS[c.authMethod] ?? c.authMethod}</dd>
            <dt>Redirect URIs</dt>
            <dd>
              {c.redirectUris.length === 0 ? (
                'None'
              ) : (
                <ul class="plain">
                  {c.redirectUris.map((u) => (
                    <li key={u} class="value">
                      {u}
                    </li>
                  ))}
                </ul>
              )}
            </dd>
            <dt>Grant types</dt>
            <dd>{c.grantTypes.join(', ')}</dd>
            <dt>Scopes</dt>
            <dd>
              {c.scopes.length === 0 ? (
                'Any common scope of the catalog'
              ) : (
                <ul class="plain">
                  {c.scopes.map((s) => (
                    <li key={s}>
                      <code>{s}</code>
                    </li>
                  ))}
                </ul>
              )}
            </dd>
            <dt>Registered</dt>
            <dd>{when(c.createdAt)}</dd>
          </dl>
          {confirming ? (
            <div class="info">
              <p>
                {confirming === 'rotate'
                  ? `The current secret of ${c.name} stops working at once; the application needs the new one.`
                  : `Deleting ${c.name} also revokes every grant people gave it, with its tokens.`}
              </p>
              <div class="row">
                <button
                  type="button"
                  class="danger"
                  onClick={() => (confirming === 'rotate' ? rotate(c) : remove(c))}
                >
                  {confirming === 'rotate'
                    ? `Confirm: rotate the secret of ${c.name}`
                    : `Confirm: delete ${c.name}`}
                </button>
                <button type="button" onClick={() => setConfirming(undefined)}>
                  Cancel
                </button>
              </div>
            </div>
          ) : (
            <div class="row">
              {hasSecret(c) && (
                <button type="button" onClick={() => setConfirming('rotate')}>
                  Rotate the secret of {c.name}
                </button>
              )}
              <button type="button" onClick={() => setConfirming('delete')}>
                Delete {c.name}
              </button>
            </div>
          )}
        </>
      )}
    </Show>
  );
}
