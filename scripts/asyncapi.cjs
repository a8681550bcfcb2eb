'use strict';
// Writes docs/asyncapi.yaml from the zod contracts (built into dist/ first: `npm run asyncapi` builds).
// test/deployment/asyncapi.test.ts fails while the committed file differs from what this writes.
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { stringify } = require('yaml');
const { requireFromDist } = require('./lib/run-service.cjs');

const root = join(__dirname, '..');
const { version } = require(join(root, 'package.json'));
const { buildAsyncApiDocument } = requireFromDist('libs/roaming/src/contracts/asyncapi/asyncapi.document.js');
const file = join(root, 'docs', 'asyncapi.yaml');
writeFileSync(file, stringify(buildAsyncApiDocument(version), { lineWidth: 0 }));
console.log(`wrote ${file}`);
