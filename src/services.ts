import { ReplicaState } from './connect-server/central/replica-state.js';
import { ReplicaStreams } from './connect-server/central/replica-stream.js';
import type { Keyring } from './crypto/keyring.js';
import { type AccountService, accountService } from './domain/accounts/account-service.js';
import { type AdminTokenService, adminTokenService } from './domain/admin-tokens/admin-token-service.js';
import { RefusalSummaries } from './domain/audit/refusal-summaries.js';
import { type ServerService, serverService } from './domain/connect/server-service.js';
import { type SigningKeyService, signingKeyService } from './domain/connect/signing-key-service.js';
import { SigningKeys } from './domain/connect/signing-keys.js';
import { type TokenService, tokenService } from './domain/connect/token-service.js';
import { ConnectVerifier } from './domain/connect/verifier.js';
import type { RequestContext } from './domain/context.js';
import { type FileService, fileService } from './domain/items/file-service.js';
import { type ItemService, itemService } from './domain/items/item-service.js';
import { LoginService } from './domain/login/login-service.js';
import { SecondStep } from './domain/login/second-step.js';
import { MfaService } from './domain/mfa/mfa-service.js';
import { CatalogCache } from './domain/oauth/catalog.js';
import { type CatalogCheck, checkCatalog } from './domain/oauth/catalog-check.js';
import { ClientAuthenticator } from './domain/oauth/client-auth.js';
import { type ClientService, clientService } from './domain/oauth/client-service.js';
import { type ConnectedApplication, connectedApplications } from './domain/oauth/connected-apps.js';
import type { OAuthDeps } from './domain/oauth/context.js';
import { DeviceApproval } from './domain/oauth/device-approval.js';
import { DPoPNonces } from './domain/oauth/dpop-nonce.js';
import { DPoPProofs } from './domain/oauth/dpop-proof.js';
import { type GrantService, grantService } from './domain/oauth/grant-service.js';
import { type ResourceServerService, resourceServerService } from './domain/oauth/resource-server-service.js';
import { type UserService, userService } from './domain/users/user-service.js';
import { type VaultService, vaultService } from './domain/vaults/vault-service.js';
import type { Storage } from './storage/ports.js';

/** Every domain service, wired to one storage and one keyring. */
export interface Services {
  storage: Storage;
  /** Where clients reach the central service (no trailing slash): its origin is the console's. */
  publicUrl: () => string;
  accounts: AccountService;
  /** Admin API tokens: create, list, revoke. */
  adminTokens: AdminTokenService;
  users: UserService;
  vaults: VaultService;
  items: ItemService;
  files: FileService;
  signingKeys: SigningKeys;
  /** Listing and rotating the account's signing keys, for its administrators. */
  signingKeyAdmin: SigningKeyService;
  servers: ServerService;
  tokens: TokenService;
  connectVerifier: ConnectVerifier;
  /** The records of what standalone Connect nodes hold (connect-server/central/replica-state.ts). */
  replicaState: ReplicaState;
  /** The replica streams to standalone Connect nodes; closed with the HTTP app. */
  replicaStreams: ReplicaStreams;
  resourceServers: ResourceServerService;
  clients: ClientService;
  grants: GrantService;
  /** `keyhold scopes check`: lints the account's catalog, resource servers and clients. */
  catalogCheck: (ctx: RequestContext) => Promise<CatalogCheck>;
  /** The signed-in person's own grants, in words (the console's Connected applications, the grants page). */
  connectedApps: (ctx: RequestContext) => Promise<ConnectedApplication[]>;
  login: LoginService;
  /** TOTP second factors: enrolment, reset, the account policy. */
  mfa: MfaService;
  /** The second step of a sign-in (a code, or enrolment where the policy requires it). */
  secondStep: SecondStep;
  /** The device user-code page's lookups and decisions (RFC 8628). */
  deviceApproval: DeviceApproval;
  oauth: OAuthDeps;
  /** Refusals of unauthenticated requests, aggregated per source; close it before the storage. */
  refusals: RefusalSummaries;
}

export interface ServiceOptions {
  /** Where clients reach the central service; OAuth issuers are built from it. */
  publicUrl: () => string;
  /** An audit summary of refused requests could not be written (refusal-summaries.ts). */
  onSummaryError?: (error: unknown, count: number) => void;
}

export function buildServices(storage: Storage, keyring: Keyring, options: ServiceOptions): Services {
  const signingKeys = new SigningKeys(storage, keyring);
  const catalogs = new CatalogCache(storage);
  const login = new LoginService(storage);
  const mfa = new MfaService(storage, keyring);
  const replicaState = new ReplicaState(storage, keyring);
  const grants = grantService(storage);
  const vaults = vaultService(storage, keyring);
  return {
    resourceServers: resourceServerService(storage),
    clients: clientService(storage),
    grants,
    catalogCheck: (ctx) => checkCatalog(storage, ctx),
    connectedApps: (ctx) => connectedApplications({ storage, grants, vaults }, ctx),
    login,
    mfa,
    secondStep: new SecondStep(storage, keyring, login, mfa),
    deviceApproval: new DeviceApproval(storage),
    oauth: {
      storage,
      keys: signingKeys,
      clientAuth: new ClientAuthenticator(storage),
      catalogs,
      dpop: new DPoPProofs(storage, new DPoPNonces(keyring.purposeKey('keyhold/dpop-nonce/v1'))),
      issuer: (accountId) => `${options.publicUrl()}/oauth/${accountId}`,
    },
    signingKeys,
    signingKeyAdmin: signingKeyService(storage, signingKeys),
    servers: serverService(storage),
    tokens: tokenService(storage, signingKeys),
    connectVerifier: new ConnectVerifier(storage, signingKeys),
    replicaState,
    replicaStreams: new ReplicaStreams(storage, replicaState),
    storage,
    publicUrl: options.publicUrl,
    accounts: accountService(storage, signingKeys),
    adminTokens: adminTokenService(storage),
    users: userService(storage, { pagesBase: (accountId) => `${options.publicUrl()}/oauth/${accountId}` }),
    vaults,
    items: itemService(storage, keyring),
    files: fileService(storage, keyring),
    refusals: new RefusalSummaries(
      storage.audit,
      options.onSummaryError ? { onError: options.onSummaryError } : {},
    ),
  };
}
