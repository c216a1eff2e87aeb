/** `pledgewatch replay --help`; its own file so --help loads nothing else. */
export const replayUsage = `pledgewatch replay --csv FILE --farm CODE --tag ID [--gateway CODE] [--speed X]
                   [--broker URL] [--secret-file FILE] [--shift-to-now true|false]

Replays a GPS collar log (the idaho-collars / i-gotU CSV format: Date, Time, Latitude, Longitude
columns, leading spaces allowed) as ear-tag readings: each line becomes one QoS 1 message on
farms/{farm}/tags/{tag}/reading, sent as the gateway would send it, glitches included. The service
judges every fix: (0,0) fixes, unreadable dates (sent with their raw text), impossible jumps and
conflicting duplicates are rejected with a reason and recorded in rejected_messages.

  --csv FILE           the collar log
  --farm CODE          the farm's code (topic segment), e.g. F-KRT-01
  --tag ID             the ear tag to report as
  --gateway CODE       the gateway to connect as (default: GW-<farm code without F->)
  --secret-file FILE   file holding the gateway secret (default: PW_GATEWAY_SECRET)
  --speed X            time scale: 1 real time, 60 one minute per second, 0 as fast as
                       acknowledged (default 0)
  --broker URL         mqtt://host:port (default: MQTT_URL, else the embedded broker's
                       PW_MQTT_HOST:PW_MQTT_PORT)
  --shift-to-now B     shift the log so its last fix is now (default true): the service refuses
                       readings older than 30 days. Log times are read as UTC.

Progress goes to stderr; the summary (JSON: total, sent, acked, failed, skippedLines, shiftMs) to
stdout. Exit status 1 when a message was not acknowledged.`;
