import * as pkijs from 'pkijs';
import { compileSchema } from './schema';

/** pkijs schemas more than one reader matches against. */

/** ContentInfo { contentType, [0] EXPLICIT content } (RFC 5652). */
export const CONTENT_INFO = compileSchema<'contentType' | 'content'>(() =>
  pkijs.ContentInfo.schema({ names: { contentType: 'contentType', content: 'content' } }),
);

/** Attribute { type, SET OF values } (RFC 5652). */
export const ATTRIBUTE = compileSchema<'type', 'values'>(() =>
  pkijs.Attribute.schema({ names: { type: 'type', values: 'values' } }),
);
