-- Versioned releases (`compile --versioned`), stored beside the compiled release of the same OCID.
ALTER TABLE compiled_release ADD COLUMN versioned_data_id bigint REFERENCES data (id);
