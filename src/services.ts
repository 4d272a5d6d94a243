import type { Keyring } from './crypto/keyring.js';
import { type AccountService, accountService } from './domain/accounts/account-service.js';
import { type ServerService, serverService } from './domain/connect/server-service.js';
import { SigningKeys } from './domain/connect/signing-keys.js';
import { type TokenService, tokenService } from './domain/connect/token-service.js';
import { ConnectVerifier } from './domain/connect/verifier.js';
import { type FileService, fileService } from './domain/items/file-service.js';
import { type ItemService, itemService } from './domain/items/item-service.js';
import { type UserService, userService } from './domain/users/user-service.js';
import { type VaultService, vaultService } from './domain/vaults/vault-service.js';
import type { Storage } from './storage/ports.js';

/** Every domain service, wired to one storage and one keyring. */
export interface Services {
  storage: Storage;
  accounts: AccountService;
  users: UserService;
  vaults: VaultService;
  items: ItemService;
  files: FileService;
  signingKeys: SigningKeys;
  servers: ServerService;
  tokens: TokenService;
  connectVerifier: ConnectVerifier;
}

export function buildServices(storage: Storage, keyring: Keyring): Services {
  const signingKeys = new SigningKeys(storage, keyring);
  return {
    signingKeys,
    servers: serverService(storage),
    tokens: tokenService(storage, signingKeys),
    connectVerifier: new ConnectVerifier(storage, signingKeys),
    storage,
    accounts: accountService(storage, signingKeys),
    users: userService(storage),
    vaults: vaultService(storage, keyring),
    items: itemService(storage, keyring),
    files: fileService(storage, keyring),
  };
}
