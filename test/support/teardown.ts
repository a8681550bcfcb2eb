import { rmSync } from 'node:fs';
import { type OpensslWorkspace } from '../helpers/openssl';
import { type ServiceProcess } from '../helpers/service-process';
import { type BrokerProbe } from './messaging-fixtures';

/** What a suite started, as far as beforeAll got: every part may still be missing. */
export interface SuiteResources {
  services?: readonly (ServiceProcess | undefined)[];
  probe?: BrokerProbe | undefined;
  workspace?: OpensslWorkspace | undefined;
  dir?: string | undefined;
}

/** Stops the services first (they use the broker and the files), then removes queues, keys and files. */
export async function tearDown({ services = [], probe, workspace, dir }: SuiteResources): Promise<void> {
  await Promise.all(services.map((service) => service?.stop()));
  await probe?.cleanUp();
  await workspace?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
}
