import { api, messageOf } from '../api.js';
import { useSession } from '../session.js';
import { Show, Title, useLoad } from '../ui.js';
import { type ConnectedApplication, duration, when } from './types.js';

/** "Connected applications": the signed-in person's own grants, in words, each revocable. */
export function ConnectedApplications() {
  const { notify } = useSession();
  const [apps, reload] = useLoad(() => api<ConnectedApplication[]>('GET', '/grants/mine'), 'connected');
  const revoke = async (app: ConnectedApplication) => {
    try {
      await api('DELETE', `/grants/${encodeURIComponent(app.id)}`);
      await reload();
      notify(`${app.clientName} no longer has access; its tokens no longer work.`);
    } catch (e) {
      notify(messageOf(e));
    }
  };
  return (
    <>
      <Title text="Connected applications" />
      <p class="muted">
        Applications you allowed to reach your vaults on your behalf. They keep access until you revoke it.
      </p>
      <Show loaded={apps}>
        {(list) =>
          list.length === 0 ? (
            <p>You have not given any application access.</p>
          ) : (
            <ul class="cards wide">
              {list.map((app) => (
                <li key={app.id}>
                  <h2 class="card-title">{app.clientName}</h2>
                  <p class="muted small">{app.resourceName}</p>
                  {app.narrowedTo ? (
                    <>
                      <p class="small">It can only, as you approved:</p>
                      <ul class="access">
                        {app.narrowedTo.map((words) => (
                          <li key={words}>{words}</li>
                        ))}
                      </ul>
                    </>
                  ) : (
                    <>
                      <p class="small">It can:</p>
                      <ul class="access">
                        {app.access.map((a) => (
                          <li key={a.scope}>{a.words}</li>
                        ))}
                      </ul>
                    </>
                  )}
                  <p class="small">
                    Granted {when(app.createdAt)}.{' '}
                    {app.lastUsedAt ? `Last used ${when(app.lastUsedAt)}.` : 'Not used yet.'}
                  </p>
                  <p class="small muted">
                    Its keys last {duration(app.accessTokenTtl)} and are renewed; after{' '}
                    {duration(app.refreshTokenTtl)} without renewing, its keys stop working until it sends you
                    back to Keyhold.
                  </p>
                  <button type="button" class="small" onClick={() => revoke(app)}>
                    Revoke {app.clientName}
                  </button>
                </li>
              ))}
            </ul>
          )
        }
      </Show>
    </>
  );
}
