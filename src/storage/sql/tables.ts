import type { ColumnType, Generated } from 'kysely';

/** Kysely's view of the schema. Column names are snake_case; booleans are 0/1 integers. */
export interface Database {
  meta: { key: string; value: string };
  accounts: { id: string; name: string; created_at: string; operator: number };
  users: {
    id: string;
    account_id: string;
    email: string;
    password_hash: string;
    role: string;
    created_at: string;
    updated_at: string;
    disabled_at: string | null;
    name: string | null;
  };
  password_resets: {
    id: string;
    secret_hash: Buffer;
    account_id: string;
    user_id: string;
    created_at: string;
    expires_at: string;
    used_at: string | null;
  };
  admin_tokens: {
    id: string;
    account_id: string;
    name: string;
    token_hash: Buffer;
    role: string;
    created_at: string;
    expires_at: string | null;
    revoked_at: string | null;
    created_by: string | null;
  };
  vaults: {
    id: string;
    account_id: string;
    wrapped_key: Buffer;
    attributes: Buffer;
    type: string;
    attribute_version: number;
    content_version: number;
    created_at: string;
    updated_at: string;
  };
  vault_access: { vault_id: string; user_id: string; permissions: string };
  items: {
    id: string;
    vault_id: string;
    account_id: string;
    version: number;
    created_at: string;
    updated_at: string;
    last_edited_by: string;
    head: Buffer | null;
    /** Set while the item is in its vault's trash (migration 0017). */
    deleted_at: string | null;
    deleted_by: string | null;
  };
  item_versions: {
    item_id: string;
    version: number;
    overview: Buffer;
    content: Buffer;
    layout: number;
    created_at: string;
    edited_by: string;
    mac: Buffer | null;
  };
  files: {
    id: string;
    item_id: string;
    vault_id: string;
    meta: Buffer;
    size: number;
    content: Buffer;
    created_at: string;
  };
  audit_events: {
    seq: Generated<number>;
    occurred_at: string;
    account_id: string | null;
    actor_type: string;
    actor_id: string;
    token_id: string | null;
    action: string;
    resource_type: string;
    resource_id: string | null;
    vault_id: string | null;
    item_id: string | null;
    item_version: number | null;
    result: string;
    request_id: string | null;
    ip: string | null;
    user_agent: string | null;
    count: ColumnType<number, number | undefined, never>;
  };
  signing_keys: {
    kid: string;
    account_id: string;
    kind: string;
    public_jwk: string;
    private_key: Buffer;
    created_at: string;
    retired_at: string | null;
    oauth_until: string | null;
    withdrawn_at: string | null;
  };
  connect_servers: {
    id: string;
    account_id: string;
    name: string;
    secret_hash: Buffer;
    created_at: string;
    /** Null on servers made before migration 0016. */
    public_key: string | null;
  };
  connect_server_vaults: { server_id: string; vault_id: string };
  connect_tokens: {
    id: string;
    account_id: string;
    server_id: string;
    name: string;
    grants: string;
    signature_hash: Buffer;
    created_at: string;
    expires_at: string | null;
    revoked_at: string | null;
    /** The OAuth grant a token exchange made it under; null for one an administrator made. */
    oauth_grant_id: string | null;
  };
  oauth_resource_servers: {
    id: string;
    account_id: string;
    identifier: string;
    name: string;
    token_format: string;
    access_token_ttl: number;
    secret_hash: Buffer;
    created_at: string;
  };
  oauth_scopes: {
    account_id: string;
    name: string;
    resource_server_id: string;
    description: string;
    exclusive: number;
    created_at: string;
  };
  oauth_clients: {
    id: string;
    account_id: string;
    name: string;
    auth_method: string;
    secret_hash: Buffer | null;
    jwks: string | null;
    redirect_uris: string;
    grant_types: string;
    scopes: string;
    created_at: string;
    /** 1: every token request must carry a DPoP proof (RFC 9449 §5.2). */
    dpop_bound_access_tokens: number;
    /** 1: authorization requests only through the PAR endpoint (RFC 9126 §6). */
    require_pushed_authorization_requests: number;
    /** 1: held to the FAPI 2.0 Security Profile (domain/oauth/client-profile.ts). */
    fapi2_security_profile: number;
  };
  oauth_grants: {
    id: string;
    account_id: string;
    user_id: string;
    client_id: string;
    resource: string;
    scopes: string;
    created_at: string;
    updated_at: string;
    /** RFC 9396: the approved `keyhold_vault` details, a JSON array; null when none were asked. */
    authorization_details: string | null;
  };
  oauth_codes: {
    id: string;
    code_hash: Buffer;
    account_id: string;
    client_id: string;
    user_id: string;
    grant_id: string;
    redirect_uri: string;
    resource: string;
    scopes: string;
    code_challenge: string;
    created_at: string;
    expires_at: string;
    consumed_at: string | null;
    nonce: string | null;
    auth_time: string | null;
    amr: string | null;
    /** RFC 9449 §10: the DPoP key thumbprint the code is bound to. */
    dpop_jkt: string | null;
    /** RFC 9396: the details the code's consent approved, a JSON array; null when none. */
    authorization_details: string | null;
  };
  oauth_device_codes: {
    id: string;
    device_code_hash: Buffer;
    user_code_hash: Buffer;
    account_id: string;
    client_id: string;
    resource: string;
    scopes: string;
    status: string;
    user_id: string | null;
    grant_id: string | null;
    poll_interval: number;
    /** Epoch milliseconds, or null before the first poll. */
    last_polled_at: number | null;
    created_at: string;
    expires_at: string;
  };
  oauth_tokens: {
    id: string;
    token_hash: Buffer;
    kind: string;
    account_id: string;
    client_id: string;
    user_id: string | null;
    grant_id: string | null;
    code_id: string | null;
    resource: string;
    scopes: string;
    created_at: string;
    expires_at: string;
    revoked_at: string | null;
    rotated_at: string | null;
    /** The RFC 7638 thumbprint of the DPoP key the token is bound to; null for a bearer token. */
    jkt: string | null;
    /** RFC 8693 §4.1: the `act` claim (JSON) of a delegated token; null for any other. */
    act: string | null;
    /** RFC 9396: the details the token was issued with, a JSON array; null when none. */
    authorization_details: string | null;
  };
  login_attempts: {
    key: Buffer;
    failures: number;
    /** Epoch milliseconds; 0 when the key is not locked. */
    locked_until: number;
    /** Epoch milliseconds after which the key's attempts are forgotten. */
    expires_at: number;
  };
  login_sessions: {
    id: string;
    secret_hash: Buffer;
    account_id: string;
    user_id: string;
    csrf_token: string;
    created_at: string;
    expires_at: string;
    amr: string | null;
  };
  user_totp: {
    user_id: string;
    account_id: string;
    secret: Buffer;
    enabled: number;
    last_step: number;
    created_at: string;
    enabled_at: string | null;
    pending_for: string | null;
  };
  user_recovery_codes: { user_id: string; code_hash: Buffer; used_at: string | null };
  account_policies: {
    account_id: string;
    require_mfa: number;
    /** Added by migration 0020, default 0. */
    require_pushed_requests: Generated<number>;
    updated_at: string;
  };
  mfa_challenges: {
    id: string;
    secret_hash: Buffer;
    account_id: string;
    user_id: string;
    purpose: string;
    csrf_token: string;
    attempts: number;
    created_at: string;
    expires_at: string;
  };
  /** One row (id 1): bumped by every transaction that announces a change (PostgreSQL only). */
  change_counter: { id: number; value: number };
  replica_log: { id: number; epoch: string; value: number; pruned_through: number };
  replica_changes: {
    seq: number;
    account_id: string;
    kind: string;
    vault_id: string | null;
    item_id: string | null;
    server_id: string | null;
    subject_id: string | null;
    at: string;
  };
  connect_node_outboxes: { server_id: string; outbox_id: string; through: number };
  oauth_pushed_requests: {
    id: string;
    uri_hash: Buffer;
    account_id: string;
    client_id: string;
    parameters: string;
    created_at: string;
    expires_at: string;
    opened_at: string | null;
    consumed_at: string | null;
  };
  oauth_used_jtis: {
    key: Buffer;
    /** Epoch milliseconds after which the key may be claimed again. */
    expires_at: number;
  };
}
