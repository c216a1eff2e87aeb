import { describe, expect, it } from 'vitest';
import {
  matchTopic,
  serviceSubscriptions,
  topicDirection,
  topicFilterFor,
  topicFor,
  topicTable,
  type TopicMatch,
} from './topics.ts';

describe('matchTopic', () => {
  it.each<[string, TopicMatch]>([
    [
      'farms/F-KRT-01/tags/056000000000123/reading',
      { kind: 'tag_reading', farmId: 'F-KRT-01', tagId: '056000000000123' },
    ],
    ['farms/F-KRT-01/tags/reading-batch', { kind: 'tag_batch', farmId: 'F-KRT-01' }],
    [
      'farms/F-KRT-01/cameras/CAM-2/count',
      { kind: 'camera_count', farmId: 'F-KRT-01', cameraId: 'CAM-2' },
    ],
    [
      'farms/F-KRT-01/cameras/CAM-2/frame',
      { kind: 'camera_frame', farmId: 'F-KRT-01', cameraId: 'CAM-2' },
    ],
    [
      'farms/F-KRT-01/gateways/GW.7/status',
      { kind: 'gateway_status', farmId: 'F-KRT-01', gatewayId: 'GW.7' },
    ],
    [
      'farms/F-KRT-01/gateways/GW.7/commands',
      { kind: 'gateway_commands', farmId: 'F-KRT-01', gatewayId: 'GW.7' },
    ],
    // A tag whose code happens to be a literal of another pattern is still a tag.
    [
      'farms/F1/tags/reading-batch/reading',
      { kind: 'tag_reading', farmId: 'F1', tagId: 'reading-batch' },
    ],
  ])('matches %s', (topic, expected) => {
    expect(matchTopic(topic)).toEqual(expected);
  });

  it.each([
    ['', 'empty topic'],
    ['farms', 'too short'],
    ['farms/F1/tags/T1/reading/extra', 'too long'],
    ['farms//tags/T1/reading', 'empty farm'],
    ['farms/F1/tags//reading', 'empty tag'],
    ['farms/+/tags/T1/reading', 'wildcard farm'],
    ['farms/F1/tags/#', 'wildcard tail'],
    ['farms/F1/tags/-T1/reading', 'segment starting with a dash'],
    ['farms/F1/tags/T 1/reading', 'space'],
    [`farms/F1/tags/${'T'.repeat(65)}/reading`, '65-character tag'],
    ['farms/F1/tags/T1/readings', 'unknown leaf'],
    ['Farms/F1/tags/T1/reading', 'literal segments are case-sensitive'],
    ['/farms/F1/tags/T1/reading', 'leading slash'],
    ['farms/F1/tags/T1/reading/', 'trailing slash'],
    ['$SYS/broker/uptime', 'system topic'],
  ])('rejects %j (%s)', (topic) => {
    expect(matchTopic(topic)).toBeNull();
  });
});

describe('topicFor', () => {
  it('builds every kind, and each built topic matches back', () => {
    const built = [
      topicFor.tagReading('F-KRT-01', 'BE-1'),
      topicFor.tagBatch('F-KRT-01'),
      topicFor.cameraCount('F-KRT-01', 'CAM-1'),
      topicFor.cameraFrame('F-KRT-01', 'CAM-1'),
      topicFor.gatewayStatus('F-KRT-01', 'GW-1'),
      topicFor.gatewayCommands('F-KRT-01', 'GW-1'),
    ];
    expect(built).toEqual([
      'farms/F-KRT-01/tags/BE-1/reading',
      'farms/F-KRT-01/tags/reading-batch',
      'farms/F-KRT-01/cameras/CAM-1/count',
      'farms/F-KRT-01/cameras/CAM-1/frame',
      'farms/F-KRT-01/gateways/GW-1/status',
      'farms/F-KRT-01/gateways/GW-1/commands',
    ]);
    expect(built.map((t) => matchTopic(t)?.kind)).toEqual(topicTable.map((t) => t.kind));
  });

  it.each([
    [() => topicFor.tagReading('F1', ''), 'tagId "" cannot be a topic segment'],
    [() => topicFor.tagReading('F/1', 'T1'), 'farmId "F/1" cannot be a topic segment'],
    [() => topicFor.cameraCount('F1', '+'), 'cameraId "+" cannot be a topic segment'],
    [() => topicFor.gatewayCommands('#', 'G1'), 'farmId "#" cannot be a topic segment'],
  ])('refuses a bad code (%#)', (build, message) => {
    expect(build).toThrow(RangeError);
    expect(build).toThrow(message);
  });
});

describe('subscriptions', () => {
  it('subscribes the service to every uplink topic of every farm', () => {
    expect(serviceSubscriptions).toEqual([
      'farms/+/tags/+/reading',
      'farms/+/tags/reading-batch',
      'farms/+/cameras/+/count',
      'farms/+/cameras/+/frame',
      'farms/+/gateways/+/status',
    ]);
  });

  it('gives a filter per kind and says who publishes it', () => {
    expect(topicFilterFor('gateway_commands')).toBe('farms/+/gateways/+/commands');
    expect(topicDirection('gateway_commands')).toBe('downlink');
    expect(topicDirection('tag_batch')).toBe('uplink');
  });
});
