/**
 * The single MQTT topic table. Every topic the service or a gateway uses is listed here once:
 * `matchTopic` parses a concrete topic into a typed match, `topicFor` builds one, and
 * `serviceSubscriptions` are the wildcard filters the service consumes.
 *
 * Segments such as `farmId` are the farm's CODE (`F-KRT-01`), and device segments are device
 * codes, all following `codePattern` (the rule ear-tag ids follow), so a segment can never hold an
 * MQTT wildcard, a separator or nothing.
 */

/** Letters, digits and `. _ : -`, 1-64 characters, starting with a letter or digit. */
export const codePattern = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

/** A concrete topic, parsed. */
export type TopicMatch =
  | { readonly kind: 'tag_reading'; readonly farmId: string; readonly tagId: string }
  | { readonly kind: 'tag_batch'; readonly farmId: string }
  | { readonly kind: 'camera_count'; readonly farmId: string; readonly cameraId: string }
  | { readonly kind: 'camera_frame'; readonly farmId: string; readonly cameraId: string }
  | { readonly kind: 'gateway_status'; readonly farmId: string; readonly gatewayId: string }
  | { readonly kind: 'gateway_commands'; readonly farmId: string; readonly gatewayId: string };

export type TopicKind = TopicMatch['kind'];

/** Who publishes on a topic: gateways (`uplink`) or the service (`downlink`). */
export type TopicDirection = 'uplink' | 'downlink';

interface TopicDefinition {
  readonly kind: TopicKind;
  /** Literal segments, and `{name}` for a code segment. */
  readonly pattern: string;
  readonly direction: TopicDirection;
  readonly description: string;
}

/** The table. Order does not matter: no two patterns match the same topic. */
export const topicTable = [
  {
    kind: 'tag_reading',
    pattern: 'farms/{farmId}/tags/{tagId}/reading',
    direction: 'uplink',
    description: 'one ear-tag reading (JSON; the tag id comes from the topic)',
  },
  {
    kind: 'tag_batch',
    pattern: 'farms/{farmId}/tags/reading-batch',
    direction: 'uplink',
    description: 'many readings of many tags (JSON `{readings: [...]}`, each with its tagId)',
  },
  {
    kind: 'camera_count',
    pattern: 'farms/{farmId}/cameras/{cameraId}/count',
    direction: 'uplink',
    description: 'a head count made on the camera or its gateway (JSON)',
  },
  {
    kind: 'camera_frame',
    pattern: 'farms/{farmId}/cameras/{cameraId}/frame',
    direction: 'uplink',
    description: 'one JPEG frame, counted by the service',
  },
  {
    kind: 'gateway_status',
    pattern: 'farms/{farmId}/gateways/{gatewayId}/status',
    direction: 'uplink',
    description: "gateway online/offline (JSON); the gateway's last will",
  },
  {
    kind: 'gateway_commands',
    pattern: 'farms/{farmId}/gateways/{gatewayId}/commands',
    direction: 'downlink',
    description: 'commands from the service to one gateway',
  },
] as const satisfies readonly TopicDefinition[];

const byKind = new Map<TopicKind, TopicDefinition>(topicTable.map((t) => [t.kind, t]));

/** A table entry prepared for matching: its literal segments, and where each code sits. */
interface CompiledTopic {
  readonly kind: TopicKind;
  readonly segmentCount: number;
  readonly literals: readonly { readonly index: number; readonly text: string }[];
  readonly codes: readonly { readonly index: number; readonly name: string }[];
}

const compiled: readonly CompiledTopic[] = topicTable.map((t) => {
  const segments = t.pattern.split('/');
  const literals: { index: number; text: string }[] = [];
  const codes: { index: number; name: string }[] = [];
  segments.forEach((segment, index) => {
    if (segment.startsWith('{')) codes.push({ index, name: segment.slice(1, -1) });
    else literals.push({ index, text: segment });
  });
  return { kind: t.kind, segmentCount: segments.length, literals, codes };
});

/** True when `segment` may stand for a farm, tag, camera or gateway code in a topic. */
export function isTopicSegment(segment: string): boolean {
  return codePattern.test(segment);
}

/** Whether gateways (`uplink`) or the service (`downlink`) publish on this kind of topic. */
export function topicDirection(kind: TopicKind): TopicDirection {
  // Every kind is in the table, by construction.
  return (byKind.get(kind) as TopicDefinition).direction;
}

/**
 * Parses a concrete topic against the table. Returns null for a topic that is not in the table or
 * whose code segments break `codePattern` (empty, a wildcard, too long).
 *
 * Runs on every message (twice on the embedded broker: the gateway policy, then the handler), so
 * the literal segments are compared before any code segment is checked against its pattern.
 *
 * @example
 * matchTopic('farms/F-KRT-01/tags/BE-0001/reading')
 * // { kind: 'tag_reading', farmId: 'F-KRT-01', tagId: 'BE-0001' }
 */
export function matchTopic(topic: string): TopicMatch | null {
  const parts = topic.split('/');
  for (const definition of compiled) {
    if (definition.segmentCount !== parts.length || !hasLiterals(parts, definition)) continue;
    const match: Record<string, string> = { kind: definition.kind };
    let valid = true;
    for (const { index, name } of definition.codes) {
      const actual = parts[index] as string;
      if (!isTopicSegment(actual)) {
        valid = false;
        break;
      }
      match[name] = actual;
    }
    // The table's placeholders name exactly the fields of the match of that kind.
    if (valid) return match as unknown as TopicMatch;
  }
  return null;
}

function hasLiterals(parts: readonly string[], definition: CompiledTopic): boolean {
  for (const { index, text } of definition.literals) if (parts[index] !== text) return false;
  return true;
}

function build(kind: TopicKind, params: Record<string, string>): string {
  const definition = byKind.get(kind) as TopicDefinition;
  return definition.pattern.replace(/\{(\w+)\}/g, (_placeholder, name: string) => {
    const value = params[name] ?? '';
    if (!isTopicSegment(value)) {
      throw new RangeError(
        `${name} ${JSON.stringify(value)} cannot be a topic segment: it must be 1-64 characters of letters, digits and . _ : - starting with a letter or digit`,
      );
    }
    return value;
  });
}

/**
 * Topic builders, one per table entry. They throw a RangeError for a code that breaks
 * `codePattern`: codes come from our own database, so a bad one is a bug, not input.
 */
export const topicFor = {
  tagReading: (farmId: string, tagId: string): string => build('tag_reading', { farmId, tagId }),
  tagBatch: (farmId: string): string => build('tag_batch', { farmId }),
  cameraCount: (farmId: string, cameraId: string): string =>
    build('camera_count', { farmId, cameraId }),
  cameraFrame: (farmId: string, cameraId: string): string =>
    build('camera_frame', { farmId, cameraId }),
  gatewayStatus: (farmId: string, gatewayId: string): string =>
    build('gateway_status', { farmId, gatewayId }),
  gatewayCommands: (farmId: string, gatewayId: string): string =>
    build('gateway_commands', { farmId, gatewayId }),
} as const;

function toFilter(pattern: string): string {
  return pattern.replace(/\{\w+\}/g, '+');
}

/** The wildcard filter matching every topic of one kind, e.g. `farms/+/tags/+/reading`. */
export function topicFilterFor(kind: TopicKind): string {
  return toFilter((byKind.get(kind) as TopicDefinition).pattern);
}

/** What the service subscribes to: every uplink topic of every farm. */
export const serviceSubscriptions: readonly string[] = topicTable
  .filter((t) => t.direction === 'uplink')
  .map((t) => toFilter(t.pattern));
