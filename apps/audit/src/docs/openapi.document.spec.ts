import { buildOpenApiDocument } from './openapi.document';

describe('the OpenAPI document', () => {
  const document = buildOpenApiDocument() as {
    openapi: string;
    paths: Record<
      string,
      { get: { security?: unknown[]; parameters?: { name: string; description: string }[] } }
    >;
    components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
  };

  it('describes every route, with the operator token on /v1 only', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths).sort()).toEqual(
      [
        '/',
        '/health/live',
        '/health/ready',
        '/metrics',
        '/v1/certificates',
        '/v1/certificates/summary',
        '/v1/events',
        '/v1/events/export',
        '/v1/fleet/summary',
        '/v1/stream',
        '/v1/users/{user}/summary',
      ].sort(),
    );
    for (const [path, item] of Object.entries(document.paths)) {
      expect(Boolean(item.get.security)).toBe(path.startsWith('/v1'));
    }
  });

  it('lists the filter parameters with their descriptions, generated from the validating schemas', () => {
    const list = document.paths['/v1/events']!.get.parameters!;
    expect(list.map((parameter) => parameter.name)).toEqual([
      'user',
      'machine',
      'type',
      'code',
      'correlationId',
      'from',
      'to',
      'limit',
      'cursor',
    ]);
    expect(list.every((parameter) => parameter.description.length > 0)).toBe(true);
    expect(document.components.schemas.EventPage!.properties).toHaveProperty('nextCursor');
    expect(document.components.schemas.UserSummary!.properties).toHaveProperty('openConflicts');
  });

  it('documents the certificate inventory: its filters and what a certificate says', () => {
    const list = document.paths['/v1/certificates']!.get.parameters!;
    expect(list.map((parameter) => parameter.name)).toEqual([
      'user',
      'expiringWithinDays',
      'expired',
      'weak',
      'q',
      'limit',
    ]);
    expect(list.every((parameter) => parameter.description.length > 0)).toBe(true);
    const page = document.components.schemas.CertificatePage as {
      properties: { certificates: { items: { properties: Record<string, unknown> } } };
    };
    expect(Object.keys(page.properties.certificates.items.properties)).toEqual(
      expect.arrayContaining([
        'user',
        'thumbprint',
        'notAfter',
        'keySize',
        'signatureAlgorithm',
        'weaknesses',
      ]),
    );
    expect(document.components.schemas.CertificatesSummary!.properties).toHaveProperty('weeks');
  });
});
