/** `pledgewatch simulate --help`; its own file so --help loads nothing else. */
export const simulateUsage = `pledgewatch simulate --farms N --animals M --interval S [--broker URL] [--ticks T]
                     [--theft K] [--theft-at TICK] [--failing-tags K] [--fail-at TICK]
                     [--camera-undercount F] [--seed X] [--secrets-file FILE]

Simulates the gateways of the first N demo farms (fixtures/demo/portfolio.json, as loaded by
\`pledgewatch seed-demo\`): M animals per farm graze inside the farm's geofence, and every S seconds
each gateway publishes one QoS 1 batch of its tags' fixes (farms/{farm}/tags/reading-batch) and one
head count per camera. The farm's pledged tags are used first, then made-up SIM-* tags.

  --theft K              K animals of the first farm walk out together (at tick --theft-at, default 3)
  --failing-tags K       K tags per farm go silent (at tick --fail-at, default 3)
  --camera-undercount F  every camera misses this share of the animals, 0-1 (default 0)
  --ticks T              stop after T ticks (default: until Ctrl-C)
  --seed X               random seed (default 1): the same seed repeats the same run
  --broker URL           default: MQTT_URL, else the embedded broker's PW_MQTT_HOST:PW_MQTT_PORT
  --secrets-file FILE    gateway secrets as JSON {code: secret} (default:
                         PW_DATA_DIR/demo-gateway-secrets.json, written by seed-demo)

Each tick and its scenario events go to stderr; the summary (JSON) to stdout.`;
