// Typed access to the throwaway Samba AD DC launcher (scripts/lib/samba-ad.cjs) for Jest suites.
import { startSambaAd, type SambaAdHandle, type SambaAdOptions } from '../../scripts/lib/samba-ad.cjs';

export * from '../../scripts/lib/samba-ad.cjs';

/**
 * Generous: the first run on a machine installs Samba (about 1.5 min) and provisions the template domain (about
 * 30 s on a busy machine); later runs start in about two seconds.
 */
const START_TIMEOUT_MS = 300_000;

/**
 * Starts a throwaway Samba AD DC in beforeAll and stops it in afterAll: `const samba = useSambaAd(); ...
 * samba().url`. Each DC has a network namespace and a forwarded port of its own, so parallel Jest workers (and
 * anything on the host's port 389) never collide.
 */
export function useSambaAd(options: SambaAdOptions = {}): () => SambaAdHandle {
  let handle: SambaAdHandle | undefined;
  beforeAll(async () => {
    handle = await startSambaAd(options);
    process.stderr.write(
      `[samba-ad] DC ready in ${handle.startupMs} ms (install ${handle.timings.installMs} ms, template ` +
        `${handle.timings.templateMs} ms, copy and start ${handle.timings.copyAndStartMs} ms)\n`,
    );
  }, START_TIMEOUT_MS);
  afterAll(async () => {
    await handle?.stop();
  });
  return () => {
    if (!handle) throw new Error('the Samba DC is not started: use the handle inside a test or a hook');
    return handle;
  };
}
