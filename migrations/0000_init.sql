CREATE TABLE `config_versions` (
	`version` integer PRIMARY KEY NOT NULL,
	`doc` text NOT NULL,
	`actor` text NOT NULL,
	`reason` text NOT NULL,
	`source` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch() * 1000) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `dead_letters` (
	`id` text PRIMARY KEY NOT NULL,
	`queue` text NOT NULL,
	`received_at` integer NOT NULL,
	`reason` text NOT NULL,
	`body` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `outcomes` (
	`request_id` text PRIMARY KEY NOT NULL,
	`ts` integer NOT NULL,
	`minute` integer NOT NULL,
	`route_id` text NOT NULL,
	`rollout_id` text DEFAULT '' NOT NULL,
	`release_id` text NOT NULL,
	`variant` text NOT NULL,
	`config_version` integer NOT NULL,
	`weight` real NOT NULL,
	`segment` text,
	`country` text,
	`continent` text,
	`region` text,
	`colo` text,
	`cohort` text,
	`request_class` text,
	`keyed` integer NOT NULL,
	`path` text NOT NULL,
	`model` text NOT NULL,
	`stream` integer NOT NULL,
	`status` integer NOT NULL,
	`error_class` text,
	`latency_ms` real NOT NULL,
	`ttfb_ms` real,
	`ttft_ms` real,
	`input_tokens` integer,
	`output_tokens` integer,
	`tokens_per_sec` real,
	`finish_reason` text,
	`stream_completed` integer,
	`failover` integer NOT NULL,
	`prompt_hash` text,
	`prompt_chars` integer NOT NULL,
	`completion_chars` integer NOT NULL,
	`metrics` text NOT NULL,
	`ingest_batch` text NOT NULL,
	`ingested_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `outcomes_ingest_batch` ON `outcomes` (`ingest_batch`);--> statement-breakpoint
CREATE INDEX `outcomes_route_ts` ON `outcomes` (`route_id`,`ts`);--> statement-breakpoint
CREATE TABLE `releases` (
	`id` text PRIMARY KEY NOT NULL,
	`origin_url` text NOT NULL,
	`model` text NOT NULL,
	`first_version` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `rollup_bins` (
	`minute` integer NOT NULL,
	`route_id` text NOT NULL,
	`rollout_id` text NOT NULL,
	`release_id` text NOT NULL,
	`variant` text NOT NULL,
	`dim` text NOT NULL,
	`dim_value` text NOT NULL,
	`metric` text NOT NULL,
	`bin` integer NOT NULL,
	`count` integer NOT NULL,
	PRIMARY KEY(`route_id`, `rollout_id`, `minute`, `variant`, `release_id`, `dim`, `dim_value`, `metric`, `bin`)
);
--> statement-breakpoint
CREATE TABLE `rollup_metrics` (
	`minute` integer NOT NULL,
	`route_id` text NOT NULL,
	`rollout_id` text NOT NULL,
	`release_id` text NOT NULL,
	`variant` text NOT NULL,
	`dim` text NOT NULL,
	`dim_value` text NOT NULL,
	`metric` text NOT NULL,
	`n` integer NOT NULL,
	`sum` real NOT NULL,
	`sum_sq` real NOT NULL,
	PRIMARY KEY(`route_id`, `rollout_id`, `minute`, `variant`, `release_id`, `dim`, `dim_value`, `metric`)
);
