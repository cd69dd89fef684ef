"""Worker heartbeats: each worker process keeps a key under this prefix in Redis (written by
`sila.workers.runtime`), and the health checks read them. Here, below both, so neither the
workers import the web pages nor the pages import the workers."""

HEARTBEAT_PREFIX = "sila:heartbeat:"
