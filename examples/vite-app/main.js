// Load a model trained with `recur train` and stream samples from it on recur's WebAssembly kernels.
import { loadModel } from 'recur';

const $ = (id) => document.getElementById(id);
// ?threads=N asks for N kernel threads (default: one per spare core when the page is cross-origin isolated).
const threads = Number(new URLSearchParams(location.search).get('threads')) || undefined;
const model = await loadModel(new URL('model.safetensors', document.baseURI), { threads });
$('status').textContent = `Model loaded: ${model.config.cell}, ${model.vocab.size} characters, ` +
  `${model.backend} kernels on ${model.threads} thread(s)${crossOriginIsolated ? ' (cross-origin isolated)' : ''}.`;
$('status').dataset.backend = model.backend;

let running = null;
async function sample() {
  running?.abort();
  const ctl = (running = new AbortController());
  const prime = $('prime').value;
  $('out').textContent = prime;
  for await (const ch of model.stream({ prime, length: 300, temperature: Number($('temperature').value), signal: ctl.signal })) {
    $('out').textContent += ch;
  }
  if (!ctl.signal.aborted) document.body.dataset.sampled = 'yes';
}

$('form').addEventListener('submit', (e) => { e.preventDefault(); sample(); });
sample();
