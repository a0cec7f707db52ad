/**
 * `graylane rollout start|status|pause|resume|abort|done <name>`: operates a rollout stored in a
 * file or etcd registry. The replicas' controllers (`createRollout(...).join()`) drive the ramp;
 * the command writes the record and prints a readable status.
 * @packageDocumentation
 */
import { parseArgs } from 'node:util';
import { createEtcdRegistry } from '../routing/etcd-registry.js';
import { createFileRegistry } from '../routing/file-registry.js';
import type { GrayRolloutRegistry } from '../routing/rollout-registry.js';
import { createRollout } from '../rollout/controller.js';
import { formatRolloutStatus } from '../rollout/format.js';
import { operateRollout, type RolloutOperatorAction } from '../rollout/operate.js';

/** Usage lines of `graylane rollout`. */
export const ROLLOUT_USAGE = `  graylane rollout start <name> --registry <file.json | http://etcd:2379> --service <svc> [--stage canary]
                         [--steps 1,5,25,50,100] [--dwell 5m] [--min-calls 100] [--prefix /graylane] [--json]
  graylane rollout status|pause|resume|abort|done <name> --registry <…> [--reason "…"] [--json]
      start a stepped canary ramp (the replicas' controllers drive it), show it, hold it, go on, stop it
      (stage disabled, share 0), or mark a promoted rollout done`;

/** `'90s'`, `'5m'`, `'1500ms'`, `'2h'` or plain milliseconds → ms; `NaN` when unreadable. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (m === null) return Number.NaN;
  return Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 'ms'] ?? 1);
}

/** Opens a file registry (a path) or an etcd registry (`http(s)://host:port[,…]`), ready to read. */
export async function openRegistry(where: string, prefix: string | undefined): Promise<GrayRolloutRegistry> {
  if (/^https?:\/\//.test(where)) {
    const registry = createEtcdRegistry({ endpoints: where.split(','), ...(prefix === undefined ? {} : { prefix }), callTimeoutMs: 5000 });
    try {
      await registry.ready();
    } catch (e) {
      await registry.close();
      throw e;
    }
    return registry;
  }
  return createFileRegistry(where, { pollIntervalMs: 0 });
}

/** Runs `graylane rollout …`; resolves to the exit code (0 done, 1 refused or not applicable, 2 usage). */
export async function rolloutCommand(args: string[], out: (line: string) => void = console.log, err: (line: string) => void = console.error): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        registry: { type: 'string' },
        prefix: { type: 'string' },
        service: { type: 'string' },
        stage: { type: 'string', default: 'canary' },
        steps: { type: 'string', default: '1,5,25,50,100' },
        dwell: { type: 'string', default: '5m' },
        'min-calls': { type: 'string', default: '100' },
        reason: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    });
  } catch (e) {
    err(`graylane rollout: ${(e as Error).message}\nusage:\n${ROLLOUT_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [action, name] = positionals;
  const actions = ['start', 'status', 'pause', 'resume', 'abort', 'done'];
  if (action === undefined || !actions.includes(action) || name === undefined || values.registry === undefined) {
    err(`graylane rollout: give an action (${actions.join(', ')}), a rollout name and --registry\nusage:\n${ROLLOUT_USAGE}`);
    return 2;
  }
  let registry: GrayRolloutRegistry | undefined;
  try {
    registry = await openRegistry(values.registry, values.prefix);
    let record = registry.getRollout(name);
    let applied = true;
    if (action === 'start') {
      const steps = values.steps.split(',').map((s) => Number(s.trim()));
      const rollout = createRollout({
        registry, name, service: values.service as string, stage: values.stage, steps,
        minDwellMs: parseDuration(values.dwell), minCalls: Number(values['min-calls']),
      });
      const before = record;
      record = await rollout.start({ join: false });
      applied = before === undefined || before.startedAt !== record?.startedAt;
      if (!applied) err(`graylane rollout: '${name}' is already ${before!.state}; showing it (abort it first to start over).`);
    } else if (action !== 'status') {
      const op = await operateRollout(registry, name, action as RolloutOperatorAction, values.reason);
      if (op === undefined) {
        err(`graylane rollout: no rollout '${name}' in ${values.registry}; start one with \`graylane rollout start ${name} --service <svc>\`.`);
        return 1;
      }
      record = op.record;
      applied = op.applied;
      if (!applied) err(`graylane rollout: cannot ${action} '${name}' while it is ${op.before.state}.`);
    }
    const problem = registry.getRolloutError(name)?.message;
    if (values.json) out(JSON.stringify({ name, record: record ?? null, ...(problem === undefined ? {} : { problem }) }, null, 2));
    else out(formatRolloutStatus(name, record, problem === undefined ? {} : { problem }).trimEnd());
    return applied && (record !== undefined || action === 'status') ? 0 : 1;
  } catch (e) {
    err(`graylane rollout ${action}: ${(e as Error).message}`);
    return (e as Error).name === 'GrayConfigError' ? 2 : 1;
  } finally {
    await registry?.close();
  }
}
