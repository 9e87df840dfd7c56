"""Email addresses validated by `email-validator`, a library kept up with the RFCs."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from warmintro.domain.errors import InvalidInput


class ValidatedEmailAddresses:
    """One plain mailbox per address: quoted local parts, comments, angle brackets,
    lists and whitespace are refused, so nothing stored can name a second recipient
    in a header or an SMTP envelope. Local parts must be ASCII (not every relay
    speaks SMTPUTF8); an internationalised domain is kept in its ASCII (IDNA) form,
    which is what goes on the wire."""

    def normalise(self, raw: str) -> str:
        try:
            valid = validate_email(raw.strip(), check_deliverability=False, allow_smtputf8=False)
        except EmailNotValidError as exc:
            raise InvalidInput(f"not a valid email address: {exc}", field="email") from None
        return valid.ascii_email or valid.normalized
