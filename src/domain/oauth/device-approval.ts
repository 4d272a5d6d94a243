import { newId } from '../../crypto/ids.js';
import { hashSecret } from '../../crypto/secrets.js';
import { conflict } from '../../errors/app-error.js';
import type { DeviceCodeRecord, LoginAttemptKey, Transactional } from '../../storage/ports.js';
import { recordAudit } from '../audit/audit-log.js';
import { sourceAddress } from '../audit/refusal-summaries.js';
import type { RequestContext } from '../context.js';
import { TooManyAttemptsError } from '../login/login-service.js';
import { ADMIN_API, ADMIN_API_SCOPE } from './cli-client.js';
import { displayUserCode, normaliseUserCode, userCodeHash } from './user-code.js';

/** What the user-code page shows about a pending request before the user decides. */
export interface DeviceRequestView {
  userCode: string;
  clientName: string;
  resourceName: string;
  scopes: { scope: string; description: string }[];
  requestedAt: string;
  expiresAt: string;
}

const SCOPE_DESCRIPTIONS: Record<string, string> = {
  [ADMIN_API_SCOPE]:
    'Act as you in the admin API: everything your role and vault permissions allow, for as long as you stay signed in there',
};

/** Entries a signed-in user may get wrong before each further one waits; a right one clears them. */
const FREE_PER_USER = 10;
/** Wrong entries one address may make across every user of the account. */
const FREE_PER_SOURCE = 50;
const WAITS_MS: readonly number[] = Object.freeze(
  [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900].map((s) => s * 1000),
);
const FORGET_MS = 3600_000;

/**
 * The user-code page's side of RFC 8628 (§3.3): a signed-in user enters a code, sees what the
 * device asks for, approves or denies. Guessing is throttled (§5.1): every lookup reserves an
 * attempt on the user's key and the address's key (in the database, shared by every node) and
 * counts as wrong unless it finds a pending code, so only a bounded number of guesses per hour
 * reach the codes, each with odds of about live-codes / 20^8.
 */
type DeviceApprovalStores = Transactional<
  'loginAttempts' | 'deviceCodes' | 'clients',
  'users' | 'deviceCodes' | 'grants' | 'audit'
>;

export class DeviceApproval {
  readonly #storage: DeviceApprovalStores;
  readonly #now: () => number;

  constructor(storage: DeviceApprovalStores, now: () => number = Date.now) {
    this.#storage = storage;
    this.#now = now;
  }

  /** The pending request a typed code names, or undefined; throws TooManyAttemptsError when throttled. */
  async find(user: RequestContext, typed: string): Promise<DeviceRequestView | undefined> {
    const code = await this.#lookup(user, typed);
    return (
      code && view(code, await this.#clientName(code), displayUserCode(normaliseUserCode(typed) as string))
    );
  }

  /**
   * Approves (a grant for the client at the admin API, the device code bound to it) or denies
   * the request a typed code names. False when there is no such pending request (any more).
   */
  async decide(user: RequestContext, typed: string, approve: boolean): Promise<boolean> {
    const code = await this.#lookup(user, typed);
    if (!code) return false;
    const accountId = user.actor.accountId;
    const userId = user.actor.id;
    const now = new Date(this.#now()).toISOString();
    return this.#storage.transaction(async (tx) => {
      if (!approve) {
        if (!(await tx.deviceCodes.deny(code.id))) return false;
        await recordAudit(tx.audit, user, {
          action: 'CREATE',
          resourceType: 'OAUTH_GRANT',
          resourceId: code.id,
          result: 'DENY',
        });
        return true;
      }
      // As a consent does (consent.ts): the user's grants are decided one transaction at a time.
      await tx.users.get(accountId, userId, 'update');
      let grant = await tx.grants.find(userId, code.clientId, code.resource);
      const existed = grant !== undefined;
      if (grant) {
        const scopes = [...new Set([...grant.scopes, ...code.scopes])];
        await tx.grants.updateScopes(grant.id, scopes, now);
      } else {
        grant = {
          id: newId(),
          accountId,
          userId,
          clientId: code.clientId,
          resource: code.resource,
          scopes: code.scopes,
          createdAt: now,
          updatedAt: now,
        };
        await tx.grants.insert(grant);
      }
      if (!(await tx.deviceCodes.approve(code.id, userId, grant.id))) {
        throw conflict('this code was decided already');
      }
      await recordAudit(tx.audit, user, {
        action: existed ? 'UPDATE' : 'CREATE',
        resourceType: 'OAUTH_GRANT',
        resourceId: grant.id,
        result: 'SUCCESS',
      });
      return true;
    });
  }

  async #lookup(user: RequestContext, typed: string): Promise<DeviceCodeRecord | undefined> {
    const accountId = user.actor.accountId;
    const keys = throttleKeys(accountId, user.actor.id, user.ip);
    const answer = await this.#storage.loginAttempts.reserve(keys, WAITS_MS, this.#now());
    if (!answer.reserved) throw new TooManyAttemptsError(Math.ceil(answer.retryAfterMs / 1000));
    const normalised = normaliseUserCode(typed);
    if (normalised === undefined) return undefined;
    const code = await this.#storage.deviceCodes.findByUserCodeHash(accountId, userCodeHash(normalised));
    if (code?.status !== 'pending' || code.expiresAt <= new Date(this.#now()).toISOString()) {
      return undefined;
    }
    // A right code: the user's mistakes are forgotten (the address's are left to expire).
    await this.#storage.loginAttempts.clear([keys[0]?.key as Buffer]);
    return code;
  }

  async #clientName(code: DeviceCodeRecord): Promise<string> {
    return (await this.#storage.clients.findById(code.clientId))?.name ?? code.clientId;
  }
}

function throttleKeys(accountId: string, userId: string, ip: string | null): LoginAttemptKey[] {
  return [
    {
      key: hashSecret(`device-user-code\0user\0${accountId}\0${userId}`),
      free: FREE_PER_USER,
      forgetAfterMs: FORGET_MS,
    },
    {
      key: hashSecret(`device-user-code\0source\0${accountId}\0${sourceAddress(ip)}`),
      free: FREE_PER_SOURCE,
      forgetAfterMs: FORGET_MS,
    },
  ];
}

function view(code: DeviceCodeRecord, clientName: string, userCode: string): DeviceRequestView {
  return {
    userCode,
    clientName,
    resourceName: code.resource === ADMIN_API.identifier ? ADMIN_API.name : code.resource,
    scopes: code.scopes.map((scope) => ({ scope, description: SCOPE_DESCRIPTIONS[scope] ?? scope })),
    requestedAt: code.createdAt,
    expiresAt: code.expiresAt,
  };
}
