/** 30-process-registry §2.5 and 00-overview §3.1: schema gate, kind marker, corrupt data, event log API. */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { firstValueFrom, take, toArray } from 'rxjs';
import { expect, it } from 'vitest';
import { PROCESS_SCHEMA_VERSION, SqliteProcessRegistry, Store } from '../../src/index.js';
import { ManualClock } from '../../src/testing.js';
import { acquired, append, ext, owner, plainType, plus, reg, rejectsCode, S, success } from '../support/process-fixtures.js';
import { describeRegistries, fileRegistryBackend, registryTempDir } from '../support/registries.js';

describeRegistries('process registry: storage', () => {
  it('refuses a session database with DatabaseKindMismatch and a foreign version with SchemaVersionMismatch', async () => {
    const dir = registryTempDir();
    const sessionPath = join(dir, 'session.db');
    await (await Store.open(sessionPath)).close();
    // Both kinds are at schema version 1, so the kind marker decides.
    const kind = await rejectsCode(SqliteProcessRegistry.open(sessionPath), 'DatabaseKindMismatch');
    expect(kind.databaseKind).toBe('processRegistry');
    expect(kind.expectedApplicationId).toBe(0x4c736850);
    expect(kind.foundApplicationId).toBe(0x4c736853);
    const other = join(dir, 'other.db');
    const raw = new Database(other);
    raw.exec('CREATE TABLE t (x)');
    raw.pragma('user_version = 99');
    raw.close();
    const error = await rejectsCode(SqliteProcessRegistry.open(other), 'SchemaVersionMismatch');
    expect(error.message).toBe(
      `Unsupported lash process registry schema: this binary supports schema version ${PROCESS_SCHEMA_VERSION}, but the database reports version 99. There is no migration chain — delete the process registry database and start fresh.`,
    );
    expect(error.databaseKind).toBe('processRegistry');
  });

  it('undecodable stored values raise CorruptData naming table and key, in point reads and scans', async () => {
    const { registry, path } = await fileRegistryBackend.open({ clock: new ManualClock(1000) });
    await registry.registerProcess(plus(reg('p'), plainType('x')));
    await append(registry, 'p', 'x', { n: 1 });
    await registry.grantHandle(S('s'), 'p', { kind: null, label: null });
    acquired(await registry.claimProcessLease('p', owner('o'), 1000));
    const raw = new Database(path as string);
    raw.prepare("UPDATE process_events SET event_json = '{broken' WHERE process_id = 'p'").run();
    raw.prepare("UPDATE process_leases SET lease_owner_liveness_json = '[1]' WHERE process_id = 'p'").run();
    raw.prepare("UPDATE process_handle_grants SET descriptor_json = 'null' WHERE process_id = 'p'").run();
    const events = await rejectsCode(registry.eventsAfter('p', 0), 'CorruptData');
    expect(events.table).toBe('process_events');
    expect(events.key).toBe('p/1');
    expect((await rejectsCode(registry.getProcessLease('p'), 'CorruptData')).table).toBe('process_leases');
    expect((await rejectsCode(registry.handleGrantsForProcess('p'), 'CorruptData')).table).toBe('process_handle_grants');
    raw.prepare("UPDATE processes SET record_json = '{\"id\":1}' WHERE process_id = 'p'").run();
    raw.close();
    const record = await rejectsCode(registry.getProcess('p'), 'CorruptData');
    expect(record.message).toMatch(/^corrupt data in table processes at key p: /);
    await rejectsCode(registry.listProcesses({ status: 'any' }), 'CorruptData');
    const damaged = await registry.verifyProjections();
    expect(damaged.ok).toBe(false);
    await registry.rebuildProjections();
    expect((await registry.getProcess('p'))?.id).toBe('p');
    expect(await registry.eventsAfter('p', 0)).toHaveLength(1);
  });

  it('compaction keeps every projection and the change feed; verify and rebuild start from the snapshot', async () => {
    const { registry, dir } = await fileRegistryBackend.open({ clock: new ManualClock(1000) });
    await registry.registerProcess(reg('a'));
    await registry.registerProcess(reg('b'));
    await registry.completeProcess('a', success(1), ext('t'));
    const through = (await registry.readEvents()).at(-1)!.seq;
    const report = await registry.compactEventLog({ throughSeq: through, archivePath: join(dir as string, 'archive.ndjson') });
    expect(report.deletedEventCount).toBe(through);
    await registry.completeProcess('b', success(2), ext('t'));
    expect((await registry.verifyProjections()).ok).toBe(true);
    await registry.rebuildProjections();
    expect(await registry.awaitTerminal('a')).toEqual(success(1));
    expect((await registry.getProcess('b'))?.status.kind).toBe('completed');
  });

  it('events$ streams the database events of registry commands', async () => {
    const { registry } = await fileRegistryBackend.open({ clock: new ManualClock(1000) });
    const first = firstValueFrom(registry.events$().pipe(take(2), toArray()));
    await registry.registerProcess(reg('a'));
    await registry.completeProcess('a', success(1), ext('t'));
    expect((await first).map((e) => [e.stream, e.type])).toEqual([
      ['process:a', 'ProcessRegistered'],
      ['process:a', 'ProcessEventAppended'],
    ]);
  });
}, [fileRegistryBackend]);
