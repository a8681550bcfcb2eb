import { admitJsonMessage } from './message-admission';

const message = (
  content: string | Buffer,
  properties: { contentType?: unknown; contentEncoding?: unknown } = {},
) => ({
  content: Buffer.isBuffer(content) ? content : Buffer.from(content),
  properties,
});

describe('admitJsonMessage', () => {
  it('admits JSON declared as application/json, with or without a charset, and JSON declaring nothing', () => {
    for (const contentType of ['application/json', 'Application/JSON; charset=utf-8', undefined, '']) {
      expect(admitJsonMessage(message('{"a":1}', { contentType }), 1024)).toEqual({
        ok: true,
        body: { a: 1 },
      });
    }
  });

  it('refuses a body over the limit as too-large before reading it', () => {
    const admission = admitJsonMessage(message(Buffer.alloc(2048, 0xff)), 1024);
    expect(admission).toEqual({
      ok: false,
      refusal: {
        reason: 'too-large',
        errorCode: 'VALUE_TOO_LARGE',
        problem: expect.stringMatching(/2048 bytes/),
      },
    });
  });

  it('admits a body of exactly the limit', () => {
    expect(admitJsonMessage(message(`"${'x'.repeat(1022)}"`), 1024).ok).toBe(true);
  });

  it('refuses another media type, even when the body is JSON', () => {
    for (const contentType of ['text/plain', 'application/octet-stream', Buffer.from('text/xml')]) {
      expect(admitJsonMessage(message('{"a":1}', { contentType }), 1024)).toMatchObject({
        ok: false,
        refusal: { reason: 'unsupported-content-type', errorCode: 'UNSUPPORTED_MEDIA_TYPE' },
      });
    }
  });

  it('refuses a compressed body rather than inflating it', () => {
    expect(admitJsonMessage(message('{}', { contentEncoding: 'gzip' }), 1024)).toMatchObject({
      ok: false,
      refusal: { reason: 'unsupported-content-type' },
    });
    expect(admitJsonMessage(message('{}', { contentEncoding: 'identity' }), 1024).ok).toBe(true);
  });

  it('refuses a body that is not JSON, or not UTF-8, as not-json without quoting it', () => {
    for (const content of ['{"id": "not json', 'hello', Buffer.from([0x22, 0xff, 0xfe, 0x22]), '']) {
      const admission = admitJsonMessage(message(content), 1024);
      expect(admission).toEqual({
        ok: false,
        refusal: { reason: 'not-json', errorCode: 'CONTRACT_VIOLATION', problem: 'the body is not JSON' },
      });
    }
  });
});
