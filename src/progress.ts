// A progress bar on stderr for long runs: files, bytes, ETA (by bytes). Drawn by
// cli-progress, the maintained bar most Node CLIs use. Shown only when stderr is a
// terminal, never with --json, --quiet or $CI set, and only once a run has lasted
// long enough to need one.
import cliProgress from 'cli-progress';

export interface ProgressTarget {
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): boolean;
}

export interface Progress {
  walked(totals: { files: number; bytes: number }): void;
  fileDone(size: number): void;
  /** Print a report line without breaking the bar (the line goes above it). */
  line(text: string, to: (line: string) => void): void;
  stop(): void;
}

/** Whether a bar may be shown: a terminal, no --json, no --quiet, not under CI. */
export function progressWanted(stream: ProgressTarget, o: { json: boolean; quiet: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && !o.json && !o.quiet && !env.CI;
}

const mib = (n: number) => (n / (1 << 20)).toFixed(1);

/** A bar that appears after `delayMs` (short runs never show one). */
export function progressBar(stream: ProgressTarget, delayMs = 300): Progress {
  let multi: cliProgress.MultiBar | undefined;
  let bar: cliProgress.SingleBar | undefined;
  let totals = { files: 0, bytes: 0 };
  const state = { files: 0, bytes: 0 };
  let timer: NodeJS.Timeout | undefined;
  const payload = () => ({ files: state.files, totalFiles: totals.files, mib: mib(state.bytes), totalMib: mib(totals.bytes) });
  const show = () => {
    multi = new cliProgress.MultiBar(
      {
        stream: stream as unknown as NodeJS.WritableStream,
        format: 'unstamp {bar} {percentage}% | {files}/{totalFiles} files | {mib}/{totalMib} MiB | ETA {eta_formatted}',
        hideCursor: true,
        clearOnComplete: true,
        etaBuffer: 200,
        fps: 10,
      },
      cliProgress.Presets.shades_classic,
    );
    // The bar counts bytes (+1 per file, so runs of empty files still move) for the ETA.
    bar = multi.create(totals.bytes + totals.files, state.bytes + state.files, payload());
  };
  return {
    walked(t) {
      totals = t;
      if (t.files > 0) timer = setTimeout(show, delayMs);
    },
    fileDone(size) {
      state.files++;
      state.bytes += size;
      bar?.update(state.bytes + state.files, payload());
    },
    line(text, to) {
      // Above the bar, on the bar's stream: only used when that is where the line shows anyway.
      if (multi) multi.log(text + '\n');
      else to(text);
    },
    stop() {
      if (timer) clearTimeout(timer);
      if (multi) {
        multi.update();
        multi.stop();
      }
      multi = bar = undefined;
    },
  };
}
