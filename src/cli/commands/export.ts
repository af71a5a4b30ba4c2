/** `lash-store export <db>`: the whole audit trail as NDJSON on stdout, one event per line. */
import { eventToNdjson } from '../../events/ndjson.js';
import { openAny } from '../open-db.js';

export async function exportCommand(path: string): Promise<number> {
  const { handle } = await openAny(path, { readonly: true });
  try {
    let after = 0;
    for (;;) {
      const batch = await handle.readEvents({ afterSeq: after, limit: 1000 });
      if (batch.length === 0) return 0;
      process.stdout.write(batch.map((e) => `${eventToNdjson(e)}\n`).join(''));
      after = (batch[batch.length - 1] as { seq: number }).seq;
    }
  } finally {
    await handle.close();
  }
}
