-- A release row may hold a compiled release, as published (`ocds-atlas load --compiled`, a file whose releases
-- are tagged "compiled", the OCP Data Registry's publications): compile takes it as the OCID's compiled release,
-- as is, without needing an `id` or a `date` (method publisher_compiled).
ALTER TABLE release ADD COLUMN compiled boolean NOT NULL DEFAULT false;
