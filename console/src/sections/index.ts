// The console's sections, one line each; the shell orders them by their `order`.

export { account } from './account.js';
export { audit } from './audit.js';
export { connect } from './connect.js';
export { connected, oauth } from './oauth.js';
export { people } from './people.js';
export { vaults } from './vaults.js';
