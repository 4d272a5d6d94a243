import { useState } from 'preact/hooks';
import { api, messageOf } from '../api.js';
import { href, navigate } from '../router.js';
import { useSession } from '../session.js';
import { Alert, Show, Title, useBusy, useLoad } from '../ui.js';
import { OAuthNav } from './oauth-nav.js';
import { ShownOnce } from './shown-once.js';
import { duration, OAUTH, type ResourceServer, serverPath } from './types.js';

/** The resource servers and the scopes each defines: the account's scope catalog. */
export function ResourceServers() {
  const [servers] = useLoad(() => api<ResourceServer[]>('GET', '/resource-servers'), 'resource-servers');
  return (
    <>
      <Title text="OAuth" />
      <OAuthNav current="/oauth" />
      <h2>Resource servers and scopes</h2>
      <p class="muted">
        Each resource server is an API that accepts Keyhold’s access tokens; its scopes make up the catalog
        clients are registered against.
      </p>
      <p>
        <a class="button primary" href={href('/oauth/resource-servers/new')}>
          New resource server
        </a>
      </p>
      <Show loaded={servers}>
        {(list) => (
          <ul class="cards wide">
            {list.map((s) => (
              <li key={s.identifier} id={s.id ? `server-${s.id}` : undefined}>
                {s.id ? (
                  <a class="card-link" href={href(serverPath(s.id))}>
                    {s.name}
                  </a>
                ) : (
                  <span class="card-link">{s.name}</span>
                )}
                <p class="muted small value">{s.identifier}</p>
                <p class="small">
                  {s.builtIn ? 'Built in. ' : ''}
                  {s.tokenFormat === 'jwt' ? 'JWT' : 'Opaque'} access tokens, valid{' '}
                  {duration(s.accessTokenTtl)}.
                </p>
                <ScopeList server={s} />
              </li>
            ))}
          </ul>
        )}
      </Show>
    </>
  );
}

function ScopeList({ server }: { server: ResourceServer }) {
  if (server.scopes.length === 0) return <p class="small">No scopes.</p>;
  return (
    <ul class="plain scopes">
      {server.scopes.map((scope) => (
        <li key={scope.name}>
          <code>{scope.name}</code> {scope.description}
          {scope.exclusive && <span class="badge">exclusive</span>}
        </li>
      ))}
    </ul>
  );
}

/** One registered resource server, with its scopes; deleting it (a named button, confirmed). */
export function ResourceServerView({ id }: { id: string }) {
  const { notify } = useSession();
  const [servers] = useLoad(() => api<ResourceServer[]>('GET', '/resource-servers'), `server-${id}`);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string>();
  const remove = async (server: ResourceServer) => {
    setError(undefined);
    try {
      await api('DELETE', `/resource-servers/${encodeURIComponent(id)}`);
      notify(`${server.name} is deleted.`);
      navigate(OAUTH);
    } catch (e) {
      setError(messageOf(e));
      setConfirming(false);
    }
  };
  return (
    <Show loaded={servers}>
      {(list) => {
        const server = list.find((s) => s.id === id);
        if (!server)
          return (
            <>
              <Title text="Resource server not found" />
              <p>
                <a href={href(OAUTH)}>Back to the resource servers</a>
              </p>
            </>
          );
        return (
          <>
            <p class="crumbs">
              <a href={href(OAUTH)}>OAuth</a> /
            </p>
            <Title text={server.name} />
            <Alert message={error} />
            <dl class="fields">
              <dt>Identifier</dt>
              <dd class="value">{server.identifier}</dd>
              <dt>Access tokens</dt>
              <dd>
                {server.tokenFormat === 'jwt' ? 'JWT (RFC 9068)' : 'Opaque (checked by introspection)'}, valid{' '}
                {duration(server.accessTokenTtl)}
              </dd>
              <dt>Scopes</dt>
              <dd>
                <ScopeList server={server} />
              </dd>
            </dl>
            <div class="row">
              {confirming ? (
                <>
                  <button type="button" class="danger" onClick={() => remove(server)}>
                    Confirm: delete {server.name}
                  </button>
                  <button type="button" onClick={() => setConfirming(false)}>
                    Keep {server.name}
                  </button>
                </>
              ) : (
                <button type="button" onClick={() => setConfirming(true)}>
                  Delete {server.name}
                </button>
              )}
            </div>
          </>
        );
      }}
    </Show>
  );
}

