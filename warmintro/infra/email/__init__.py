"""Email: composing outbox rows into messages, and the transports that send them."""
