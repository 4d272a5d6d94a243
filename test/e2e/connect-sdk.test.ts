import { connectSdkSuite } from './connect-sdk.suite.js';

// The official SDK against a Connect server hosted inside `keyhold serve --connect`.
connectSdkSuite('in process');
