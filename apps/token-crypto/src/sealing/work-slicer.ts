/**
 * Batches of RSA and ECDH work run on the event loop; a 2,000-item batch must not stall the broker heartbeat or
 * other requests for seconds, so long loops hand the loop back every few milliseconds.
 */
export class WorkSlicer {
  private last = performance.now();

  constructor(private readonly sliceMs = 15) {}

  async pause(): Promise<void> {
    if (performance.now() - this.last < this.sliceMs) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.last = performance.now();
  }
}
