/**
 * An OpenFeature server-SDK hook that adds the request's release stage (and configured keys) to
 * every flag evaluation's context, so flags target `releaseStage == "canary"` and business code
 * never branches on the stage.
 * @packageDocumentation
 */
import type { BeforeHookContext, EvaluationContext, Hook } from '@openfeature/server-sdk';
import { currentAttributes, resolveAttributes, type GrayEvaluationContextOptions } from './evaluation-context.js';

/** Options of {@link grayOpenFeatureHook}. */
export interface GrayOpenFeatureHookOptions extends GrayEvaluationContextOptions {
  /**
   * Replace attributes already in the evaluation context (set on the API, the client, the
   * transaction or the call). Default `false`: a value set explicitly wins, as graylane never
   * overwrites what a caller set.
   */
  readonly overwrite?: boolean;
}

/**
 * Creates the hook. Register it once — `OpenFeature.addHooks(grayOpenFeatureHook())` — or per
 * client / evaluation. Its `before` stage reads graylane's context store, so it sees the stage of
 * the request whose code evaluates the flag (concurrent requests never mix), and `'stable'` (the
 * policy's default) outside a request. Nothing is loaded from `@openfeature/server-sdk` at run time.
 *
 * @throws GrayConfigError on bad options (attribute names, keys).
 * @example
 * OpenFeature.addHooks(grayOpenFeatureHook({ keys: { 'x-gray-user': 'grayUser' } }));
 * // flag: contextEvaluator: (ctx) => (ctx.releaseStage === 'canary' ? 'on' : 'off')
 */
export function grayOpenFeatureHook(options: GrayOpenFeatureHookOptions = {}): Hook {
  const attributes = resolveAttributes(options);
  const overwrite = options.overwrite === true;
  return {
    before(hookContext: BeforeHookContext): EvaluationContext {
      const found = currentAttributes(attributes);
      if (overwrite) return found;
      const existing = hookContext.context ?? {};
      const out: EvaluationContext = {};
      for (const [name, value] of Object.entries(found)) if (!Object.hasOwn(existing, name)) out[name] = value;
      return out;
    },
  };
}
