CREATE TABLE `analyzer_runs` (
	`scheduled_time` integer PRIMARY KEY NOT NULL,
	`started_at` integer NOT NULL,
	`finished_at` integer,
	`status` text NOT NULL,
	`error` text
);
--> statement-breakpoint
CREATE TABLE `decisions` (
	`id` text PRIMARY KEY NOT NULL,
	`at` integer NOT NULL,
	`scheduled_time` integer NOT NULL,
	`route_id` text NOT NULL,
	`rollout_id` text,
	`action` text NOT NULL,
	`changed` integer NOT NULL,
	`applied` integer NOT NULL,
	`dry_run` integer NOT NULL,
	`version_before` integer NOT NULL,
	`version_after` integer,
	`summary` text NOT NULL,
	`record` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `decisions_route_at` ON `decisions` (`route_id`,`at`);