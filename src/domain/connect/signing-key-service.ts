import type { JWK } from 'jose';
import type { SigningKeyKind, SigningKeyRecord, Storage } from '../../storage/ports.js';
import { authorizeAccount } from '../access/authorize.js';
import type { RequestContext } from '../context.js';
import type { SigningKeys } from './signing-keys.js';

/**
 * What a key does now: `current` signs new tokens of its kind and verifies; `previous` (a newer
 * key took over) verifies what it signed; `withdrawn` verifies nothing, for good.
 */
export const SIGNING_KEY_STATES = ['current', 'previous', 'withdrawn'] as const;
export type SigningKeyState = (typeof SIGNING_KEY_STATES)[number];

/** A signing key as its account's administrators see it: never the private half. */
export interface SigningKeyView {
  kid: string;
  kind: SigningKeyKind;
  state: SigningKeyState;
  createdAt: string;
  /** Null for the current key of its kind; when a newer key took over signing otherwise. */
  retiredAt: string | null;
  /** When the key was withdrawn (it verifies nothing since); null while it is not. */
  withdrawnAt: string | null;
  /** See `SigningKeyRecord.oauthUntil`: only on keys from before kinds were separated. */
  oauthUntil: string | null;
  publicJwk: JWK;
}

export interface SigningKeyService {
  /** Every key of the account, both kinds, newest first. */
  list(ctx: RequestContext): Promise<SigningKeyView[]>;
  /** Makes a new key of this kind the signer; the other kind's keys are left alone. */
  rotate(ctx: RequestContext, kind: SigningKeyKind): Promise<SigningKeyView>;
  /**
   * Withdraws a previous key for good: no token it signed verifies from then on, anywhere. The
   * current key of a kind is refused (409 `signing_key_current`: rotate first); a kid the
   * account does not have is not found.
   */
  withdraw(ctx: RequestContext, kid: string): Promise<SigningKeyView>;
}

const stateOf = (r: SigningKeyRecord): SigningKeyState =>
  r.withdrawnAt !== null ? 'withdrawn' : r.retiredAt !== null ? 'previous' : 'current';

const view = (r: SigningKeyRecord): SigningKeyView => ({
  kid: r.kid,
  kind: r.kind,
  state: stateOf(r),
  createdAt: r.createdAt,
  retiredAt: r.retiredAt,
  withdrawnAt: r.withdrawnAt,
  oauthUntil: r.oauthUntil,
  publicJwk: JSON.parse(r.publicJwk) as JWK,
});

/** The administration of an account's signing keys (admin API, `keyhold keys`). */
export function signingKeyService(
  storage: Pick<Storage, 'signingKeys' | 'transaction' | 'audit'>,
  keys: SigningKeys,
): SigningKeyService {
  return {
    async list(ctx) {
      await authorizeAccount(storage, ctx, 'keys:read');
      return (await storage.signingKeys.list(ctx.actor.accountId)).map(view);
    },

    async rotate(ctx, kind) {
      await authorizeAccount(storage, ctx, 'keys:rotate');
      const accountId = ctx.actor.accountId;
      return view(await storage.transaction((tx) => keys.create(accountId, kind, tx, ctx)));
    },

    async withdraw(ctx, kid) {
      await authorizeAccount(storage, ctx, 'keys:withdraw', { denied: { resourceId: kid } });
      const accountId = ctx.actor.accountId;
      return view(await storage.transaction((tx) => keys.withdraw(accountId, kid, tx, ctx)));
    },
  };
}
