/**
 * The seq2seq panel's Web Worker: owns a Seq2SeqSession, trains it in slices of a few tens of
 * milliseconds (so stop and requests are handled between them), and between slices sends the loss,
 * now and then the held-out scores, and the greedy output and attention of the page's input.
 */
import type { Backend } from '../../src/kernels/backend.js';
import { pickBackend, releaseBackend } from './backend.js';
import type { FromSeq2SeqWorker, ToSeq2SeqWorker } from './protocol.js';
import { Seq2SeqSession } from './seq2seq-session.js';

const scope = self as unknown as {
  postMessage(msg: FromSeq2SeqWorker, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent<ToSeq2SeqWorker>) => void) | null;
};
const post = (msg: FromSeq2SeqWorker, transfer: Transferable[] = []): void => scope.postMessage(msg, transfer);
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0];

const SLICE_MS = 40, SCORE_MS = 2000, TRANSLATE_MS = 500;

let backend: Backend | null = null;
let session: Seq2SeqSession | null = null;
let running = false;
let text = '';
let nextScore = 0, nextTranslate = 0;

function sendScore(): void {
  if (!session) return;
  const s = session.score();
  post({ type: 'score', step: session.step, loss: s.loss, exact: s.exact, tokenAccuracy: s.tokenAccuracy });
}
function sendTranslation(): void {
  if (!session || !text) return;
  const t = session.translate(text);
  post({ type: 'translation', step: session.step, input: t.input, output: t.output, attention: t.attention }, t.attention ? [t.attention.buffer] : []);
}

function loop(): void {
  if (!running || !session) return;
  const t0 = performance.now();
  let last = { step: session.step, loss: NaN };
  try {
    do last = session.trainStep(); while (performance.now() - t0 < SLICE_MS);
    post({ type: 'progress', ...last });
    const now = performance.now();
    if (now >= nextScore) { sendScore(); nextScore = performance.now() + SCORE_MS; }
    if (now >= nextTranslate) {
      try { sendTranslation(); } catch (e) { post({ type: 'error', message: message(e) }); }
      nextTranslate = performance.now() + TRANSLATE_MS;
    }
  } catch (e) {
    running = false;
    post({ type: 'state', running, step: session.step });
    post({ type: 'error', message: `training stopped: ${message(e)}` });
    return;
  }
  setTimeout(loop, 0);
}

function discard(): void {
  running = false;
  session = null;
  releaseBackend(backend);
  backend = null;
}

async function handle(msg: ToSeq2SeqWorker): Promise<void> {
  switch (msg.type) {
    case 'start':
      if (running) return;
      if (!session) {
        const { backend: be } = await pickBackend('auto');
        try { session = Seq2SeqSession.create(msg.settings, be); } catch (e) { releaseBackend(be); throw e; }
        backend = be;
      }
      running = true;
      nextScore = performance.now() + SCORE_MS / 2;
      nextTranslate = 0;
      post({ type: 'state', running, step: session.step });
      setTimeout(loop, 0);
      return;
    case 'stop':
      running = false;
      if (session) { post({ type: 'state', running, step: session.step }); sendScore(); sendTranslation(); }
      return;
    case 'reset':
      discard();
      post({ type: 'state', running, step: 0 });
      return;
    case 'translate':
      text = msg.text;
      sendTranslation();
      return;
  }
}

let queue: Promise<void> = Promise.resolve();
scope.onmessage = (e) => {
  queue = queue.then(() => handle(e.data)).catch((err) => post({ type: 'error', message: message(err) }));
};
