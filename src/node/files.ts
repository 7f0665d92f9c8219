/**
 * File helpers for model files (Node only).
 *
 * Saving goes through a temporary file and a rename so that a crash, a full disk or Ctrl-C during a
 * save never leaves a half-written model where a good one was: readers see the old file or the new
 * one, never a mixture. A save killed before its rename leaves its temporary file behind; the next
 * command writing the same output removes it (removeStaleTemps).
 *
 * Reading refuses anything but a regular file, without blocking: opening a FIFO for reading waits
 * for a writer forever, so files are opened non-blocking and checked before a byte is read.
 */
import { closeSync, constants, fstatSync, fsyncSync, openSync, readdirSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { ModelFileError } from '../io/safetensors.js';

/** Bytes per write call: write(2) caps single writes (about 2 GiB on Linux), so large files go in pieces. */
const WRITE_CHUNK = 1 << 20;
export const DEFAULT_MAX_READ_BYTES = 2 * 1024 ** 3;

/**
 * Replace `path` with `bytes` atomically: write a uniquely named temporary file next to it (same
 * directory, hence same file system, so rename is atomic), fsync it, rename it over the target,
 * then fsync the directory so the rename itself is durable. The target is not touched before the
 * rename; on any failure the temporary file is removed and the error rethrown.
 */
export function atomicWriteFile(path: string, bytes: Uint8Array): void {
  try {
    writeThroughTemp(path, bytes);
  } catch (e) {
    // The message names the file (Node's ENOSPC does not); the code stays for callers that branch on it.
    throw Object.assign(new Error(`cannot write ${path}: ${reasonOf(e)}`), { code: (e as NodeJS.ErrnoException).code });
  }
}

/** The temporary file of one save of `path`: hidden, next to it, named by the writing process. */
export const tempName = (path: string, pid: number, tag: string): string => join(dirname(path), `.${basename(path)}.${pid}.${tag}.tmp`);
const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const alive = (pid: number): boolean => {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
};

/**
 * Remove the temporary files that killed saves of `path` left (those whose process is gone; a save
 * in progress elsewhere keeps its own). Returns how many were removed. Best effort: a folder that
 * cannot be listed has nothing we could remove.
 */
export function removeStaleTemps(path: string): number {
  const pattern = new RegExp(`^\\.${escapeRegExp(basename(path))}\\.(\\d+)\\.[0-9a-f]{12}\\.tmp$`);
  let names: string[];
  try { names = readdirSync(dirname(path)); } catch { return 0; }
  let removed = 0;
  for (const name of names) {
    const m = pattern.exec(name);
    if (!m || alive(Number(m[1]))) continue;
    try { unlinkSync(join(dirname(path), name)); removed++; } catch { /* gone already, or not ours to remove */ }
  }
  return removed;
}

function writeThroughTemp(path: string, bytes: Uint8Array): void {
  const dir = dirname(path);
  const tmp = tempName(path, process.pid, randomBytes(6).toString('hex'));
  let fd: number | null = null;
  let created = false;
  try {
    fd = openSync(tmp, 'wx'); // 'x': never reuse or follow an existing file of that name
    created = true;
    for (let off = 0; off < bytes.length;) {
      off += writeSync(fd, bytes.subarray(off, Math.min(off + WRITE_CHUNK, bytes.length)));
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== null) try { closeSync(fd); } catch { /* already failing */ }
    if (created) try { unlinkSync(tmp); } catch { /* already failing */ }
    throw e;
  }
  fsyncDirectory(dir);
}

/** Some platforms and file systems cannot open or fsync a directory; the file itself is already safe. */
const DIR_FSYNC_UNSUPPORTED = new Set(['EINVAL', 'EPERM', 'EISDIR', 'EACCES', 'ENOTSUP', 'EOPNOTSUPP', 'EBADF']);

function fsyncDirectory(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch (e) {
    if (!DIR_FSYNC_UNSUPPORTED.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'a parent of it is not a directory',
  ELOOP: 'too many symbolic links',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EEXIST: 'a file of that name appeared meanwhile',
};

/** One line for a file-system error (messages from Node end with the path, which the caller already names). */
export function reasonOf(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return REASONS[err.code ?? ''] ?? (err.code ? `${err.code}: ${err.message}` : String(err.message ?? e));
}

/**
 * Read a whole file, refusing one larger than `maxBytes` before reading it. Errors are one-line
 * ModelFileErrors: `cannot read model file X: no such file`.
 */
export function readFileLimited(path: string, maxBytes = DEFAULT_MAX_READ_BYTES, what = 'model file'): Uint8Array {
  const prefix = `cannot read ${what} ${path}`;
  let fd: number | null = null;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK); // a FIFO would block a plain open forever
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new ModelFileError(`${prefix}: is a directory`);
    if (!st.isFile()) throw new ModelFileError(`${prefix}: not a regular file`);
    if (st.size > maxBytes) throw new ModelFileError(`${prefix}: it is ${st.size} bytes, more than the limit of ${maxBytes}`);
    const out = new Uint8Array(st.size);
    let n = 0;
    while (n < out.length) {
      const got = readSync(fd, out, n, out.length - n, null);
      if (got === 0) break; // the file shrank while we read it
      n += got;
    }
    return n === out.length ? out : out.subarray(0, n);
  } catch (e) {
    if (e instanceof ModelFileError) throw e;
    throw new ModelFileError(`${prefix}: ${reasonOf(e)}`);
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/**
 * Whether a file can be created in `dir`, found by creating (and removing) one: permission bits
 * say nothing about a read-only mount or, for root, about anything. Returns the reason it cannot,
 * or null.
 */
export function cannotCreateIn(dir: string): string | null {
  const probe = join(dir, `.recur-probe.${process.pid}.${randomBytes(6).toString('hex')}`);
  try {
    closeSync(openSync(probe, 'wx'));
    unlinkSync(probe);
    return null;
  } catch (e) {
    return reasonOf(e);
  }
}
