// Loaded by nginx in tests only (dev/runtimes.mjs engineProbeConf): which JavaScript engine runs here.
// njs 0.7.9 has no njs.engine; it only has the njs engine.
function engine() {
  return typeof njs.engine === 'string' ? njs.engine : 'njs';
}

export default { engine };
