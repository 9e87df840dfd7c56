"""One async handler per use case, grouped by concern. Each takes its command, the
`Env` of driven ports and, when a caller asks, the caller's Principal; none knows
HTTP. `warmintro.domain.use_cases` maps each command to its handler."""
