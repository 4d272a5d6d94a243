import { connectSdkSuite } from './connect-sdk.suite.js';

// The official SDK against `keyhold connect`, a Connect server in its own process.
connectSdkSuite('own process');
