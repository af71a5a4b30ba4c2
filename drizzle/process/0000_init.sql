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
CREATE TABLE `process_events` (
	`process_id` text NOT NULL,
	`sequence` integer NOT NULL,
	`event_type` text NOT NULL,
	`payload_hash` text NOT NULL,
	`idempotency_key` text,
	`occurred_at_ms` integer NOT NULL,
	`event_json` text NOT NULL,
	PRIMARY KEY(`process_id`, `sequence`),
	FOREIGN KEY (`process_id`) REFERENCES `processes`(`process_id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `process_events_idempotency_key` ON `process_events` (`process_id`,`idempotency_key`) WHERE "process_events"."idempotency_key" IS NOT NULL;--> statement-breakpoint
CREATE TABLE `process_handle_grants` (
	`session_id` text NOT NULL,
	`scope_id` text NOT NULL,
	`process_id` text NOT NULL,
	`descriptor_json` text NOT NULL,
	PRIMARY KEY(`scope_id`, `process_id`),
	FOREIGN KEY (`process_id`) REFERENCES `processes`(`process_id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `process_handle_grants_session` ON `process_handle_grants` (`session_id`);--> statement-breakpoint
CREATE INDEX `process_handle_grants_process` ON `process_handle_grants` (`process_id`);--> statement-breakpoint
CREATE TABLE `process_leases` (
	`process_id` text PRIMARY KEY NOT NULL,
	`lease_owner_id` text,
	`lease_owner_incarnation_id` text,
	`lease_owner_liveness_json` text,
	`lease_token` text,
	`lease_fencing_token` integer DEFAULT 0 NOT NULL,
	`lease_claimed_at_ms` integer DEFAULT 0 NOT NULL,
	`lease_expires_at_ms` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`process_id`) REFERENCES `processes`(`process_id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `process_segment_handovers` (
	`process_id` text NOT NULL,
	`segment_ordinal` integer NOT NULL,
	`handover_json` text NOT NULL,
	PRIMARY KEY(`process_id`, `segment_ordinal`),
	FOREIGN KEY (`process_id`) REFERENCES `processes`(`process_id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `process_wake_acks` (
	`process_id` text NOT NULL,
	`sequence` integer NOT NULL,
	PRIMARY KEY(`process_id`, `sequence`),
	FOREIGN KEY (`process_id`) REFERENCES `processes`(`process_id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `processes` (
	`process_id` text PRIMARY KEY NOT NULL,
	`registration_hash` text NOT NULL,
	`owner_scope_id` text NOT NULL,
	`created_at_ms` integer NOT NULL,
	`updated_at_ms` integer NOT NULL,
	`change_seq` integer NOT NULL,
	`status` text NOT NULL,
	`record_json` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `processes_status` ON `processes` (`status`);--> statement-breakpoint
CREATE INDEX `processes_change_seq` ON `processes` (`change_seq`);--> statement-breakpoint
CREATE TABLE `projection_snapshots` (
	`snapshot_seq` integer PRIMARY KEY NOT NULL,
	`recorded_at_ms` integer NOT NULL,
	`codec` integer NOT NULL,
	`payload` blob NOT NULL
);
