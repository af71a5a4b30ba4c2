/**
 * Property of the session store factory's file naming (20-blobs-attachments-lifecycle §6.2, §9.1
 * invariant 10): over random Unicode ids, `safeSessionDbFileName` equals an independent oracle, is
 * deterministic, injective (distinct ids, distinct names), always a primary name, and never escapes
 * the root; ids with a lone surrogate are refused with `InvalidSessionId`.
 */
import { createHash } from 'node:crypto';
import { dirname, join, resolve, sep } from 'node:path';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { isPrimarySessionDbName, SqliteSessionStoreFactory, safeSessionDbFileName } from '../../src/index.js';
import { FakeProcessRegistry, PROPERTY_RUNS } from '../support/attachments.js';

/** §6.2 written again, independently. */
function oracle(id: string): string {
  const safe = Array.from(id, (ch) => (/^[A-Za-z0-9_-]$/.test(ch) ? ch : '_'))
    .join('')
    .replace(/^_+/, '')
    .replace(/_+$/, '');
  const hash = createHash('sha256').update(Buffer.from(id, 'utf8')).digest('hex').slice(0, 16);
  return `${(safe || 'session').slice(0, 80)}-${hash}.db`;
}

/** Ids mixing every Unicode plane with the characters that matter for paths. */
const idArb = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 120 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({
    unit: fc.constantFrom('/', '\\', '.', '..', '_', '-', 'a', 'Z', '0', ':', '\u0000', ' ', 'é', '😀', '\u202e'),
    maxLength: 100,
  }),
);

const ROOT = resolve('/srv/lash/sessions');
const factory = new SqliteSessionStoreFactory(ROOT, { processRegistry: new FakeProcessRegistry() });

it('file names equal the oracle, are primary, stay under the root and never collide', () => {
  fc.assert(
    fc.property(fc.uniqueArray(idArb, { minLength: 1, maxLength: 8 }), (ids) => {
      const names = ids.map((id) => safeSessionDbFileName(id));
      expect(new Set(names).size).toBe(ids.length);
      ids.forEach((id, i) => {
        const name = names[i] as string;
        expect(name).toBe(oracle(id));
        expect(safeSessionDbFileName(id)).toBe(name);
        expect(name).toMatch(/^[A-Za-z0-9_-]{1,80}-[0-9a-f]{16}\.db$/);
        expect(isPrimarySessionDbName(name)).toBe(true);
        const path = factory.pathForSession(id);
        expect(path).toBe(join(ROOT, name));
        expect(dirname(path)).toBe(ROOT);
        expect(resolve(path).startsWith(ROOT + sep)).toBe(true);
      });
    }),
    { numRuns: PROPERTY_RUNS },
  );
});

it('ids with a lone surrogate are refused with InvalidSessionId', () => {
  const lone = fc
    .oneof(fc.integer({ min: 0xd800, max: 0xdbff }), fc.integer({ min: 0xdc00, max: 0xdfff }))
    .map((c) => String.fromCharCode(c));
  fc.assert(
    fc.property(
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      lone,
      fc.string({ unit: 'grapheme-ascii', maxLength: 20 }),
      (a, s, b) => {
        const id = a + s + b;
        let code: string | undefined;
        try {
          safeSessionDbFileName(id);
        } catch (error) {
          code = (error as { code?: string }).code;
        }
        expect(code).toBe('InvalidSessionId');
      },
    ),
    { numRuns: PROPERTY_RUNS },
  );
});
