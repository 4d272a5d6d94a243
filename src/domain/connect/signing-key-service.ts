import type { JWK } from 'jose';
import type { SigningKeyKind, SigningKeyRecord, Storage } from '../../storage/ports.js';
import { authorizeAccount } from '../access/authorize.js';
import type { RequestContext } from '../context.js';
import type { SigningKeys } from './signing-keys.js';

/** A signing key as its account's administrators see it: never the private half. */
export interface SigningKeyView {
  kid: string;
  kind: SigningKeyKind;
  createdAt: string;
  /** Null for the current key of its kind. */
  retiredAt: string | null;
  /** See `SigningKeyRecord.oauthUntil`: only on keys from before kinds were separated. */
  oauthUntil: string | null;
  publicJwk: JWK;
}

export interface SigningKeyService {
  /** Every key of the account, both kinds, newest first. */
  list(ctx: RequestContext): Promise<SigningKeyView[]>;
  /** Makes a new key of this kind the signer; the other kind's keys are left alone. */
  rotate(ctx: RequestContext, kind: SigningKeyKind): Promise<SigningKeyView>;
}

const view = (r: SigningKeyRecord): SigningKeyView => ({
  kid: r.kid,
  kind: r.kind,
  createdAt: r.createdAt,
  retiredAt: r.retiredAt,
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
  };
}
