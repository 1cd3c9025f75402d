"""Sharing data products between instances (docs/federation.md): signing keys, agreements,
export at a trust instance, verified import and withdrawal at an ICS instance."""
