import { createEvent, type EventEnvelope, type EventType } from '@credroam/roaming';
import { EVENT_EXAMPLES } from '@credroam/roaming/contracts/testing/event-examples';
import { EVENT_ID, NOW } from '@credroam/roaming/contracts/testing/contract-examples';
import { AuditMetrics } from './audit-metrics';

function example(type: EventType): EventEnvelope {
  const built = createEvent(type, EVENT_EXAMPLES[type] as never, { id: EVENT_ID, now: NOW });
  if (!built.ok) throw new Error(built.error.message);
  return built.value as EventEnvelope;
}

describe('audit metrics', () => {
  it('counts the domain events into outcome, duration, conflict, rejection, limit and dead-letter metrics', async () => {
    const metrics = new AuditMetrics();
    for (const type of [
      'sync.completed',
      'sync.failed',
      'token.conflict',
      'token.rejected',
      'policy.limit-exceeded',
      'message.dead-lettered',
    ] as const) {
      metrics.observe(example(type));
    }
    metrics.duplicate(3);
    const { body } = await metrics.render();
    expect(body).toContain('credroam_sync_outcomes_total{outcome="completed",code="1"} 1');
    expect(body).toContain('credroam_sync_outcomes_total{outcome="failed",code="1005"} 1');
    expect(body).toContain('credroam_sync_duration_seconds_bucket{le="0.25"} 1');
    expect(body).toContain('credroam_token_conflicts_total{kind="both-changed",winner="directory"} 1');
    expect(body).toContain('credroam_token_rejections_total{code="1011",side="local"} 1');
    expect(body).toContain('credroam_policy_limit_hits_total{limit="maxTokens"} 1');
    expect(body).toContain(
      'credroam_messages_dead_lettered_total{queue="credroam.audit.events",reason="retries-exhausted"} 1',
    );
    expect(body).toContain('credroam_audit_duplicate_events_total 3');
    expect(body).toContain('credroam_audit_consumer_lag_messages -1');
  });

  it('keeps label values bounded whatever an unknown event version carries', async () => {
    const metrics = new AuditMetrics();
    const odd = {
      ...example('token.conflict'),
      version: 7,
      payload: { kind: 'x'.repeat(300), winner: 'alice' },
    };
    metrics.observe(odd);
    metrics.observe({ ...example('sync.started'), type: 'brand.new-event' });
    const { body } = await metrics.render();
    expect(body).toContain('credroam_token_conflicts_total{kind="other",winner="other"} 1');
    expect(body).toContain('credroam_audit_events_stored_total{type="other"} 1');
  });

  it('reads the consumer lag from the queue when scraped', async () => {
    const metrics = new AuditMetrics();
    metrics.watchQueue({ queueDepth: async () => ({ ready: 17, retrying: 2 }) });
    const { body } = await metrics.render();
    expect(body).toContain('credroam_audit_consumer_lag_messages 17');
    expect(body).toContain('credroam_audit_retrying_messages 2');
  });

  it('reports the certificate inventory at each scrape, -1 while it cannot be read', async () => {
    const metrics = new AuditMetrics();
    expect((await metrics.render()).body).toContain('credroam_certificates_expiring{within="7d"} -1');
    let reads = 0;
    let failing = false;
    metrics.watchInventory({
      fleetCounts: () => {
        reads += 1;
        return failing
          ? Promise.reject(new Error('database down'))
          : Promise.resolve({ total: 9, weak: 2, expiring: { '7d': 1, '30d': 4 } });
      },
    });
    const { body } = await metrics.render();
    expect(body).toContain('credroam_certificates_expiring{within="7d"} 1');
    expect(body).toContain('credroam_certificates_expiring{within="30d"} 4');
    expect(body).toContain('credroam_certificates_weak 2');
    expect(body).toContain('credroam_certificates_roaming 9');
    // The three gauges share one reading per scrape.
    expect(reads).toBe(1);
    failing = true;
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await metrics.render()).body).toContain('credroam_certificates_weak -1');
  });
});
