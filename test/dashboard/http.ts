/**
 * Shared by the dashboard's server tests: a raw HTTP request naming the dashboard by its loopback
 * Host, the headers the page sends on a POST, and the registry file as a test sees it (bytes and
 * identity: an atomic write changes the inode even when the bytes come out the same).
 */
import { readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import type { GrayRolloutRecord } from 'graylane/rollout';

/** One request to the dashboard on `port`; resolves with the status and the body as text. */
export function request(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      let data = '';
      res.on('data', (d: Buffer) => (data += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body: data }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The headers of a POST from the page (without the token). */
export const PAGE_HEADERS: Readonly<Record<string, string>> = { 'x-graylane-dashboard': '1', 'content-type': 'application/json' };

/** The registry file's text, inode and mtime: equal before and after means nothing was written. */
export function fileState(path: string): { text: string; ino: number; mtimeMs: number } {
  const st = statSync(path);
  return { text: readFileSync(path, 'utf8'), ino: st.ino, mtimeMs: st.mtimeMs };
}

/** Rollout `name` as stored in the registry file. */
export function storedRollout(path: string, name: string): GrayRolloutRecord {
  return (JSON.parse(readFileSync(path, 'utf8')) as { rollouts: Record<string, GrayRolloutRecord> }).rollouts[name]!;
}