interface ScopeDraft {
  name: string;
  description: string;
  exclusive: boolean;
}

/** Registers a resource server with its scopes; its introspection secret is shown once. */
export function ResourceServerNew() {
  const { notify } = useSession();
  const [identifier, setIdentifier] = useState('');
  const [name, setName] = useState('');
  const [format, setFormat] = useState<'opaque' | 'jwt'>('opaque');
  const [ttl, setTtl] = useState('3600');
  const [scopes, setScopes] = useState<ScopeDraft[]>([{ name: '', description: '', exclusive: false }]);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useBusy();
  const [created, setCreated] = useState<ResourceServer & { secret: string }>();
  const setScope = (i: number, patch: Partial<ScopeDraft>) =>
    setScopes((list) => list.map((s, j) => (j === i ? { ...s, ...patch } : s)));
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const answer = await api<ResourceServer & { secret: string }>('POST', '/resource-servers', {
        identifier: identifier.trim(),
        ...(name.trim() ? { name: name.trim() } : {}),
        tokenFormat: format,
        accessTokenTtl: Number(ttl),
        scopes: scopes
          .filter((s) => s.name.trim() !== '')
          .map((s) => ({ name: s.name.trim(), description: s.description.trim(), exclusive: s.exclusive })),
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
        <p>
          The resource server authenticates at the introspection endpoint with HTTP Basic: its id{' '}
          <code>{created.id}</code> and this secret.
        </p>
        <ShownOnce id="server-secret" label="Introspection secret" value={created.secret} />
        <p>
          <a href={href(created.id ? serverPath(created.id) : OAUTH)}>Go to {created.name}</a>
        </p>
      </>
    );
  return (
    <>
      <p class="crumbs">
        <a href={href(OAUTH)}>OAuth</a> /
      </p>
      <Title text="New resource server" />
      <form class="stack" onSubmit={submit}>
        <Alert message={error} />
        <label for="rs-identifier">Identifier (the API’s URI)</label>
        <input
          id="rs-identifier"
          required
          maxLength={2048}
          placeholder="https://api.example.com"
          value={identifier}
          onInput={(e) => setIdentifier(e.currentTarget.value)}
        />
        <label for="rs-name">Name shown on the consent page</label>
        <input id="rs-name" maxLength={200} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        <label for="rs-format">Access token format</label>
        <select
          id="rs-format"
          value={format}
          onChange={(e) => setFormat(e.currentTarget.value as 'opaque' | 'jwt')}
        >
          <option value="opaque">Opaque (the API asks the introspection endpoint)</option>
          <option value="jwt">JWT (the API checks the signature itself)</option>
        </select>
        <label for="rs-ttl">Access token lifetime (seconds, 60 to 86400)</label>
        <input
          id="rs-ttl"
          type="number"
          min={60}
          max={86400}
          required
          value={ttl}
          onInput={(e) => setTtl(e.currentTarget.value)}
        />
        <fieldset>
          <legend>Scopes</legend>
          {scopes.map((s, i) => (
            <div class="scope-row" key={i}>
              <label for={`scope-name-${i}`}>Scope {i + 1} name</label>
              <input
                id={`scope-name-${i}`}
                maxLength={100}
                placeholder="reports:read"
                value={s.name}
                onInput={(e) => setScope(i, { name: e.currentTarget.value })}
              />
              <label for={`scope-description-${i}`}>Scope {i + 1} description</label>
              <input
                id={`scope-description-${i}`}
                maxLength={300}
                value={s.description}
                onInput={(e) => setScope(i, { description: e.currentTarget.value })}
              />
              <label class="choice">
                <input
                  type="checkbox"
                  checked={s.exclusive}
                  onChange={(e) => setScope(i, { exclusive: e.currentTarget.checked })}
                />
                Exclusive: only clients registered with it may ask for scope {i + 1}
              </label>
            </div>
          ))}
          <button
            type="button"
            class="small"
            onClick={() => setScopes((list) => [...list, { name: '', description: '', exclusive: false }])}
          >
            Add a scope
          </button>
        </fieldset>
        <div class="row">
          <button type="submit" class="primary" disabled={busy}>
            Register resource server
          </button>
          <a class="button" href={href(OAUTH)}>
            Cancel
          </a>
        </div>
      </form>
    </>
  );
}
