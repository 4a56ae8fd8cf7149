-- WITHOUT ROWID added by hand (drizzle cannot express it): 19 bytes a key instead of 43.
CREATE TABLE `ingest_keys` (
	`hour` integer NOT NULL,
	`key` integer NOT NULL,
	PRIMARY KEY(`hour`, `key`)
) WITHOUT ROWID;
--> statement-breakpoint
ALTER TABLE `outcomes` ADD `sample_rate` real DEFAULT 1 NOT NULL;
