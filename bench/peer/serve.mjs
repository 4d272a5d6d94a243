// node-oidc-provider 9 with its in-memory adapter, set up for the two requests bench/oauth.mjs
// times: client credentials → an opaque access token, and introspection of it by a confidential
// client. Started by bench/oauth.mjs; prints one JSON line with its URL and credentials.
import { randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';

const secret = () => randomBytes(32).toString('base64url');
const client = { client_id: 'bench', client_secret: secret() };
const resourceServer = { client_id: 'reports', client_secret: secret() };

const provider = new Provider('http://127.0.0.1', {
  clients: [
    {
      ...client,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      scope: 'reports:read',
    },
    { ...resourceServer, grant_types: [], response_types: [], redirect_uris: [] },
  ],
  scopes: ['reports:read'],
  features: {
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    devInteractions: { enabled: false },
  },
});
// Its own request log would cost it; Keyhold logs every request (the bench leaves that on).
provider.on('server_error', (_ctx, error) => console.error(error));

const server = provider.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  console.log(
    JSON.stringify({ msg: 'peer listening', url: `http://127.0.0.1:${port}`, client, resourceServer }),
  );
});
