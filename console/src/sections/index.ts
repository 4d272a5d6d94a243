// The console's sections, one line each; the shell orders them by their `order`.

export { connect } from './connect.js';
export { vaults } from './vaults.js';
