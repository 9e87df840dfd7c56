"""One async handler per use case. Each takes a command (or plain arguments),
the unit of work and the acting principal, and knows nothing of HTTP."""
