/**
 * `recur import --onnx model.onnx --out m.safetensors --vocab-from text.txt | --vocab symbols.json`: a
 * character model exported from another framework (torch.onnx.export, tf2onnx) as a recur model file
 * that sample, eval and train --init use. An ONNX file carries no vocabulary: --vocab-from builds it from
 * a text exactly as `recur train` would; --vocab lists the symbols in the graph's token-id order.
 *
 * A graph whose linear layer reads the final state (one output per sequence) is a text classifier:
 * `--labels a,b,c` (or a .json file listing them) names its outputs, `--vocab` lists its tokens in id order
 * (the first, id 0, is recur's `<unk>`), `--tokens words|chars` says how texts split; the file is what
 * `recur classify` writes, for `recur predict`.
 */
import type { Command } from 'commander';
import { basename } from 'node:path';
import { SEQ_MARK, Vocab } from '../data/text.js';
import { parseFileJson } from '../io/json-guard.js';
import { JsBackend } from '../kernels/js.js';
import type { ModelConfig } from '../nn/config.js';
import { Model } from '../nn/model.js';
import { atomicWriteFile, readFileLimited } from '../node/files.js';
import { importOnnx, renumberTokens, type ImportedModel } from '../onnx/import.js';
import { encodeLm, lmConfigProblem } from '../tasks/lm-file.js';
import { splitLines } from '../tasks/lm.js';
import { TextClassifier, type ClassifierModel } from '../tasks/classify.js';
import { TOKEN_MODES, TokenVocab, UNK, type TokenMode } from '../tasks/tokenize.js';
import { checkOutputPath, choiceArg, intArg, out, run, UsageError } from './common.js';
import { readText } from './lm-io.js';

interface ImportOpts {
  onnx: string; out: string; vocabFrom?: string; vocab?: string; lines?: boolean; labels?: string; tokens: TokenMode; maxLen: number;
}

export function register(program: Command): void {
  program
    .command('import')
    .description('Turn an ONNX character model or text classifier (RNN/LSTM/GRU layers, embedding, linear head) into a recur model file.')
    .requiredOption('--onnx <file>', 'ONNX model (torch.onnx.export, tf2onnx)')
    .requiredOption('--out <file>', 'recur model file to write')
    .option('--vocab-from <file>', 'build the vocabulary from this text, as recur train does')
    .option('--vocab <file>', 'JSON list of the symbols, in the graph\'s token-id order')
    .option('--lines', 'a one-sequence-per-line model (the vocabulary gets the line marker, as train --lines)')
    .option('--labels <list>', 'a classifier\'s class names in output order: a,b,c or a .json file listing them')
    .option('--tokens <kind>', `a classifier's tokens: ${TOKEN_MODES.join(' or ')}`, choiceArg(TOKEN_MODES), 'words')
    .option('--max-len <n>', 'a classifier\'s tokens kept from the start of each text (0 = all)', intArg(0), 0)
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
  const raw = readStringList(opts.vocab!, 'vocabulary file');
  if (raw.some((s) => [...s].length !== 1)) throw new Error(`vocabulary file ${opts.vocab} is not a JSON list of single characters`);
  return { symbols: raw, source: opts.vocab! };
}

/** A JSON file holding a list of distinct non-empty strings. */
function readStringList(path: string, what: string): string[] {
  const raw = parseFileJson(new TextDecoder().decode(readFileLimited(path, 16 * 1024 ** 2, what)), `${what} ${path}`, 4);
  if (!Array.isArray(raw) || raw.some((s) => typeof s !== 'string' || s === '')) throw new Error(`${what} ${path} is not a JSON list of strings`);
  const seen = new Set<string>(), twice = raw.find((s: string) => seen.size === seen.add(s).size);
  if (twice !== undefined) throw new Error(`${what} ${path} lists ${JSON.stringify(twice)} twice`);
  return raw as string[];
}

/** The classes of --labels: a .json file listing them, or names separated by commas. */
function labelsOf(arg: string): string[] {
  if (arg.endsWith('.json')) return readStringList(arg, 'labels file');
  const labels = arg.split(',').map((l) => l.trim());
  if (labels.some((l) => l === '') || new Set(labels).size !== labels.length) throw new UsageError(`--labels '${arg}' must name distinct classes, separated by commas`);
  return labels;
}

/** Write the imported graph as a text classifier (its head reads each sequence's final state). */
function writeClassifier(opts: ImportOpts, m: ImportedModel): void {
  if (opts.vocab === undefined || opts.vocabFrom !== undefined) throw new UsageError('a classifier takes its tokens from --vocab (a JSON list in the graph\'s id order)');
  const labels = labelsOf(opts.labels!), tokens = readStringList(opts.vocab, 'vocabulary file');
  if (m.config.inputKind !== 'tokens') throw new Error(`${opts.onnx}: the model reads real-valued inputs, not tokens; recur imports text classifiers`);
  if (labels.length < 2 || labels.length !== m.config.outputSize) {
    throw new Error(`${opts.onnx} predicts ${m.config.outputSize} classes but --labels names ${labels.length}`);
  }
  if (tokens.length !== m.vocabSize) throw new Error(`${opts.onnx} reads ${m.vocabSize} token ids but ${opts.vocab} gives ${tokens.length} tokens`);
  if (tokens[0] !== UNK) throw new Error(`${opts.vocab}: token id 0 must be ${UNK}, the id recur gives a token it does not know`);
  const net = new Model(m.config, new JsBackend('f32'));
  for (const [name, data] of m.tensors) net.params.set(name, data);
  const clf = new TextClassifier(net, new TokenVocab(opts.tokens, tokens), labels, opts.maxLen, net.config.cell as ClassifierModel);
  atomicWriteFile(opts.out, clf.toBytes({ source: `onnx:${basename(opts.onnx)}` }));
  const c = net.config;
  out(`wrote ${opts.out}: ${describeCell(c)}, ${c.embed > 0 ? `embedding ${c.embed}` : 'one-hot input'}, ${tokens.length} tokens, ` +
    `${labels.length} classes\n`);
}

const describeCell = (c: ModelConfig): string => `${c.layers}-layer ${c.bidirectional ? 'bidirectional ' : ''}${c.cell}` +
  `${c.gruReset === 'before' ? ' (reset gate before the product)' : ''}${c.peephole ? ' with peepholes' : ''} of ${c.hidden}`;

async function importModel(opts: ImportOpts): Promise<void> {
  checkOutputPath(opts.out, '--out', { '--onnx': opts.onnx, '--vocab-from': opts.vocabFrom, '--vocab': opts.vocab, '--labels': opts.labels });
  let m;
  try {
    m = importOnnx(readFileLimited(opts.onnx, undefined, 'ONNX file'));
  } catch (e) {
    throw new Error(`${opts.onnx}: ${(e as Error).message}`);
  }
  const perSequence = m.config.outputMode === 'last';
  if (perSequence !== (opts.labels !== undefined)) {
    throw new UsageError(perSequence ? `${opts.onnx} predicts one output per sequence (a classifier): name its classes with --labels`
      : `${opts.onnx} predicts at every step (a character model): --labels is for classifiers`);
  }
  if (perSequence) return writeClassifier(opts, m);
  const { symbols, source } = await symbolsOf(opts);
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
  out(`wrote ${opts.out}: ${describeCell(c)}, ${c.embed > 0 ? `embedding ${c.embed}` : 'one-hot input'}, ${vocab.size} characters\n`);
}
