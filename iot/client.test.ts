import { describe, expect, it } from 'vitest';
import { connectServiceClient, type ServiceClientOptions } from './client.ts';

const valid: ServiceClientOptions = {
  url: 'mqtt://127.0.0.1:1',
  clientId: 'pledgewatch-1',
  subscriptions: ['farms/+/tags/+/reading'],
  handleMessage: async () => undefined,
};

describe('connectServiceClient options', () => {
  it.each([
    [{ url: 'not a url' }, 'url "not a url" is not a URL'],
    [{ url: 'http://broker:1883' }, 'url scheme "http:" must be one of mqtt:, mqtts:, ws:, wss:'],
    [{ clientId: '' }, 'clientId must not be empty: a persistent session needs a stable id'],
    [{ sharedGroup: 'a/b' }, `sharedGroup "a/b" must be non-empty without '/', '+' or '#'`],
    [{ sharedGroup: '' }, `sharedGroup "" must be non-empty without '/', '+' or '#'`],
    [{ subscriptions: [] }, 'subscriptions must name at least one topic filter'],
    [
      { subscriptions: ['$share/g/farms/#'] },
      'subscription "$share/g/farms/#" must be a non-empty topic filter without $share/ (use sharedGroup)',
    ],
    [{ maxInFlight: 0 }, 'maxInFlight 0 must be an integer in [1, 65535]'],
    [{ maxInFlight: 1.5 }, 'maxInFlight 1.5 must be an integer in [1, 65535]'],
    [{ sessionExpiryS: 0 }, 'sessionExpiryS 0 must be an integer in [1, 4294967295]'],
    [
      { reconnectMinMs: 500, reconnectMaxMs: 100 },
      'reconnectMaxMs 100 must be at least reconnectMinMs 500',
    ],
  ] satisfies [Partial<ServiceClientOptions>, string][])(
    'rejects %o before connecting',
    async (override, message) => {
      await expect(connectServiceClient({ ...valid, ...override })).rejects.toThrow(message);
    },
  );
});
