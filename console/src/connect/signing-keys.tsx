import { useState } from 'preact/hooks';
import { api, messageOf } from '../api.js';
import { href } from '../router.js';
import { useSession } from '../session.js';
import { Alert, Show, Title, useLoad } from '../ui.js';
import { Confirm } from './confirm.js';
import { CONNECT, type SigningKey, when } from './types.js';

const KIND_NAME = { connect: 'Connect', oauth: 'OAuth' } as const;
const WHAT_IT_SIGNS = {
  connect: 'Connect tokens',
  oauth: 'the JWT access tokens of the authorization server',
} as const;

const STATE_NAME = { current: 'Current', previous: 'Previous', withdrawn: 'Withdrawn' } as const;

/**
 * The account's signing keys. Rotating a kind makes a new key its signer and the current one
 * previous: it signs nothing more but keeps verifying what it signed (Connect tokens may never
 * expire; OAuth keys stay published for a day). A previous key can be withdrawn for good (a
 * leaked key): every token it signed stops working at once. The current key cannot be: rotate
 * first.
 */
export function SigningKeys() {
  const { session, notify } = useSession();
  const [loaded, reload] = useLoad(() => api<{ keys: SigningKey[] }>('GET', '/keys'), 'keys');
  const [error, setError] = useState<string>();
  // Only owners rotate keys (the API decides; this only spares others a button that is refused).
  const mayRotate = session.user.role === 'owner';
  const withdraw = async (key: SigningKey) => {
    setError(undefined);
    try {
      await api<SigningKey>('POST', `/keys/${encodeURIComponent(key.kid)}/withdraw`);
      await reload();
      notify(`Key ${key.kid} is withdrawn: no token it signed works any more.`);
    } catch (err) {
      setError(messageOf(err));
    }
  };
  const rotate = async (kind: SigningKey['kind']) => {
    setError(undefined);
    try {
      const key = await api<SigningKey>('POST', '/keys/rotate', { kind });
      await reload();
      notify(
        `A new ${KIND_NAME[kind]} key (${key.kid}) signs from now on; the one before it still verifies what it signed.`,
      );
    } catch (err) {
      setError(messageOf(err));
    }
  };
  return (
    <>
      <p class="crumbs">
        <a href={href(CONNECT)}>Connect servers</a>
      </p>
      <Title text="Signing keys" />
      <Alert message={error} />
      <Show loaded={loaded}>
        {({ keys }) => (
          <>
            {(['connect', 'oauth'] as const).map((kind) => {
              const ofKind = keys.filter((k) => k.kind === kind);
              return (
                <section key={kind} aria-labelledby={`keys-${kind}`}>
                  <h2 id={`keys-${kind}`}>{KIND_NAME[kind]} keys</h2>
                  <p class="muted">They sign {WHAT_IT_SIGNS[kind]}.</p>
                  {ofKind.length === 0 ? (
                    <p>None yet: the first is made when one is needed.</p>
                  ) : (
                    <ul class="items">
                      {ofKind.map((k) => (
                        <li key={k.kid}>
                          <span class="value">{k.kid}</span> <strong>{STATE_NAME[k.state]}</strong>
                          <p class="muted small">
                            Created {when(k.createdAt)}
                            {k.state === 'previous' &&
                              k.retiredAt !== null &&
                              ` · replaced ${when(k.retiredAt)}, still verifies what it signed`}
                            {k.state === 'withdrawn' &&
                              k.withdrawnAt !== null &&
                              ` · withdrawn ${when(k.withdrawnAt)}, verifies nothing`}
                          </p>
                          {mayRotate && k.state === 'previous' && (
                            <Confirm
                              label={`Withdraw key ${k.kid}`}
                              confirmLabel={`Yes, withdraw key ${k.kid}`}
                              onConfirm={() => withdraw(k)}
                            >
                              Every token this key signed stops working at once, everywhere:{' '}
                              {k.kind === 'connect'
                                ? 'every Connect token it signed is refused by every Connect server'
                                : 'every JWT access token it signed is inactive, and it leaves the JWKS'}
                              . This cannot be undone: applications need tokens signed by the current key.
                            </Confirm>
                          )}
                        </li>
                      ))}
                    </ul>
                  )}
                  {mayRotate && (
                    <Confirm
                      label={`Rotate the ${KIND_NAME[kind]} key`}
                      confirmLabel={`Yes, rotate the ${KIND_NAME[kind]} key`}
                      onConfirm={() => rotate(kind)}
                    >
                      A new key signs {WHAT_IT_SIGNS[kind]} from now on. The current key becomes previous: it
                      signs nothing more, and keeps verifying the tokens it signed until you withdraw it.
                    </Confirm>
                  )}
                </section>
              );
            })}
          </>
        )}
      </Show>
    </>
  );
}
