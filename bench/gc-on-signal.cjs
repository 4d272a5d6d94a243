// Preloaded into a server a memory bench measures (`node --expose-gc --require
// bench/gc-on-signal.cjs ...`): on SIGUSR2 it runs full garbage collections and writes the
// process's memory, as a JSON line on stderr, to the bench, which then reads RSS without V8's
// young generation swinging it by ±10% (what is left is what the process holds on to).
process.on('SIGUSR2', () => {
  globalThis.gc();
  globalThis.gc();
  process.stderr.write(`${JSON.stringify({ msg: 'collected', ...process.memoryUsage() })}\n`);
});
