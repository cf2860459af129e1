-- Deliveries recorded before 0016 kept up to 200 characters of what the receiver answered ("HTTP 500: …") or an
-- error's whole text, shown to the webhook's owner: a way to read back whatever answers at an internal URL. Only
-- the class of each failure is kept, as the deliverer records it now.
UPDATE webhook_deliveries
SET last_error = CASE
    WHEN last_error ~ '^HTTP [0-9]{3}' THEN substring(last_error FROM '^HTTP [0-9]{3}')
    WHEN last_error IN ('timeout', 'connection refused', 'TLS', 'connection closed', 'name not resolved', 'destination not allowed',
                        'network error', 'subscription removed') THEN last_error
    ELSE 'network error'
END
WHERE last_error IS NOT NULL
  AND last_error !~ '^HTTP [0-9]{3}$'
  AND last_error NOT IN ('timeout', 'connection refused', 'TLS', 'connection closed', 'name not resolved', 'destination not allowed',
                         'network error', 'subscription removed');
