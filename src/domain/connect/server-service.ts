import { newId } from '../../crypto/ids.js';
import { hashSecret, newBearerSecret } from '../../crypto/secrets.js';
import { newReplicaKey, newServerKeyPair, type ServerPrivateJwk } from '../../crypto/server-key.js';
import { invalidInput, notFound } from '../../errors/app-error.js';
import type { ConnectServerRecord, Storage } from '../../storage/ports.js';
import { authorizeAccount, authorizeVault } from '../access/authorize.js';
import { recordAudit } from '../audit/audit-log.js';
import type { RequestContext } from '../context.js';

export interface ServerView {
  id: string;
  name: string;
  vaults: string[];
  createdAt: string;
}

/**
 * What a Connect server needs to prove its identity to the central service and to open what it
 * is sent: never the master key, never a vault key. Written to `1password-credentials.json`
 * (mode 0600); see docs/connect.md.
 */
export interface ConnectCredentials {
  kind: 'keyhold-connect-credentials';
  version: 2;
  serverId: string;
  accountId: string;
  /** Bearer secret the server presents to the central service; only its hash is stored. */
  serverSecret: string;
  /** Where the central service was reached when the server was created (may be overridden). */
  central: string | null;
  /**
   * The private half of the server's key pair (a P-256 JWK for JWE ECDH-ES, crypto/server-key.ts):
   * it opens the vault keys the central service wraps to the server, and exists nowhere else.
   */
  serverKey: ServerPrivateJwk;
  /** Seals the node's replica (32 bytes, base64url). */
  replicaKey: string;
}

/**
 * A credentials file made before Connect nodes kept a replica: it proves the server's identity
 * (enough for `keyhold serve --connect`), but holds no key to open a replica with.
 */
export type LegacyConnectCredentials = Omit<ConnectCredentials, 'version' | 'serverKey' | 'replicaKey'> & {
  version: 1;
};

export interface ServerService {
  create(
    ctx: RequestContext,
    input: { name: string; vaultIds: string[] },
  ): Promise<ServerView & { credentials: ConnectCredentials }>;
  list(ctx: RequestContext): Promise<ServerView[]>;
  get(ctx: RequestContext, serverId: string): Promise<ServerView>;
  update(
    ctx: RequestContext,
    serverId: string,
    change: { addVaults: string[]; removeVaults: string[] },
  ): Promise<ServerView>;
  delete(ctx: RequestContext, serverId: string): Promise<void>;
  /**
   * New credentials for the server: a new secret (the old one stops working at once) and a new
   * key pair (the public half stored, the private half only in the answer), as a version-2
   * credentials file. For a server made before Connect nodes kept replicas, and for re-issue.
   */
  newCredentials(
    ctx: RequestContext,
    serverId: string,
  ): Promise<ServerView & { credentials: ConnectCredentials }>;
  /** The server a credentials secret belongs to, or undefined. */
  authenticate(secret: string): Promise<ConnectServerRecord | undefined>;
}

export const SERVER_SECRET_PREFIX = 'khsrv';
export const SERVER_SECRET_PATTERN = /^khsrv_[A-Za-z0-9_-]{43}$/;

