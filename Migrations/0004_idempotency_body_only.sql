-- The ETag of a replayed project write now travels inside its stored response body.
ALTER TABLE idempotency_keys DROP COLUMN response_etag;
