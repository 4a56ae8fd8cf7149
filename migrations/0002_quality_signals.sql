CREATE TABLE `eval_budget` (
	`key` text NOT NULL,
	`minute` integer NOT NULL,
	`used` integer NOT NULL,
	PRIMARY KEY(`key`, `minute`)
);
--> statement-breakpoint
CREATE TABLE `eval_samples` (
	`request_id` text NOT NULL,
	`kind` text NOT NULL,
	`minute` integer NOT NULL,
	`route_id` text NOT NULL,
	`rollout_id` text DEFAULT '' NOT NULL,
	`release_id` text NOT NULL,
	`variant` text NOT NULL,
	`segment` text,
	`country` text,
	`cohort` text,
	`request_class` text,
	`prompt` text NOT NULL,
	`context` text,
	`answer` text NOT NULL,
	`canary_answer` text,
	`canary_release_id` text,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`request_id`, `kind`)
);
--> statement-breakpoint
CREATE INDEX `eval_samples_created_at` ON `eval_samples` (`created_at`);--> statement-breakpoint
CREATE TABLE `evaluations` (
	`request_id` text NOT NULL,
	`evaluator` text NOT NULL,
	`metric` text NOT NULL,
	`minute` integer NOT NULL,
	`route_id` text NOT NULL,
	`rollout_id` text DEFAULT '' NOT NULL,
	`release_id` text NOT NULL,
	`variant` text NOT NULL,
	`segment` text,
	`country` text,
	`cohort` text,
	`request_class` text,
	`value` real NOT NULL,
	`eval_batch` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`request_id`, `evaluator`, `metric`, `variant`)
);
--> statement-breakpoint
CREATE INDEX `evaluations_eval_batch` ON `evaluations` (`eval_batch`);--> statement-breakpoint
CREATE TABLE `feedback` (
	`request_id` text PRIMARY KEY NOT NULL,
	`minute` integer NOT NULL,
	`route_id` text NOT NULL,
	`rollout_id` text DEFAULT '' NOT NULL,
	`release_id` text NOT NULL,
	`variant` text NOT NULL,
	`segment` text,
	`country` text,
	`cohort` text,
	`request_class` text,
	`score` real NOT NULL,
	`feedback_batch` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `feedback_batch` ON `feedback` (`feedback_batch`);