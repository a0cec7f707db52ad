/**
 * Reading a consumed message's headers is linear in their number: a hostile publisher sending
 * thousands of mixed-case prefix keys (NATS and RabbitMQ keep header case) cannot make each
 * lookup rescan every header. Counted through a Proxy (how often the names are listed), not timed.
 */
import { describe, expect, it } from 'vitest';
import { createGrayPolicy, type GrayInvalidEvent } from 'graylane';
import { messageGrayContext } from 'graylane/amqp';

describe('message headers carrier', () => {
  it('lists the header names a bounded number of times, however many mixed-case keys there are', () => {
    const n = 3000;
    const raw: Record<string, unknown> = { 'X-Release-Stage': 'canary' };
    for (let i = 0; i < n; i++) raw[`X-Gray-K${i}`] = 'v';
    let listed = 0;
    const headers = new Proxy(raw, { ownKeys: (t) => (listed++, Reflect.ownKeys(t)) });
    const events: GrayInvalidEvent[] = [];
    const ctx = messageGrayContext(headers, createGrayPolicy({ keyPrefix: 'x-gray-', maxKeys: 8, onInvalid: (e) => events.push(e) }));
    expect(ctx.stage).toBe('canary');
    expect(Object.keys(ctx.entries).length).toBe(8); // the stage plus 7 prefix keys, the rest reported
    expect(listed).toBeLessThanOrEqual(4);
  });
});
