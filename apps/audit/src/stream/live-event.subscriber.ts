import { LiveEventFeed, type AmqpConfig } from '@credroam/messaging';
import { type Logger } from '@credroam/platform';

/** Events kept in the private queue while this replica falls behind; older ones are dropped, not hoarded. */
const QUEUE_MAX_LENGTH = 10_000;

/**
 * The live stream's source: every replica's own queue (`<ns>.audit.live.<id>`) bound with `#`. Streaming from the
 * exchange rather than from this replica's inserts means every dashboard sees every event whichever replica it is
 * connected to, while the durable queue still gives each event to one replica for storage.
 */
export function amqpLiveEventSource(config: AmqpConfig, logger: Logger): LiveEventFeed<'envelope'> {
  return new LiveEventFeed(config, logger, {
    name: 'audit.live',
    bindings: ['#'],
    accept: 'envelope',
    maxLength: QUEUE_MAX_LENGTH,
  });
}
