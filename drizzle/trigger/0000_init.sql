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
CREATE TABLE `trigger_deliveries` (
	`occurrence_id` text NOT NULL,
	`subscription_id` text NOT NULL,
	`process_id` text NOT NULL,
	`subscription_incarnation` text NOT NULL,
	`subscription_revision` integer NOT NULL,
	`subscription_snapshot_json` text NOT NULL,
	`created_at_ms` integer NOT NULL,
	PRIMARY KEY(`occurrence_id`, `subscription_id`),
	FOREIGN KEY (`occurrence_id`) REFERENCES `trigger_occurrences`(`occurrence_id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `trigger_deliveries_process` ON `trigger_deliveries` (`process_id`);--> statement-breakpoint
CREATE INDEX `trigger_deliveries_subscription` ON `trigger_deliveries` (`subscription_id`);--> statement-breakpoint
CREATE TABLE `trigger_mutation_receipts` (
	`operation_id` text PRIMARY KEY NOT NULL,
	`request_hash` text NOT NULL,
	`result_json` text NOT NULL,
	`created_at_ms` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `trigger_occurrences` (
	`occurrence_id` text PRIMARY KEY NOT NULL,
	`idempotency_key` text NOT NULL,
	`request_hash` text NOT NULL,
	`source_type` text NOT NULL,
	`source_key` text NOT NULL,
	`occurred_at_ms` integer NOT NULL,
	`record_json` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `trigger_occurrences_idempotency_key_unique` ON `trigger_occurrences` (`idempotency_key`);--> statement-breakpoint
CREATE INDEX `trigger_occurrences_source` ON `trigger_occurrences` (`source_type`,`source_key`,`occurred_at_ms`);--> statement-breakpoint
CREATE TABLE `trigger_subscriptions` (
	`subscription_id` text PRIMARY KEY NOT NULL,
	`owner_scope` text NOT NULL,
	`subscription_key` text NOT NULL,
	`incarnation` text NOT NULL,
	`revision` integer NOT NULL,
	`definition_hash` text NOT NULL,
	`source_type` text NOT NULL,
	`source_key` text NOT NULL,
	`enabled` integer NOT NULL,
	`tombstoned` integer NOT NULL,
	`created_at_ms` integer NOT NULL,
	`updated_at_ms` integer NOT NULL,
	`record_json` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `trigger_subscriptions_owner_key` ON `trigger_subscriptions` (`owner_scope`,`subscription_key`);--> statement-breakpoint
CREATE INDEX `trigger_subscriptions_source` ON `trigger_subscriptions` (`source_type`,`source_key`,`enabled`);