/**
 * A corpus on disk as one ByteSource (Node only): one or several files, a directory standing for its
 * regular files in sorted (byte) order, concatenated as bytes with nothing between them (issue 19's
 * contract). Reads go to the file system as they are asked for, so memory does not grow with the
 * corpus. Anything but a regular file is refused before a byte is read (opened non-blocking: a FIFO
 * would wait for a writer forever), as files.ts does for model files.
 */
import { closeSync, constants, fstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { ByteSource } from '../data/byte-source.js';
import { reasonOf } from './files.js';

interface Part { path: string; start: number; size: number }

/** Open file descriptors kept between reads (streams read their parts in turn). */
const OPEN_FDS = 32;

/** Sizes of the regular files a path stands for: itself, or a directory's regular files (not its subdirectories). */
function expand(path: string, what: string): { path: string; size: number }[] {
  const fd = openChecked(path, what, true);
  try {
    const st = fstatSync(fd);
    if (st.isFile()) return [{ path, size: st.size }];
  } finally {
    closeSync(fd);
  }
  let names: string[];
  try { names = readdirSync(path).sort(); } catch (e) { throw new Error(`cannot read ${what} ${path}: ${reasonOf(e)}`); }
  const out: { path: string; size: number }[] = [];
  for (const name of names) {
    const p = join(path, name);
    const f = openChecked(p, what, true);
    try {
      const st = fstatSync(f);
      if (st.isFile()) out.push({ path: p, size: st.size });
    } finally {
      closeSync(f);
    }
  }
  if (out.length === 0) throw new Error(`${what} ${path} is a directory without regular files`);
  return out;
}

/** Open for reading without blocking; refuses what is neither a regular file nor (when allowed) a directory. */
function openChecked(path: string, what: string, dirOk = false): number {
  let fd: number;
  try { fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK); } catch (e) { throw new Error(`cannot read ${what} ${path}: ${reasonOf(e)}`); }
  const st = fstatSync(fd);
  if (st.isFile() || (dirOk && st.isDirectory())) return fd;
  closeSync(fd);
  throw new Error(`cannot read ${what} ${path}: ${st.isDirectory() ? 'is a directory' : 'not a regular file'}`);
}

export class FileByteSource implements ByteSource {
  readonly size: number;
  readonly name: string;
  /** The regular files, in reading order. */
  readonly files: readonly string[];
  private readonly parts: Part[] = [];
  private readonly fds = new Map<string, number>();

  /** The files and directories given, in order (`what` names them in messages: "data file"). */
  constructor(paths: readonly string[], what = 'data file') {
    if (paths.length === 0) throw new Error(`no ${what} given`);
    let start = 0;
    for (const p of paths) {
      for (const f of expand(p, what)) { this.parts.push({ path: f.path, start, size: f.size }); start += f.size; }
    }
    this.size = start;
    this.files = Object.freeze(this.parts.map((p) => p.path));
    this.name = this.files.length === 1 ? this.files[0] : `${this.files.length} files (${paths.join(', ')})`;
  }

  read(offset: number, into: Uint8Array): number {
    let done = 0;
    for (let i = this.partAt(offset); i < this.parts.length && done < into.length; i++) {
      const p = this.parts[i], at = offset + done - p.start;
      const want = Math.min(into.length - done, p.size - at);
      const fd = this.fd(p.path);
      for (let got = 0; got < want;) {
        const n = readSync(fd, into, done + got, want - got, at + got);
        if (n === 0) throw new Error(`${p.path} changed while it was read: it ends before byte ${at + got} of the ${p.size} it had`);
        got += n;
      }
      done += want;
    }
    return done;
  }

  locate(offset: number): { name: string; offset: number } {
    const p = this.parts[this.partAt(offset)] ?? this.parts[this.parts.length - 1];
    return { name: p.path, offset: offset - p.start };
  }

  /** Close the files kept open. */
  close(): void {
    for (const fd of this.fds.values()) try { closeSync(fd); } catch { /* closed already */ }
    this.fds.clear();
  }

  /** The part holding `offset` (the last part whose start is <= offset, skipping empty files). */
  private partAt(offset: number): number {
    let lo = 0, hi = this.parts.length - 1;
    while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (this.parts[mid].start <= offset) lo = mid; else hi = mid - 1; }
    while (lo < this.parts.length - 1 && this.parts[lo].start + this.parts[lo].size <= offset) lo++;
    return lo;
  }

  private fd(path: string): number {
    let fd = this.fds.get(path);
    if (fd !== undefined) { this.fds.delete(path); this.fds.set(path, fd); return fd; } // most recent last
    if (this.fds.size >= OPEN_FDS) {
      const [oldest, old] = this.fds.entries().next().value as [string, number];
      closeSync(old);
      this.fds.delete(oldest);
    }
    fd = openChecked(path, 'data file');
    this.fds.set(path, fd);
    return fd;
  }
}
