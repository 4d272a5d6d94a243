import type { Keyring } from './crypto/keyring.js';
import { type AccountService, accountService } from './domain/accounts/account-service.js';
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
}

export function buildServices(storage: Storage, keyring: Keyring): Services {
  return {
    storage,
    accounts: accountService(storage),
    users: userService(storage),
    vaults: vaultService(storage, keyring),
    items: itemService(storage, keyring),
    files: fileService(storage, keyring),
  };
}
