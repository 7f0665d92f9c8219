// Loaded with `node --import`: prints the process's peak resident memory when it exits, for
// bench/stream-memory.ts and its test (Node reports it in kilobytes).
import { writeSync } from 'node:fs';
process.on('exit', () => { writeSync(2, `peak_rss_kb ${process.resourceUsage().maxRSS}\n`); });
