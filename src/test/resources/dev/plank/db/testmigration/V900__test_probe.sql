-- A later version, for tests only: proves that migrations after version 1 are applied, also to a
-- database that was baselined at version 1.
CREATE TABLE plank.test_probe (id int PRIMARY KEY);
