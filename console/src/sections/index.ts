// The console's sections, one line each; the shell orders them by their `order`.

export { audit } from './audit.js';
export { vaults } from './vaults.js';
