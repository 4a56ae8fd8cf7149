ALTER TABLE `outcomes` ADD `unit` integer;--> statement-breakpoint
ALTER TABLE `step_rollups` ADD `groups` text;--> statement-breakpoint
ALTER TABLE `step_rollups` ADD `group_bins` text;