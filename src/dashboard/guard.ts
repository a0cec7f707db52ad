/**
 * Request checks of the dashboard server: the Host header must name the loopback address the server
 * listens on (DNS rebinding), a POST must come from the page (custom header, same-origin `Origin`,
 * JSON body) and, for actions, carry the token (compared in constant time).
 * @packageDocumentation
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Header the page sends on every POST; a cross-site form or `no-cors` fetch cannot set it. */
export const REQUEST_HEADER = 'x-graylane-dashboard';
/** Header carrying the action token. */
export const TOKEN_HEADER = 'x-graylane-token';

/** The `host:port` values a request may name: the loopback address and `localhost`. */
export function allowedHosts(port: number): ReadonlySet<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
}

/** `true` when the request's Host header names this server on loopback. */
export function hostAllowed(req: IncomingMessage, hosts: ReadonlySet<string>): boolean {
  const host = req.headers.host;
  return typeof host === 'string' && hosts.has(host.toLowerCase());
}

/** Why a POST from outside the page is refused, or `undefined` when it may proceed. */
export function postRefusal(req: IncomingMessage, hosts: ReadonlySet<string>): string | undefined {
  if (req.headers[REQUEST_HEADER] !== '1') return `missing ${REQUEST_HEADER} header`;
  const origin = req.headers.origin;
  if (origin !== undefined && !(origin.startsWith('http://') && hosts.has(origin.slice('http://'.length).toLowerCase()))) return 'cross-origin request';
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return 'content-type must be application/json';
  return undefined;
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** `true` when `given` equals `token`; the comparison takes the same time whatever `given` is. */
export function tokenMatches(token: string, given: string | string[] | undefined): boolean {
  if (typeof given !== 'string') return false;
  return timingSafeEqual(digest(token), digest(given));
}

/** Why {@link readJson} refused a body, with the HTTP status to answer: 413 (too large) or 400 (not JSON). */
export class BodyError extends Error {
  /** The HTTP status to answer with. */
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.name = 'BodyError';
    this.status = status;
  }
}

/** Bytes past the limit read and thrown away, so the client can read the 413 rather than a reset connection; beyond them the connection is cut. */
const DRAIN_BYTES = 1024 * 1024;

/**
 * Reads a JSON body of at most `maxBytes`; rejects with a {@link BodyError} when larger (413, as soon
 * as the limit is passed; the rest is discarded, and the connection cut after 1 MiB more) or not JSON (400).
 */
export function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes + DRAIN_BYTES) return void req.destroy();
      if (over) return;
      if (size > maxBytes) {
        over = true;
        chunks.length = 0;
        reject(new BodyError(`body larger than ${maxBytes} bytes`, 413));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (over) return;
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new BodyError('body is not JSON', 400));
      }
    });
    req.on('error', reject);
  });
}
