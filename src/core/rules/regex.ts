/**
 * Regular expressions of coloring rules, compiled for a linear-time engine (RE2, through the
 * pure-JavaScript `re2js` port): matching a client value costs at most input length × program
 * size, never the exponential backtracking of `RegExp`, so a rule cannot be turned against the
 * edge by a crafted header.
 * @packageDocumentation
 */
import { RE2JS } from 're2js';

/** Largest compiled RE2 program accepted (instructions); bounds the per-character matching cost. */
export const MAX_REGEX_PROGRAM = 256;

/** A compiled pattern (`test` never throws) or the reason it was refused. */
export type RegexCompileResult = { readonly ok: true; readonly test: (value: string) => boolean } | { readonly ok: false; readonly problem: string };

/** Backreferences (`\1`, `\k<name>`) and lookaround outside character classes: the features RE2 leaves out. */
function unsupportedFeature(source: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      const next = source[i + 1] ?? '';
      if (!inClass && ((next >= '1' && next <= '9') || next === 'k')) return 'backreferences';
      i++;
    } else if (c === '[') inClass = true;
    else if (c === ']') inClass = false;
    else if (!inClass && c === '(' && source[i + 1] === '?') {
      const kind = source.slice(i + 2, i + 4);
      if (kind[0] === '=' || kind[0] === '!' || kind === '<=' || kind === '<!') return 'lookahead and lookbehind';
    }
  }
  return undefined;
}

/**
 * Compiles a rule's `regex` (JavaScript syntax, no flags) for the linear-time engine. Refused, with
 * the reason: sources that are not valid JavaScript patterns, that use backreferences or
 * lookaround (which no linear-time engine can run), or whose program exceeds
 * {@link MAX_REGEX_PROGRAM} instructions. `ignoreCase` uses RE2's case folding (Unicode simple
 * folding, so `k` also matches the Kelvin sign).
 */
export function compileRegex(source: string, ignoreCase: boolean): RegexCompileResult {
  try {
    new RegExp(source);
  } catch (err) {
    return { ok: false, problem: `does not compile (${(err as Error).message})` };
  }
  const feature = unsupportedFeature(source);
  if (feature !== undefined) return { ok: false, problem: `uses ${feature}, which are not supported by the linear-time regex engine (RE2); rewrite it without them` };
  let re: RE2JS;
  try {
    re = RE2JS.compile(RE2JS.translateRegExp(source), ignoreCase ? RE2JS.CASE_INSENSITIVE : 0);
  } catch (err) {
    return { ok: false, problem: `is not supported by the linear-time regex engine (RE2: ${(err as Error).message})` };
  }
  const size = re.programSize();
  if (size > MAX_REGEX_PROGRAM) {
    return { ok: false, problem: `is too complex (${size} RE2 instructions, at most ${MAX_REGEX_PROGRAM}); shorten large repeat counts such as {100}` };
  }
  return {
    ok: true,
    test(value) {
      try {
        return re.test(value);
      } catch {
        return false;
      }
    },
  };
}
