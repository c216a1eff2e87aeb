import { describe, expect, it } from 'vitest';
import { mayPublish, maySubscribe } from './gateway-policy.ts';

const gateway = { id: 'g-1', code: 'GW-KRT-01', farmId: 'f-1', farmCode: 'F-KRT-01' };

describe('gateway topic policy', () => {
  it.each([
    'farms/F-KRT-01/tags/056000000000001/reading',
    'farms/F-KRT-01/tags/reading-batch',
    'farms/F-KRT-01/cameras/CAM-1/count',
    'farms/F-KRT-01/cameras/CAM-1/frame',
    'farms/F-KRT-01/gateways/GW-KRT-01/status',
  ])('lets a gateway publish on its own farm: %s', (topic) => {
    expect(mayPublish(gateway, topic)).toEqual({ ok: true });
  });

  it.each([
    [
      'farms/F-AAL-01/tags/T-1/reading',
      'gateway GW-KRT-01 belongs to farm F-KRT-01 and may not publish for farm F-AAL-01',
    ],
    [
      'farms/F-KRT-01/gateways/GW-KRT-02/status',
      'gateway GW-KRT-01 may not publish the status of gateway GW-KRT-02',
    ],
    [
      'farms/F-KRT-01/gateways/GW-KRT-01/commands',
      'topic farms/F-KRT-01/gateways/GW-KRT-01/commands is for the service to publish, not gateways',
    ],
    [
      'farms/F-KRT-01/tags/+/reading',
      "topic farms/F-KRT-01/tags/+/reading is not one of PledgeWatch's topics",
    ],
    ['$SYS/broker/clients', "topic $SYS/broker/clients is not one of PledgeWatch's topics"],
  ])('refuses %s with the reason', (topic, reason) => {
    expect(mayPublish(gateway, topic)).toEqual({ ok: false, reason });
  });

  it('lets a gateway subscribe only to its own command topic', () => {
    expect(maySubscribe(gateway, 'farms/F-KRT-01/gateways/GW-KRT-01/commands')).toBe(true);
    expect(maySubscribe(gateway, 'farms/F-KRT-01/gateways/GW-KRT-02/commands')).toBe(false);
    expect(maySubscribe(gateway, 'farms/F-KRT-01/#')).toBe(false);
    expect(maySubscribe(gateway, '#')).toBe(false);
  });
});
