/**
 * `recur import --onnx model.onnx --out m.safetensors --vocab-from text.txt | --vocab symbols.json`: a
 * character model exported from another framework (torch.onnx.export, tf2onnx) as a recur model file
 * that sample, eval and train --init use. An ONNX file carries no vocabulary: --vocab-from builds it from
 * a text exactly as `recur train` would; --vocab lists the symbols in the graph's token-id order.
 */
import type { Command } from 'commander';
import { basename } from 'node:path';
import { SEQ_MARK, Vocab } from '../data/text.js';
import { parseFileJson } from '../io/json-guard.js';
import { JsBackend } from '../kernels/js.js';
import { Model } from '../nn/model.js';
import { atomicWriteFile, readFileLimited } from '../node/files.js';
import { importOnnx, renumberTokens } from '../onnx/import.js';
import { encodeLm, lmConfigProblem } from '../tasks/lm-file.js';
import { splitLines } from '../tasks/lm.js';
import { checkOutputPath, out, run, UsageError } from './common.js';
import { readText } from './lm-io.js';

interface ImportOpts { onnx: string; out: string; vocabFrom?: string; vocab?: string; lines?: boolean }

export function register(program: Command): void {
  program
    .command('import')
    .description('Turn an ONNX character model (RNN/LSTM/GRU layers, embedding, linear head) into a recur model file.')
    .requiredOption('--onnx <file>', 'ONNX model (torch.onnx.export, tf2onnx)')
    .requiredOption('--out <file>', 'recur model file to write')
    .option('--vocab-from <file>', 'build the vocabulary from this text, as recur train does')
    .option('--vocab <file>', 'JSON list of the symbols, in the graph\'s token-id order')
    .option('--lines', 'a one-sequence-per-line model (the vocabulary gets the line marker, as train --lines)')
    .action(run(async (opts: ImportOpts) => importModel(opts)));
}

/** The symbols in the graph's token-id order. */
async function symbolsOf(opts: ImportOpts): Promise<{ symbols: string[]; source: string }> {
  if ((opts.vocab === undefined) === (opts.vocabFrom === undefined)) throw new UsageError('give the vocabulary with exactly one of --vocab-from and --vocab');
  if (opts.vocabFrom !== undefined) {
    const text = await readText(opts.vocabFrom, 'text file');
    const vocab = opts.lines ? Vocab.fromText(splitLines(text).join(''), SEQ_MARK) : Vocab.fromText(text);
    return { symbols: [...vocab.chars], source: opts.vocabFrom };
  }
  const raw = parseFileJson(new TextDecoder().decode(readFileLimited(opts.vocab!, 16 * 1024 ** 2, 'vocabulary file')), `vocabulary file ${opts.vocab}`, 4);
  if (!Array.isArray(raw) || raw.some((s) => typeof s !== 'string' || [...s].length !== 1)) {
    throw new Error(`vocabulary file ${opts.vocab} is not a JSON list of single characters`);
  }
  if (new Set(raw).size !== raw.length) throw new Error(`vocabulary file ${opts.vocab} lists a character twice`);
  return { symbols: raw as string[], source: opts.vocab! };
}

async function importModel(opts: ImportOpts): Promise<void> {
  checkOutputPath(opts.out, '--out', { '--onnx': opts.onnx, '--vocab-from': opts.vocabFrom, '--vocab': opts.vocab });
  const { symbols, source } = await symbolsOf(opts);
  let m;
  try {
    m = importOnnx(readFileLimited(opts.onnx, undefined, 'ONNX file'));
  } catch (e) {
    throw new Error(`${opts.onnx}: ${(e as Error).message}`);
  }
  if (m.config.inputKind !== 'tokens') throw new Error(`${opts.onnx}: the model reads real-valued inputs, not characters; recur imports character models`);
  if (symbols.length !== m.vocabSize) {
    throw new Error(`${opts.onnx} reads ${m.vocabSize} token ids but ${source} gives ${symbols.length} characters`);
  }
  const vocab = new Vocab(symbols);
  if (opts.lines && vocab.index(SEQ_MARK) < 0) throw new Error(`${source} lacks the line marker (a newline) that a one-sequence-per-line model needs`);
  renumberTokens(m, symbols.map((s) => vocab.index(s)));
  const model = new Model(m.config, new JsBackend('f32'));
  const problem = lmConfigProblem(model.config, vocab.size);
  if (problem) throw new Error(`${opts.onnx}: ${problem}`);
  for (const [name, data] of m.tensors) model.params.set(name, data);
  atomicWriteFile(opts.out, encodeLm(model, vocab, { kind: 'lm', mode: opts.lines ? 'lines' : 'stream', source: `onnx:${basename(opts.onnx)}` }, null, null));
  const c = model.config;
  out(`wrote ${opts.out}: ${c.layers}-layer ${c.cell}${c.gruReset === 'before' ? ' (reset gate before the product)' : ''}${c.peephole ? ' with peepholes' : ''} of ${c.hidden}, ` +
    `${c.embed > 0 ? `embedding ${c.embed}` : 'one-hot input'}, ${vocab.size} characters\n`);
}
