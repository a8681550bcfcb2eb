import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serviceMetricsRegistry } from '@credroam/observability';
import { AuditMetrics } from './audit-metrics';

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { uid: string };
  targets?: { expr: string }[];
}

const dashboard = JSON.parse(
  readFileSync(join(__dirname, '..', '..', '..', '..', 'deploy', 'grafana', 'credroam-audit.json'), 'utf8'),
) as { uid: string; panels: Panel[]; templating: { list: { name: string; type: string }[] } };

describe('the Grafana dashboard shipped in deploy/grafana', () => {
  it("queries only metrics audit's registry or every service's (libs/observability) exports", async () => {
    const metrics = new AuditMetrics();
    const exported = new Set(
      [
        ...(await metrics.registry.getMetricsAsJSON()),
        ...(await serviceMetricsRegistry.getMetricsAsJSON()),
      ].map((metric) => metric.name),
    );
    const queried = dashboard.panels
      .flatMap((panel) => panel.targets ?? [])
      .flatMap((target) => target.expr.match(/credroam_[a-z_]+/g) ?? [])
      .map((name) => name.replace(/_(bucket|sum|count)$/, ''));
    expect(queried.length).toBeGreaterThan(10);
    expect([...new Set(queried)].filter((name) => !exported.has(name))).toEqual([]);
    // And every domain metric the issue names is on a panel.
    for (const name of [
      'credroam_sync_outcomes_total',
      'credroam_sync_duration_seconds',
      'credroam_token_conflicts_total',
      'credroam_token_rejections_total',
      'credroam_policy_limit_hits_total',
      'credroam_messages_dead_lettered_total',
      'credroam_audit_consumer_lag_messages',
      'credroam_rpc_server_requests_total',
      'credroam_rpc_server_duration_seconds',
      'credroam_http_requests_total',
      'credroam_http_request_duration_seconds',
      'credroam_broker_connected',
      'credroam_ldap_pool_connections',
      'credroam_certificates_expiring',
      'credroam_certificates_weak',
    ]) {
      expect(queried).toContain(name);
    }
  });

  it('has unique panel ids and takes its data source from a variable', () => {
    const ids = dashboard.panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: 'datasource', type: 'datasource' }),
    );
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
      expect(panel.datasource?.uid).toBe('${datasource}');
    }
  });
});
