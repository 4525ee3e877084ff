"""What a use case can refuse. Messages are msgids, translated where they are shown."""


class CareError(Exception):
    """Base of refusals a user may see. ``audited``: the use case has recorded the refusal itself, with
    more precision than the web layer's catch-all record of refusals can."""

    def __init__(self, *args: object, audited: bool = False) -> None:
        super().__init__(*args)
        self.audited = audited


class NotFound(CareError):
    """Absent, or outside the acting user's practice: the two are indistinguishable on purpose."""


class Forbidden(CareError):
    """The user's role does not allow this."""


class Invalid(CareError):
    """Input refused. `errors` maps a field name to a message (msgid) and its parameters."""

    def __init__(self, errors: dict[str, tuple[str, dict[str, object]]]) -> None:
        super().__init__(", ".join(f"{field}: {msg}" for field, (msg, _) in errors.items()))
        self.errors = errors
