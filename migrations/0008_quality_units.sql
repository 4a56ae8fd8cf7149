ALTER TABLE `eval_samples` ADD `unit` integer;--> statement-breakpoint
ALTER TABLE `evaluations` ADD `unit` integer;--> statement-breakpoint
ALTER TABLE `feedback` ADD `unit` integer;