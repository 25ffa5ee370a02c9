"""How the permission matrix (access/tests/test_permission_matrix.py) fills the outbox routes' arguments.

A message is about the owner's counterparty, so it is scoped like the counterparty (area "crm"):
a role that cannot see another user's counterparty cannot see the message about it either.
"""


def _message(world, owner):
    def make():
        from fabrika.documents.outbox import queue_email

        return queue_email(
            actor=owner,
            to=["matrix@example.com"],
            subject=f"Matrix message of {owner.username}",
            body="",
            attachments=[("matrix.txt", b"matrix", "text/plain")],
            related=world.counterparty(owner),
        )

    return world._once(("outbox-message", owner.pk), make)


def route_args() -> dict[str, tuple]:
    message = lambda world, owner: {"pk": _message(world, owner).pk}  # noqa: E731
    attachment = lambda world, owner: {"pk": _message(world, owner).attachments.get().pk}  # noqa: E731
    return {
        "documents:outbox-detail": (message, "crm"),
        "documents:outbox-retry": (message, "crm"),
        "documents:outbox-attachment": (attachment, "crm"),
        "api:outbox-message-detail": (message, "crm"),
    }
