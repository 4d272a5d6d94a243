// The console's sections, one line each; the shell orders them by their `order`.

export { connected, oauth } from './oauth.js';
export { vaults } from './vaults.js';