export function serverService(storage: Storage): ServerService {
  const view = async (s: ConnectServerRecord): Promise<ServerView> => ({
    id: s.id,
    name: s.name,
    vaults: await storage.connectServers.vaults(s.id),
    createdAt: s.createdAt,
  });
  const load = async (ctx: RequestContext, serverId: string) => {
    const server = await storage.connectServers.get(ctx.actor.accountId, serverId);
    if (!server) throw notFound(`server ${serverId} not found`);
    return server;
  };
  /**
   * Giving a server a vault gives the tokens it will carry that vault, so it takes the right to
   * manage the vault (decide.ts): a role that manages Connect servers and tokens only can attach
   * none, and its tokens reach only the vaults someone who may manage them gave the server.
   */
  const requireVaults = async (ctx: RequestContext, vaultIds: string[]) => {
    for (const id of vaultIds) {
      if (!(await storage.vaults.find(ctx.actor.accountId, id)))
        throw invalidInput(`vault ${id} not found in this account`);
      await authorizeVault(storage, ctx, id, 'manage', { action: 'UPDATE', resourceType: 'SERVER' });
    }
  };

  return {
    async create(ctx, input) {
      await authorizeAccount(storage, ctx, 'connect:write', { denied: { action: 'CREATE' } });
      const vaultIds = [...new Set(input.vaultIds)];
      await requireVaults(ctx, vaultIds);
      const secret = newBearerSecret(SERVER_SECRET_PREFIX);
      const keys = await newServerKeyPair();
      const server: ConnectServerRecord = {
        id: newId(),
        accountId: ctx.actor.accountId,
        name: input.name,
        secretHash: hashSecret(secret),
        createdAt: new Date().toISOString(),
        publicKey: JSON.stringify(keys.publicJwk),
      };
      await storage.transaction(async (tx) => {
        await tx.connectServers.insert(server, vaultIds);
        await recordAudit(tx.audit, ctx, {
          action: 'CREATE',
          resourceType: 'SERVER',
          resourceId: server.id,
          result: 'SUCCESS',
        });
      });
      const credentials: ConnectCredentials = {
        kind: 'keyhold-connect-credentials',
        version: 2,
        serverId: server.id,
        accountId: server.accountId,
        serverSecret: secret,
        central: null,
        serverKey: keys.privateJwk,
        replicaKey: newReplicaKey().toString('base64url'),
      };
      return { ...(await view(server)), credentials };
    },

    async list(ctx) {
      await authorizeAccount(storage, ctx, 'connect:read');
      return Promise.all((await storage.connectServers.list(ctx.actor.accountId)).map(view));
    },

    async get(ctx, serverId) {
      await authorizeAccount(storage, ctx, 'connect:read', { denied: { resourceId: serverId } });
      return view(await load(ctx, serverId));
    },

    async update(ctx, serverId, change) {
      await authorizeAccount(storage, ctx, 'connect:write', { denied: { resourceId: serverId } });
      const server = await load(ctx, serverId);
      if (change.addVaults.length === 0 && change.removeVaults.length === 0) {
        throw invalidInput('nothing to change: give addVaults, removeVaults or both');
      }
      await requireVaults(ctx, change.addVaults);
      const current = new Set(await storage.connectServers.vaults(serverId));
      for (const v of change.removeVaults) {
        if (!current.has(v)) throw invalidInput(`vault ${v} is not on server ${serverId}`);
      }
      await storage.transaction(async (tx) => {
        for (const v of change.addVaults) await tx.connectServers.addVault(serverId, v);
        for (const v of change.removeVaults) await tx.connectServers.removeVault(serverId, v);
        await recordAudit(tx.audit, ctx, {
          action: 'UPDATE',
          resourceType: 'SERVER',
          resourceId: serverId,
          result: 'SUCCESS',
        });
      });
      return view(server);
    },

    async delete(ctx, serverId) {
      await authorizeAccount(storage, ctx, 'connect:write', {
        denied: { action: 'DELETE', resourceId: serverId },
      });
      await storage.transaction(async (tx) => {
        if (!(await tx.connectServers.delete(ctx.actor.accountId, serverId)))
          throw notFound(`server ${serverId} not found`);
        await recordAudit(tx.audit, ctx, {
          action: 'DELETE',
          resourceType: 'SERVER',
          resourceId: serverId,
          result: 'SUCCESS',
        });
      });
    },

    async newCredentials(ctx, serverId) {
      await authorizeAccount(storage, ctx, 'connect:write', {
        denied: { action: 'UPDATE', resourceId: serverId },
      });
      const server = await load(ctx, serverId);
      const secret = newBearerSecret(SERVER_SECRET_PREFIX);
      const keys = await newServerKeyPair();
      const publicKey = JSON.stringify(keys.publicJwk);
      await storage.transaction(async (tx) => {
        if (
          !(await tx.connectServers.replaceCredentials(
            server.accountId,
            serverId,
            hashSecret(secret),
            publicKey,
          ))
        )
          throw notFound(`server ${serverId} not found`);
        await recordAudit(tx.audit, ctx, {
          action: 'UPDATE',
          resourceType: 'SERVER',
          resourceId: serverId,
          result: 'SUCCESS',
        });
      });
      const credentials: ConnectCredentials = {
        kind: 'keyhold-connect-credentials',
        version: 2,
        serverId,
        accountId: server.accountId,
        serverSecret: secret,
        central: null,
        serverKey: keys.privateJwk,
        replicaKey: newReplicaKey().toString('base64url'),
      };
      return { ...(await view({ ...server, publicKey })), credentials };
    },

    async authenticate(secret) {
      if (!SERVER_SECRET_PATTERN.test(secret)) return undefined;
      return storage.connectServers.findBySecretHash(hashSecret(secret));
    },
  };
}
