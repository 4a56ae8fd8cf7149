-- WITHOUT ROWID added by hand (drizzle cannot express it): the primary key is the row.
CREATE TABLE `step_assignments` (
	`route_id` text NOT NULL,
	`rollout_id` text NOT NULL,
	`step` integer NOT NULL,
	`release_id` text NOT NULL,
	`variant` text NOT NULL,
	`segment` text NOT NULL,
	`unit` integer NOT NULL,
	`n` integer NOT NULL,
	`logged` integer NOT NULL,
	PRIMARY KEY(`route_id`, `rollout_id`, `step`, `variant`, `release_id`, `segment`, `unit`)
) WITHOUT ROWID;
