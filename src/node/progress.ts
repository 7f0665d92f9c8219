/**
 * Training progress for people: a live bar (cli-progress) when stderr is a terminal, plain lines
 * otherwise (a log file or a pipe should not fill with carriage returns). Messages printed while the
 * bar runs go above it, so the bar stays the last line.
 */
import cliProgress from 'cli-progress';

export interface ProgressFields {
  step: number;
  loss: number | null;
  bpc: number | null;
  charsPerS: number;
  /** Seconds left, or null when unknown. */
  eta: number | null;
  /** Where training is in its data, e.g. "epoch 0.42, 3.1 MB of 7.4 MB" (streamed text). */
  where?: string;
}

export interface Progress {
  /** Where the bar stands: `value` out of the total (steps, or seconds of training). */
  update(value: number, fields: ProgressFields): void;
  /** A periodic log line (shown only without a bar: the bar shows the same numbers live). */
  logLine(fields: ProgressFields): void;
  /** A message (validation result, sample) that must stay on screen. */
  message(text: string): void;
  stop(): void;
}

/** 95 → "1m35s"; 4000 → "1h06m". */
export function formatDuration(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '?';
  const t = Math.max(0, Math.round(s));
  if (t < 60) return `${t}s`;
  if (t < 3600) return `${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s`;
  return `${Math.floor(t / 3600)}h${String(Math.floor((t % 3600) / 60)).padStart(2, '0')}m`;
}

const num = (v: number | null, digits: number): string => (v === null || !Number.isFinite(v) ? '-' : v.toFixed(digits));
const describe = (f: ProgressFields): Record<string, string> => ({
  step: String(f.step), loss: num(f.loss, 3), bpc: num(f.bpc, 3),
  cps: Math.round(f.charsPerS).toLocaleString('en-US'), left: formatDuration(f.eta), where: f.where ? ` | ${f.where}` : '',
});

export function createProgress(opts: { total: number; stream?: NodeJS.WriteStream; tty?: boolean }): Progress {
  const stream = opts.stream ?? process.stderr;
  const tty = opts.tty ?? Boolean(stream.isTTY);
  if (!tty) {
    return {
      update() {},
      logLine(f) {
        const d = describe(f);
        stream.write(`step ${d.step}${d.where} | loss ${d.loss} | ${d.bpc} bpc | ${d.cps} chars/s | ETA ${d.left}\n`);
      },
      message(text) { stream.write(text.endsWith('\n') ? text : `${text}\n`); },
      stop() {},
    };
  }
  const multi = new cliProgress.MultiBar({
    stream, hideCursor: true, clearOnComplete: false, barsize: 16, fps: 5,
    format: ` {bar} {percentage}% | step {step}{where} | loss {loss} | {bpc} bpc | {cps} char/s | ETA {left}`,
  }, cliProgress.Presets.shades_classic);
  const total = Math.max(1e-9, opts.total);
  const bar = multi.create(total, 0, describe({ step: 0, loss: null, bpc: null, charsPerS: 0, eta: null }));
  let stopped = false;
  return {
    update(value, f) { if (!stopped) bar.update(Math.min(total, value), describe(f)); },
    logLine() {},
    message(text) { if (stopped) stream.write(`${text}\n`); else multi.log(text.endsWith('\n') ? text : `${text}\n`); },
    stop() { if (!stopped) { stopped = true; multi.stop(); } },
  };
}
