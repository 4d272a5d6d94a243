// Preloaded into a process under test with `--import` (through NODE_OPTIONS): when the process
// exits, writes to the file MODULE_TRACE_FILE names, as one JSON document, every module the
// process loaded: the ES modules (their URLs, from a resolve hook), the CommonJS ones (require's
// cache) and Node's own built-in modules (process.moduleLoadList, which names e.g. undici, the
// code behind the global fetch). test/e2e/cli-start.test.ts reads it.
import { writeFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';

const file = process.env.MODULE_TRACE_FILE;
if (!file) throw new Error('module-trace.mjs: set MODULE_TRACE_FILE');

// The hooks run on their own thread; they post each URL they resolve back here.
const esm = [];
const { port1, port2 } = new MessageChannel();
port1.on('message', (url) => esm.push(url));
port1.unref();
register('./module-trace-hooks.mjs', {
  parentURL: import.meta.url,
  data: { port: port2 },
  transferList: [port2],
});

process.on('exit', () => {
  if (!Array.isArray(process.moduleLoadList)) throw new Error('module-trace.mjs: no process.moduleLoadList');
  // Messages posted before exit but not yet delivered are drained synchronously here.
  let message = receiveMessageOnPort(port1);
  while (message) {
    esm.push(message.message);
    message = receiveMessageOnPort(port1);
  }
  const cjs = Object.keys(createRequire(import.meta.url).cache);
  writeFileSync(file, JSON.stringify({ esm, cjs, builtins: process.moduleLoadList }));
});
