"""Content-addressed file storage: local disk under var/ or an S3-compatible store."""
