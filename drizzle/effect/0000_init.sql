CREATE TABLE `await_event_meta` (
	`singleton` integer PRIMARY KEY NOT NULL,
	`signing_secret` blob NOT NULL,
	CONSTRAINT "await_event_meta_singleton" CHECK("await_event_meta"."singleton" = 1)
);
--> statement-breakpoint
CREATE TABLE `await_event_revoked_sessions` (
	`session_id` text PRIMARY KEY NOT NULL,
	`revoked_at_ms` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `await_event_waits` (
	`key_id` text PRIMARY KEY NOT NULL,
	`scope_json` text NOT NULL,
	`wait_json` text NOT NULL,
	`session_id` text,
	`turn_control` integer NOT NULL,
	`terminal_json` text,
	`created_at_ms` integer NOT NULL,
	`resolved_at_ms` integer
);
--> statement-breakpoint
CREATE INDEX `await_event_waits_session` ON `await_event_waits` (`session_id`);--> statement-breakpoint
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
CREATE TABLE `projection_snapshots` (
	`snapshot_seq` integer PRIMARY KEY NOT NULL,
	`recorded_at_ms` integer NOT NULL,
	`codec` integer NOT NULL,
	`payload` blob NOT NULL
);
--> statement-breakpoint
CREATE TABLE `runtime_effect_replay` (
	`scope_key` text NOT NULL,
	`scope_id` text NOT NULL,
	`replay_key` text NOT NULL,
	`envelope_hash` text NOT NULL,
	`envelope_json` text NOT NULL,
	`status` text NOT NULL,
	`outcome_json` text,
	`error_json` text,
	`lease_owner_id` text,
	`lease_token` text,
	`lease_expires_at_ms` integer DEFAULT 0 NOT NULL,
	`due_at_ms` integer,
	`created_at_ms` integer NOT NULL,
	`updated_at_ms` integer NOT NULL,
	PRIMARY KEY(`scope_key`, `replay_key`)
);
--> statement-breakpoint
CREATE INDEX `runtime_effect_replay_status_lease` ON `runtime_effect_replay` (`status`,`lease_expires_at_ms`);