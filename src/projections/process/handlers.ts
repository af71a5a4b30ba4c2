/**
 * Projection of the registry's database events onto its tables. The same code runs for live
 * commands and for replay (`rebuildProjections`, `verifyProjections`); a record's `changeSeq` is the
 * `seq` of the event being applied, so replay reproduces it exactly.
 */

import { originatorScopeId } from '../../commands/process/registration.js';
import { corruptData, ProcessRegistryError } from '../../errors.js';
import type { StoredEvent } from '../../events/types.js';
import type { JsonValue } from '../../json.js';
import type { Db } from '../../sqlite/open.js';
import type { ProcessRecord } from '../../types/process.js';
import type { HandlerMap } from '../handlers.js';
import {
  PROCESS_ABANDON_REQUESTED,
  PROCESS_EVENT_APPENDED,
  PROCESS_EXTERNAL_REF_SET,
  PROCESS_FIRST_STARTED_RECORDED,
  PROCESS_HANDLE_GRANTED,
  PROCESS_HANDLE_REVOKED,
  PROCESS_LEASE_ACQUIRED,
  PROCESS_LEASE_EXTENDED,
  PROCESS_LEASE_RELEASED,
  PROCESS_PRUNED,
  PROCESS_REGISTERED,
  PROCESS_SEGMENT_HANDOVER_PUT,
  PROCESS_SEGMENT_HANDOVERS_DELETED,
  PROCESS_STATUS_REPAIRED,
  PROCESS_WAIT_CLEARED,
  PROCESS_WAIT_SET,
  PROCESS_WAKE_ACKED,
  PROCESS_WAKE_TARGET_CLEARED,
  type ProcessAbandonRequestedData,
  type ProcessEventAppendedData,
  type ProcessExternalRefSetData,
  type ProcessFirstStartedRecordedData,
  type ProcessHandleGrantedData,
  type ProcessHandleRevokedData,
  type ProcessIdData,
  type ProcessLeaseAcquiredData,
  type ProcessLeaseExtendedData,
  type ProcessLeaseReleasedData,
  type ProcessNowData,
  type ProcessPrunedData,
  type ProcessRegisteredData,
  type ProcessSegmentHandoverPutData,
  type ProcessStatusRepairedData,
  type ProcessWaitSetData,
  type ProcessWakeAckedData,
  payload,
} from './events.js';
import { ProcessReads } from './reads.js';
import { encodeHandover, encodeJson, encodeRecord } from './records.js';

