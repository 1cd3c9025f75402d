"""Pure mappers: one source record -> ontology rows (MappedRecord | Rejection | Skipped)."""
