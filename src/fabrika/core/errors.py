"""Domain errors carry data; their message is translated where they are shown."""


class DomainError(Exception):
    """A business rule was broken. `message` is for people, the attributes for code."""

    code = "domain_error"

    def __init__(self, message: str = "", **data):
        self.message = str(message)
        self.data = data
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class ValidationFailed(DomainError):
    """Input did not pass validation: `errors` maps field names to lists of messages."""

    code = "invalid"

    def __init__(self, errors: dict[str, list[str]], message: str = ""):
        self.errors = {k: [str(m) for m in v] for k, v in errors.items()}
        super().__init__(message or "; ".join(f"{k}: {' '.join(v)}" for k, v in self.errors.items()))


class IllegalTransition(DomainError):
    code = "illegal_transition"

    def __init__(self, obj, current, target, message: str = ""):
        self.obj = obj
        self.current = current
        self.target = target
        super().__init__(message or f"Cannot move {obj} from {current} to {target}")
