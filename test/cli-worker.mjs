// The CLI run in a worker thread of the test process (test/helpers.ts `cli`): main() as the
// executable calls it, with stdout and stderr collected, so a test pays for loading unstamp
// once per file instead of once per run.
import { parentPort, workerData } from 'node:worker_threads';

const { port, flag, cliModule } = workerData;
const { main } = await import(cliModule);

parentPort.on('message', async ({ args, sourceDateEpoch }) => {
  process.env.SOURCE_DATE_EPOCH = sourceDateEpoch;
  let stdout = '';
  let stderr = '';
  let code;
  try {
    code = await main(args, { out: (l) => void (stdout += l + '\n'), err: (l) => void (stderr += l + '\n') });
  } catch (err) {
    // What bin/unstamp.js prints for an error main() did not handle.
    stderr += `unstamp: internal error: ${err && err.stack ? err.stack : err}\n`;
    code = 3;
  }
  port.postMessage({ code, stdout, stderr });
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
});
