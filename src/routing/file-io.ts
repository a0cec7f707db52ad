/**
 * Reading and writing the registry file safely: only regular files of bounded size are read
 * (never a device, FIFO or endless stream), and writes replace the symlink's *target* atomically
 * (temp file in the target's directory + rename), keeping its mode, so a symlinked file (a
 * Kubernetes ConfigMap mount) stays a symlink.
 * @packageDocumentation
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { open, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Largest registry file graylane reads: 16 MiB (a registry of 10,000 instances is about 1.5 MiB). */
export const MAX_REGISTRY_FILE_BYTES = 16 * 1024 * 1024;

// O_NONBLOCK: opening a FIFO must not wait for a writer; it is then refused as not a regular file.
const READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

function check(st: Stats, file: string): void {
  if (!st.isFile()) throw new Error(`registry file ${file} is not a regular file`);
  if (st.size > MAX_REGISTRY_FILE_BYTES) throw new Error(`registry file ${file} is larger than ${MAX_REGISTRY_FILE_BYTES} bytes`);
}

function decode(buf: Buffer, length: number, file: string): string {
  if (length > MAX_REGISTRY_FILE_BYTES) throw new Error(`registry file ${file} is larger than ${MAX_REGISTRY_FILE_BYTES} bytes`);
  return buf.toString('utf8', 0, length);
}

/** Reads the file (following symlinks). Throws a plain `Error` (no content quoted) for a non-regular or oversized file. */
export function readRegistryTextSync(file: string): string {
  const fd = openSync(file, READ_FLAGS);
  try {
    const st = fstatSync(fd);
    check(st, file);
    // One byte more than the limit: a file that grew after fstat is still caught.
    const buf = Buffer.allocUnsafe(Math.min(st.size, MAX_REGISTRY_FILE_BYTES) + 1);
    let length = 0;
    for (let n = 1; n > 0 && length < buf.length; length += n) n = readSync(fd, buf, length, buf.length - length, null);
    return decode(buf, length, file);
  } finally {
    closeSync(fd);
  }
}

/** Async {@link readRegistryTextSync}. */
export async function readRegistryText(file: string): Promise<string> {
  const handle = await open(file, READ_FLAGS);
  try {
    const st = await handle.stat();
    check(st, file);
    const buf = Buffer.allocUnsafe(Math.min(st.size, MAX_REGISTRY_FILE_BYTES) + 1);
    let length = 0;
    for (let n = 1; n > 0 && length < buf.length; length += n) ({ bytesRead: n } = await handle.read(buf, length, buf.length - length, null));
    return decode(buf, length, file);
  } finally {
    await handle.close();
  }
}

/**
 * Replaces the content of `file` — of its final target when it is a symlink — atomically: a temp
 * file beside the target (same directory, so `rename` is atomic), with the target's mode (and
 * owner, when permitted), flushed, then renamed over the target. Readers never see a partial file.
 */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const target = await realpath(file);
  const st = await stat(target);
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await open(tmp, 'wx', st.mode & 0o7777);
    try {
      await handle.chmod(st.mode & 0o7777); // `open`'s mode is filtered by the umask
      await handle.chown(st.uid, st.gid).catch(() => undefined); // only root may give a file away
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, target);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}
