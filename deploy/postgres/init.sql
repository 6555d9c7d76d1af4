-- Run once by the postgres image on an empty data volume: one database per service.
-- The services create their own tables (migrations run before each app serves).
CREATE DATABASE contacts;
CREATE DATABASE consent;
CREATE DATABASE messaging;
CREATE DATABASE rights;
CREATE DATABASE analytics;