/** Handlers of every registry event type. */
export function processHandlers(db: Db): HandlerMap {
  const reads = new ProcessReads(db);
  const insertRecord = db.prepare(
    `INSERT INTO processes (process_id, registration_hash, owner_scope_id, created_at_ms, updated_at_ms, change_seq, status, record_json)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const touchRecord = db.prepare('UPDATE processes SET updated_at_ms = ?, change_seq = ? WHERE process_id = ?');
  const updateRecord = db.prepare(
    'UPDATE processes SET updated_at_ms = ?, change_seq = ?, status = ?, record_json = ? WHERE process_id = ?',
  );
  const insertEvent = db.prepare(
    `INSERT INTO process_events (process_id, sequence, event_type, payload_hash, idempotency_key, occurred_at_ms, event_json)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const upsertGrant = db.prepare(
    `INSERT INTO process_handle_grants (session_id, scope_id, process_id, descriptor_json) VALUES (?, ?, ?, ?)
     ON CONFLICT(scope_id, process_id) DO UPDATE SET session_id = excluded.session_id, descriptor_json = excluded.descriptor_json`,
  );
  const deleteGrant = db.prepare('DELETE FROM process_handle_grants WHERE scope_id = ? AND process_id = ?');
  const insertAck = db.prepare('INSERT OR IGNORE INTO process_wake_acks (process_id, sequence) VALUES (?, ?)');
  const upsertLease = db.prepare(
    `INSERT INTO process_leases (process_id, lease_owner_id, lease_owner_incarnation_id, lease_owner_liveness_json, lease_token,
       lease_fencing_token, lease_claimed_at_ms, lease_expires_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(process_id) DO UPDATE SET lease_owner_id = excluded.lease_owner_id,
       lease_owner_incarnation_id = excluded.lease_owner_incarnation_id,
       lease_owner_liveness_json = excluded.lease_owner_liveness_json, lease_token = excluded.lease_token,
       lease_fencing_token = excluded.lease_fencing_token, lease_claimed_at_ms = excluded.lease_claimed_at_ms,
       lease_expires_at_ms = excluded.lease_expires_at_ms`,
  );
  const extendLease = db.prepare('UPDATE process_leases SET lease_expires_at_ms = ? WHERE process_id = ? AND lease_token = ?');
  const releaseLease = db.prepare(
    `UPDATE process_leases SET lease_owner_id = NULL, lease_owner_incarnation_id = NULL, lease_owner_liveness_json = NULL,
       lease_token = NULL, lease_claimed_at_ms = 0, lease_expires_at_ms = 0
     WHERE process_id = ? AND lease_token = ? AND lease_fencing_token = ?`,
  );
  const insertHandover = db.prepare(
    'INSERT INTO process_segment_handovers (process_id, segment_ordinal, handover_json) VALUES (?, ?, ?)',
  );
  const deleteHandover = db.prepare('DELETE FROM process_segment_handovers WHERE process_id = ? AND segment_ordinal = ?');
  const deleteHandovers = db.prepare('DELETE FROM process_segment_handovers WHERE process_id = ?');
  const pruneStatements = [
    db.prepare('DELETE FROM process_events WHERE process_id = ?'),
    db.prepare('DELETE FROM process_wake_acks WHERE process_id = ?'),
    db.prepare('DELETE FROM process_handle_grants WHERE process_id = ?'),
    db.prepare('DELETE FROM process_leases WHERE process_id = ?'),
    deleteHandovers,
    db.prepare('DELETE FROM processes WHERE process_id = ?'),
  ];

  const write = (record: ProcessRecord): void => {
    updateRecord.run(record.updatedAtMs, record.changeSeq, record.status.kind, encodeRecord(record), record.id);
  };
  /** Re-reads, changes and rewrites a record with the event's seq as its change position. */
  const change = (processId: string, event: StoredEvent, fn: (record: ProcessRecord) => void): void => {
    const record = reads.record(processId);
    if (!record) {
      throw corruptData(ProcessRegistryError, 'events', String(event.seq), `${event.type} for unknown process ${processId}`);
    }
    fn(record);
    record.changeSeq = event.seq;
    write(record);
  };
  const touch = (data: JsonValue, event: StoredEvent, fn: (record: ProcessRecord, d: ProcessNowData) => void) => {
    const d = payload<ProcessNowData>(data);
    change(d.processId, event, (r) => {
      fn(r, d);
      r.updatedAtMs = d.now;
    });
  };

  return {
    [PROCESS_REGISTERED]: (data, event) => {
      const d = payload<ProcessRegisteredData>(data);
      const record: ProcessRecord = {
        id: d.registration.id,
        registrationHash: d.registrationHash,
        input: d.registration.input,
        disposition: d.registration.disposition,
        identity: d.registration.identity,
        eventTypes: d.registration.eventTypes,
        provenance: d.registration.provenance,
        envRef: d.registration.envRef,
        wakeTarget: d.registration.wakeTarget,
        createdAtMs: d.now,
        updatedAtMs: d.now,
        changeSeq: event.seq,
        externalRef: null,
        firstStarted: null,
        abandonRequest: null,
        wait: null,
        status: { kind: 'running' },
      };
      insertRecord.run(
        record.id,
        record.registrationHash,
        originatorScopeId(record.provenance.originator),
        record.createdAtMs,
        record.updatedAtMs,
        record.changeSeq,
        'running',
        encodeRecord(record),
      );
    },
    [PROCESS_EXTERNAL_REF_SET]: (data, event) =>
      touch(data, event, (r) => {
        r.externalRef = payload<ProcessExternalRefSetData>(data).externalRef;
      }),
    [PROCESS_EVENT_APPENDED]: (data, event) => {
      const d = payload<ProcessEventAppendedData>(data);
      const e = d.event;
      insertEvent.run(e.processId, e.sequence, e.eventType, d.payloadHash, d.idempotencyKey, e.occurredAtMs, encodeJson(e));
      const terminal = e.semantics.terminal;
      if (terminal === null) {
        // Only the two columns change; the record text stays as it is.
        if (touchRecord.run(e.occurredAtMs, event.seq, d.processId).changes !== 1) {
          throw corruptData(
            ProcessRegistryError,
            'events',
            String(event.seq),
            `${event.type} for unknown process ${d.processId}`,
          );
        }
        return;
      }
      change(d.processId, event, (r) => {
        r.status = { kind: terminal.state, awaitOutput: terminal.awaitOutput };
        r.wait = null;
        r.updatedAtMs = e.occurredAtMs;
      });
    },
    [PROCESS_STATUS_REPAIRED]: (data, event) => {
      const d = payload<ProcessStatusRepairedData>(data);
      change(d.processId, event, (r) => {
        r.status = d.status;
        r.wait = null;
        r.updatedAtMs = d.updatedAtMs;
      });
    },
    [PROCESS_FIRST_STARTED_RECORDED]: (data, event) =>
      touch(data, event, (r) => {
        r.firstStarted = payload<ProcessFirstStartedRecordedData>(data).started;
      }),
    [PROCESS_ABANDON_REQUESTED]: (data, event) =>
      touch(data, event, (r) => {
        r.abandonRequest = payload<ProcessAbandonRequestedData>(data).request;
      }),
    [PROCESS_WAIT_SET]: (data, event) =>
      touch(data, event, (r) => {
        r.wait = payload<ProcessWaitSetData>(data).wait;
      }),
    [PROCESS_WAIT_CLEARED]: (data, event) =>
      touch(data, event, (r) => {
        r.wait = null;
      }),
    [PROCESS_WAKE_TARGET_CLEARED]: (data, event) =>
      touch(data, event, (r) => {
        r.wakeTarget = null;
      }),
    [PROCESS_HANDLE_GRANTED]: (data) => {
      const d = payload<ProcessHandleGrantedData>(data);
      upsertGrant.run(d.sessionId, d.scopeId, d.processId, encodeJson(d.descriptor));
    },
    [PROCESS_HANDLE_REVOKED]: (data) => {
      const d = payload<ProcessHandleRevokedData>(data);
      deleteGrant.run(d.scopeId, d.processId);
    },
    [PROCESS_WAKE_ACKED]: (data) => {
      const d = payload<ProcessWakeAckedData>(data);
      insertAck.run(d.processId, d.sequence);
    },
    [PROCESS_LEASE_ACQUIRED]: (data) => {
      const d = payload<ProcessLeaseAcquiredData>(data);
      upsertLease.run(
        d.processId,
        d.owner.ownerId,
        d.owner.incarnationId,
        encodeJson(d.owner.liveness),
        d.leaseToken,
        d.fencingToken,
        d.claimedAtEpochMs,
        d.expiresAtEpochMs,
      );
    },
    [PROCESS_LEASE_EXTENDED]: (data) => {
      const d = payload<ProcessLeaseExtendedData>(data);
      extendLease.run(d.expiresAtEpochMs, d.processId, d.leaseToken);
    },
    [PROCESS_LEASE_RELEASED]: (data) => {
      const d = payload<ProcessLeaseReleasedData>(data);
      releaseLease.run(d.processId, d.leaseToken, d.fencingToken);
    },
    [PROCESS_SEGMENT_HANDOVER_PUT]: (data) => {
      const d = payload<ProcessSegmentHandoverPutData>(data);
      for (const ordinal of d.deletedOrdinals) deleteHandover.run(d.processId, ordinal);
      insertHandover.run(d.processId, d.handover.segmentOrdinal, encodeHandover(d.handover));
    },
    [PROCESS_SEGMENT_HANDOVERS_DELETED]: (data) => {
      deleteHandovers.run(payload<ProcessIdData>(data).processId);
    },
    [PROCESS_PRUNED]: (data) => {
      const d = payload<ProcessPrunedData>(data);
      for (const statement of pruneStatements) statement.run(d.processId);
    },
  };
}
