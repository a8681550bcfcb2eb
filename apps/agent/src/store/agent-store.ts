import { AtomicFileWriter, type AtomicWriteHooks } from './atomic-file.writer';
import { DeviceKeys } from './device-keys';
import { SessionFile } from './session.file';
import { StateFile } from './state.file';
import { StoreLayout } from './store-layout';
import { assertStoreIsPrivate } from './store-permissions';
import { TokenRecordsFile } from './token-records.file';
import { TokenRepository } from './token.repository';
import { WindowsRoamedFile } from './windows-roamed.file';

/** Everything the agent keeps on disk, opened once per command. */
export class AgentStore {
  readonly tokens: TokenRepository;
  readonly records: TokenRecordsFile;
  readonly windows: WindowsRoamedFile;
  readonly state: StateFile;
  readonly session: SessionFile;
  readonly deviceKeys: DeviceKeys;
  readonly writer: AtomicFileWriter;

  private constructor(
    readonly layout: StoreLayout,
    hooks: AtomicWriteHooks,
  ) {
    this.writer = new AtomicFileWriter(hooks);
    this.tokens = new TokenRepository(layout, this.writer);
    this.records = new TokenRecordsFile(layout, this.writer);
    this.windows = new WindowsRoamedFile(layout, this.writer);
    this.state = new StateFile(layout, this.writer);
    this.session = new SessionFile(layout, this.writer);
    this.deviceKeys = new DeviceKeys(layout, this.writer);
  }

  /** Creates the store if needed; refuses one that other users can read (assertStoreIsPrivate). */
  static open(layout: StoreLayout, hooks: AtomicWriteHooks = {}): AgentStore {
    layout.ensure();
    assertStoreIsPrivate(layout);
    return new AgentStore(layout, hooks);
  }

  /** Removes temp files a crash left behind; only under the store lock, or it could take a live writer's file. */
  sweep(): void {
    this.writer.sweep(this.layout.root);
    this.tokens.sweep();
  }
}
