import type { MigrationProvider } from 'kysely';
import { initial } from './migrations/0001-initial.js';
import { connect } from './migrations/0002-connect.js';
import { oauth } from './migrations/0003-oauth.js';
import { filesInOrder } from './migrations/0004-files-in-order.js';
import { itemContentTogether } from './migrations/0005-item-content-together.js';
import { auditRetention } from './migrations/0006-audit-retention.js';
import { loginAttempts } from './migrations/0007-login-attempts.js';
import { itemHeads } from './migrations/0008-item-heads.js';
import { signingKeyKinds } from './migrations/0009-signing-key-kinds.js';
import { adminTokenLifecycle } from './migrations/0010-admin-token-lifecycle.js';
import { userLifecycle } from './migrations/0011-user-lifecycle.js';
import { mfa } from './migrations/0012-mfa.js';
import { cliSignIn } from './migrations/0013-cli-sign-in.js';
import { auditFilters } from './migrations/0014-audit-filters.js';
import { sharedNodeState } from './migrations/0015-shared-node-state.js';
import { connectReplicas } from './migrations/0016-connect-replicas.js';
import { itemTrash } from './migrations/0017-item-trash.js';
import { auditTokenUse } from './migrations/0018-audit-token-use.js';
import { signingKeyWithdrawal } from './migrations/0019-signing-key-withdrawal.js';
import { pushedAuthorizationRequests } from './migrations/0020-pushed-authorization-requests.js';
import { dpop } from './migrations/0021-dpop.js';
import { openidConnect } from './migrations/0022-openid-connect.js';
import { tokenExchange } from './migrations/0023-token-exchange.js';
import { richAuthorizationRequests } from './migrations/0024-rich-authorization-requests.js';
import { clientProfiles } from './migrations/0025-client-profiles.js';
import { userNames } from './migrations/0026-user-names.js';
import { DIALECT_TYPES, type DialectTypes } from './migrations/dialect-types.js';

export { DIALECT_TYPES, type DialectTypes } from './migrations/dialect-types.js';

/**
 * Versioned migrations, applied in order at start, one file each under `migrations/`. They are
 * written once for every dialect; the few type names that differ come from `DialectTypes`.
 * Never edit a released migration: add one.
 */
export function migrationProvider(types: DialectTypes): MigrationProvider {
  return {
    async getMigrations() {
      return {
        '0001_initial': initial(types),
        '0002_connect': connect(types),
        '0003_oauth': oauth(types),
        '0004_files_in_order': filesInOrder,
        '0005_item_content_together': itemContentTogether,
        '0006_audit_retention': auditRetention,
        '0007_login_attempts': loginAttempts(types),
        '0008_item_heads': itemHeads(types),
        '0009_signing_key_kinds': signingKeyKinds,
        '0010_admin_token_lifecycle': adminTokenLifecycle,
        '0011_user_lifecycle': userLifecycle(types),
        '0012_mfa': mfa(types),
        '0013_cli_sign_in': cliSignIn(types),
        '0014_audit_filters': auditFilters,
        '0015_shared_node_state': sharedNodeState(types),
        '0016_connect_replicas': connectReplicas,
        '0017_item_trash': itemTrash,
        '0018_audit_token_use': auditTokenUse,
        '0019_signing_key_withdrawal': signingKeyWithdrawal,
        '0020_pushed_authorization_requests': pushedAuthorizationRequests(types),
        '0021_dpop': dpop,
        '0022_openid_connect': openidConnect,
        '0023_token_exchange': tokenExchange,
        '0024_rich_authorization_requests': richAuthorizationRequests,
        '0025_client_profiles': clientProfiles,
        '0026_user_names': userNames,
      };
    },
  };
}

/** The names of the migrations this build knows, in the order they apply (the same on every dialect). */
export async function knownMigrations(): Promise<string[]> {
  return Object.keys(await migrationProvider(DIALECT_TYPES.sqlite).getMigrations()).sort();
}
