import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { type LiveEventSource } from '@credroam/messaging';
import { type RoamingEvent } from '@credroam/roaming';
import { type ChangeNotifier } from './change-notifier';

/**
 * Feeds this replica's change notifier from the events exchange (`directory.changed`, which the replica that ran
 * the sync published), from boot to shutdown; at shutdown the open waits end with "no change" and the
 * workstations wait again on another replica.
 */
@Injectable()
export class ChangeFeedLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly feed: LiveEventSource<RoamingEvent>,
    private readonly notifier: ChangeNotifier,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.feed.start((event) => {
      if (event.type === 'directory.changed' && event.user !== null && event.machine !== null) {
        this.notifier.record(event.user, event.machine, Date.parse(event.payload.modifiedAt));
      }
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.notifier.releaseAll();
    await this.feed.stop();
  }
}
