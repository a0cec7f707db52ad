/**
 * Named errors thrown by graylane at construction time (never on the request path).
 * @packageDocumentation
 */

const BRAND = Symbol.for('graylane.GrayConfigError');

/**
 * Thrown when graylane is misconfigured: a bad option, an unsupported peer version, a malformed
 * rule. Always thrown while building a policy, interceptor, middleware or registry — never while
 * handling a request. The message says what to fix.
 *
 * `instanceof` works across the ESM and CommonJS copies of the package (the check uses a
 * `Symbol.for` brand), and `name` is always `'GrayConfigError'`.
 */
export class GrayConfigError extends Error {
  /** Always `'GrayConfigError'`. */
  override readonly name = 'GrayConfigError';
  /** Brand shared by every copy of graylane loaded in the process. */
  readonly [BRAND] = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}
