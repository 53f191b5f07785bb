"""The outbox: side effects (mail, later webhooks and search indexing) written in the same
transaction as the change that causes them, and delivered after commit with retries."""
