CREATE TABLE `artifact_refs` (
	`namespace` text NOT NULL,
	`artifact_ref` text NOT NULL,
	`blob_ref` text NOT NULL,
	PRIMARY KEY(`namespace`, `artifact_ref`)
);
--> statement-breakpoint
CREATE TABLE `attachment_manifest` (
	`session_id` text NOT NULL,
	`attachment_id` text NOT NULL,
	`canonical_uri` text NOT NULL,
	`intent_at_ms` integer NOT NULL,
	`owner_kind` text,
	`owner_id` text,
	`committed_at_ms` integer,
	PRIMARY KEY(`session_id`, `attachment_id`),
	CONSTRAINT "attachment_manifest_owner_kind" CHECK("attachment_manifest"."owner_kind" IS NULL OR "attachment_manifest"."owner_kind" IN ('turn', 'process')),
	CONSTRAINT "attachment_manifest_owner_pair" CHECK(("attachment_manifest"."owner_kind" IS NULL) = ("attachment_manifest"."owner_id" IS NULL))
);
--> statement-breakpoint
CREATE INDEX `attachment_manifest_session_committed` ON `attachment_manifest` (`session_id`,`committed_at_ms`);--> statement-breakpoint
CREATE INDEX `attachment_manifest_uncommitted` ON `attachment_manifest` (`intent_at_ms`) WHERE "attachment_manifest"."committed_at_ms" IS NULL;--> statement-breakpoint
CREATE INDEX `attachment_manifest_owner` ON `attachment_manifest` (`session_id`,`owner_kind`,`owner_id`,`committed_at_ms`);--> statement-breakpoint
CREATE INDEX `attachment_manifest_attachment` ON `attachment_manifest` (`attachment_id`);--> statement-breakpoint
CREATE TABLE `blobs` (
	`hash` text PRIMARY KEY NOT NULL,
	`content` blob NOT NULL
);
--> statement-breakpoint
CREATE TABLE `event_log_state` (
	`id` integer PRIMARY KEY NOT NULL,
	`compacting` integer DEFAULT 0 NOT NULL,
	CONSTRAINT "event_log_state_singleton" CHECK("event_log_state"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE `event_streams` (
	`stream` text PRIMARY KEY NOT NULL,
	`version` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `events` (
	`seq` integer PRIMARY KEY NOT NULL,
	`stream` text NOT NULL,
	`version` integer NOT NULL,
	`type` text NOT NULL,
	`codec` integer NOT NULL,
	`payload` blob NOT NULL,
	`recorded_at_ms` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `graph_nodes` (
	`seq` integer PRIMARY KEY NOT NULL,
	`node_id` text NOT NULL,
	`record` blob NOT NULL,
	`tombstoned` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `graph_nodes_node_id_unique` ON `graph_nodes` (`node_id`);--> statement-breakpoint
CREATE TABLE `pending_turn_inputs` (
	`input_id` text PRIMARY KEY NOT NULL,
	`session_id` text NOT NULL,
	`enqueue_seq` integer NOT NULL,
	`source_key` text,
	`ingress_kind` text NOT NULL,
	`ingress_turn_id` text,
	`ingress_min_boundary` text,
	`state` text NOT NULL,
	`enqueued_at_ms` integer NOT NULL,
	`input` blob NOT NULL,
	`claim_id` text,
	`claim_owner` blob,
	`claim_token` text,
	`claim_fencing_token` integer DEFAULT 0 NOT NULL,
	`claim_session_lease_generation` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `pending_turn_inputs_enqueue_seq_unique` ON `pending_turn_inputs` (`enqueue_seq`);--> statement-breakpoint
CREATE INDEX `pending_turn_inputs_session_seq` ON `pending_turn_inputs` (`session_id`,`enqueue_seq`);--> statement-breakpoint
CREATE UNIQUE INDEX `pending_turn_inputs_source_key` ON `pending_turn_inputs` (`session_id`,`source_key`) WHERE "pending_turn_inputs"."source_key" IS NOT NULL;--> statement-breakpoint
CREATE INDEX `pending_turn_inputs_claim` ON `pending_turn_inputs` (`session_id`,`claim_id`) WHERE "pending_turn_inputs"."claim_id" IS NOT NULL;--> statement-breakpoint
CREATE INDEX `pending_turn_inputs_claimable` ON `pending_turn_inputs` (`session_id`,`state`,`claim_session_lease_generation`,`enqueue_seq`);--> statement-breakpoint
CREATE INDEX `pending_turn_inputs_active_turn` ON `pending_turn_inputs` (`session_id`,`state`,`ingress_turn_id`,`enqueue_seq`,`ingress_min_boundary`);--> statement-breakpoint
CREATE TABLE `projection_snapshots` (
	`snapshot_seq` integer PRIMARY KEY NOT NULL,
	`recorded_at_ms` integer NOT NULL,
	`codec` integer NOT NULL,
	`payload` blob NOT NULL
);
--> statement-breakpoint
CREATE TABLE `queued_work_batches` (
	`enqueue_seq` integer PRIMARY KEY NOT NULL,
	`batch_id` text NOT NULL,
	`session_id` text NOT NULL,
	`source_key` text,
	`work_class` text NOT NULL,
	`delivery_policy` text NOT NULL,
	`slot_policy` text NOT NULL,
	`merge_key` text NOT NULL,
	`available_at_ms` integer NOT NULL,
	`enqueued_at_ms` integer NOT NULL,
	`claim_id` text,
	`claim_owner` blob,
	`claim_token` text,
	`claim_fencing_token` integer DEFAULT 0 NOT NULL,
	`claim_session_lease_generation` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `queued_work_batches_batch_id_unique` ON `queued_work_batches` (`batch_id`);--> statement-breakpoint
CREATE INDEX `queued_work_batches_session_seq` ON `queued_work_batches` (`session_id`,`enqueue_seq`);--> statement-breakpoint
CREATE UNIQUE INDEX `queued_work_batches_source_key` ON `queued_work_batches` (`session_id`,`source_key`) WHERE "queued_work_batches"."source_key" IS NOT NULL;--> statement-breakpoint
CREATE INDEX `queued_work_batches_claim` ON `queued_work_batches` (`session_id`,`claim_id`) WHERE "queued_work_batches"."claim_id" IS NOT NULL;--> statement-breakpoint
CREATE INDEX `queued_work_batches_claimable` ON `queued_work_batches` (`session_id`,`claim_session_lease_generation`,`enqueue_seq`,`available_at_ms`);--> statement-breakpoint
CREATE TABLE `queued_work_items` (
	`item_id` text NOT NULL,
	`batch_id` text NOT NULL,
	`ordinal` integer NOT NULL,
	`payload` blob NOT NULL,
	PRIMARY KEY(`batch_id`, `ordinal`)
);
--> statement-breakpoint
CREATE TABLE `runtime_turn_commits` (
	`session_id` text NOT NULL,
	`turn_id` text NOT NULL,
	`turn_commit_hash` text NOT NULL,
	`result` blob NOT NULL,
	`committed_at_ms` integer NOT NULL,
	PRIMARY KEY(`session_id`, `turn_id`)
);
--> statement-breakpoint
CREATE TABLE `sequence_counters` (
	`name` text PRIMARY KEY NOT NULL,
	`value` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `session_execution_leases` (
	`session_id` text PRIMARY KEY NOT NULL,
	`owner` blob,
	`lease_token` text,
	`fencing_token` integer NOT NULL,
	`claimed_at_ms` integer NOT NULL,
	`expires_at_ms` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `session_head` (
	`id` integer PRIMARY KEY NOT NULL,
	`session_id` text NOT NULL,
	`head_revision` integer NOT NULL,
	`record` blob NOT NULL,
	`live_node_count` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE `session_meta` (
	`id` integer PRIMARY KEY NOT NULL,
	`record` blob NOT NULL
);
--> statement-breakpoint
CREATE TABLE `usage_deltas` (
	`seq` integer PRIMARY KEY NOT NULL,
	`record` blob NOT NULL
);
