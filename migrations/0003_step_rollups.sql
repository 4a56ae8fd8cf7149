CREATE TABLE `ingest_guards` (
	`batch` text PRIMARY KEY NOT NULL,
	`expected` integer NOT NULL,
	`inserted` integer NOT NULL,
	CONSTRAINT "ingest_guards_all_counted" CHECK("ingest_guards"."inserted" = "ingest_guards"."expected")
);
--> statement-breakpoint
CREATE TABLE `step_rollups` (
	`route_id` text NOT NULL,
	`rollout_id` text NOT NULL,
	`step` integer NOT NULL,
	`variant` text NOT NULL,
	`release_id` text NOT NULL,
	`dim` text NOT NULL,
	`dim_value` text NOT NULL,
	`metric` text NOT NULL,
	`n` integer NOT NULL,
	`sum` real NOT NULL,
	`sum_sq` real NOT NULL,
	`bins` text,
	PRIMARY KEY(`route_id`, `rollout_id`, `step`, `variant`, `release_id`, `dim`, `dim_value`, `metric`)
);
--> statement-breakpoint
ALTER TABLE `eval_samples` ADD `step` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `evaluations` ADD `step` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `feedback` ADD `step` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `outcomes` ADD `step` integer DEFAULT 0 NOT NULL;